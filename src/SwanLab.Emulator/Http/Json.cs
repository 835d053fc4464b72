using System.Buffers;
using System.Globalization;
using System.Text.Encodings.Web;
using System.Text.Json;
using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.Features;

namespace SwanLab.Emulator.Http;

/// <summary>Response writing: JSON written straight with Utf8JsonWriter (exact field names, no reflection), errors, reason phrases.</summary>
internal static class Json
{
    private static readonly JsonWriterOptions WriterOptions = new()
    {
        // A Node-style server sends UTF-8 as is; clients must cope with raw non-ASCII.
        Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping,
        SkipValidation = true,
    };

    public const string IsoFormat = "yyyy-MM-dd'T'HH:mm:ss.fff'Z'";

    public static string Iso(DateTimeOffset time) => time.UtcDateTime.ToString(IsoFormat, CultureInfo.InvariantCulture);

    public static Task Write(HttpContext ctx, Action<Utf8JsonWriter> write, int status = 200, string? reason = null)
    {
        var buffer = new ArrayBufferWriter<byte>(512);
        using (var writer = new Utf8JsonWriter(buffer, WriterOptions))
        {
            write(writer);
        }

        ctx.Response.StatusCode = status;
        if (reason is not null)
        {
            SetReason(ctx, reason);
        }

        ctx.Response.ContentType = "application/json; charset=utf-8";
        ctx.Response.ContentLength = buffer.WrittenCount;
        return ctx.Response.Body.WriteAsync(buffer.WrittenMemory).AsTask();
    }

    public static Task Ok(HttpContext ctx, int status = 200) => Write(ctx, w =>
    {
        w.WriteStartObject();
        w.WriteString("message", "ok");
        w.WriteEndObject();
    }, status);

    public static Task Node(HttpContext ctx, JsonNode? node, int status = 200, string? reason = null) =>
        Write(ctx, w => WriteNode(w, node), status, reason);

    public static void WriteNode(Utf8JsonWriter w, JsonNode? node)
    {
        if (node is null)
        {
            w.WriteNullValue();
        }
        else
        {
            node.WriteTo(w);
        }
    }

    /// <summary>Error body both SDKs read: 0.7.8 the reason phrase, 0.9.7 the JSON code/message and traceid header.</summary>
    public static Task Error(HttpContext ctx, int status, string reason, string code, string message)
    {
        ctx.Response.Headers["traceid"] = ctx.TraceIdentifier;
        return Write(ctx, w =>
        {
            w.WriteStartObject();
            w.WriteString("code", code);
            w.WriteString("message", message);
            w.WriteEndObject();
        }, status, reason);
    }

    public static Task Unauthorized(HttpContext ctx) => Error(ctx, 401, "Unauthorized", "UNAUTHORIZED", "login required");

    public static Task NotFound(HttpContext ctx, string what) => Error(ctx, 404, "Not Found", "NOT_FOUND", what + " not found");

    /// <summary>What both SDKs recognise as "experiment deleted": reason phrase (0.7.8) and body code (0.7.8 columns).</summary>
    public static Task DisabledResource(HttpContext ctx) => Error(ctx, 404, "Disabled Resource", "Disabled_Resource", "experiment has been deleted");

    public static Task BadRequest(HttpContext ctx, string message) => Error(ctx, 400, "Bad Request", "BAD_REQUEST", message);

    public static void SetReason(HttpContext ctx, string reason)
    {
        var feature = ctx.Features.Get<IHttpResponseFeature>();
        if (feature is not null)
        {
            feature.ReasonPhrase = reason;
        }
    }

    /// <summary>Metric values: finite numbers as JSON numbers, the rest as the strings SwanLab uses.</summary>
    public static void WriteMetricValue(Utf8JsonWriter w, double value)
    {
        if (double.IsNaN(value))
        {
            w.WriteStringValue("NaN");
        }
        else if (double.IsPositiveInfinity(value))
        {
            w.WriteStringValue("INF");
        }
        else if (double.IsNegativeInfinity(value))
        {
            w.WriteStringValue("-INF");
        }
        else
        {
            w.WriteNumberValue(value);
        }
    }

    public static string CsvValue(double value) =>
        double.IsNaN(value) ? "NaN"
        : double.IsPositiveInfinity(value) ? "INF"
        : double.IsNegativeInfinity(value) ? "-INF"
        : value.ToString("R", CultureInfo.InvariantCulture);

    /// <summary>Reads a JSON request body; null when absent or malformed.</summary>
    public static async Task<JsonNode?> ReadBody(HttpContext ctx)
    {
        try
        {
            return await JsonNode.ParseAsync(ctx.Request.Body, cancellationToken: ctx.RequestAborted);
        }
        catch (JsonException)
        {
            return null;
        }
    }

    /// <summary>Parses a metric value sent by either SDK: a number or "NaN"/"nan"/"INF"/"-INF"/"inf".</summary>
    public static double? ParseMetricValue(JsonNode? node)
    {
        if (node is not JsonValue value)
        {
            return null;
        }

        if (value.TryGetValue<double>(out var d))
        {
            return d;
        }

        if (value.TryGetValue<string>(out var s))
        {
            return s.ToUpperInvariant() switch
            {
                "NAN" => double.NaN,
                "INF" or "+INF" or "INFINITY" => double.PositiveInfinity,
                "-INF" or "-INFINITY" => double.NegativeInfinity,
                _ => double.TryParse(s, NumberStyles.Float, CultureInfo.InvariantCulture, out var parsed) ? parsed : null,
            };
        }

        return null;
    }

    public static string? Str(JsonNode? node) =>
        node is JsonValue v && v.TryGetValue<string>(out var s) ? s : null;

    public static long? Long(JsonNode? node)
    {
        if (node is not JsonValue v)
        {
            return null;
        }

        if (v.TryGetValue<long>(out var l))
        {
            return l;
        }

        if (v.TryGetValue<double>(out var d))
        {
            return (long)d;
        }

        return v.TryGetValue<string>(out var s) && long.TryParse(s, NumberStyles.Integer, CultureInfo.InvariantCulture, out var p) ? p : null;
    }

    /// <summary>Python sends booleans in queries as True/False; accept any case and 1/0.</summary>
    public static bool QueryBool(HttpContext ctx, string name, bool fallback)
    {
        var raw = ctx.Request.Query[name].ToString();
        if (raw.Length == 0)
        {
            return fallback;
        }

        return raw.Equals("true", StringComparison.OrdinalIgnoreCase) || raw == "1"
            || (!raw.Equals("false", StringComparison.OrdinalIgnoreCase) && raw != "0" && fallback);
    }

    public static int QueryInt(HttpContext ctx, string name, int fallback) =>
        int.TryParse(ctx.Request.Query[name].ToString(), NumberStyles.Integer, CultureInfo.InvariantCulture, out var v) ? v : fallback;

    public static string? Query(HttpContext ctx, string name)
    {
        var raw = ctx.Request.Query[name].ToString();
        return raw.Length == 0 ? null : raw;
    }

    public static string Route(HttpContext ctx, string name) => ctx.Request.RouteValues[name]?.ToString() ?? "";

    /// <summary>Writes a page of a paginated list: always list, size, pages (&gt;= 1) and total.</summary>
    /// <remarks><paramref name="everything"/> answers one page holding all items (0.7.8 <c>all=True</c>).</remarks>
    public static Task Page<T>(HttpContext ctx, IReadOnlyList<T> all, Action<Utf8JsonWriter, T> writeItem, int defaultSize = 20, bool everything = false)
    {
        var page = everything ? 1 : Math.Max(1, QueryInt(ctx, "page", 1));
        var size = everything ? Math.Max(1, all.Count) : QueryInt(ctx, "size", defaultSize);
        if (size <= 0)
        {
            size = defaultSize;
        }

        var total = all.Count;
        var pages = Math.Max(1, (total + size - 1) / size);
        return Write(ctx, w =>
        {
            w.WriteStartObject();
            w.WriteStartArray("list");
            var start = (long)(page - 1) * size;
            for (var i = start; i < Math.Min(total, start + size); i++)
            {
                writeItem(w, all[(int)i]);
            }

            w.WriteEndArray();
            w.WriteNumber("size", size);
            w.WriteNumber("pages", pages);
            w.WriteNumber("total", total);
            w.WriteEndObject();
        });
    }
}
