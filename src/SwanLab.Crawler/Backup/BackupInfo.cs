using System.Globalization;
using System.Reflection;
using System.Text.Json;
using System.Text.Json.Nodes;
using SwanLab.Crawler.Source;

namespace SwanLab.Crawler.Backup;

/// <summary>Counts recorded in backup.json.</summary>
public sealed record BackupCounts(int Workspaces, int Projects, int Runs, int RunsDone, int RunsFailed, long Points, int Files);

/// <summary>
/// backup.json, the backup's identity card: <c>format</c> "swanlab-backup", <c>version</c> 1, source host and user
/// (never a key), tool name and version, started/finished UTC (ISO 8601, the only non-deterministic values in a
/// backup), counts, how series were exported (format; <c>sample</c> null = full resolution) and whether the backup
/// is complete (every selected run exported, none failed).
/// </summary>
public sealed record BackupInfo(
    string SourceHost,
    string SourceUser,
    string ToolVersion,
    DateTimeOffset StartedUtc,
    DateTimeOffset? FinishedUtc,
    BackupCounts Counts,
    SeriesFormat SeriesFormat,
    int? Sample,
    bool Complete)
{
    public const string FormatName = "swanlab-backup";
    public const int FormatVersion = 1;
    public const string ToolName = "swanlab-crawler";

    /// <summary>The running tool's informational version (e.g. "0.1.0+abc123"), for <see cref="ToolVersion"/>.</summary>
    public static string CurrentToolVersion { get; } =
        typeof(BackupInfo).Assembly.GetCustomAttribute<AssemblyInformationalVersionAttribute>()?.InformationalVersion
        ?? typeof(BackupInfo).Assembly.GetName().Version?.ToString() ?? "unknown";

    public bool Sampled => Sample is not null;

    /// <summary>
    /// Optional reads the source server does not offer (<c>unavailable</c>: capability and the server's answer, sorted
    /// by capability): the backup is complete for what the server has, and says what it could not have.
    /// </summary>
    public IReadOnlyList<UnavailableRead> Unavailable { get; init; } = [];

    public JsonObject ToJson() => new()
    {
        ["format"] = FormatName,
        ["version"] = FormatVersion,
        ["source"] = new JsonObject { ["host"] = SourceHost, ["user"] = SourceUser },
        ["tool"] = new JsonObject { ["name"] = ToolName, ["version"] = ToolVersion },
        ["startedAt"] = Iso(StartedUtc),
        ["finishedAt"] = FinishedUtc is { } f ? Iso(f) : null,
        ["complete"] = Complete,
        ["series"] = new JsonObject
        {
            ["format"] = SeriesFormat.Name(),
            ["resolution"] = Sampled ? "sampled" : "full",
            ["sample"] = Sample,
        },
        ["counts"] = new JsonObject
        {
            ["workspaces"] = Counts.Workspaces, ["projects"] = Counts.Projects, ["runs"] = Counts.Runs,
            ["runsDone"] = Counts.RunsDone, ["runsFailed"] = Counts.RunsFailed, ["points"] = Counts.Points,
            ["files"] = Counts.Files,
        },
        ["unavailable"] = new JsonArray(Unavailable.OrderBy(u => u.Capability, StringComparer.Ordinal)
            .Select(u => (JsonNode)new JsonObject { ["capability"] = u.Capability, ["answer"] = u.Answer }).ToArray()),
    };

    /// <summary>Writes backup.json atomically in canonical form.</summary>
    public Task<WrittenFile> WriteAsync(BackupLayout layout, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(layout);
        return AtomicFile.WriteAllBytesAsync(layout, layout.BackupInfoFile, CanonicalJson.Serialize(ToJson()), ct);
    }

    /// <summary>Reads backup.json; null when it does not exist; <see cref="FormatException"/> when it is not ours.</summary>
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
            var source = r.GetProperty("source");
            var series = r.GetProperty("series");
            var counts = r.GetProperty("counts");
            var finished = r.GetProperty("finishedAt");
            var sample = series.GetProperty("sample");
            return new BackupInfo(
                source.GetProperty("host").GetString()!,
                source.GetProperty("user").GetString()!,
                r.GetProperty("tool").GetProperty("version").GetString()!,
                ParseIso(r.GetProperty("startedAt").GetString()!),
                finished.ValueKind == JsonValueKind.Null ? null : ParseIso(finished.GetString()!),
                new BackupCounts(
                    counts.GetProperty("workspaces").GetInt32(), counts.GetProperty("projects").GetInt32(),
                    counts.GetProperty("runs").GetInt32(), counts.GetProperty("runsDone").GetInt32(),
                    counts.GetProperty("runsFailed").GetInt32(), counts.GetProperty("points").GetInt64(),
                    counts.GetProperty("files").GetInt32()),
                SeriesFormatNames.TryParse(series.GetProperty("format").GetString(), out var format) ? format : SeriesFormat.Csv,
                sample.ValueKind == JsonValueKind.Null ? null : sample.GetInt32(),
                r.GetProperty("complete").GetBoolean())
            {
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

    private static string Iso(DateTimeOffset t) =>
        t.ToUniversalTime().ToString("yyyy-MM-dd'T'HH:mm:ss.fff'Z'", CultureInfo.InvariantCulture);

    private static DateTimeOffset ParseIso(string s) =>
        DateTimeOffset.Parse(s, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal | DateTimeStyles.AdjustToUniversal);
}
