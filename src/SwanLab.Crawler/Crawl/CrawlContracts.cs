using SwanLab.Crawler.Backup;
using SwanLab.Crawler.Source;

namespace SwanLab.Crawler.Crawl;

/// <summary>
/// Everything one export needs, already resolved from config/crawler.hocon, SWANLAB_* variables and flags.
/// Carries no credentials: the API key stays inside the source it authenticated.
/// </summary>
public sealed record CrawlSettings
{
    public required string OutputDirectory { get; init; }
    public IReadOnlyList<string> Workspaces { get; init; } = [];
    /// <summary>"workspace/project" scopes.</summary>
    public IReadOnlyList<string> Projects { get; init; } = [];
    /// <summary>"workspace/project/run-id" scopes.</summary>
    public IReadOnlyList<string> Runs { get; init; } = [];
    public RunFilter Filter { get; init; } = RunFilter.None;
    public SeriesFormat Format { get; init; } = SeriesFormat.Csv;
    /// <summary>Null = full resolution.</summary>
    public int? Sample { get; init; }
    public bool IncludeLogs { get; init; } = true;
    public bool IncludeMedia { get; init; } = true;
    public bool DryRun { get; init; }
    public bool Restart { get; init; }
    /// <summary>
    /// Export into a folder that is neither empty nor a backup. Its files are never listed in the manifest nor deleted.
    /// </summary>
    public bool AllowNonEmpty { get; init; }
    /// <summary>Export the selected runs again even when the checkpoint holds them; the rest of it is kept.</summary>
    public bool Refetch { get; init; }
    /// <summary>Re-hash every file of a run a resume would skip, instead of checking only that it exists with its size.</summary>
    public bool VerifyExisting { get; init; }
    /// <summary>Allow exporting into a folder that holds a backup of another server or user.</summary>
    public bool AllowOtherSource { get; init; }
    /// <summary>The source is the built-in demo server (a new port each time): recorded as "demo", not by its URL.</summary>
    public bool DemoSource { get; init; }
    public int RunConcurrency { get; init; } = 16;
    public int SeriesConcurrency { get; init; } = 32;
    public int ChannelCapacity { get; init; } = 4096;
    /// <summary>How often a failing run is retried by its supervisor before it is recorded as failed.</summary>
    public int MaxUnitAttempts { get; init; } = 3;
    public TimeSpan UnitBackoffMin { get; init; } = TimeSpan.FromSeconds(1);
    public TimeSpan UnitBackoffMax { get; init; } = TimeSpan.FromSeconds(30);
    /// <summary>Null: a crawl of this process alone. Set: this process is one node of a crawl cluster.</summary>
    public Cluster.ClusterSettings? Cluster { get; init; }
}

/// <summary>Progress the crawl publishes on a bounded channel; the console (or a test) reads it.</summary>
public abstract record CrawlEvent : Cluster.Serialization.ICrawlClusterMessage
{
    /// <summary>Discovery grew the known totals.</summary>
    public sealed record Discovered(int Workspaces, int Projects, int Runs) : CrawlEvent;
    /// <summary>An attempt at a run began (attempt 2, 3... after a failed one: its points written so far are void).</summary>
    public sealed record RunStarted(string RunPath, int Attempt = 1) : CrawlEvent;
    /// <summary>A run was skipped because the checkpoint already holds it unchanged.</summary>
    public sealed record RunSkipped(string RunPath) : CrawlEvent;
    /// <summary>A run is durable in the backup: its points, files and their total size in bytes.</summary>
    public sealed record RunCompleted(string RunPath, long Points, int Files, long Bytes = 0) : CrawlEvent;
    public sealed record RunFailed(string RunPath, string ErrorKind, string Error, int Attempts) : CrawlEvent;
    /// <summary>
    /// Points written since the last such event (batched, not per point) by the current attempt at
    /// <paramref name="RunPath"/>; a later attempt at the same run writes them again.
    /// </summary>
    public sealed record PointsWritten(long Points, string? RunPath = null) : CrawlEvent;
    /// <summary>HTTP-level counters from the source, cumulative.</summary>
    public sealed record RequestStats(long Requests, long Retries, long RateLimited) : CrawlEvent;
    /// <summary>The nodes of a cluster crawl as this node last heard of them (about once a second).</summary>
    public sealed record ClusterNodes(IReadOnlyList<NodeStatus> Nodes) : CrawlEvent;
}

/// <summary>
/// One node of a cluster crawl: its address, whether it is up (false: unreachable, or gone), the runs it is exporting
/// and the API requests per second it sends.
/// </summary>
public sealed record NodeStatus(string Address, bool Up, int RunsInFlight, double RequestsPerSecond);

/// <summary>How an export ended.</summary>
public sealed record CrawlResult(int Workspaces, int Projects, int RunsTotal, int RunsDone, int RunsSkipped,
    int RunsFailed, long Points, bool Complete, bool Cancelled, IReadOnlyList<CheckpointEntry> Failures)
{
    /// <summary>
    /// Optional reads (logs, media, summaries) the server does not offer: not failures, the backup holds everything the
    /// server has, but it is said once, here and in backup.json.
    /// </summary>
    public IReadOnlyList<UnavailableRead> Unavailable { get; init; } = [];
}
