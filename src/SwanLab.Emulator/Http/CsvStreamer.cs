using System.Globalization;
using System.Text;
using Microsoft.AspNetCore.Http;

namespace SwanLab.Emulator.Http;

/// <summary>How a CSV download is cut short by the truncate fault.</summary>
internal sealed record Truncation(double Fraction, bool Clean);

/// <summary>
/// Streams a wide scalar CSV (<c>step,{exp}-{key}_step,{exp}-{key}_timestamp,...</c>, one row per step in step order)
/// straight to the response: rows come from a k-way merge of the series, nothing is built in memory.
/// </summary>
internal static class CsvStreamer
{
    public static async Task Write(HttpContext ctx, IReadOnlyList<CsvColumn> columns, Truncation? truncation)
    {
        ctx.Response.StatusCode = 200;
        ctx.Response.ContentType = "text/csv; charset=utf-8";
        var series = columns.Select(c => c.Series?.Read()).ToArray();
        var cursors = new int[series.Length];
        long expectedRows = series.Max(s => (long?)s?.Count) ?? 0;
        var cutAfterRows = truncation is null ? long.MaxValue : (long)(expectedRows * truncation.Fraction);

        var writer = new StreamWriter(ctx.Response.Body, new UTF8Encoding(false), 1 << 16);
        await using (writer.ConfigureAwait(false))
        {
            var header = new StringBuilder("step");
            foreach (var column in columns)
            {
                header.Append(',').Append(Escape(column.Prefix + "_step")).Append(',').Append(Escape(column.Prefix + "_timestamp"));
            }

            await writer.WriteAsync(header.Append('\n').ToString());
            var row = new StringBuilder(64 + (columns.Count * 32));
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

                row.Clear();
                row.Append(step.ToString(CultureInfo.InvariantCulture));
                for (var c = 0; c < series.Length; c++)
                {
                    if (series[c] is { } s && cursors[c] < s.Count && s.StepAt(cursors[c]) == step)
                    {
                        var i = cursors[c]++;
                        row.Append(',').Append(Json.CsvValue(s.ValueAt(i))).Append(',').Append(s.TimestampAt(i).ToString(CultureInfo.InvariantCulture));
                    }
                    else
                    {
                        row.Append(",,");
                    }
                }

                row.Append('\n');
                if (rows >= cutAfterRows)
                {
                    if (!truncation!.Clean)
                    {
                        // Half a line, then a dead connection: the loud failure.
                        await writer.WriteAsync(row.ToString(0, Math.Max(1, row.Length / 2)));
                        await writer.FlushAsync();
                        ctx.Abort();
                    }

                    // Clean cut: a well-formed but shorter body, only detectable against the server's last step.
                    return;
                }

                await writer.WriteAsync(row.ToString());
                rows++;
                if ((rows & 0xFFF) == 0)
                {
                    ctx.RequestAborted.ThrowIfCancellationRequested();
                }
            }
        }
    }

    private static string Escape(string cell) =>
        cell.AsSpan().IndexOfAny(",\"\n\r") >= 0 ? "\"" + cell.Replace("\"", "\"\"", StringComparison.Ordinal) + "\"" : cell;
}
