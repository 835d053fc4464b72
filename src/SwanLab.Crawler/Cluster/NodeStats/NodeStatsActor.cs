using Akka.Actor;
using Akka.Cluster;
using Akka.Cluster.Tools.PublishSubscribe;
using SwanLab.Crawler.Cluster.Serialization;
using SwanLab.Crawler.Crawl;

namespace SwanLab.Crawler.Cluster.NodeStats;

/// <summary>Messages of the nodes table.</summary>
public static class NodeStatsProtocol
{
    /// <summary>The DistributedPubSub topic every node publishes its status on.</summary>
    public const string Topic = "crawl-nodes";

    /// <summary>An attempt at <paramref name="RunPath"/> began on this node (published on the node's event stream).</summary>
    public sealed record RunStarted(string RunPath);

    /// <summary>The attempt at <paramref name="RunPath"/> on this node ended, however.</summary>
    public sealed record RunEnded(string RunPath);

    /// <summary>What one node says about itself, about once a second.</summary>
    public sealed record NodeReport(string Node, int RunsInFlight, double RequestsPerSecond) : ICrawlClusterMessage;

    internal sealed record Tick
    {
        public static Tick Instance { get; } = new();
    }
}

/// <summary>
/// Node-local: counts the runs in flight here (<see cref="NodeStatsProtocol.RunStarted"/>/<see cref="NodeStatsProtocol.RunEnded"/>
/// on the event stream, told by the run entities) and the requests this node's source sent, publishes this node's
/// status every second on <see cref="NodeStatsProtocol.Topic"/>, and turns what it hears from every node into a
/// <see cref="CrawlEvent.ClusterNodes"/> for the local progress publisher (the panel of the node that shows progress).
/// A member that is unreachable or gone stays in the table as down, with its last figures.
/// On failure: the counts are advisory; the default restart starts them again.
/// </summary>
public sealed class NodeStatsActor : ReceiveActor, IWithTimers
{
    private readonly Func<long> _requests;
    private readonly IActorRef _mediator;
    private readonly IActorRef _progress;
    private readonly TimeSpan _interval;
    private readonly Akka.Cluster.Cluster _cluster = Akka.Cluster.Cluster.Get(Context.System);
    private readonly HashSet<string> _inFlight = new(StringComparer.Ordinal);
    private readonly SortedDictionary<string, NodeStatus> _nodes = new(StringComparer.Ordinal);
    private string _self = "";
    private long _lastRequests;
    private DateTime _lastTick;

    public ITimerScheduler Timers { get; set; } = null!;

    /// <param name="requests">Requests this node's source has sent so far.</param>
    /// <param name="progress">This node's progress publisher.</param>
    public static Props Props(Func<long> requests, IActorRef mediator, IActorRef progress, TimeSpan? interval = null) =>
        Akka.Actor.Props.Create(() => new NodeStatsActor(requests, mediator, progress, interval ?? TimeSpan.FromSeconds(1)));

    public NodeStatsActor(Func<long> requests, IActorRef mediator, IActorRef progress, TimeSpan interval)
    {
        _requests = requests;
        _mediator = mediator;
        _progress = progress;
        _interval = interval;

        Receive<NodeStatsProtocol.RunStarted>(r => _inFlight.Add(r.RunPath));
        Receive<NodeStatsProtocol.RunEnded>(r => _inFlight.Remove(r.RunPath));
        Receive<NodeStatsProtocol.Tick>(_ => OnTick());
        Receive<NodeStatsProtocol.NodeReport>(r => _nodes[r.Node] = new NodeStatus(r.Node, Up: IsUp(r.Node), r.RunsInFlight, r.RequestsPerSecond));
        Receive<ClusterEvent.CurrentClusterState>(state =>
        {
            foreach (var member in state.Members.Where(m => m.Status == MemberStatus.Up)) MarkUp(member.Address.ToString(), true);
        });
        Receive<ClusterEvent.MemberUp>(up => MarkUp(up.Member.Address.ToString(), true));
        Receive<ClusterEvent.UnreachableMember>(u => MarkUp(u.Member.Address.ToString(), false));
        Receive<ClusterEvent.ReachableMember>(r => MarkUp(r.Member.Address.ToString(), true));
        Receive<ClusterEvent.MemberRemoved>(r => MarkUp(r.Member.Address.ToString(), false));
        Receive<ClusterEvent.IClusterDomainEvent>(_ => { });
        Receive<SubscribeAck>(_ => { });
    }

    protected override void PreStart()
    {
        _self = _cluster.SelfAddress.ToString();
        _lastRequests = _requests();
        _lastTick = DateTime.UtcNow;
        Context.System.EventStream.Subscribe(Self, typeof(NodeStatsProtocol.RunStarted));
        Context.System.EventStream.Subscribe(Self, typeof(NodeStatsProtocol.RunEnded));
        _cluster.Subscribe(Self, ClusterEvent.SubscriptionInitialStateMode.InitialStateAsSnapshot,
            typeof(ClusterEvent.IMemberEvent), typeof(ClusterEvent.IReachabilityEvent));
        _mediator.Tell(new Subscribe(NodeStatsProtocol.Topic, Self));
        Timers.StartPeriodicTimer("tick", NodeStatsProtocol.Tick.Instance, _interval);
    }

    protected override void PostStop()
    {
        Context.System.EventStream.Unsubscribe(Self);
        _cluster.Unsubscribe(Self);
    }

    private void OnTick()
    {
        var now = DateTime.UtcNow;
        var requests = _requests();
        var seconds = (now - _lastTick).TotalSeconds;
        var rate = seconds > 0 ? Math.Max(0, requests - _lastRequests) / seconds : 0;
        (_lastRequests, _lastTick) = (requests, now);
        var report = new NodeStatsProtocol.NodeReport(_self, _inFlight.Count, Math.Round(rate, 1));
        // This node's own line does not wait for pub-sub to bring it back.
        _nodes[_self] = new NodeStatus(_self, Up: true, report.RunsInFlight, report.RequestsPerSecond);
        _mediator.Tell(new Publish(NodeStatsProtocol.Topic, report));
        _progress.Tell(new CrawlEvent.ClusterNodes([.. _nodes.Values]));
    }

    private bool IsUp(string node) => !_nodes.TryGetValue(node, out var known) || known.Up;

    private void MarkUp(string node, bool up) =>
        _nodes[node] = _nodes.TryGetValue(node, out var known) ? known with { Up = up } : new NodeStatus(node, up, 0, 0);
}
