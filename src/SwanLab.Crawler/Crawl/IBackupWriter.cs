using SwanLab.Crawler.Backup;
using SwanLab.Crawler.Source;

namespace SwanLab.Crawler.Crawl;

/// <summary>The backup folder as a destination (the name export code and specs know it by).</summary>
public interface IBackupWriter : ICrawlDestination;

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
