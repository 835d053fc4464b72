using System.Net;
using System.Net.Sockets;
using Akka.Actor;
using Akka.Hosting;
using SwanLab.Client;
using SwanLab.Crawler.Cluster;
using SwanLab.Crawler.Crawl;
using SwanLab.Crawler.Source;
using SwanLab.Emulator;

namespace SwanLab.Crawler.Tests.Cluster;

/// <summary>
/// N crawl cluster nodes in this test process: separate actor systems over loopback, each with its own client of the
/// same emulator and the same backup folder, as N processes on one host would be.
/// </summary>
internal sealed class ClusterNodes : IAsyncDisposable
{
    /// <summary>Failure detection tight enough for specs: a stopped node is downed about 2.5 s after it stops.</summary>
    public static readonly ClusterTimings Tight = new(TimeSpan.FromMilliseconds(300), TimeSpan.FromMilliseconds(1200),
        TimeSpan.FromMilliseconds(800), new CoordinatorTimings(TimeSpan.FromSeconds(5), TimeSpan.FromSeconds(3)));

    /// <summary>A node stopped on purpose stops like a killed process: no leave, no hand-over.</summary>
    private const string AbruptStop = "akka.coordinated-shutdown.run-by-actor-system-terminate = off";

    private readonly List<SwanLabApi> _clients = [];
    private readonly List<CancellationTokenSource> _interrupts = [];
    private readonly ActorSystem?[] _systems;

    private ClusterNodes(int count)
    {
        _systems = new ActorSystem?[count];
        Runs = new Task<CrawlResult>[count];
    }

    public Task<CrawlResult>[] Runs { get; }

    public ActorSystem? System(int node) => _systems[node];

    public static async Task<ClusterNodes> StartAsync(EmulatorServer server, CrawlSettings settings, int count)
    {
        var nodes = new ClusterNodes(count);
        var ports = Enumerable.Range(0, count).Select(_ => FreePort()).ToList();
        var seeds = ports.Select(p => $"127.0.0.1:{p}").ToList();
        for (var i = 0; i < count; i++)
        {
            var api = await ConnectAsync(server);
            nodes._clients.Add(api);
            var node = i;
            var nodeSettings = settings with { Cluster = new ClusterSettings("127.0.0.1", ports[i], seeds) };
            var interrupt = new CancellationTokenSource();
            nodes._interrupts.Add(interrupt);
            nodes.Runs[i] = Task.Run(() => ClusterCrawlRunner.RunAsync(nodeSettings, new SwanLabClientSource(api), null, Tight,
                interrupt.Token, null, akka => akka.AddHocon(AbruptStop, HoconAddMode.Prepend),
                system => nodes._systems[node] = system));
        }
        return nodes;
    }

    /// <summary>The node whose actor system is the oldest member: the one holding the coordinator.</summary>
    public int OldestNode()
    {
        var any = _systems.First(s => s is not null)!;
        var members = Akka.Cluster.Cluster.Get(any).State.Members.Where(m => m.Status == Akka.Cluster.MemberStatus.Up).ToList();
        var oldest = members.Aggregate((a, b) => a.IsOlderThan(b) ? a : b);
        return Array.FindIndex(_systems, s => s is not null && Akka.Cluster.Cluster.Get(s).SelfAddress.Equals(oldest.Address));
    }

    /// <summary>Ctrl+C on a node: it leaves the cluster gracefully.</summary>
    public void Interrupt(int node) => _interrupts[node].Cancel();

    /// <summary>Stops a node's actor system without leaving the cluster: the others see it go silent.</summary>
    public Task StopAbruptlyAsync(int node) => _systems[node]!.Terminate();

    private static Task<SwanLabApi> ConnectAsync(EmulatorServer server) => EmulatorClient.ConnectAdaptiveAsync(server);

    public static Task<SwanLabApi> ClientAsync(EmulatorServer server) => ConnectAsync(server);

    private static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }

    public async ValueTask DisposeAsync()
    {
        foreach (var system in _systems)
            if (system is not null) await system.Terminate();
        foreach (var run in Runs)
        {
            try { await run; }
            catch (Exception) { /* a stopped node's run ends with an exception; the spec judged it already */ }
        }
        foreach (var client in _clients) await client.DisposeAsync();
        foreach (var interrupt in _interrupts) interrupt.Dispose();
    }
}
