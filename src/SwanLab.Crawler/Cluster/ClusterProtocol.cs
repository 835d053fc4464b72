using Akka.Actor;
using SwanLab.Crawler.Backup;
using SwanLab.Crawler.Cluster.Serialization;
using SwanLab.Crawler.Crawl;

namespace SwanLab.Crawler.Cluster;

/// <summary>Messages between a run's requester (on the coordinator's node) and its <see cref="RunEntity"/>.</summary>
public static class RunEntityProtocol
{
    /// <summary>
    /// Export this run (the shard region routes it by <paramref name="RunPath"/>). <paramref name="AttemptId"/> names the
    /// requester's attempt: its re-sends carry the same id. Only what the export needs of the listed run crosses nodes
    /// (its fingerprint parts), not the server's JSON: run.json is read again by the attempt itself.
    /// </summary>
    /// <param name="Checkpoint">The coordinator's checkpoint writer: the one writer of the cluster's checkpoint.</param>
    /// <param name="Content">The coordinator's <see cref="NodeServices.ContentOf"/>: a node exporting with other settings refuses.</param>
    public sealed record ExportRun(string RunPath, string Cuid, string Name, string State, string? FinishedAt, int Attempt,
        string AttemptId, CheckpointEntry? Previous, IActorRef ReplyTo, IActorRef Checkpoint, string Content) : ICrawlClusterMessage;

    /// <summary>The entity works on the run (a new attempt, or the one already running that the request attached to).</summary>
    public sealed record RunExportStarted(string RunPath, string AttemptId, IActorRef Entity) : ICrawlClusterMessage;

    /// <summary>The requester has the outcome; the entity may passivate.</summary>
    public sealed record OutcomeReceived(string RunPath, string AttemptId) : ICrawlClusterMessage;

    /// <summary>The requester gave up (the crawl is cancelled): stop the attempt, delete its temp files, passivate.</summary>
    public sealed record CancelRunExport(string RunPath) : ICrawlClusterMessage;

    /// <summary>Sharding's hand-off stop message (the shard moves to another node): drain and stop.</summary>
    public sealed record StopRunEntity : ICrawlClusterMessage
    {
        public static StopRunEntity Instance { get; } = new();
    }
}

/// <summary>Messages of the crawl cluster as a whole.</summary>
public static class ClusterCrawlProtocol
{
    /// <summary>The DistributedPubSub topic the coordinator publishes the end of the crawl on.</summary>
    public const string EndTopic = "swanlab-crawl-ended";

    /// <summary>
    /// A node's edge asks the coordinator (through the singleton proxy) to be told the end directly, besides the
    /// broadcast: a node whose subscription has not reached every node yet still hears it.
    /// </summary>
    public sealed record AwaitCrawlEnd(IActorRef ReplyTo) : ICrawlClusterMessage;

    /// <summary>
    /// How the cluster's crawl ended, told to every node: exactly one of a result, an abort (a fatal failure while
    /// crawling, e.g. authentication) or a refusal (the backup folder or selection cannot be used; exit 2).
    /// </summary>
    public sealed record CrawlEnded(CrawlResult? Result, string? AbortPath, string? AbortKind, string? Message,
        bool Refused) : ICrawlClusterMessage
    {
        public static CrawlEnded Finished(CrawlResult result) => new(result, null, null, null, false);
        public static CrawlEnded Aborted(string path, string kind, string message, CrawlResult partial) =>
            new(partial, path, kind, message, false);
        public static CrawlEnded RefusedWith(string message) => new(null, null, "refused", message, true);
    }
}
