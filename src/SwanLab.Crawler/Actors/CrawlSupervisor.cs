using Akka.Actor;
using SwanLab.Crawler.Backup;
using SwanLab.Crawler.Crawl;
using SwanLab.Crawler.Source;

namespace SwanLab.Crawler.Actors;

/// <summary>How one run ended in this crawl.</summary>
public enum RunOutcome { Done, Skipped, Failed }

/// <summary>Messages of <see cref="CrawlSupervisor"/>: the edge's commands and what the units report.</summary>
public static class CrawlProtocol
{
    /// <summary>Starts the crawl; the sender gets exactly one of <see cref="CrawlFinished"/>, <see cref="CrawlAborted"/>.</summary>
    public sealed record StartCrawl
    {
        public static StartCrawl Instance { get; } = new();
    }

    /// <summary>Ctrl+C: stop cleanly; the result then says Cancelled.</summary>
    public sealed record CancelCrawl
    {
        public static CancelCrawl Instance { get; } = new();
    }

    public sealed record CrawlFinished(CrawlResult Result);

    /// <summary>The crawl could not go on (authentication, an unusable checkpoint or backup folder).</summary>
    public sealed record CrawlAborted(string Path, UnitFailure Failure, CrawlResult Partial);

    public sealed record DiscoveryGrew(int Workspaces, int Projects, int Runs);
    /// <summary>A workspace or project recorded its unit (workspace.json / project.json) in the checkpoint.</summary>
    public sealed record UnitWritten(string Path);
    public sealed record RunResolved(RunOutcome Outcome, CheckpointEntry Entry, long Points);
    /// <summary>A workspace or project that could not be read (its runs are unknown).</summary>
    public sealed record UnitFailed(CheckpointEntry Entry);
    public sealed record CrawlFatal(string Path, UnitFailure Failure);
}

/// <summary>
/// Root of one crawl. Loads the checkpoint (through the checkpoint writer), resolves the scope (all workspaces, or the
/// --workspace/--project/--run selections), starts one <see cref="WorkspaceActor"/> per workspace, owns the run and
/// series slot gates that bound concurrency, tallies every outcome, and at the end flushes the checkpoint, loads it back
/// (the durable records are the only source of the manifest) and writes manifest.jsonl, errors.jsonl and backup.json
/// for the whole backup before answering the edge.
/// On failure: unit failures are only counted (the units retry and record them themselves); the account listing is
/// retried like a unit (backoff, <see cref="CrawlSettings.MaxUnitAttempts"/>); a fatal failure (authentication), an
/// unreadable checkpoint, or an account still unlistable after that drains the whole tree and answers
/// <see cref="CrawlProtocol.CrawlAborted"/>. A crashed workspace child is stopped and reported as a failed unit.
/// Cancel drains the tree (all in-flight work awaited, temp files gone), flushes the checkpoint and answers with
/// Cancelled = true; nothing is written besides what finished.
/// </summary>
public sealed class CrawlSupervisor : UnitActor
{
    private sealed record WorkspacesListed(IReadOnlyList<WorkspaceProtocol.WorkspaceScope> Workspaces);
    private sealed record BackupFinished
    {
        public static BackupFinished Instance { get; } = new();
    }
    private sealed record PublishStats
    {
        public static PublishStats Instance { get; } = new();
    }
    private sealed record DrainTimeout
    {
        public static DrainTimeout Instance { get; } = new();
    }
    private sealed record RetryListing
    {
        public static RetryListing Instance { get; } = new();
    }

    // Work that ignores cancellation longer than this is abandoned; its temp files are swept by the next export.
    private static readonly TimeSpan DrainLimit = TimeSpan.FromSeconds(10);

    private readonly CrawlSettings _settings;
    private readonly ICrawlSource _source;
    private readonly ICrawlDestination _writer;
    private readonly IActorRef _checkpoint;
    private readonly IActorRef _progress;
    private readonly IActorRef _runSlots;
    private readonly IActorRef _seriesSlots;
    private readonly Dictionary<IActorRef, string> _workspaces = new();
    /// <summary>Units this export exported, skipped after checking or recorded: verify's suspicion of them is settled.</summary>
    private readonly HashSet<string> _handled = new(StringComparer.Ordinal);
    private readonly List<CheckpointEntry> _failures = [];
    private IActorRef _replyTo = ActorRefs.Nobody;
    private CheckpointState _state = new(new Dictionary<string, CheckpointEntry>());
    private DateTimeOffset _started;
    private int _workspaceCount, _projectCount, _runCount, _done, _skipped, _failed, _listingAttempts;
    private long _points;
    private bool _discovered, _finishing, _cancelled;
    private (string Path, UnitFailure Failure)? _fatal;

    private readonly IRunDispatch? _dispatch;

    /// <param name="dispatch">Where run attempts execute; null = this process.</param>
    /// <param name="runSlots">
    /// A run gate owned by the caller (a cluster coordinator sizes it by the members that are up); null = the
    /// supervisor's own, sized <see cref="CrawlSettings.RunConcurrency"/>.
    /// </param>
    public static Props Props(CrawlSettings settings, ICrawlSource source, ICrawlDestination writer, IActorRef checkpoint,
        IActorRef progress, IRunDispatch? dispatch = null, IActorRef? runSlots = null) =>
        Akka.Actor.Props.Create(() => new CrawlSupervisor(settings, source, writer, checkpoint, progress, dispatch, runSlots));

    public CrawlSupervisor(CrawlSettings settings, ICrawlSource source, ICrawlDestination writer, IActorRef checkpoint,
        IActorRef progress, IRunDispatch? dispatch, IActorRef? runSlots)
    {
        _settings = settings;
        _source = source;
        _writer = writer;
        _checkpoint = checkpoint;
        _progress = progress;
        _dispatch = dispatch;
        _runSlots = runSlots ?? Context.ActorOf(SlotGateActor.Props(settings.RunConcurrency), "run-slots");
        _seriesSlots = Context.ActorOf(SlotGateActor.Props(settings.SeriesConcurrency), "series-slots");

        Receive<CrawlProtocol.StartCrawl>(_ => Start());
        Receive<CrawlProtocol.CancelCrawl>(_ => Cancel());
        Receive<CheckpointProtocol.CheckpointLoaded>(loaded =>
        {
            if (_finishing) WriteBackup(loaded.State);
            else Discover(loaded.State);
        });
        Receive<CheckpointProtocol.CheckpointUnavailable>(u =>
            Abort("checkpoint", new UnitFailure("checkpoint", u.Error, Fatal: true)));
        Receive<CheckpointProtocol.CheckpointFlushed>(_ => OnCheckpointFlushed());
        Receive<CrawlProtocol.DiscoveryGrew>(d =>
        {
            _workspaceCount += d.Workspaces;
            _projectCount += d.Projects;
            _runCount += d.Runs;
            _progress.Tell(new CrawlEvent.Discovered(_workspaceCount, _projectCount, _runCount));
        });
        Receive<CrawlProtocol.UnitWritten>(w => _handled.Add(w.Path));
        Receive<CrawlProtocol.RunResolved>(OnRunResolved);
        Receive<CrawlProtocol.UnitFailed>(f => _failures.Add(f.Entry));
        Receive<CrawlProtocol.CrawlFatal>(f => Abort(f.Path, f.Failure));
        Receive<WorkspaceProtocol.WorkspaceFinished>(_ =>
        {
            if (!_workspaces.Remove(Sender)) return;
            StopChild(Sender);
            FinishIfDone();
        });
        Receive<PublishStats>(_ => PublishRequestStats());
        Receive<RetryListing>(_ => ListWorkspaces());
    }

    protected override SupervisorStrategy SupervisorStrategy() => new OneForOneStrategy(_ => Directive.Stop);

    private void Start()
    {
        if (!_replyTo.IsNobody()) return;
        _replyTo = Sender;
        _started = DateTimeOffset.UtcNow;
        _checkpoint.Tell(new CheckpointProtocol.LoadCheckpoint(_settings.Restart));
        if (_source is IRequestStatsSource)
            Timers.StartPeriodicTimer(PublishStats.Instance, PublishStats.Instance, TimeSpan.FromSeconds(1));
    }

    private void Discover(CheckpointState state)
    {
        _state = state;
        var scoped = CrawlScopes.Build(_settings);
        if (scoped is not null)
        {
            StartWorkspaces(scoped);
            return;
        }
        ListWorkspaces();
    }

    private void ListWorkspaces()
    {
        _listingAttempts++;
        var source = _source;
        PipeWork(async ct =>
        {
            var workspaces = new List<WorkspaceProtocol.WorkspaceScope>();
            await foreach (var workspace in source.WorkspacesAsync(ct))
                workspaces.Add(new WorkspaceProtocol.WorkspaceScope(workspace.Username, workspace, null));
            return new WorkspacesListed(workspaces);
        });
    }

    protected override void OnWorkDone(object result)
    {
        switch (result)
        {
            case WorkspacesListed listed:
                StartWorkspaces(listed.Workspaces);
                break;
            case BackupFinished:
                Reply();
                break;
            case Status.Failure failure when _finishing:
                Abort("backup", new UnitFailure("backup", UnitFailure.From(failure.Cause).Message, Fatal: true));
                break;
            case Status.Failure failure:
                // Listing workspaces failed after the client's retries. Like any unit it gets more attempts (a
                // malformed answer or a dropped connection may not happen again); after those nothing can be
                // discovered, so the crawl stops.
                var unitFailure = UnitFailure.From(failure.Cause);
                if (unitFailure.Retryable && _listingAttempts < _settings.MaxUnitAttempts)
                {
                    Timers.StartSingleTimer(RetryListing.Instance, RetryListing.Instance,
                        UnitBackoff.Delay(_listingAttempts, _settings.UnitBackoffMin, _settings.UnitBackoffMax));
                    break;
                }
                Abort("workspaces", unitFailure with { Fatal = true });
                break;
        }
    }

    private void StartWorkspaces(IReadOnlyList<WorkspaceProtocol.WorkspaceScope> workspaces)
    {
        _discovered = true;
        var distinct = workspaces.DistinctBy(w => w.Username, StringComparer.Ordinal)
            .OrderBy(w => w.Username, StringComparer.Ordinal).ToList();
        var context = new CrawlContext(_settings, _source, _writer, Self, _checkpoint, _progress, _runSlots, _seriesSlots,
            _dispatch);
        _workspaceCount += distinct.Count;
        _progress.Tell(new CrawlEvent.Discovered(_workspaceCount, _projectCount, _runCount));
        foreach (var workspace in distinct)
        {
            var child = SpawnChild(WorkspaceActor.Props(context, workspace, _state),
                ActorNames.For("workspace", workspace.Username));
            _workspaces[child] = workspace.Username;
        }
        FinishIfDone();
    }

    private void OnRunResolved(CrawlProtocol.RunResolved resolved)
    {
        _handled.Add(resolved.Entry.RunPath);
        switch (resolved.Outcome)
        {
            case RunOutcome.Done:
                _done++;
                _points += resolved.Points;
                break;
            case RunOutcome.Skipped:
                _skipped++;
                _points += resolved.Points;
                break;
            case RunOutcome.Failed:
                _failed++;
                _failures.Add(resolved.Entry);
                break;
        }
    }

    protected override void OnChildStopped(IActorRef child)
    {
        if (_workspaces.Remove(child, out var username))
        {
            _failures.Add(new CheckpointEntry(username, UnitStatus.Failed, "", [], "crash",
                "workspace export stopped unexpectedly", 1));
            FinishIfDone();
        }
    }

    private void FinishIfDone()
    {
        if (_finishing || !_discovered || _workspaces.Count > 0) return;
        _finishing = true;
        _checkpoint.Tell(CheckpointProtocol.FlushCheckpoint.Instance);
    }

    private void OnCheckpointFlushed()
    {
        if (_cancelled || _fatal is not null)
        {
            Reply();
            return;
        }
        // The durable records, not what this actor saw, describe the backup (they hold every earlier export too).
        _checkpoint.Tell(new CheckpointProtocol.LoadCheckpoint(Restart: false));
    }

    private void WriteBackup(CheckpointState state)
    {
        var writer = _writer;
        var failures = BackupContents.Failures(state, _failures);
        var summary = new BackupSummary(BackupSources.Of(_source.Identity, _settings), _started, DateTimeOffset.UtcNow,
            state, Complete: _failures.Count == 0, BackupContents.Files(state, failures), failures,
            state.Suspects.Where(s => !_handled.Contains(s)).Order(StringComparer.Ordinal).ToList())
        {
            Unavailable = UnavailableReads(),
            Offered = _source is IServerReadsSource reads ? reads.Offered : [],
        };
        PipeWork(async ct =>
        {
            await writer.FinishAsync(summary, ct);
            return BackupFinished.Instance;
        });
    }

    private void Cancel()
    {
        if (_cancelled || _fatal is not null) return;
        _cancelled = true;
        StopEverything();
    }

    private void Abort(string path, UnitFailure failure)
    {
        if (_fatal is not null) return;
        _fatal = (path, failure);
        StopEverything();
    }

    private void StopEverything()
    {
        if (_replyTo.IsNobody())
        {
            Context.Stop(Self);
            return;
        }
        if (Draining) return;
        BeginDrain(report: null);
        Timers.StartSingleTimer(DrainTimeout.Instance, DrainTimeout.Instance, DrainLimit);
    }

    protected override void OnDrained()
    {
        // Everything below has stopped; make the checkpoint durable before answering.
        Become(() =>
        {
            Receive<CheckpointProtocol.CheckpointFlushed>(_ => Reply());
            Receive<DrainTimeout>(_ => Reply());
            ReceiveAny(_ => { });
        });
        _checkpoint.Tell(CheckpointProtocol.FlushCheckpoint.Instance);
    }

    protected override void OnWhileDraining(object message)
    {
        switch (message)
        {
            case DrainTimeout:
                Reply();
                break;
            case CrawlProtocol.RunResolved resolved:
                OnRunResolved(resolved);
                break;
            case CrawlProtocol.UnitFailed failed:
                _failures.Add(failed.Entry);
                break;
        }
    }

    private void PublishRequestStats()
    {
        if (_source is IRequestStatsSource stats)
        {
            var (requests, retries, rateLimited) = stats.RequestStats;
            _progress.Tell(new CrawlEvent.RequestStats(requests, retries, rateLimited));
        }
    }

    private IReadOnlyList<UnavailableRead> UnavailableReads() => _source is IServerReadsSource reads ? reads.Unavailable : [];

    private IReadOnlyList<CheckpointEntry> SortedFailures() =>
        _failures.OrderBy(f => f.RunPath, StringComparer.Ordinal).ToList();

    private void Reply()
    {
        if (_replyTo.IsNobody()) return;
        PublishRequestStats();
        var result = new CrawlResult(_workspaceCount, _projectCount, _runCount, _done, _skipped, _failed, _points,
            Complete: !_cancelled && _fatal is null && _failures.Count == 0, Cancelled: _cancelled && _fatal is null,
            SortedFailures()) { Unavailable = UnavailableReads() };
        _replyTo.Tell(_fatal is { } fatal
            ? new CrawlProtocol.CrawlAborted(fatal.Path, fatal.Failure, result)
            : new CrawlProtocol.CrawlFinished(result));
        _replyTo = ActorRefs.Nobody;
        Context.Stop(Self);
    }
}
