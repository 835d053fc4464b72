using System.Collections.Immutable;
using Akka.Actor;
using Akka.Cluster;
using Akka.Cluster.Tools.PublishSubscribe;
using Akka.DistributedData;
using Akka.Event;
using SwanLab.Crawler.Actors;
using SwanLab.Crawler.Backup;
using SwanLab.Crawler.Crawl;
using SwanLab.Crawler.Source;

namespace SwanLab.Crawler.Cluster;

/// <summary>How long the coordinator waits for the crawl's nodes, and for a run's entity to answer.</summary>
/// <param name="MembersTimeout">Start with the nodes that are up after this long, even if not every seed node is.</param>
/// <param name="RunStartTimeout">
/// A run whose entity has not said it started after this long is sent again, and again, until one says so. Short: a
/// re-send of the same attempt attaches to it, so a duplicate costs one message, while a request lost on its way (sent
/// into a dead node's shard before the node was removed, or just after, while the shard region still routed to it)
/// delays its run by this much.
/// </param>
public sealed record CoordinatorTimings(TimeSpan MembersTimeout, TimeSpan RunStartTimeout)
{
    /// <summary>
    /// 1 s re-send: with 10 s, a dead node's runs, re-sent at its removal (~6.5 s after the kill) into a region still
    /// routing to it, waited for the timeout and were read again 16.6-19.7 s after the kill (bench 11b).
    /// </summary>
    public static CoordinatorTimings Default { get; } = new(TimeSpan.FromSeconds(10), TimeSpan.FromSeconds(1));
}

/// <summary>
/// The cluster singleton of a crawl, on the oldest node: what one process does around its actor tree, once for the
/// whole cluster. It reads the crawl's replicated flags (below); a first start then waits until the seed nodes are up
/// (or <see cref="CoordinatorTimings.MembersTimeout"/>), a takeover goes on at once. It opens
/// the <see cref="BackupSession"/> (admission, the backup-folder lock, the temp-file sweep, the checkpoint), owns the
/// one <see cref="CheckpointWriterActor"/> and the run gate (sized RunConcurrency x members up, resized as members come
/// and go), and runs a <see cref="CrawlSupervisor"/> whose runs go to the shard region (<see cref="ClusterRunDispatch"/>):
/// discovery and the end of the backup (manifest, errors, backup.json) happen here. When the crawl ends it sweeps the
/// temp files (nothing else writes any more), lets go of the folder and publishes <see cref="ClusterCrawlProtocol.CrawlEnded"/>
/// to every node (DistributedPubSub).
/// Two replicated flags (Akka.DistributedData, majority reads and writes) tell a coordinator started by failover apart
/// from the first: "started" (then temp files may be live on other nodes: no sweep at start; --restart is not applied
/// again) and "ended" (the crawl is over: a singleton moved while nodes leave does nothing).
/// On failure: the node holding it dying starts it on the next oldest node, which loads the checkpoint and goes on
/// (ResumeRule skips Done runs; runs still exporting on live nodes are attached to by their entities). A folder or
/// selection that cannot be used ends the crawl on every node as a refusal (exit 2); a fatal crawl failure as an
/// abort. A crashed child (supervisor, gate, writer) ends the crawl as an abort: a restarted one would have forgotten
/// its state.
/// </summary>
public sealed class CrawlCoordinator : ReceiveActor, IWithTimers
{
    private sealed record MembersWaitOver
    {
        public static MembersWaitOver Instance { get; } = new();
    }
    private sealed record SessionOpened(BackupSession Session);
    private sealed record SessionFailed(Exception Cause);
    private sealed record Swept
    {
        public static Swept Instance { get; } = new();
    }

    private static readonly FlagKey StartedKey = new("swanlab-crawl-started");
    private static readonly FlagKey EndedKey = new("swanlab-crawl-ended");
    private static readonly TimeSpan FlagTimeout = TimeSpan.FromSeconds(3);

    private readonly NodeServices _node;
    private readonly IActorRef _region;
    private readonly IActorRef _progress;
    private readonly IReadOnlyList<string> _secrets;
    private readonly CoordinatorTimings _timings;
    private readonly int _expectedMembers;
    private readonly Akka.Cluster.Cluster _cluster = Akka.Cluster.Cluster.Get(Context.System);
    private readonly IActorRef _replicator = DistributedData.Get(Context.System).Replicator;
    private readonly CancellationTokenSource _cts = new();
    private readonly Dictionary<IKey, bool?> _flags = new();
    private BackupSession? _session;
    private IActorRef? _runSlots;
    private IActorRef? _supervisor;
    private ClusterCrawlProtocol.CrawlEnded? _ended;
    private readonly HashSet<IActorRef> _awaiting = [];
    private bool _published;
    private CrawlSettings _crawlSettings;

    public ITimerScheduler Timers { get; set; } = null!;

    public static Props Props(NodeServices node, IActorRef shardRegion, IActorRef progress, IReadOnlyList<string> secrets,
        int expectedMembers, CoordinatorTimings timings) =>
        Akka.Actor.Props.Create(() => new CrawlCoordinator(node, shardRegion, progress, secrets, expectedMembers, timings));

    public CrawlCoordinator(NodeServices node, IActorRef shardRegion, IActorRef progress, IReadOnlyList<string> secrets,
        int expectedMembers, CoordinatorTimings timings)
    {
        _node = node;
        _region = shardRegion;
        _progress = progress;
        _secrets = secrets;
        _expectedMembers = Math.Max(1, expectedMembers);
        _timings = timings;
        _crawlSettings = node.Settings;
        ReadingFlags();
    }

    protected override void PreStart()
    {
        _cluster.Subscribe(Self, ClusterEvent.SubscriptionInitialStateMode.InitialStateAsSnapshot,
            typeof(ClusterEvent.IMemberEvent));
        _replicator.Tell(Dsl.Get(StartedKey, new ReadMajority(FlagTimeout)));
        _replicator.Tell(Dsl.Get(EndedKey, new ReadMajority(FlagTimeout)));
    }

    protected override void PostStop()
    {
        _cluster.Unsubscribe(Self);
        _cts.Cancel();
        _cts.Dispose();
        // Lets go of the folder lock at once (the next coordinator may be in this very process in tests).
        if (_session is { } session) _ = session.DisposeAsync().AsTask();
    }

    protected override SupervisorStrategy SupervisorStrategy() => new OneForOneStrategy(_ => Directive.Stop);

    private int MembersUp => _cluster.State.Members.Count(m => m.Status == MemberStatus.Up);

    /// <summary>What every state answers: a node asking to be told the end.</summary>
    private void Awaiting()
    {
        Receive<ClusterCrawlProtocol.AwaitCrawlEnd>(a =>
        {
            if (_ended is { } ended && _published) a.ReplyTo.Tell(ended);
            else _awaiting.Add(a.ReplyTo);
        });
    }

    private void ReadingFlags()
    {
        Awaiting();
        Receive<GetSuccess>(s => OnFlag(s.Key, s.Get(s.Key is FlagKey k ? k : StartedKey).Enabled));
        Receive<NotFound>(n => OnFlag(n.Key, false));
        // A majority could not be asked in time: what this node has heard is the best answer there is.
        Receive<GetFailure>(f => _replicator.Tell(Dsl.Get((FlagKey)f.Key, ReadLocal.Instance)));
        Receive<ClusterEvent.IMemberEvent>(_ => { });
        Receive<ClusterEvent.CurrentClusterState>(_ => { });
    }

    private void WaitingForMembers()
    {
        Awaiting();
        Receive<ClusterEvent.CurrentClusterState>(_ => StartWhenReady(force: false));
        Receive<ClusterEvent.IMemberEvent>(_ => StartWhenReady(force: false));
        Receive<MembersWaitOver>(_ => StartWhenReady(force: true));
    }

    /// <summary>A first start waits for the seed nodes (so runs are spread over them from the start).</summary>
    private void StartWhenReady(bool force)
    {
        if (!force && MembersUp < _expectedMembers) return;
        Timers.Cancel(MembersWaitOver.Instance);
        _replicator.Tell(Dsl.Update(StartedKey, Flag.False, new WriteMajority(FlagTimeout), f => f.SwitchOn()));
        OpenSession(takeover: false);
    }

    private void OnFlag(IKey key, bool? enabled)
    {
        _flags[key] = enabled;
        if (_flags.Count < 2) return;
        if (_flags[EndedKey] ?? false)
        {
            // The crawl is over; a singleton that moved while the nodes leave must not start it again.
            Become(() =>
            {
                Awaiting();
                ReceiveAny(_ => { });
            });
            return;
        }
        // A coordinator that takes over goes on at once with the nodes that are left.
        if (_flags[StartedKey] ?? false)
        {
            Context.GetLogger().Warning("The crawl's coordinator moved to this node (the previous one left or died): " +
                                        "going on from the checkpoint.");
            OpenSession(takeover: true);
            return;
        }
        Become(WaitingForMembers);
        Timers.StartSingleTimer(MembersWaitOver.Instance, MembersWaitOver.Instance, _timings.MembersTimeout);
        StartWhenReady(force: false);
    }

    private void OpenSession(bool takeover)
    {
        Become(Opening);
        // A coordinator that takes over must neither sweep (other nodes' temp files are live) nor reset the checkpoint
        // or re-export what this crawl already did (--restart, --refetch applied once, by the first coordinator).
        var settings = takeover ? _node.Settings with { Restart = false, Refetch = false } : _node.Settings;
        var source = _node.Source;
        var secrets = _secrets;
        var ct = _cts.Token;
        Task.Run(() => BackupSession.OpenAsync(settings, source, secrets, ct, sweepTempFiles: !takeover), ct)
            .PipeTo(Self, success: s => new SessionOpened(s), failure: e => new SessionFailed(e));
        _crawlSettings = settings;
    }

    private void Opening()
    {
        Awaiting();
        Receive<SessionOpened>(opened =>
        {
            _session = opened.Session;
            var checkpoint = Context.ActorOf(CheckpointWriterActor.Props(opened.Session.Checkpoint), "checkpoint");
            _runSlots = Context.ActorOf(SlotGateActor.Props(RunCapacity()), "run-slots");
            _supervisor = Context.ActorOf(CrawlSupervisor.Props(_crawlSettings, _node.Source, opened.Session.Writer,
                checkpoint, _progress, new ClusterRunDispatch(_region, _timings.RunStartTimeout), _runSlots), "crawl");
            Context.Watch(checkpoint);
            Context.Watch(_runSlots);
            Context.Watch(_supervisor);
            _supervisor.Tell(CrawlProtocol.StartCrawl.Instance);
            Become(Crawling);
        });
        Receive<SessionFailed>(failed => End(Refusal(failed.Cause)));
        Receive<ClusterEvent.IMemberEvent>(_ => { });
        Receive<ClusterEvent.CurrentClusterState>(_ => { });
    }

    private int RunCapacity() => _crawlSettings.RunConcurrency * Math.Max(1, MembersUp);

    private void Crawling()
    {
        Awaiting();
        Receive<ClusterEvent.IMemberEvent>(_ => _runSlots?.Tell(new SlotGateProtocol.Resize(RunCapacity())));
        Receive<ClusterEvent.CurrentClusterState>(_ => _runSlots?.Tell(new SlotGateProtocol.Resize(RunCapacity())));
        Receive<CrawlProtocol.CrawlFinished>(f => Finish(ClusterCrawlProtocol.CrawlEnded.Finished(f.Result)));
        Receive<CrawlProtocol.CrawlAborted>(a =>
            Finish(ClusterCrawlProtocol.CrawlEnded.Aborted(a.Path, a.Failure.Kind, a.Failure.Message, a.Partial)));
        Receive<CrawlProtocol.CancelCrawl>(c => _supervisor?.Forward(c));
        Receive<Terminated>(t =>
        {
            if (t.ActorRef.Equals(_supervisor)) _supervisor = null;
            var partial = new CrawlResult(0, 0, 0, 0, 0, 0, 0, false, false, []);
            Finish(ClusterCrawlProtocol.CrawlEnded.Aborted("coordinator", "crash",
                $"{t.ActorRef.Path.Name} stopped before the crawl finished", partial));
        });
    }

    private void Finish(ClusterCrawlProtocol.CrawlEnded ended)
    {
        _ended = ended;
        foreach (var child in Context.GetChildren()) Context.Unwatch(child);
        Become(() =>
        {
            Awaiting();
            Receive<Swept>(_ => End(ended));
            Receive<Status.Failure>(_ => End(ended)); // a sweep that fails leaves temp files for the next export
            ReceiveAny(_ => { });
        });
        var session = _session;
        _session = null;
        Task.Run(async () =>
        {
            if (session is null) return Swept.Instance;
            // Every run has its outcome: no node writes into the folder any more.
            session.SweepTempFiles();
            await session.DisposeAsync();
            return Swept.Instance;
        }).PipeTo(Self);
    }

    private void End(ClusterCrawlProtocol.CrawlEnded ended)
    {
        _ended = ended;
        _replicator.Tell(Dsl.Update(EndedKey, Flag.False, new WriteMajority(FlagTimeout), f => f.SwitchOn()));
        Become(() =>
        {
            Awaiting();
            Receive<UpdateSuccess>(_ => Publish());
            Receive<UpdateTimeout>(_ => Publish());
            ReceiveAny(_ => { });
        });
    }

    private void Publish()
    {
        DistributedPubSub.Get(Context.System).Mediator.Tell(new Publish(ClusterCrawlProtocol.EndTopic, _ended));
        _published = true;
        foreach (var node in _awaiting) node.Tell(_ended);
        _awaiting.Clear();
        Become(() =>
            {
                Awaiting();
                ReceiveAny(_ => { });
            });
    }

    private static ClusterCrawlProtocol.CrawlEnded Refusal(Exception cause)
    {
        var e = cause is AggregateException { InnerExceptions.Count: 1 } agg ? agg.InnerExceptions[0] : cause;
        var partial = new CrawlResult(0, 0, 0, 0, 0, 0, 0, false, false, []);
        return e switch
        {
            ArgumentException or UnsafePathException or BackupInUseException or FolderNotABackupException
                or OtherSourceException => ClusterCrawlProtocol.CrawlEnded.RefusedWith(e.Message),
            _ => ClusterCrawlProtocol.CrawlEnded.Aborted("backup", UnitFailure.From(e).Kind, UnitFailure.From(e).Message, partial),
        };
    }
}
