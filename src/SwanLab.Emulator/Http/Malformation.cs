using System.Collections.Concurrent;
using System.Text;
using Microsoft.AspNetCore.Http;
using SwanLab.Emulator.Http;

namespace SwanLab.Emulator;

/// <summary>How the malformed-response fault spoils a successful response body.</summary>
public enum MalformedKind
{
    /// <summary>A JSON body cut in half and followed by an HTML error page: never valid JSON.</summary>
    Json,

    /// <summary>A metric CSV whose header has the value and timestamp column names swapped.</summary>
    CsvHeader,

    /// <summary>A metric CSV with a non-numeric value in a data row.</summary>
    CsvValue,

    /// <summary>A metric CSV with a data row cut after its step cell (the row is short, the body goes on).</summary>
    CsvRow,

    /// <summary>Any body replaced by the same number of random bytes (at least 64).</summary>
    Garbage,
}

/// <summary>
/// A targeted malformed-response fault: every successful response to a request whose <c>METHOD path?query</c> or
/// JSON body contains <see cref="Match"/> (for example a run cuid) is spoiled as <see cref="Kind"/> says. A CSV
/// kind leaves the matched JSON answers intact and spoils the metric CSVs they point to (the export's
/// <c>cosKey</c>, the legacy column/csv <c>url</c>), so "run X's metric CSVs are broken" is one target.
/// </summary>
public sealed record MalformedTarget(string Match, MalformedKind Kind)
{
    /// <summary>Parses <c>MATCH=KIND</c> (kind names case-insensitive, e.g. <c>abc123=csv-value</c>); <c>MATCH</c> alone is <see cref="MalformedKind.Json"/>.</summary>
    public static MalformedTarget Parse(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        var eq = text.LastIndexOf('=');
        var match = eq < 0 ? text : text[..eq];
        if (match.Length == 0)
        {
            throw new ArgumentException($"malformed target '{text}' has nothing to match");
        }

        if (eq < 0)
        {
            return new MalformedTarget(match, MalformedKind.Json);
        }

        var name = text[(eq + 1)..].Replace("-", "", StringComparison.Ordinal);
        return Enum.TryParse<MalformedKind>(name, ignoreCase: true, out var kind) && Enum.IsDefined(kind)
            ? new MalformedTarget(match, kind)
            : throw new ArgumentException($"unknown malformed kind '{text[(eq + 1)..]}' (json, csv-header, csv-value, csv-row, garbage)");
    }

    public override string ToString() => Match + "=" + Kind.ToString().ToLowerInvariant();
}

/// <summary>The malformed-response fault: decides which responses to spoil, captures them and spoils them.</summary>
internal static class Malformation
{
    private const int MaxInspectedBody = 1 << 20;

    /// <summary>Objects whose download is to be spoiled, keyed by object key (set when a CSV-kind target matched the request that created it).</summary>
    internal sealed class TaintedObjects
    {
        private readonly ConcurrentDictionary<string, MalformedKind> _keys = new(StringComparer.Ordinal);

        public void Add(string key, MalformedKind kind) => _keys[key] = kind;

        public MalformedKind? Get(string key) => _keys.TryGetValue(key, out var kind) ? kind : null;

        public void Clear() => _keys.Clear();
    }

    /// <summary>The spoiling this request gets, if any: a target, a tainted object, or the random rate.</summary>
    public static async Task<(MalformedKind Kind, bool Targeted)?> DecideAsync(HttpContext ctx, EmulatorFaults faults)
    {
        var targets = faults.MalformedTargets;
        if (targets.Count > 0)
        {
            if (Http.ObjectStore.KeyFromTarget(ctx) is { } key && faults.Tainted.Get(key) is { } tainted)
            {
                return (tainted, true);
            }

            var request = new StringBuilder(ctx.Request.Method).Append(' ').Append(ctx.Request.Path.Value).Append(ctx.Request.QueryString.Value);
            if (ctx.Request.ContentLength is > 0 and <= MaxInspectedBody)
            {
                ctx.Request.EnableBuffering();
                using var reader = new StreamReader(ctx.Request.Body, Encoding.UTF8, leaveOpen: true);
                request.Append('\n').Append(await reader.ReadToEndAsync(ctx.RequestAborted));
                ctx.Request.Body.Position = 0;
            }

            var text = request.ToString();
            foreach (var target in targets)
            {
                if (text.Contains(target.Match, StringComparison.Ordinal))
                {
                    return (target.Kind, true);
                }
            }
        }

        if (faults.Draw(faults.MalformedRate))
        {
            return ((MalformedKind)faults.NextInt(0, Enum.GetValues<MalformedKind>().Length), false);
        }

        return null;
    }

    /// <summary>Runs the handler into a buffer, then sends the body spoiled (only 2xx answers are spoiled).</summary>
    public static async Task RespondSpoiledAsync(HttpContext ctx, RequestDelegate next, Backend b, MalformedKind kind, bool targeted)
    {
        var original = ctx.Response.Body;
        using var capture = new MemoryStream();
        ctx.Response.Body = capture;
        try
        {
            await next(ctx);
            if (!ctx.RequestAborted.IsCancellationRequested)
            {
                // Handlers that wrote through BodyWriter (the CSV streamer) may have bytes not yet in the capture.
                await ctx.Response.BodyWriter.FlushAsync(ctx.RequestAborted);
            }
        }
        finally
        {
            ctx.Response.Body = original;
        }

        var body = capture.ToArray();
        if (ctx.Response.StatusCode is >= 200 and < 300 && !ctx.RequestAborted.IsCancellationRequested)
        {
            var contentType = ctx.Response.ContentType ?? "";
            var json = contentType.Contains("json", StringComparison.OrdinalIgnoreCase);
            var csv = contentType.Contains("csv", StringComparison.OrdinalIgnoreCase);
            if (targeted && kind is MalformedKind.CsvHeader or MalformedKind.CsvValue or MalformedKind.CsvRow)
            {
                if (json)
                {
                    TaintReferencedObjects(body, kind, b.Faults);
                }
                else if (csv)
                {
                    body = Spoil(body, kind, b.Faults);
                    b.Stats.CountMalformed();
                }
            }
            else if (targeted || json || csv)
            {
                // Random picks are fitted to what the body is: JSON kinds for JSON, CSV kinds for CSV. Other bodies
                // (media, log files) are left alone at random: nothing in them would tell a client they were spoiled.
                var fitted = (kind, json, csv) switch
                {
                    (MalformedKind.Garbage, _, _) => MalformedKind.Garbage,
                    (MalformedKind.Json, _, true) => MalformedKind.CsvValue,
                    (_, true, _) => MalformedKind.Json,
                    (_, _, true) => kind,
                    _ => MalformedKind.Garbage,
                };
                body = Spoil(body, fitted, b.Faults);
                b.Stats.CountMalformed();
            }
        }

        if (ctx.RequestAborted.IsCancellationRequested)
        {
            return;
        }

        ctx.Response.ContentLength = body.Length;
        await original.WriteAsync(body, ctx.RequestAborted);
    }

    /// <summary>Marks the export objects a JSON answer points to (<c>cosKey</c> or a presigned <c>url</c>).</summary>
    private static void TaintReferencedObjects(byte[] body, MalformedKind kind, EmulatorFaults faults)
    {
        var text = Encoding.UTF8.GetString(body);
        const string exports = "exports/";
        for (var at = text.IndexOf(exports, StringComparison.Ordinal); at >= 0; at = text.IndexOf(exports, at + 1, StringComparison.Ordinal))
        {
            var end = text.IndexOfAny(['"', '?', '\\'], at);
            if (end > at)
            {
                faults.Tainted.Add(text[at..end], kind);
            }
        }
    }

    internal static byte[] Spoil(byte[] body, MalformedKind kind, EmulatorFaults faults) => kind switch
    {
        MalformedKind.Json => [.. body.AsSpan(0, body.Length / 2), .. "<html><body>502 Bad Gateway</body></html>"u8],
        MalformedKind.Garbage => Garbage(Math.Max(64, body.Length), faults),
        _ => SpoilCsv(body, kind),
    };

    private static byte[] Garbage(int length, EmulatorFaults faults)
    {
        var bytes = new byte[length];
        for (var i = 0; i < bytes.Length; i++)
        {
            // No newline and never a digit first, so no reader can take any of it for a CSV row.
            bytes[i] = (byte)faults.NextInt(0x80, 0x100);
        }

        return bytes;
    }

    private static byte[] SpoilCsv(byte[] body, MalformedKind kind)
    {
        var lines = Encoding.UTF8.GetString(body).Split('\n').ToList();
        var dataRows = lines.Skip(1).Count(l => l.Length > 0);
        if (kind == MalformedKind.CsvHeader || dataRows == 0)
        {
            var cells = lines[0].Split(',');
            if (cells.Length >= 3)
            {
                (cells[1], cells[2]) = (cells[2], cells[1]);
                lines[0] = string.Join(',', cells);
            }
            else
            {
                lines[0] = "time,value_timestamp";
            }
        }
        else
        {
            var row = 1 + (dataRows / 2);
            var cells = lines[row].Split(',');
            lines[row] = kind == MalformedKind.CsvValue
                ? string.Join(',', [cells[0], "n/a", .. cells.Skip(2)])
                : cells[0];
        }

        return Encoding.UTF8.GetBytes(string.Join('\n', lines));
    }
}
