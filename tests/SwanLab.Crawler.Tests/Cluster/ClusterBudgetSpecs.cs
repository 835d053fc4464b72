using Akka.Actor;
using Akka.Cluster.Hosting;
using Akka.Hosting;
using Akka.Remote.Hosting;
using SwanLab.Crawler.Cli.LocalNodes;
using SwanLab.Crawler.Cluster;
using SwanLab.Crawler.Cluster.Budget;
using SwanLab.Crawler.Cluster.Serialization;

namespace SwanLab.Crawler.Tests.Cluster;

/// <summary>The cluster-wide request budget across 2-3 in-process cluster nodes over loopback.</summary>
public sealed class ClusterBudgetSpecs
{
    private sealed class FakeBudget : INodeRequestBudget
    {
        private long _throttles;
        private int _cutsFromElsewhere;
        public readonly List<double?> Ceilings = [];

        public void SetCeiling(double? requestsPerSecond) { lock (Ceilings) Ceilings.Add(requestsPerSecond); }
        public double? LastCeiling { get { lock (Ceilings) return Ceilings.Count == 0 ? null : Ceilings[^1]; } }
        public long Throttles => Interlocked.Read(ref _throttles);
        public void Throttle(int count) => Interlocked.Add(ref _throttles, count);
        public void ThrottledElsewhere()
        {
            Interlocked.Increment(ref _cutsFromElsewhere);
            Interlocked.Increment(ref _throttles);   // as the pacer does: a cut counts as a 429 it was told of
        }
        public int CutsFromElsewhere => Volatile.Read(ref _cutsFromElsewhere);
        public double CurrentRate => 10;
    }

    private static async Task<(HostedNode[] Nodes, FakeBudget[] Budgets)> StartAsync(int count, double? clusterRate)
    {
        var ports = LocalNodeProcesses.FreeConsecutivePorts(count, first: null);
        var seed = $"akka.tcp://{ClusterSettings.SystemName}@127.0.0.1:{ports[0]}";
        var nodes = new HostedNode[count];
        var budgets = new FakeBudget[count];
        for (var i = 0; i < count; i++)
        {
            var budget = budgets[i] = new FakeBudget();
            var port = ports[i];
            nodes[i] = await HostedNode.StartAsync(ClusterSettings.SystemName, akka => akka
                .AddCrawlClusterSerializer()
                .WithRemoting("127.0.0.1", port)
                .WithClustering(new ClusterOptions { Roles = [ClusterCrawlHosting.Role], SeedNodes = [seed] })
                .WithDistributedPubSub(ClusterCrawlHosting.Role)
                .AddClusterBudget(budget, clusterRate, checkInterval: TimeSpan.FromMilliseconds(50)));
        }
        return (nodes, budgets);
    }

    private static async Task Eventually(Func<bool> condition, string what)
    {
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        while (!condition())
        {
            if (timeout.IsCancellationRequested) Assert.Fail($"never: {what}");
            await Task.Delay(50);
        }
    }

    [Fact]
    public async Task Should_split_the_cluster_rate_over_the_crawler_nodes_and_again_when_one_leaves()
    {
        var (nodes, budgets) = await StartAsync(3, clusterRate: 90);
        try
        {
            await Eventually(() => budgets.All(b => b.LastCeiling == 30), "every node bounded to 90/3");
            Assert.All(budgets, b => Assert.True(b.Ceilings.All(c => c <= 90), "a node was given more than the whole budget"));

            await nodes[2].DisposeAsync();

            await Eventually(() => budgets[0].LastCeiling == 45 && budgets[1].LastCeiling == 45, "the two left bounded to 90/2");
            var state = await nodes[0].Registry.Get<ClusterBudgetActor>()
                .Ask<ClusterBudgetProtocol.BudgetState>(ClusterBudgetProtocol.GetBudgetState.Instance, TimeSpan.FromSeconds(5));
            Assert.Equal(new ClusterBudgetProtocol.BudgetState(2, 45, 0), state);
        }
        finally
        {
            await nodes[0].DisposeAsync();
            await nodes[1].DisposeAsync();
        }
    }

    [Fact]
    public async Task Should_give_the_budget_to_the_nodes_with_runs_in_flight_and_split_it_evenly_again_when_they_end()
    {
        var (nodes, budgets) = await StartAsync(3, clusterRate: 90);
        try
        {
            await Eventually(() => budgets.All(b => b.LastCeiling == 30), "every node bounded to 90/3 while all are idle");
            var busy = nodes[1].System.EventStream;
            foreach (var run in new[] { "alice/p/a", "alice/p/b", "alice/p/c" })
                busy.Publish(new SwanLab.Crawler.Cluster.NodeStats.NodeStatsProtocol.RunStarted(run));

            // 3 runs against two idle nodes (a quarter run each): 90 * 3 / 3.5 here, 90 * 0.25 / 3.5 there.
            await Eventually(() => budgets[1].LastCeiling is > 77 and < 77.2
                && budgets[0].LastCeiling is > 6.4 and < 6.5 && budgets[2].LastCeiling is > 6.4 and < 6.5,
                $"the busy node gets most of the budget (ceilings {string.Join(", ", budgets.Select(b => b.LastCeiling))})");
            Assert.True(budgets.Sum(b => b.LastCeiling) <= 90.0001, "the shares add up to more than the cluster rate");

            foreach (var run in new[] { "alice/p/a", "alice/p/b", "alice/p/c" })
                busy.Publish(new SwanLab.Crawler.Cluster.NodeStats.NodeStatsProtocol.RunEnded(run));
            await Eventually(() => budgets.All(b => b.LastCeiling == 30), "an even split again once the runs ended");
        }
        finally
        {
            foreach (var node in nodes) await node.DisposeAsync();
        }
    }

    [Fact]
    public async Task Should_cut_the_other_nodes_when_one_is_throttled_in_adaptive_mode_without_echoing_it_back()
    {
        var (nodes, budgets) = await StartAsync(3, clusterRate: null);
        try
        {
            await Eventually(() => Akka.Cluster.Cluster.Get(nodes[0].System).State.Members.Count(m => m.Status == Akka.Cluster.MemberStatus.Up) == 3,
                "three members up");
            // DistributedPubSub subscriptions spread by gossip: repeat the 429 until the others have heard one.
            await Eventually(() =>
            {
                budgets[0].Throttle(1);
                return budgets[1].CutsFromElsewhere > 0 && budgets[2].CutsFromElsewhere > 0;
            }, "nodes 2 and 3 cut after node 1's 429");
            Assert.Equal(0, budgets[0].CutsFromElsewhere);
            // Node 2's own 429 reaches node 1 after anything node 2 would have echoed of the cut it was told of.
            budgets[1].Throttle(1);
            await Eventually(() => budgets[0].CutsFromElsewhere > 0, "node 1 cut after node 2's 429");

            Assert.Equal(1, budgets[0].CutsFromElsewhere);
            Assert.All(budgets, b => Assert.Empty(b.Ceilings));              // adaptive: no fixed share
        }
        finally
        {
            foreach (var node in nodes) await node.DisposeAsync();
        }
    }
}
