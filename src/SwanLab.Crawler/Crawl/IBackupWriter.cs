using SwanLab.Crawler.Backup;
using SwanLab.Crawler.Source;

namespace SwanLab.Crawler.Crawl;

/// <summary>The backup folder as a destination (the name export code and specs know it by).</summary>
public interface IBackupWriter : ICrawlDestination;

/// <summary>One line of metrics/index.json.</summary>
public sealed record SeriesIndexEntry(string Key, SeriesFileInfo File, long? ExpectedPoints, long? ExpectedLastStep);

/// <summary>What backup.json, manifest.jsonl and errors.jsonl are made of.</summary>
public sealed record BackupSummary(
    SourceIdentity Source,
    DateTimeOffset StartedUtc,
    DateTimeOffset FinishedUtc,
    int Workspaces,
    int Projects,
    int Runs,
    int RunsFailed,
    long Points,
    int? Sample,
    SeriesFormat Format,
    bool Complete,
    IReadOnlyList<WrittenFile> Files,
    IReadOnlyList<CheckpointEntry> Failures);
