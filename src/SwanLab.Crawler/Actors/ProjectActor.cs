using Akka.Actor;
using SwanLab.Crawler.Backup;
using SwanLab.Crawler.Crawl;
using SwanLab.Crawler.Source;

namespace SwanLab.Crawler.Actors;

/// <summary>Messages of <see cref="ProjectActor"/>.</summary>
public static class ProjectProtocol
{
    /// <summary>Which runs of a project to export: all (server-side filter applied) or the listed run ids.</summary>
    public sealed record ProjectScope(string Workspace, string Name, ProjectInfo? Known, IReadOnlyList<string>? RunIds)
    {
        public string Path => $"{Workspace}/{Name}";
    }

    /// <summary>Told to the parent when every run of the project has an outcome.</summary>
    public sealed record ProjectFinished(string ProjectPath);
}

/// <summary>
/// Exports one project: writes project.json, lists its runs, skips the ones the checkpoint holds unchanged and
/// complete for the current settings whose files still match their record (<see cref="ResumeRule"/>; sizes, or
/// sha256 with --verify-existing and for runs verify reported), records the project unit (project.json) in the
/// checkpoint, and queues the rest for a run slot (the shared run gate admits at most <see cref="CrawlSettings.RunConcurrency"/>).
/// Each granted run gets a child per attempt from the context's <see cref="IRunDispatch"/>: a <see cref="RunExportActor"/>
/// in one process, a stand-in for the cluster node that exports it in a cluster crawl.
/// On failure: a failed run attempt releases its slot and is retried after an exponential backoff (IWithTimers,
/// <see cref="CrawlSettings.UnitBackoffMin"/>..<see cref="CrawlSettings.UnitBackoffMax"/>) until
/// <see cref="CrawlSettings.MaxUnitAttempts"/> (not at all when it cannot help: not found, forbidden); then a Failed entry is recorded in the checkpoint and the project goes
/// on. A crashed run child is stopped (strategy) and counted as a failed attempt. A fatal failure (authentication) is
/// reported to the crawl supervisor, which stops the crawl. If the project itself cannot be read or listed after the
/// same retries, it is reported as a failed unit and finishes.
/// </summary>
public sealed class ProjectActor : UnitActor
{
    /// <param name="Skipped">Runs resume may skip (their files checked out), with the points they hold.</param>
    private sealed record ProjectListed(WrittenFile ProjectFile, IReadOnlyList<RunSummary> Runs,
        IReadOnlyDictionary<string, (CheckpointEntry Entry, long Points)> Skipped);
    /// <summary>project.json was written, then listing the runs failed.</summary>
    private sealed record ListingFailed(WrittenFile ProjectFile, Exception Cause);
    private sealed record RetryRun(string RunPath);
    private sealed record RetryListing
    {
        public static RetryListing Instance { get; } = new();
    }

    private readonly CrawlContext _context;
    private readonly ProjectProtocol.ProjectScope _scope;
    private readonly CheckpointState _checkpoint;
    private readonly Dictionary<string, RunSummary> _runs = new(StringComparer.Ordinal);
    private readonly Dictionary<string, int> _attempts = new(StringComparer.Ordinal);
    private readonly Dictionary<IActorRef, string> _exporting = new();
    private readonly HashSet<string> _unresolved = new(StringComparer.Ordinal);
    private int _listingAttempts;
    private WrittenFile? _projectFile;
    private bool _listed;
    private bool _finished;

    public static Props Props(CrawlContext context, ProjectProtocol.ProjectScope scope, CheckpointState checkpoint) =>
        Akka.Actor.Props.Create(() => new ProjectActor(context, scope, checkpoint));

    public ProjectActor(CrawlContext context, ProjectProtocol.ProjectScope scope, CheckpointState checkpoint)
    {
        _context = context;
        _scope = scope;
        _checkpoint = checkpoint;

        Receive<SlotGateProtocol.SlotGranted>(OnRunSlot);
        Receive<RunExportProtocol.RunExported>(OnRunExported);
        Receive<RunExportProtocol.RunExportFailed>(f => OnRunAttemptFailed(Sender, f.RunPath, f.Failure));
        Receive<RetryRun>(r => _context.RunSlots.Tell(new SlotGateProtocol.RequestSlot(r.RunPath)));
        Receive<RetryListing>(_ => StartListing());
        Receive<CheckpointProtocol.UnitRecorded>(r => Resolve(r.RunPath));
        Receive<CheckpointProtocol.UnitNotRecorded>(r =>
        {
            if (r.RunPath == _scope.Path)
                _context.Supervisor.Tell(new CrawlProtocol.UnitFailed(new CheckpointEntry(_scope.Path, UnitStatus.Failed, "",
                    [], "checkpoint", r.Error, _listingAttempts)));
            Resolve(r.RunPath);
        });

        StartListing();
    }

    protected override SupervisorStrategy SupervisorStrategy() =>
        // A run that throws is a failed attempt: stop it; OnChildStopped turns the silence into a failure.
        new OneForOneStrategy(_ => Directive.Stop);

    private void StartListing()
    {
        _listingAttempts++;
        var source = _context.Source;
        var writer = _context.Writer;
        var settings = _context.Settings;
        var filter = settings.Filter;
        var scope = _scope;
        var checkpoint = _checkpoint;
        PipeWork<object>(async ct =>
        {
            var project = scope.Known ?? await source.ProjectAsync(scope.Path, ct);
            var file = await writer.WriteProjectAsync(project, ct);
            try
            {
                return await ListAsync(project, file, ct);
            }
            catch (Exception e) when (e is not OperationCanceledException || !ct.IsCancellationRequested)
            {
                return new ListingFailed(file, e);
            }
        });

        async Task<ProjectListed> ListAsync(ProjectInfo project, WrittenFile file, CancellationToken ct)
        {
            var listed = new List<RunSummary>();
            if (scope.RunIds is null)
            {
                await foreach (var run in source.RunsAsync(project.Path, filter, ct)) listed.Add(run);
            }
            else
            {
                foreach (var id in scope.RunIds)
                {
                    var run = await source.RunAsync($"{project.Path}/{id}", ct);
                    listed.Add(run.ToSummary());
                }
            }
            // The server never filters out pinned runs (and servers read filters differently): check each run.
            var runs = await RunSelection.SelectAsync(source, filter, listed, ct);
            await writer.RecordDiscoveryAsync(runs.Select(r => r.Path).ToList(), ct);
            // A skipped run still counts its points (backup.json must not depend on how many sessions it took);
            // one whose files no longer match what was recorded is not trusted and is exported again.
            var skipped = new Dictionary<string, (CheckpointEntry, long)>(StringComparer.Ordinal);
            foreach (var run in runs)
            {
                if (ResumeRule.Judge(checkpoint, run, settings, out var entry) != ResumeVerdict.SkipIfIntact) continue;
                if (await writer.FindDamageAsync(entry!.Files, ResumeRule.RehashFiles(checkpoint, run.Path, settings), ct) is null)
                    skipped[run.Path] = (entry, entry.Content!.Points);
            }
            return new ProjectListed(file, runs, skipped);
        }
    }

    protected override void OnWorkDone(object result)
    {
        switch (result)
        {
            case ProjectListed listed:
                OnListed(listed);
                break;
            case ListingFailed failed:
                _projectFile = failed.ProjectFile;
                OnListingFailed(UnitFailure.From(failed.Cause));
                break;
            case Status.Failure failure:
                OnListingFailed(UnitFailure.From(failure.Cause));
                break;
        }
    }

    private void OnListed(ProjectListed listed)
    {
        _listed = true;
        RecordProject(new CheckpointEntry(_scope.Path, UnitStatus.Done, "", [listed.ProjectFile], null, null, _listingAttempts));
        foreach (var run in listed.Runs.DistinctBy(r => r.Path, StringComparer.Ordinal).OrderBy(r => r.Path, StringComparer.Ordinal))
            _runs[run.Path] = run;
        _context.Supervisor.Tell(new CrawlProtocol.DiscoveryGrew(0, 0, _runs.Count));

        foreach (var run in _runs.Values)
        {
            if (listed.Skipped.TryGetValue(run.Path, out var skipped))
            {
                _context.Supervisor.Tell(new CrawlProtocol.RunResolved(RunOutcome.Skipped, skipped.Entry, skipped.Points));
                _context.Progress.Tell(new CrawlEvent.RunSkipped(run.Path));
                continue;
            }
            _unresolved.Add(run.Path);
            _context.RunSlots.Tell(new SlotGateProtocol.RequestSlot(run.Path));
        }
        FinishIfDone();
    }

    private void OnListingFailed(UnitFailure failure)
    {
        if (failure.Fatal)
        {
            _context.Supervisor.Tell(new CrawlProtocol.CrawlFatal(_scope.Path, failure));
            return;
        }
        if (failure.Retryable && _listingAttempts < _context.Settings.MaxUnitAttempts)
        {
            Timers.StartSingleTimer(RetryListing.Instance, RetryListing.Instance, Backoff(_listingAttempts));
            return;
        }
        var entry = new CheckpointEntry(_scope.Path, UnitStatus.Failed, "", ProjectFiles(), failure.Kind, failure.Message,
            _listingAttempts);
        _context.Supervisor.Tell(new CrawlProtocol.UnitFailed(entry));
        // A project that does not exist says something about the selection, not about the backup: not recorded.
        if (failure.Kind != "not-found") RecordProject(entry);
        _listed = true;
        FinishIfDone();
    }

    /// <summary>
    /// The project unit's record: the project.json this export wrote, else the one an earlier export recorded (still
    /// on disk as it was), so a failed listing neither drops a good project.json from the manifest nor adopts one.
    /// </summary>
    private IReadOnlyList<WrittenFile> ProjectFiles() =>
        _projectFile is { } written ? [written]
        : _checkpoint.Runs.TryGetValue(_scope.Path, out var previous) ? previous.Files
        : [];

    private void RecordProject(CheckpointEntry entry)
    {
        _unresolved.Add(_scope.Path);
        _context.Checkpoint.Tell(new CheckpointProtocol.RecordUnit(entry));
        _context.Supervisor.Tell(new CrawlProtocol.UnitWritten(_scope.Path));
    }

    private void OnRunSlot(SlotGateProtocol.SlotGranted granted)
    {
        if (!_runs.TryGetValue(granted.Token, out var run) || !_unresolved.Contains(run.Path))
        {
            Sender.Tell(new SlotGateProtocol.ReleaseSlot(granted.Token));
            return;
        }
        var attempt = _attempts[run.Path] = _attempts.GetValueOrDefault(run.Path) + 1;
        _context.Progress.Tell(new CrawlEvent.RunStarted(run.Path, attempt));
        var child = SpawnChild(_context.RunDispatch.AttemptProps(_context, run, attempt, _checkpoint.Runs.GetValueOrDefault(run.Path)),
            ActorNames.For("run", run.Path, attempt));
        _exporting[child] = run.Path;
    }

    private void OnRunExported(RunExportProtocol.RunExported exported)
    {
        if (!_exporting.Remove(Sender)) return;
        StopChild(Sender);
        _context.RunSlots.Tell(new SlotGateProtocol.ReleaseSlot(exported.RunPath));
        _context.Supervisor.Tell(new CrawlProtocol.RunResolved(RunOutcome.Done, exported.Entry, exported.Points));
        _context.Progress.Tell(new CrawlEvent.RunCompleted(exported.RunPath, exported.Points, exported.Entry.Files.Count,
            exported.Entry.Files.Sum(f => f.Bytes)));
        _unresolved.Remove(exported.RunPath);
        FinishIfDone();
    }

    protected override void OnChildStopped(IActorRef child)
    {
        if (_exporting.TryGetValue(child, out var runPath))
            OnRunAttemptFailed(child, runPath, new UnitFailure("crash", "run export stopped without a result", false));
    }

    private void OnRunAttemptFailed(IActorRef child, string runPath, UnitFailure failure)
    {
        if (!_exporting.Remove(child)) return;
        StopChild(child);
        _context.RunSlots.Tell(new SlotGateProtocol.ReleaseSlot(runPath));
        if (failure.Fatal)
        {
            _context.Supervisor.Tell(new CrawlProtocol.CrawlFatal(runPath, failure));
            return;
        }
        var attempts = _attempts.GetValueOrDefault(runPath);
        if (failure.Retryable && attempts < _context.Settings.MaxUnitAttempts)
        {
            Timers.StartSingleTimer(runPath, new RetryRun(runPath), Backoff(attempts));
            return;
        }
        // The files an earlier export recorded stay named, so the export that next succeeds can remove the ones it
        // no longer writes; while the run is failed they are not part of the backup.
        var entry = new CheckpointEntry(runPath, UnitStatus.Failed, _runs[runPath].Fingerprint,
            _checkpoint.Runs.TryGetValue(runPath, out var previous) ? previous.Files : [], failure.Kind, failure.Message, attempts);
        _context.Supervisor.Tell(new CrawlProtocol.RunResolved(RunOutcome.Failed, entry, 0));
        _context.Progress.Tell(new CrawlEvent.RunFailed(runPath, failure.Kind, failure.Message, attempts));
        // The failure is already counted; the project finishes once the entry is durable (or could not be made so).
        _context.Checkpoint.Tell(new CheckpointProtocol.RecordUnit(entry));
    }

    private void Resolve(string runPath)
    {
        _unresolved.Remove(runPath);
        FinishIfDone();
    }

    private TimeSpan Backoff(int failedAttempts) =>
        UnitBackoff.Delay(failedAttempts, _context.Settings.UnitBackoffMin, _context.Settings.UnitBackoffMax);

    private void FinishIfDone()
    {
        if (_finished || !_listed || _unresolved.Count > 0 || _exporting.Count > 0) return;
        _finished = true;
        Context.Parent.Tell(new ProjectProtocol.ProjectFinished(_scope.Path));
    }
}
