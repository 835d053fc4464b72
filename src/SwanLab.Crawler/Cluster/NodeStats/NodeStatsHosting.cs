using Akka.Cluster.Tools.PublishSubscribe;
using Akka.Hosting;
using SwanLab.Crawler.Actors;

namespace SwanLab.Crawler.Cluster.NodeStats;

/// <summary>Akka.Hosting registration of this node's line in the nodes table.</summary>
public static class NodeStatsHosting
{
    /// <summary>
    /// Starts <see cref="NodeStatsActor"/> ("node-stats") reporting to the node's <see cref="ProgressPublisherActor"/>
    /// (register that first); <paramref name="requests"/> reads the requests this node's source sent so far.
    /// </summary>
    public static AkkaConfigurationBuilder AddNodeStats(this AkkaConfigurationBuilder builder, Func<long> requests, TimeSpan? interval = null) =>
        builder.WithActors((system, registry) =>
            registry.Register<NodeStatsActor>(system.ActorOf(
                NodeStatsActor.Props(requests, DistributedPubSub.Get(system).Mediator, registry.Get<ProgressPublisherActor>(), interval),
                "node-stats")));
}
