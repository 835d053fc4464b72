using Akka.Actor;
using Akka.Cluster;
using Akka.Cluster.Tools.PublishSubscribe;
using Akka.Event;
using SwanLab.Client.RateLimiting;
using SwanLab.Crawler.Cluster.Serialization;

namespace SwanLab.Crawler.Cluster.Budget;

/// <summary>What the cluster budget does to this node's request budget (its <see cref="RequestPacer"/>).</summary>
public interface INodeRequestBudget
{
    /// <summary>Bounds this node's rate (its share of a cluster-wide rate); null lifts the bound.</summary>
    void SetCeiling(double? requestsPerSecond);

    /// <summary>429s this node's requests got so far.</summary>
    long Throttles { get; }

    /// <summary>Another node was throttled by the same server: cut as if this node had been.</summary>
    void ThrottledElsewhere();

    /// <summary>The rate this node's requests are spaced at now.</summary>
    double CurrentRate { get; }
}

/// <summary>A node's <see cref="RequestPacer"/> as the cluster budget sees it.</summary>
public sealed class PacerBudget(RequestPacer pacer) : INodeRequestBudget
{
    public void SetCeiling(double? requestsPerSecond) => pacer.SetCeiling(requestsPerSecond);
    public long Throttles => pacer.Throttles;
    public void ThrottledElsewhere() => pacer.ReportThrottled();
    public double CurrentRate => pacer.CurrentRate;
}

/// <summary>Messages of the cluster-wide request budget.</summary>
public static class ClusterBudgetProtocol
{
    /// <summary>The DistributedPubSub topic nodes tell each other about the server's 429s on.</summary>
    public const string Topic = "crawl-budget";

    /// <summary><paramref name="Node"/>'s requests were throttled (<paramref name="Throttles"/> more 429s since it last said).</summary>
    public sealed record NodeThrottled(string Node, long Throttles, double RateAfter) : ICrawlClusterMessage;

    /// <summary>How many runs <paramref name="Node"/> is exporting now: its weight in the split of a cluster rate.</summary>
    public sealed record NodeDemand(string Node, int RunsInFlight) : ICrawlClusterMessage;

    /// <summary>Ask: what this node's budget is now (answered with <see cref="BudgetState"/>).</summary>
    public sealed record GetBudgetState
    {
        public static GetBudgetState Instance { get; } = new();
    }

    /// <param name="CrawlerMembers">Up members with the crawler role this node counts (itself included).</param>
    /// <param name="Ceiling">The share this node's pacer is bounded to; null in adaptive mode.</param>
    /// <param name="ThrottlesHeard">429s other nodes reported, each passed on to this node's pacer.</param>
    public sealed record BudgetState(int CrawlerMembers, double? Ceiling, long ThrottlesHeard);

    internal sealed record CheckThrottles
    {
        public static CheckThrottles Instance { get; } = new();
    }
}

/// <summary>
/// One node's part of a cluster-wide request budget. With a cluster rate (<c>--rate-limit N</c>) it bounds this node's
/// pacer to its share of N, re-split on every membership change and as work moves, so the cluster as a whole never
/// asks for more than N however many nodes join or leave. The split is work-conserving: every node tells the others
/// how many runs it exports now (<see cref="ClusterBudgetProtocol.NodeDemand"/>, every check interval) and the shares
/// are weighted by those counts, an idle node keeping a small weight for its next run's first requests; an equal split
/// left a node whose runs ran out idling on its third while the last busy node crawled at a third of the rate
/// (bench 11a: 39 of 60 req/s). Every node computes the same shares from the same reports; its own weight counts as
/// the lower of what it said last and what it says now, so a node whose work grows takes the larger share only once
/// the others have heard it (and cut theirs), and the sum stays within N. A member not heard from yet weighs as one
/// run. An unreachable member still counts until it is removed: its process may well be alive and spending its share. In adaptive mode (no rate) each node learns the
/// server's limit from its own 429s, and tells the others: a node that hears another was throttled cuts its own rate
/// as if it had been, so nodes back off together and the sum of their rates stays under the server's limit instead
/// of one node absorbing the 429s while the others keep growing.
/// On failure: it holds no state it cannot rebuild (membership comes again on subscription, the ceiling is recomputed),
/// so the default restart is right; it never blocks.
/// </summary>
public sealed class ClusterBudgetActor : ReceiveActor, IWithTimers
{
    private static readonly TimeSpan DefaultCheckInterval = TimeSpan.FromMilliseconds(200);
    // An idle node's weight against a busy node's one per run: enough to start a run at a useful rate until its next
    // report, small enough that the busy nodes keep almost all of the budget.
    private const double IdleWeight = 0.25;
    // A share that grew by less than this is not re-applied (each change re-books the pacer's queue).
    private const double ShareTolerance = 0.02;

    private readonly INodeRequestBudget _budget;
    private readonly double? _clusterRate;
    private readonly string _role;
    private readonly IActorRef _mediator;
    private readonly TimeSpan _checkInterval;
    private readonly Akka.Cluster.Cluster _cluster = Akka.Cluster.Cluster.Get(Context.System);
    private readonly HashSet<Address> _crawlers = [];
    private readonly ILoggingAdapter _log = Context.GetLogger();
    private string _self = "";
    private long _throttlesSeen;
    private long _throttlesInduced;
    private long _throttlesHeard;
    private double? _ceiling;
    private int _lastMembers;
    private readonly HashSet<string> _runsHere = new(StringComparer.Ordinal);
    private readonly Dictionary<Address, int> _demandOf = new();
    private int _saidBefore;
    private int _saidNow;

    public ITimerScheduler Timers { get; set; } = null!;

    /// <param name="clusterRate">Requests per second for the whole cluster; null = adaptive.</param>
    /// <param name="mediator">DistributedPubSub's mediator.</param>
    public static Props Props(INodeRequestBudget budget, double? clusterRate, IActorRef mediator, string role = ClusterCrawlHosting.Role,
        TimeSpan? checkInterval = null) =>
        Akka.Actor.Props.Create(() => new ClusterBudgetActor(budget, clusterRate, mediator, role, checkInterval ?? DefaultCheckInterval));

    public ClusterBudgetActor(INodeRequestBudget budget, double? clusterRate, IActorRef mediator, string role, TimeSpan checkInterval)
    {
        _budget = budget;
        _clusterRate = clusterRate;
        _role = role;
        _mediator = mediator;
        _checkInterval = checkInterval;

        Receive<ClusterEvent.CurrentClusterState>(state =>
        {
            _crawlers.Clear();
            foreach (var member in state.Members.Where(m => m.Status == MemberStatus.Up && m.HasRole(_role)))
                _crawlers.Add(member.Address);
            Split();
        });
        Receive<ClusterEvent.MemberUp>(up =>
        {
            if (up.Member.HasRole(_role) && _crawlers.Add(up.Member.Address)) Split();
        });
        // Leaving (graceful) or removed (downed): its share goes to the others.
        Receive<ClusterEvent.MemberLeft>(left => Forget(left.Member.Address));
        Receive<ClusterEvent.MemberExited>(exited => Forget(exited.Member.Address));
        Receive<ClusterEvent.MemberRemoved>(removed => Forget(removed.Member.Address));
        Receive<ClusterEvent.IMemberEvent>(_ => { });
        Receive<SubscribeAck>(_ => { });
        Receive<ClusterBudgetProtocol.CheckThrottles>(_ => CheckThrottles());
        Receive<ClusterBudgetProtocol.NodeThrottled>(OnNodeThrottled);
        Receive<ClusterBudgetProtocol.NodeDemand>(OnNodeDemand);
        Receive<NodeStats.NodeStatsProtocol.RunStarted>(r => _runsHere.Add(r.RunPath));
        Receive<NodeStats.NodeStatsProtocol.RunEnded>(r => _runsHere.Remove(r.RunPath));
        Receive<ClusterBudgetProtocol.GetBudgetState>(_ =>
            Sender.Tell(new ClusterBudgetProtocol.BudgetState(_crawlers.Count, _ceiling, _throttlesHeard)));
    }

    protected override void PreStart()
    {
        _self = _cluster.SelfAddress.ToString();
        _throttlesSeen = _budget.Throttles;
        _cluster.Subscribe(Self, ClusterEvent.SubscriptionInitialStateMode.InitialStateAsSnapshot, typeof(ClusterEvent.IMemberEvent));
        _mediator.Tell(new Subscribe(ClusterBudgetProtocol.Topic, Self));
        Context.System.EventStream.Subscribe(Self, typeof(NodeStats.NodeStatsProtocol.RunStarted));
        Context.System.EventStream.Subscribe(Self, typeof(NodeStats.NodeStatsProtocol.RunEnded));
        Timers.StartPeriodicTimer("check-throttles", ClusterBudgetProtocol.CheckThrottles.Instance, _checkInterval);
        Split();
    }

    protected override void PostStop()
    {
        _cluster.Unsubscribe(Self);
        Context.System.EventStream.Unsubscribe(Self);
    }

    private void Forget(Address address)
    {
        _demandOf.Remove(address);
        if (_crawlers.Remove(address)) Split();
    }

    private void Split()
    {
        if (_clusterRate is not { } rate) return;
        // Before this node's own Up is seen it counts itself, so it never starts with more than the whole budget.
        var members = Math.Max(1, _crawlers.Count);
        var selfAddress = _cluster.SelfAddress;
        double Weight(int runs) => runs > 0 ? runs : IdleWeight;
        var mine = Weight(Math.Min(_saidBefore, _saidNow));
        var total = mine;
        foreach (var member in _crawlers)
            if (member != selfAddress) total += Weight(_demandOf.GetValueOrDefault(member, 1));
        var share = rate * mine / total;
        // A smaller share applies at once (the others may already spend what it gives up); a slightly larger one waits.
        if (_ceiling is { } current && members == _lastMembers && share >= current && share - current <= current * ShareTolerance) return;
        _ceiling = share;
        _budget.SetCeiling(share);
        if (members != _lastMembers)
            _log.Info("cluster request budget {0}/s split over {1} crawler nodes by their runs in flight: {2:0.###}/s here", rate, members, share);
        _lastMembers = members;
    }

    /// <summary>Says how many runs this node exports now, and re-splits with it.</summary>
    private void SayDemand()
    {
        _saidBefore = _saidNow;
        _saidNow = _runsHere.Count;
        _mediator.Tell(new Publish(ClusterBudgetProtocol.Topic, new ClusterBudgetProtocol.NodeDemand(_self, _saidNow)));
        Split();
    }

    private void OnNodeDemand(ClusterBudgetProtocol.NodeDemand heard)
    {
        if (heard.Node == _self) return;
        var address = _crawlers.FirstOrDefault(a => a.ToString() == heard.Node);
        if (address is null) return;
        if (_demandOf.TryGetValue(address, out var known) && known == heard.RunsInFlight) return;
        _demandOf[address] = heard.RunsInFlight;
        Split();
    }

    /// <summary>Tells the others of this node's own new 429s (not of those it was told of and passed on).</summary>
    private void CheckThrottles()
    {
        if (_clusterRate is not null) SayDemand();
        var total = _budget.Throttles;
        var own = total - _throttlesSeen - _throttlesInduced;
        _throttlesSeen = total;
        _throttlesInduced = 0;
        if (own <= 0 || _clusterRate is not null) return;
        _mediator.Tell(new Publish(ClusterBudgetProtocol.Topic, new ClusterBudgetProtocol.NodeThrottled(_self, own, _budget.CurrentRate)));
    }

    private void OnNodeThrottled(ClusterBudgetProtocol.NodeThrottled heard)
    {
        if (heard.Node == _self || _clusterRate is not null) return;
        _throttlesHeard += heard.Throttles;
        // One cut per report: the pacer itself ignores cuts closer together than one overshoot's echo.
        _throttlesInduced++;
        _budget.ThrottledElsewhere();
    }
}
