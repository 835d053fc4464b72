using System.Collections.Concurrent;
using System.Text.Json.Nodes;
using Akka.Actor;
using Akka.Cluster.Hosting;
using Akka.Hosting;
using Akka.Remote.Hosting;
using SwanLab.Crawler.Actors;
using SwanLab.Crawler.Cli;
using SwanLab.Crawler.Cli.LocalNodes;
using SwanLab.Crawler.Cli.Output;
using SwanLab.Crawler.Cluster;
using SwanLab.Crawler.Cluster.NodeStats;
using SwanLab.Crawler.Cluster.Serialization;
using SwanLab.Crawler.Crawl;

namespace SwanLab.Crawler.Tests.Cluster;

public sealed class NodeStatsSpecs
{
    /// <summary>Stands in for a node's progress publisher: keeps the latest nodes table it was told.</summary>
    private sealed class LatestNodes : ReceiveActor
    {
        public LatestNodes(StrongBox<IReadOnlyList<NodeStatus>> latest) =>
            Receive<CrawlEvent.ClusterNodes>(e => Volatile.Write(ref latest.Value, e.Nodes));
    }

    private sealed class StrongBox<T>(T value) { public T Value = value; }

    private static async Task Eventually(Func<bool> condition, Func<string> what)
    {
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        while (!condition())
        {
            if (timeout.IsCancellationRequested) Assert.Fail($"never: {what()}");
            await Task.Delay(50);
        }
    }

    [Fact]
    public async Task Should_show_every_nodes_runs_in_flight_and_requests_and_a_stopped_node_as_down()
    {
        var ports = LocalNodeProcesses.FreeConsecutivePorts(2, first: null);
        var seed = $"akka.tcp://{ClusterSettings.SystemName}@127.0.0.1:{ports[0]}";
        var tables = new[] { new StrongBox<IReadOnlyList<NodeStatus>>([]), new StrongBox<IReadOnlyList<NodeStatus>>([]) };
        var requests = new long[2];
        var nodes = new HostedNode[2];
        for (var i = 0; i < 2; i++)
        {
            var node = i;
            nodes[i] = await HostedNode.StartAsync(ClusterSettings.SystemName, akka => akka
                .AddCrawlClusterSerializer()
                .WithRemoting("127.0.0.1", ports[node])
                .WithClustering(new Akka.Cluster.Hosting.ClusterOptions { Roles = [ClusterCrawlHosting.Role], SeedNodes = [seed] })
                .WithDistributedPubSub(ClusterCrawlHosting.Role)
                .WithActors((system, registry) =>
                    registry.Register<ProgressPublisherActor>(system.ActorOf(Props.Create(() => new LatestNodes(tables[node])))))
                .AddNodeStats(() => Interlocked.Read(ref requests[node]), TimeSpan.FromMilliseconds(100)));
        }
        var second = nodes[1].Address.ToString();
        string Seen() => string.Join("; ", Volatile.Read(ref tables[0].Value));
        try
        {
            // Both nodes' stats actors run (and node 1 hears node 2) before node 2's runs start.
            await Eventually(() => Volatile.Read(ref tables[0].Value).Count == 2, Seen);
            nodes[1].System.EventStream.Publish(new NodeStatsProtocol.RunStarted("alice/p/a"));
            nodes[1].System.EventStream.Publish(new NodeStatsProtocol.RunStarted("alice/p/b"));
            nodes[1].System.EventStream.Publish(new NodeStatsProtocol.RunStarted("alice/p/c"));
            nodes[1].System.EventStream.Publish(new NodeStatsProtocol.RunEnded("alice/p/c"));

            await Eventually(() => Volatile.Read(ref tables[0].Value) is { Count: 2 } t
                && t.Single(n => n.Address == second) is { Up: true, RunsInFlight: 2 }
                && t.Single(n => n.Address != second) is { Up: true, RunsInFlight: 0 }, Seen);
            // Node 2 keeps sending: its rate reaches node 1 once node 1's subscription has spread.
            await Eventually(() =>
            {
                Interlocked.Add(ref requests[1], 100);
                return Volatile.Read(ref tables[0].Value).Any(n => n.Address == second && n.RequestsPerSecond > 0);
            }, Seen);

            await nodes[1].DisposeAsync();

            await Eventually(() => Volatile.Read(ref tables[0].Value).Single(n => n.Address == second) is { Up: false }, Seen);
        }
        finally
        {
            await nodes[0].DisposeAsync();
            if (!nodes[1].System.WhenTerminated.IsCompleted) await nodes[1].DisposeAsync();
        }
    }

    private static ProgressSnapshot Snapshot(params NodeStatus[] nodes) =>
        new ProgressSnapshot(1, 2, 10, 4, 0, 0, 3, 100, 50, 0, 0, 12.5, TimeSpan.FromSeconds(5), null) { Nodes = nodes };

    [Fact]
    public void Should_fold_the_latest_nodes_table_into_the_progress_snapshot()
    {
        var tracker = new ProgressTracker();
        tracker.Apply(new CrawlEvent.ClusterNodes([new NodeStatus("akka.tcp://swanlab-crawler@127.0.0.1:4053", true, 1, 2)]), TimeSpan.Zero);
        tracker.Apply(new CrawlEvent.ClusterNodes([new NodeStatus("akka.tcp://swanlab-crawler@127.0.0.1:4053", true, 3, 4)]), TimeSpan.FromSeconds(1));

        Assert.Equal([new NodeStatus("akka.tcp://swanlab-crawler@127.0.0.1:4053", true, 3, 4)], tracker.Snapshot(TimeSpan.FromSeconds(1)).Nodes);
    }

    [Fact]
    public void Should_name_each_node_with_its_runs_and_rate_in_the_plain_progress_line()
    {
        var line = ProgressReporter.PlainLine(Snapshot(
            new NodeStatus("akka.tcp://swanlab-crawler@127.0.0.1:4053", true, 2, 19.5),
            new NodeStatus("akka.tcp://swanlab-crawler@127.0.0.1:4054", false, 1, 7)));

        Assert.EndsWith(" | nodes 1/2 up, 19.5 req/s: 127.0.0.1:4053 2 runs 19.5 req/s, 127.0.0.1:4054 (down) 1 run 7.0 req/s", line);
        Assert.DoesNotContain("nodes", ProgressReporter.PlainLine(Snapshot()), StringComparison.Ordinal);
    }

    [Fact]
    public void Should_list_the_nodes_in_the_json_summary_of_a_cluster_crawl()
    {
        var result = new JsonObject();
        var crawl = new CrawlResult(1, 2, 10, 10, 0, 0, 100, true, false, []);

        JsonResults.AddExport(result, crawl, Snapshot(new NodeStatus("akka.tcp://swanlab-crawler@127.0.0.1:4053", true, 0, 3.5)),
            TimeSpan.FromSeconds(1), "/tmp/b", new Redactor());

        var node = Assert.Single(result["nodes"]!.AsArray())!;
        Assert.Equal("akka.tcp://swanlab-crawler@127.0.0.1:4053", (string?)node["address"]);
        Assert.True((bool)node["up"]!);
        Assert.Equal(0, (int)node["runsInFlight"]!);
        Assert.Equal(3.5, (double)node["requestsPerSecond"]!);
    }
}
