using SwanLab.Crawler.Source;

namespace SwanLab.Crawler.Backup;

/// <summary>On-disk series formats.</summary>
public enum SeriesFormat { Csv, Jsonl, Parquet }

/// <summary>The names of <see cref="SeriesFormat"/> in settings, backup.json and metrics/index.json.</summary>
public static class SeriesFormatNames
{
    /// <summary>What <c>--format</c> accepts, for messages.</summary>
    public const string Choices = "csv, jsonl or parquet";

    public static string Name(this SeriesFormat format) => format switch
    {
        SeriesFormat.Csv => "csv",
        SeriesFormat.Jsonl => "jsonl",
        SeriesFormat.Parquet => "parquet",
        _ => throw new ArgumentOutOfRangeException(nameof(format), format, "unknown series format"),
    };

    /// <summary>Parses a name exactly as <see cref="Name"/> writes it (callers trim/lower-case user input first).</summary>
    public static bool TryParse(string? name, out SeriesFormat format)
    {
        switch (name)
        {
            case "csv": format = SeriesFormat.Csv; return true;
            case "jsonl": format = SeriesFormat.Jsonl; return true;
            case "parquet": format = SeriesFormat.Parquet; return true;
            default: format = default; return false;
        }
    }
}

/// <summary>What a finished series file holds: the facts index.json and the manifest record.</summary>
public sealed record SeriesFileInfo(string RelativePath, long Points, long? FirstStep, long? LastStep, long Bytes, string Sha256);

/// <summary>A file written into the backup: path relative to the backup root, size and sha256 (lower-case hex).</summary>
public sealed record WrittenFile(string RelativePath, long Bytes, string Sha256);

/// <summary>
/// Streams one series into a temp file; <see cref="CompleteAsync"/> flushes, fsyncs and renames it into place.
/// Disposing without completing deletes the temp file, so a failed series never looks whole.
/// </summary>
public interface ISeriesSink : IAsyncDisposable
{
    ValueTask WriteAsync(SeriesPoint point, CancellationToken ct);
    Task<SeriesFileInfo> CompleteAsync(CancellationToken ct);
}

/// <summary>Outcome of one run in the checkpoint.</summary>
public enum UnitStatus { Done, Failed }

/// <summary>
/// One checkpoint record: a run is Done only after every file it lists is durably on disk.
/// Keyed by run path so a shared store (for a cluster) can replace the file store without changing actors.
/// </summary>
/// <remarks>
/// Units are runs ("ws/project/run-id"), projects ("ws/project": project.json) and workspaces ("ws": workspace.json).
/// <see cref="Files"/> is what this tool wrote for the unit and checked as it wrote it: the manifest is built from
/// these records only. A Failed run keeps the files its last good export recorded (so a later export can remove the
/// ones it no longer writes) but is not part of the backup while it is failed.
/// </remarks>
public sealed record CheckpointEntry(string RunPath, UnitStatus Status, string Fingerprint,
    IReadOnlyList<WrittenFile> Files, string? ErrorKind, string? Error, int Attempts)
{
    /// <summary>What a Done run's files hold; null for other units and for entries written before it was recorded.</summary>
    public RunContent? Content { get; init; }
}

/// <summary>
/// What one exported run holds, as far as the settings change its files: the series format and sample size, whether
/// logs and media were fetched, and the points written (so a skipped run still counts them).
/// </summary>
public sealed record RunContent(SeriesFormat Format, int? Sample, bool Logs, bool Media, long Points);

/// <summary>The checkpoint as loaded: latest entry per unit path.</summary>
public sealed record CheckpointState(IReadOnlyDictionary<string, CheckpointEntry> Runs)
{
    /// <summary>Units the last <c>verify</c> found damaged: a resume re-hashes their files in full before trusting them.</summary>
    public IReadOnlySet<string> Suspects { get; init; } = new HashSet<string>(StringComparer.Ordinal);
}

/// <summary>Durable record of finished units. Exactly one writer (the checkpoint actor) calls Record.</summary>
public interface ICheckpointStore
{
    Task<CheckpointState> LoadAsync(CancellationToken ct);
    /// <summary>Appends and fsyncs; returns only when the entry is durable.</summary>
    Task RecordAsync(CheckpointEntry entry, CancellationToken ct);
    /// <summary>Forgets everything (for --restart).</summary>
    Task ResetAsync(CancellationToken ct);
}
