using System.Globalization;
using System.Runtime.CompilerServices;
using System.Text.Json;
using SwanLab.Crawler.Source;

namespace SwanLab.Crawler.Backup;

/// <summary>
/// Reads series files written by <see cref="SeriesSinks"/> back into points (for verify, tests and importers).
/// Strict: anything the sinks would not have written is a <see cref="FormatException"/> naming file and line.
/// </summary>
public static class SeriesFileReader
{
    public static SeriesFormat FormatOf(string path) =>
        path.EndsWith(".csv", StringComparison.Ordinal) ? SeriesFormat.Csv
        : path.EndsWith(".jsonl", StringComparison.Ordinal) ? SeriesFormat.Jsonl
        : path.EndsWith(".parquet", StringComparison.Ordinal) ? SeriesFormat.Parquet
        : throw new FormatException($"'{path}' is not a .csv, .jsonl or .parquet series file.");

    public static async IAsyncEnumerable<SeriesPoint> ReadAsync(string path, [EnumeratorCancellation] CancellationToken ct)
    {
        // Inside the iterator, so a wrong extension fails on enumeration like any other format problem.
        var points = FormatOf(path) == SeriesFormat.Parquet ? ParquetSeriesReader.ReadAsync(path, ct) : ReadTextAsync(path, ct);
        await foreach (var point in points.ConfigureAwait(false)) yield return point;
    }

    private static async IAsyncEnumerable<SeriesPoint> ReadTextAsync(string path, [EnumeratorCancellation] CancellationToken ct)
    {
        var format = FormatOf(path);
        using var reader = new StreamReader(path, new System.Text.UTF8Encoding(false, true), detectEncodingFromByteOrderMarks: false);
        var lineNumber = 0;
        if (format == SeriesFormat.Csv)
        {
            var header = await reader.ReadLineAsync(ct).ConfigureAwait(false);
            lineNumber++;
            if (header != "step,value,timestamp") throw Bad(path, lineNumber, "expected the header step,value,timestamp");
        }
        while (await reader.ReadLineAsync(ct).ConfigureAwait(false) is { } line)
        {
            lineNumber++;
            yield return format == SeriesFormat.Csv ? ParseCsv(path, lineNumber, line) : ParseJsonl(path, lineNumber, line);
        }
    }

    private static SeriesPoint ParseCsv(string path, int lineNumber, string line)
    {
        var parts = line.Split(',');
        if (parts.Length != 3) throw Bad(path, lineNumber, "expected 3 fields");
        if (!long.TryParse(parts[0], NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var step))
            throw Bad(path, lineNumber, "step is not an integer");
        double value = parts[1] switch
        {
            "NaN" => double.NaN,
            "inf" => double.PositiveInfinity,
            "-inf" => double.NegativeInfinity,
            _ when double.TryParse(parts[1], NumberStyles.Float, CultureInfo.InvariantCulture, out var v) && double.IsFinite(v) => v,
            _ => throw Bad(path, lineNumber, "value is not a number"),
        };
        long? timestamp = null;
        if (parts[2].Length > 0)
        {
            if (!long.TryParse(parts[2], NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var ts))
                throw Bad(path, lineNumber, "timestamp is not an integer");
            timestamp = ts;
        }
        return new SeriesPoint(step, value, timestamp);
    }

    private static SeriesPoint ParseJsonl(string path, int lineNumber, string line)
    {
        try
        {
            using var doc = JsonDocument.Parse(line);
            var root = doc.RootElement;
            var step = root.GetProperty("step").GetInt64();
            var valueElement = root.GetProperty("value");
            double value = valueElement.ValueKind switch
            {
                JsonValueKind.Number => valueElement.GetDouble(),
                JsonValueKind.String => valueElement.GetString() switch
                {
                    "NaN" => double.NaN,
                    "Infinity" => double.PositiveInfinity,
                    "-Infinity" => double.NegativeInfinity,
                    _ => throw Bad(path, lineNumber, "value is a string other than NaN/Infinity/-Infinity"),
                },
                _ => throw Bad(path, lineNumber, "value is not a number"),
            };
            var tsElement = root.GetProperty("timestamp");
            long? timestamp = tsElement.ValueKind == JsonValueKind.Null ? null : tsElement.GetInt64();
            return new SeriesPoint(step, value, timestamp);
        }
        catch (Exception e) when (e is JsonException or KeyNotFoundException or InvalidOperationException or FormatException
                                      && e is not SeriesFormatException)
        {
            throw Bad(path, lineNumber, e.Message);
        }
    }

    private static SeriesFormatException Bad(string path, int line, string why) => new($"{path}:{line}: {why}.");
}

/// <summary>A series file that is not what the sinks write.</summary>
public sealed class SeriesFormatException(string message) : FormatException(message);
