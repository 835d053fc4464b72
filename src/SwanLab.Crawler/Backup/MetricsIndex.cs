using System.Text.Json;
using System.Text.Json.Nodes;
using SwanLab.Crawler.Source;

namespace SwanLab.Crawler.Backup;

/// <summary>
/// One series in metrics/index.json: the SwanLab key, its file (name only, in the same folder), what the file holds,
/// and what the server reported for it (null when it did not say), so verify can catch a silently short series.
/// </summary>
public sealed record MetricsIndexEntry(string Key, string File, long Points, long? FirstStep, long? LastStep,
    long? ExpectedPoints, long? ExpectedLastStep, long Bytes, string Sha256)
{
    /// <summary>Joins what the server said about a series with what its sink wrote.</summary>
    public static MetricsIndexEntry From(SeriesInfo series, SeriesFileInfo file)
    {
        ArgumentNullException.ThrowIfNull(series);
        ArgumentNullException.ThrowIfNull(file);
        var slash = file.RelativePath.LastIndexOf('/');
        return new MetricsIndexEntry(series.Key, file.RelativePath[(slash + 1)..], file.Points, file.FirstStep,
            file.LastStep, series.ExpectedPoints, series.LastStep, file.Bytes, file.Sha256);
    }
}

/// <summary>
/// metrics/index.json of one run, keyed by SwanLab metric key (the decoding table for file names, including the ones
/// <see cref="SafeName"/> had to shorten):
/// <code>
/// {"format": "csv", "sample": null,
///  "series": {"train/loss": {"bytes": 1234, "expectedLastStep": 99, "expectedPoints": 100, "file": "train%2Floss.csv",
///                            "firstStep": 0, "lastStep": 99, "points": 100, "sha256": "..."}}}
/// </code>
/// </summary>
public sealed record MetricsIndex(SeriesFormat Format, int? Sample, IReadOnlyList<MetricsIndexEntry> Series)
{
    public JsonObject ToJson()
    {
        var series = new JsonObject();
        foreach (var e in Series.OrderBy(e => e.Key, StringComparer.Ordinal))
        {
            if (series.ContainsKey(e.Key)) throw new ArgumentException($"Series key '{e.Key}' appears twice in one run.");
            series[e.Key] = new JsonObject
            {
                ["file"] = e.File, ["points"] = e.Points, ["firstStep"] = e.FirstStep, ["lastStep"] = e.LastStep,
                ["expectedPoints"] = e.ExpectedPoints, ["expectedLastStep"] = e.ExpectedLastStep,
                ["bytes"] = e.Bytes, ["sha256"] = e.Sha256,
            };
        }
        return new JsonObject
        {
            ["format"] = Format.Name(),
            ["sample"] = Sample,
            ["series"] = series,
        };
    }

    /// <summary>Writes the run's metrics/index.json atomically and canonically.</summary>
    public Task<WrittenFile> WriteAsync(BackupLayout layout, string runPath, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(layout);
        return AtomicFile.WriteAllBytesAsync(layout, layout.MetricsIndexFile(runPath), CanonicalJson.Serialize(ToJson()), ct);
    }

    /// <summary>Reads an index.json; <see cref="FormatException"/> naming the file when it is malformed.</summary>
    public static async Task<MetricsIndex> ReadAsync(string path, CancellationToken ct)
    {
        var bytes = await File.ReadAllBytesAsync(path, ct).ConfigureAwait(false);
        try
        {
            using var doc = JsonDocument.Parse(bytes);
            var root = doc.RootElement;
            var formatName = root.GetProperty("format").GetString();
            if (!SeriesFormatNames.TryParse(formatName, out var format))
                throw new FormatException($"{path}: unknown series format '{formatName}'.");
            var sample = root.GetProperty("sample");
            var entries = new List<MetricsIndexEntry>();
            foreach (var p in root.GetProperty("series").EnumerateObject())
            {
                var v = p.Value;
                entries.Add(new MetricsIndexEntry(p.Name, v.GetProperty("file").GetString()!, v.GetProperty("points").GetInt64(),
                    OptionalLong(v, "firstStep"), OptionalLong(v, "lastStep"), OptionalLong(v, "expectedPoints"),
                    OptionalLong(v, "expectedLastStep"), v.GetProperty("bytes").GetInt64(), v.GetProperty("sha256").GetString()!));
            }
            return new MetricsIndex(format, sample.ValueKind == JsonValueKind.Null ? null : sample.GetInt32(), entries);
        }
        catch (Exception e) when (e is JsonException or KeyNotFoundException or InvalidOperationException)
        {
            throw new FormatException($"{path} is malformed: {e.Message}", e);
        }
    }

    private static long? OptionalLong(JsonElement obj, string name) =>
        obj.TryGetProperty(name, out var v) && v.ValueKind != JsonValueKind.Null ? v.GetInt64() : null;
}
