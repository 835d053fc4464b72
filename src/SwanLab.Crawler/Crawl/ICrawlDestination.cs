using SwanLab.Crawler.Backup;
using SwanLab.Crawler.Source;

namespace SwanLab.Crawler.Crawl;

/// <summary>
/// Everything the actors write, addressed by SwanLab paths: a backup folder (<see cref="BackupWriter"/>, export) or a
/// SwanLab server (<see cref="Import.ServerDestination"/>, import and migrate), never by file names (the safe
/// name encoding belongs to the storage layer). A folder writes every file atomically and returns only once the file is
/// durably in place, which is what lets a run be checkpointed right after its last write returns.
/// Implementations hold no per-crawl state between calls, so run exports can move to other nodes.
/// </summary>
public interface ICrawlDestination
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

    /// <summary>
    /// media.jsonl: per media object of the run its key, step, file, the server's object path, kind and caption, so an
    /// import gives the objects back their captions and paths. Null (and no file) when the run has no media; a server
    /// destination keeps none (the records it uploads carry the same).
    /// </summary>
    Task<WrittenFile?> WriteMediaIndexAsync(string runPath, IReadOnlyList<MediaItem> items, CancellationToken ct) =>
        Task.FromResult<WrittenFile?>(null);

    /// <summary>manifest.jsonl, errors.jsonl and (last) backup.json.</summary>
    Task FinishAsync(BackupSummary summary, CancellationToken ct);
}
