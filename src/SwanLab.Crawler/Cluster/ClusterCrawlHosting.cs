using System.Globalization;
using System.Threading.Channels;
using Akka.Actor;
using Akka.Cluster.Hosting;
using Akka.Cluster.Hosting.SBR;
using Akka.Cluster.Sharding;
using Akka.DistributedData;
using Akka.Hosting;
using Akka.Remote.Hosting;
using SwanLab.Crawler.Actors;
using SwanLab.Crawler.Cluster.Serialization;
using SwanLab.Crawler.Crawl;

namespace SwanLab.Crawler.Cluster;

/// <summary>
/// How fast the cluster notices a dead node. A node killed mid-crawl is unreachable after about
/// <see cref="AcceptableHeartbeatPause"/> plus a heartbeat or two, downed by the split brain resolver after
/// <see cref="StableAfter"/> more, and its runs are sent again as soon as their entities are known dead (a watch fires
/// when the node is downed), so <c>pause + heartbeat + stable-after</c> plus about a second of gossip and singleton
/// hand-over bounds the time until a dead node's runs resume.
/// </summary>
/// <param name="HeartbeatInterval">How often nodes heartbeat each other.</param>
/// <param name="AcceptableHeartbeatPause">
/// Silence tolerated before a node is unreachable: long enough for a garbage collection or a busy disk, short enough
/// for the 10 s target.
/// </param>
/// <param name="StableAfter">How long the unreachable set must stay the same before the resolver downs it.</param>
public sealed record ClusterTimings(TimeSpan HeartbeatInterval, TimeSpan AcceptableHeartbeatPause, TimeSpan StableAfter,
    CoordinatorTimings Coordinator)
{
    /// <summary>
    /// Akka's 1 s heartbeat, a 2 s pause (Akka: 3 s; still above a long GC pause or a busy disk) and 2 s stable-after
    /// (the resolver's default is 20 s): a killed node is downed about 6 s after it died (8.6 s measured with a 3 s
    /// pause on a loaded 2-core machine), and its runs are sent again at once: inside the 10 s target.
    /// </summary>
    public static ClusterTimings Default { get; } = new(TimeSpan.FromSeconds(1), TimeSpan.FromSeconds(2),
        TimeSpan.FromSeconds(2), CoordinatorTimings.Default);
}

/// <summary>
/// Akka.Hosting registration of one crawl cluster node: the crawl's JSON serializer for every cross-node message, remoting on the node's address, clustering (role "crawler",
/// seed nodes, split brain resolver keep-majority, tight failure detection), DistributedPubSub for the end of the
/// crawl, this node's progress publisher and series gate, the "run-export" shard region of <see cref="RunEntity"/>
/// (a fixed number of shards keyed by run path, coordinator state in DData, no remember-entities: a run's truth is
/// the checkpoint, not sharding) and the <see cref="CrawlCoordinator"/> singleton with a proxy on every node.
/// </summary>
public static class ClusterCrawlHosting
{
    public const string Role = "crawler";
    public const string RunRegion = "run-export";
    public const string CoordinatorName = "crawl-coordinator";

    /// <summary>
    /// Fixed for the life of a crawl (every node must agree): ten per node for up to ten nodes, so the least-shard
    /// allocation spreads runs evenly; more nodes would want more shards (see the README).
    /// </summary>
    public const int ShardCount = 100;

    /// <summary>The whole node: what <see cref="ClusterCrawlRunner"/> starts on each process of a cluster crawl.</summary>
    public static AkkaConfigurationBuilder AddCrawlClusterNode(this AkkaConfigurationBuilder builder, ClusterSettings cluster,
        NodeServices node, ChannelWriter<CrawlEvent>? events, IReadOnlyList<string> secrets, ClusterTimings timings)
    {
        ArgumentNullException.ThrowIfNull(cluster);
        ArgumentNullException.ThrowIfNull(node);
        ArgumentNullException.ThrowIfNull(timings);
        var seeds = cluster.SeedNodes.Select(SeedAddress).Distinct(StringComparer.Ordinal).ToArray();
        builder.AddHocon(CrawlerHosting.QuietHocon, HoconAddMode.Prepend);
        builder.AddHocon(TimingHocon(timings), HoconAddMode.Prepend);
        return builder
            .AddCrawlClusterSerializer()
            .WithRemoting(cluster.Host, cluster.Port)
            .WithClustering(new ClusterOptions
            {
                Roles = [Role],
                SeedNodes = seeds,
                SplitBrainResolver = new KeepMajorityOption(),
            })
            .WithDistributedPubSub(Role)
            // The coordinator's started/ended flags are read and written by majority: every node must run a replicator.
            .WithActors((system, _) => DistributedData.Get(system).Replicator.Tell(Dsl.GetReplicaCount))
            .AddProgressPublisherActor(events)
            .WithActors((system, registry) =>
                registry.Register<SlotGateActor>(system.ActorOf(SlotGateActor.Props(node.Settings.SeriesConcurrency), "series-slots")))
            .WithShardRegion<RunEntity>(RunRegion,
                (_, registry, _) => _ => RunEntity.Props(node, registry.Get<SlotGateActor>()),
                new RunPathExtractor(ShardCount),
                new ShardOptions
                {
                    Role = Role,
                    StateStoreMode = StateStoreMode.DData,
                    RememberEntities = false,
                    HandOffStopMessage = RunEntityProtocol.StopRunEntity.Instance,
                })
            .WithSingleton<CrawlCoordinator>(CoordinatorName,
                (_, registry, _) => CrawlCoordinator.Props(node, registry.Get<RunEntity>(),
                    registry.Get<ProgressPublisherActor>(), secrets, seeds.Length, timings.Coordinator),
                new ClusterSingletonOptions { Role = Role });
    }

    /// <summary>"host:port" (or a full akka.tcp:// address) as an Akka address of the crawl's actor system.</summary>
    public static string SeedAddress(string seed)
    {
        ArgumentNullException.ThrowIfNull(seed);
        return seed.Contains("://", StringComparison.Ordinal) ? seed : $"akka.tcp://{ClusterSettings.SystemName}@{seed}";
    }

    private static string TimingHocon(ClusterTimings t) => string.Create(CultureInfo.InvariantCulture, $$"""
        akka.cluster {
          # The first seed node forms the cluster when no other seed answers within this; the other seeds never
          # form one of their own, so a short wait cannot split the crawl into two clusters.
          seed-node-timeout = 2s
          failure-detector {
            heartbeat-interval = {{t.HeartbeatInterval.TotalMilliseconds}}ms
            acceptable-heartbeat-pause = {{t.AcceptableHeartbeatPause.TotalMilliseconds}}ms
          }
          split-brain-resolver.stable-after = {{t.StableAfter.TotalMilliseconds}}ms
          # Gossip and leader actions at the heartbeat's pace, so a downed node is removed (and the singleton moved)
          # promptly after the resolver's decision.
          gossip-interval = {{Math.Min(1000, t.HeartbeatInterval.TotalMilliseconds)}}ms
          leader-actions-interval = {{Math.Min(1000, t.HeartbeatInterval.TotalMilliseconds)}}ms
          singleton.hand-over-retry-interval = {{Math.Min(1000, t.HeartbeatInterval.TotalMilliseconds)}}ms
          singleton-proxy.singleton-identification-interval = {{Math.Min(1000, t.HeartbeatInterval.TotalMilliseconds)}}ms
          # The coordinator starts only on the oldest node and may move; a proxy waiting for it is not a fault.
          singleton-proxy.log-singleton-identification-failure = off
        }
        # No rebalancing: moving a shard stops its entities, i.e. exports runs in flight a second time. A run is short
        # work, so shards spread well enough as they are first used (each goes to the node holding the fewest), also
        # onto nodes that join after the crawl began.
        # A region holding messages for a shard without a home (its node was just removed) asks the shard coordinator
        # again this often (Akka: 2 s), so a re-homed run waits at most about this long for its shard's new home.
        akka.cluster.sharding.retry-interval = 1s
        # The shard coordinator's state (which region holds which shard) is written and read by a plain majority of
        # the nodes. Akka's defaults (majority + 3 writes, majority + 5 reads, at least 5 nodes) mean every node on a
        # cluster of up to 5, so one silent node stalls every allocation until it is removed and the write's
        # updating-state-timeout (5 s) has run out: a dead node's runs waited ~6 s for their shards' new homes.
        # Majority writes and reads still overlap in at least one node, so a new coordinator reads every allocation
        # the old one made; a shard homed twice would at worst export a run twice into the same atomic files.
        akka.cluster.sharding {
          coordinator-state {
            write-majority-plus = 0
            read-majority-plus = 0
          }
          distributed-data.majority-min-cap = 1
          # A write that did wait for a node that then died is retried this soon, against the members left.
          updating-state-timeout = 2s
        }
        akka.cluster.sharding.least-shard-allocation-strategy {
          rebalance-absolute-limit = 0
          rebalance-threshold = 1000000
        }
        # Leaving: a node's entities drain in well under a second; the crawl is over or goes on elsewhere, so a
        # leave that takes longer is cut short instead of holding the CLI for Akka's 10 s per phase.
        akka.coordinated-shutdown.phases {
          cluster-sharding-shutdown-region.timeout = 5s
          cluster-exiting.timeout = 3s
        }
        akka.remote.watch-failure-detector {
          heartbeat-interval = {{t.HeartbeatInterval.TotalMilliseconds}}ms
          acceptable-heartbeat-pause = {{t.AcceptableHeartbeatPause.TotalMilliseconds}}ms
        }
        """);
}

/// <summary>
/// Entity id = run path; shard = a stable hash of it (FNV-1a over its UTF-8 bytes, the same in every process: .NET's
/// string hash is randomised per process, which would send one run to different shards from different nodes).
/// </summary>
public sealed class RunPathExtractor(int shards) : IMessageExtractor
{
    public string? EntityId(object message) => message switch
    {
        RunEntityProtocol.ExportRun r => r.RunPath,
        RunEntityProtocol.OutcomeReceived r => r.RunPath,
        RunEntityProtocol.CancelRunExport r => r.RunPath,
        _ => null,
    };

    public object? EntityMessage(object message) => message;

    public string? ShardId(object message) => EntityId(message) is { } id ? ShardId(id, message) : null;

    public string ShardId(string entityId, object? messageHint = null)
    {
        ArgumentNullException.ThrowIfNull(entityId);
        var hash = 2166136261u;
        foreach (var b in System.Text.Encoding.UTF8.GetBytes(entityId))
            hash = (hash ^ b) * 16777619u;
        return (hash % (uint)shards).ToString(CultureInfo.InvariantCulture);
    }
}
