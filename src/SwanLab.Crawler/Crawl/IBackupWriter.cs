using SwanLab.Crawler.Backup;
using SwanLab.Crawler.Source;

namespace SwanLab.Crawler.Crawl;

/// <summary>
/// Everything the actors write into the backup folder, addressed by SwanLab paths (never by file names: the safe
/// name encoding belongs to the storage layer). Every method writes atomically and returns only once the file is
/// durably in place, which is what lets a run be checkpointed right after its last write returns.
/// Implementations hold no per-crawl state between calls, so run exports can move to other nodes.
/// </summary>
public interface IBackupWriter
{
    /// <summary>DIR/&lt;workspace&gt;/workspace.json.</summary>
    Task<WrittenFile> WriteWorkspaceAsync(WorkspaceInfo workspace, CancellationToken ct);

    /// <summary>DIR/&lt;workspace&gt;/&lt;project&gt;/project.json.</summary>
    Task<WrittenFile> WriteProjectAsync(ProjectInfo project, CancellationToken ct);

    /// <summary>run.json: the run as the server sent it, keys sorted.</summary>
    Task<WrittenFile> WriteRunAsync(RunDetail run, CancellationToken ct);

    /// <summary>A sink for metrics/&lt;key&gt;.&lt;format&gt;; disposing it uncompleted deletes its temp file.</summary>
    ISeriesSink OpenSeries(string runPath, string key, SeriesFormat format);

    /// <summary>metrics/index.json: format, sample, and per key: file, points, first/last step, what the server reported.</summary>
    Task<WrittenFile> WriteSeriesIndexAsync(string runPath, IReadOnlyList<SeriesIndexEntry> series, CancellationToken ct);

    /// <summary>logs.jsonl; null (and no file) when the run has no log lines.</summary>
    Task<WrittenFile?> WriteLogsAsync(string runPath, IAsyncEnumerable<LogLine> lines, CancellationToken ct);

    /// <summary>
    /// Checks files a unit recorded against the disk: each must exist with its recorded size, and with
    /// <paramref name="rehash"/> also its sha256. Null when all match, else what the first mismatch is.
    /// </summary>
    Task<string?> FindDamageAsync(IReadOnlyList<WrittenFile> files, bool rehash, CancellationToken ct);

    /// <summary>
    /// Deletes files an earlier export of a run recorded that its new export did not write again (another series
    /// format, a series or media object the server no longer has, logs no longer fetched). Only recorded paths are
    /// ever given: a file this tool did not write is never deleted.
    /// </summary>
    Task RemoveFilesAsync(IReadOnlyList<string> relativePaths, CancellationToken ct);

    /// <summary>Notes the runs a listing selected (private state, for <c>status</c>'s "left" column).</summary>
    Task RecordDiscoveryAsync(IReadOnlyList<string> runPaths, CancellationToken ct);

    /// <summary>One media file under media/&lt;key&gt;/; <paramref name="download"/> fills the temp file.</summary>
    Task<WrittenFile> WriteMediaAsync(string runPath, MediaItem item, Func<Stream, CancellationToken, Task> download,
        CancellationToken ct);

    /// <summary>manifest.jsonl, errors.jsonl and (last) backup.json.</summary>
    Task FinishAsync(BackupSummary summary, CancellationToken ct);
}

/// <summary>One line of metrics/index.json.</summary>
public sealed record SeriesIndexEntry(string Key, SeriesFileInfo File, long? ExpectedPoints, long? ExpectedLastStep);

/// <summary>
/// What backup.json, manifest.jsonl and errors.jsonl are made of: the checkpoint as durable at the end of the export
/// (the whole backup, every export into the folder), and how this export went.
/// </summary>
/// <param name="Source">The server and user this export read (for backup.json when no scope was recorded).</param>
/// <param name="Complete">This export: nothing it selected failed.</param>
/// <param name="Files">The backup's files as the checkpoint records them (the manifest, but errors.jsonl).</param>
/// <param name="Failures">Failed units of the whole backup (the checkpoint's and this export's).</param>
/// <param name="RemainingSuspects">Units verify reported that this export did not check again.</param>
public sealed record BackupSummary(
    BackupSource Source,
    DateTimeOffset StartedUtc,
    DateTimeOffset FinishedUtc,
    CheckpointState Checkpoint,
    bool Complete,
    IReadOnlyList<WrittenFile> Files,
    IReadOnlyList<CheckpointEntry> Failures,
    IReadOnlyCollection<string> RemainingSuspects)
{
    /// <summary>Optional reads the server does not offer, as learnt in this export (backup.json <c>unavailable</c>).</summary>
    public IReadOnlyList<UnavailableRead> Unavailable { get; init; } = [];

    /// <summary>Optional reads that answered in this export: an earlier backup's "unavailable" entry for them is stale.</summary>
    public IReadOnlyList<string> Offered { get; init; } = [];
}
