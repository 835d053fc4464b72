using System.Buffers;
using System.Globalization;
using System.IO.Pipelines;
using System.Text;
using Microsoft.AspNetCore.Http;

namespace SwanLab.Emulator.Http;

/// <summary>How a CSV download is cut short by the truncate fault.</summary>
internal sealed record Truncation(double Fraction, bool Clean);

/// <summary>
/// Streams a wide scalar CSV (<c>step,{exp}-{key}_step,{exp}-{key}_timestamp,...</c>, one row per step in step order)
/// straight into the response pipe: rows come from a k-way merge of the series and are formatted as UTF-8 in place,
/// so a 10,000,000-point key costs no memory and little CPU.
/// </summary>
internal static class CsvStreamer
{
    private const int FlushThreshold = 64 * 1024;
    private static readonly byte[] NaN = "NaN"u8.ToArray();
    private static readonly byte[] Inf = "INF"u8.ToArray();
    private static readonly byte[] NegInf = "-INF"u8.ToArray();

    public static async Task Write(HttpContext ctx, IReadOnlyList<CsvColumn> columns, Truncation? truncation)
    {
        ctx.Response.StatusCode = 200;
        ctx.Response.ContentType = "text/csv; charset=utf-8";
        var series = columns.Select(c => c.Series?.Read()).ToArray();
        var cursors = new int[series.Length];
        long expectedRows = series.Max(s => (long?)s?.Count) ?? 0;
        var cutAfterRows = truncation is null ? long.MaxValue : (long)(expectedRows * truncation.Fraction);
        var pipe = ctx.Response.BodyWriter;

        var header = new StringBuilder("step");
        foreach (var column in columns)
        {
            header.Append(',').Append(Escape(column.Prefix + "_step")).Append(',').Append(Escape(column.Prefix + "_timestamp"));
        }

        pipe.Write(Encoding.UTF8.GetBytes(header.Append('\n').ToString()));
        var rowCapacity = 24 + (series.Length * 56);
        var pending = 0;
        long rows = 0;
        while (true)
        {
            var step = long.MaxValue;
            for (var c = 0; c < series.Length; c++)
            {
                if (series[c] is { } s && cursors[c] < s.Count)
                {
                    step = Math.Min(step, s.StepAt(cursors[c]));
                }
            }

            if (step == long.MaxValue)
            {
                break;
            }

            var span = pipe.GetSpan(rowCapacity);
            var n = Format(span, step, series, cursors);
            if (rows >= cutAfterRows)
            {
                if (!truncation!.Clean)
                {
                    // Half a line, then a dead connection: the loud failure.
                    pipe.Advance(Math.Max(1, n / 2));
                    await pipe.FlushAsync();
                    ctx.Abort();
                }

                // Clean cut: a well-formed but shorter body, only detectable against the server's last step.
                return;
            }

            pipe.Advance(n);
            rows++;
            pending += n;
            if (pending >= FlushThreshold)
            {
                pending = 0;
                var flushed = await pipe.FlushAsync(ctx.RequestAborted);
                if (flushed.IsCanceled || flushed.IsCompleted)
                {
                    return;
                }
            }
        }

        await pipe.FlushAsync(ctx.RequestAborted);
    }

    /// <summary>Formats one row (advancing the cursors that have this step) and returns its byte length.</summary>
    private static int Format(Span<byte> span, long step, Data.ScalarSeries?[] series, int[] cursors)
    {
        step.TryFormat(span, out var n, default, CultureInfo.InvariantCulture);
        for (var c = 0; c < series.Length; c++)
        {
            span[n++] = (byte)',';
            if (series[c] is { } s && cursors[c] < s.Count && s.StepAt(cursors[c]) == step)
            {
                var i = cursors[c]++;
                n += Value(span[n..], s.ValueAt(i));
                span[n++] = (byte)',';
                s.TimestampAt(i).TryFormat(span[n..], out var w, default, CultureInfo.InvariantCulture);
                n += w;
            }
            else
            {
                span[n++] = (byte)',';
            }
        }

        span[n++] = (byte)'\n';
        return n;
    }

    private static int Value(Span<byte> span, double value)
    {
        ReadOnlySpan<byte> special = double.IsNaN(value) ? NaN
            : double.IsPositiveInfinity(value) ? Inf
            : double.IsNegativeInfinity(value) ? NegInf
            : default;
        if (!special.IsEmpty)
        {
            special.CopyTo(span);
            return special.Length;
        }

        // Shortest round-trip form, identical to Json.CsvValue and to the JSON numbers of the House reads.
        value.TryFormat(span, out var written, "R", CultureInfo.InvariantCulture);
        return written;
    }

    private static string Escape(string cell) =>
        cell.AsSpan().IndexOfAny(",\"\n\r") >= 0 ? "\"" + cell.Replace("\"", "\"\"", StringComparison.Ordinal) + "\"" : cell;
}
