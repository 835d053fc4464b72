using Akka.Cluster.Tools.PublishSubscribe;
using Akka.Hosting;

namespace SwanLab.Crawler.Cluster.Budget;

/// <summary>Akka.Hosting registration of this node's part of the cluster-wide request budget.</summary>
public static class ClusterBudgetHosting
{
    /// <summary>
    /// Starts <see cref="ClusterBudgetActor"/> ("cluster-budget") for <paramref name="budget"/>: bounded to
    /// <paramref name="clusterRate"/> / crawler nodes, or (null) adaptive with 429s shared. Needs clustering and
    /// DistributedPubSub on the node.
    /// </summary>
    public static AkkaConfigurationBuilder AddClusterBudget(this AkkaConfigurationBuilder builder, INodeRequestBudget budget,
        double? clusterRate, string role = ClusterCrawlHosting.Role, TimeSpan? checkInterval = null) =>
        builder.WithActors((system, registry) =>
            registry.Register<ClusterBudgetActor>(system.ActorOf(
                ClusterBudgetActor.Props(budget, clusterRate, DistributedPubSub.Get(system).Mediator, role, checkInterval),
                "cluster-budget")));
}
