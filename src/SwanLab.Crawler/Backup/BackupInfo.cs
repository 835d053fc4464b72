using System.Globalization;
using System.Reflection;
using System.Text.Json;
using System.Text.Json.Nodes;
using SwanLab.Crawler.Source;

namespace SwanLab.Crawler.Backup;

/// <summary>
/// Counts recorded in backup.json, over the whole backup (every export into the folder since it was started or last
/// --restart), not only the export that wrote it. <see cref="Runs"/> is every run ever selected;
/// <see cref="RunsLeft"/> the ones that were selected but are neither done nor failed (an export was interrupted).
/// </summary>
public sealed record BackupCounts(int Workspaces, int Projects, int Runs, int RunsDone, int RunsFailed, long Points, int Files)
{
    /// <summary>Done runs exported with --no-logs (they have no logs.jsonl whatever the server holds).</summary>
    public int RunsWithoutLogs { get; init; }
    /// <summary>Done runs exported with --no-media.</summary>
    public int RunsWithoutMedia { get; init; }
    public int RunsLeft => Math.Max(0, Runs - RunsDone - RunsFailed);
}

/// <summary>One way series are stored in the backup and how many done runs use it.</summary>
public sealed record SeriesVariant(SeriesFormat Format, int? Sample, int Runs)
{
    public bool Sampled => Sample is not null;
}

/// <summary>
/// backup.json, the backup's identity card: <c>format</c> "swanlab-backup", <c>version</c> 1, the source host and user
/// (never a key; <c>otherSources</c> lists others mixed in with --allow-other-source), tool name and version,
/// started/finished UTC of the export that wrote it (ISO 8601, the only non-deterministic values in a backup), and,
/// over the whole backup: counts, how series are stored (one entry per format and sample size present, with its
/// number of runs; <c>sample</c> null = full resolution), the distinct selections of the exports that made it, and
/// whether it is complete (every run ever selected done, none failed, every recorded file present with its size).
/// </summary>
public sealed record BackupInfo
{
    public const string FormatName = "swanlab-backup";
    public const int FormatVersion = 1;
    public const string ToolName = "swanlab-crawler";

    /// <summary>The running tool's informational version (e.g. "0.1.0+abc123"), for <see cref="ToolVersion"/>.</summary>
    public static string CurrentToolVersion { get; } =
        typeof(BackupInfo).Assembly.GetCustomAttribute<AssemblyInformationalVersionAttribute>()?.InformationalVersion
        ?? typeof(BackupInfo).Assembly.GetName().Version?.ToString() ?? "unknown";

    /// <summary>The server and user the backup was made from.</summary>
    public required BackupSource Source { get; init; }
    /// <summary>Sources exported into the same folder later with --allow-other-source (normally none).</summary>
    public IReadOnlyList<BackupSource> OtherSources { get; init; } = [];
    public string ToolVersion { get; init; } = CurrentToolVersion;
    public required DateTimeOffset StartedUtc { get; init; }
    public DateTimeOffset? FinishedUtc { get; init; }
    public required BackupCounts Counts { get; init; }
    /// <summary>Every series format and sample size present, sorted (format, then full before sampled, then size).</summary>
    public IReadOnlyList<SeriesVariant> Series { get; init; } = [];
    /// <summary>The distinct selections of the exports that made the backup (all lists empty = everything).</summary>
    public IReadOnlyList<BackupSelection> Selections { get; init; } = [];
    public required bool Complete { get; init; }

    /// <summary>
    /// Optional reads the source server does not offer (<c>unavailable</c>: capability and the server's answer, sorted
    /// by capability): the backup is complete for what the server has, and says what it could not have.
    /// </summary>
    public IReadOnlyList<UnavailableRead> Unavailable { get; init; } = [];

    public string SourceHost => Source.Host;
    public string SourceUser => Source.User;

    /// <summary>The one series format of the backup; null when it holds several (see <see cref="Series"/>) or none.</summary>
    public SeriesFormat? SeriesFormat => Series.Select(s => s.Format).Distinct().Count() == 1 ? Series[0].Format : null;

    public JsonObject ToJson()
    {
        var series = new JsonArray();
        foreach (var s in Series)
            series.Add(new JsonObject
            {
                ["format"] = s.Format.Name(), ["resolution"] = s.Sampled ? "sampled" : "full", ["sample"] = s.Sample,
                ["runs"] = s.Runs,
            });
        var others = new JsonArray();
        foreach (var s in OtherSources) others.Add(s.ToJson());
        var selections = new JsonArray();
        foreach (var s in Selections) selections.Add(s.ToJson());
        return new JsonObject
        {
            ["format"] = FormatName,
            ["version"] = FormatVersion,
            ["source"] = Source.ToJson(),
            ["otherSources"] = others,
            ["tool"] = new JsonObject { ["name"] = ToolName, ["version"] = ToolVersion },
            ["startedAt"] = Iso(StartedUtc),
            ["finishedAt"] = FinishedUtc is { } f ? Iso(f) : null,
            ["complete"] = Complete,
            ["series"] = series,
            ["selections"] = selections,
            ["counts"] = new JsonObject
            {
                ["workspaces"] = Counts.Workspaces, ["projects"] = Counts.Projects, ["runs"] = Counts.Runs,
                ["runsDone"] = Counts.RunsDone, ["runsFailed"] = Counts.RunsFailed, ["runsLeft"] = Counts.RunsLeft,
                ["runsWithoutLogs"] = Counts.RunsWithoutLogs, ["runsWithoutMedia"] = Counts.RunsWithoutMedia,
                ["points"] = Counts.Points, ["files"] = Counts.Files,
            },
            ["unavailable"] = new JsonArray(Unavailable.OrderBy(u => u.Capability, StringComparer.Ordinal)
                .Select(u => (JsonNode)new JsonObject { ["capability"] = u.Capability, ["answer"] = u.Answer }).ToArray()),
        };
    }

    /// <summary>Writes backup.json atomically in canonical form.</summary>
    public Task<WrittenFile> WriteAsync(BackupLayout layout, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(layout);
        return AtomicFile.WriteAllBytesAsync(layout, layout.BackupInfoFile, CanonicalJson.Serialize(ToJson()), ct);
    }

    /// <summary>
    /// Reads backup.json; null when it does not exist; <see cref="FormatException"/> when it is not ours. Files written
    /// before the whole-backup fields existed (one <c>series</c> object, no selections) still read.
    /// </summary>
    public static async Task<BackupInfo?> ReadAsync(BackupLayout layout, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(layout);
        if (!File.Exists(layout.BackupInfoFile)) return null;
        var bytes = await File.ReadAllBytesAsync(layout.BackupInfoFile, ct).ConfigureAwait(false);
        try
        {
            using var doc = JsonDocument.Parse(bytes);
            var r = doc.RootElement;
            if (r.GetProperty("format").GetString() != FormatName)
                throw new FormatException($"{layout.BackupInfoFile} is not a {FormatName} file.");
            var version = r.GetProperty("version").GetInt32();
            if (version != FormatVersion)
                throw new FormatException($"{layout.BackupInfoFile} has format version {version}; this tool reads version {FormatVersion}.");
            var counts = r.GetProperty("counts");
            var finished = r.GetProperty("finishedAt");
            var readCounts = new BackupCounts(
                counts.GetProperty("workspaces").GetInt32(), counts.GetProperty("projects").GetInt32(),
                counts.GetProperty("runs").GetInt32(), counts.GetProperty("runsDone").GetInt32(),
                counts.GetProperty("runsFailed").GetInt32(), counts.GetProperty("points").GetInt64(),
                counts.GetProperty("files").GetInt32())
            {
                RunsWithoutLogs = OptionalInt(counts, "runsWithoutLogs"),
                RunsWithoutMedia = OptionalInt(counts, "runsWithoutMedia"),
            };
            return new BackupInfo
            {
                Source = BackupSource.FromJson(r.GetProperty("source")),
                OtherSources = r.TryGetProperty("otherSources", out var others) && others.ValueKind == JsonValueKind.Array
                    ? others.EnumerateArray().Select(BackupSource.FromJson).ToList()
                    : [],
                ToolVersion = r.GetProperty("tool").GetProperty("version").GetString()!,
                StartedUtc = ParseIso(r.GetProperty("startedAt").GetString()!),
                FinishedUtc = finished.ValueKind == JsonValueKind.Null ? null : ParseIso(finished.GetString()!),
                Counts = readCounts,
                Series = ReadSeries(r.GetProperty("series"), readCounts.RunsDone),
                Selections = r.TryGetProperty("selections", out var selections) && selections.ValueKind == JsonValueKind.Array
                    ? selections.EnumerateArray().Select(BackupSelection.FromJson).ToList()
                    : [],
                Complete = r.GetProperty("complete").GetBoolean(),
                // Absent from backups written before the field existed: nothing was recorded as unavailable.
                Unavailable = ReadUnavailable(r),
            };
        }
        catch (Exception e) when (e is JsonException or KeyNotFoundException or InvalidOperationException)
        {
            throw new FormatException($"{layout.BackupInfoFile} is malformed: {e.Message}", e);
        }
    }

    private static IReadOnlyList<UnavailableRead> ReadUnavailable(JsonElement root)
    {
        if (!root.TryGetProperty("unavailable", out var unavailable) || unavailable.ValueKind != JsonValueKind.Array ||
            unavailable.GetArrayLength() == 0)
            return [];
        return unavailable.EnumerateArray()
            .Select(u => new UnavailableRead(u.GetProperty("capability").GetString()!, u.GetProperty("answer").GetString()!))
            .ToList();
    }

    private static List<SeriesVariant> ReadSeries(JsonElement series, int runsDone)
    {
        // Before version 1 described the whole backup, "series" was one object: the last export's settings.
        var items = series.ValueKind == JsonValueKind.Array ? series.EnumerateArray().ToList() : [series];
        return items.Select(s =>
        {
            var sample = s.GetProperty("sample");
            return new SeriesVariant(
                SeriesFormatNames.TryParse(s.GetProperty("format").GetString(), out var format)
                    ? format
                    : throw new FormatException($"unknown series format '{s.GetProperty("format").GetString()}'"),
                sample.ValueKind == JsonValueKind.Null ? null : sample.GetInt32(),
                s.TryGetProperty("runs", out var runs) ? runs.GetInt32() : runsDone);
        }).ToList();
    }

    private static int OptionalInt(JsonElement obj, string name) =>
        obj.TryGetProperty(name, out var v) && v.ValueKind == JsonValueKind.Number ? v.GetInt32() : 0;

    private static string Iso(DateTimeOffset t) =>
        t.ToUniversalTime().ToString("yyyy-MM-dd'T'HH:mm:ss.fff'Z'", CultureInfo.InvariantCulture);

    private static DateTimeOffset ParseIso(string s) =>
        DateTimeOffset.Parse(s, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal | DateTimeStyles.AdjustToUniversal);
}
