namespace SwanLab.Crawler.Cluster;

/// <summary>
/// How this process joins a crawl cluster: the address it listens on and the seed nodes it contacts first.
/// Every node of one crawl runs the same export (same source, same backup folder); the first seed forms the cluster.
/// Resolved from config/crawler.hocon (crawler.cluster), SWANLAB_CRAWLER_CLUSTER_* variables and flags.
/// </summary>
/// <param name="Host">The host name or IP other nodes reach this one at (e.g. 127.0.0.1 for nodes on one machine).</param>
/// <param name="Port">The TCP port this node listens on; 0 picks a free one (then it cannot be a seed).</param>
/// <param name="SeedNodes">"host:port" of the seed nodes, in order; a node that is its own first seed forms the cluster.</param>
public sealed record ClusterSettings(string Host, int Port, IReadOnlyList<string> SeedNodes)
{
    /// <summary>The Akka system name every node of a crawl cluster uses (nodes of other names cannot join).</summary>
    public const string SystemName = "swanlab-crawler";
}
