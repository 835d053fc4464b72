using Akka.Actor;
using SwanLab.Crawler.Backup;
using SwanLab.Crawler.Source;

namespace SwanLab.Crawler.Actors;

/// <summary>Messages of <see cref="WorkspaceActor"/>.</summary>
public static class WorkspaceProtocol
{
    /// <summary>Which projects of a workspace to export: all, or the listed ones (each with its own run scope).</summary>
    public sealed record WorkspaceScope(string Username, WorkspaceInfo? Known,
        IReadOnlyList<ProjectProtocol.ProjectScope>? Projects);

    /// <summary>Told to the parent when every project of the workspace has finished.</summary>
    public sealed record WorkspaceFinished(string Username);
}

/// <summary>
/// Exports one workspace: writes workspace.json, lists its projects (or takes the scoped ones), records the workspace
/// unit (workspace.json) in the checkpoint and starts one <see cref="ProjectActor"/> per project; finishes when all of
/// them have and the record is durable.
/// On failure: reading or listing the workspace is retried with exponential backoff (IWithTimers) up to
/// MaxUnitAttempts (not when retrying cannot help: not found, forbidden), then reported to the crawl supervisor as a failed unit and the workspace finishes (the crawl
/// goes on). Authentication failure is reported as fatal. A crashed project child is stopped (strategy) and reported
/// as a failed unit.
/// </summary>
public sealed class WorkspaceActor : UnitActor
{
    private sealed record WorkspaceListed(WrittenFile WorkspaceFile, IReadOnlyList<ProjectProtocol.ProjectScope> Projects);
    /// <summary>workspace.json was written, then listing the projects failed.</summary>
    private sealed record ListingFailed(WrittenFile WorkspaceFile, Exception Cause);
    private sealed record RetryListing
    {
        public static RetryListing Instance { get; } = new();
    }

    private readonly CrawlContext _context;
    private readonly WorkspaceProtocol.WorkspaceScope _scope;
    private readonly CheckpointState _checkpoint;
    private readonly Dictionary<IActorRef, string> _projects = new();
    private int _attempts;
    private WrittenFile? _workspaceFile;
    private bool _recording;
    private bool _listed;
    private bool _finished;

    public static Props Props(CrawlContext context, WorkspaceProtocol.WorkspaceScope scope, CheckpointState checkpoint) =>
        Akka.Actor.Props.Create(() => new WorkspaceActor(context, scope, checkpoint));

    public WorkspaceActor(CrawlContext context, WorkspaceProtocol.WorkspaceScope scope, CheckpointState checkpoint)
    {
        _context = context;
        _scope = scope;
        _checkpoint = checkpoint;
        Receive<ProjectProtocol.ProjectFinished>(_ =>
        {
            if (!_projects.Remove(Sender)) return;
            StopChild(Sender);
            FinishIfDone();
        });
        Receive<RetryListing>(_ => StartListing());
        Receive<CheckpointProtocol.UnitRecorded>(_ =>
        {
            _recording = false;
            FinishIfDone();
        });
        Receive<CheckpointProtocol.UnitNotRecorded>(r =>
        {
            _recording = false;
            _context.Supervisor.Tell(new CrawlProtocol.UnitFailed(new CheckpointEntry(_scope.Username, UnitStatus.Failed, "",
                [], "checkpoint", r.Error, _attempts)));
            FinishIfDone();
        });
        StartListing();
    }

    protected override SupervisorStrategy SupervisorStrategy() => new OneForOneStrategy(_ => Directive.Stop);

    private void StartListing()
    {
        _attempts++;
        var source = _context.Source;
        var writer = _context.Writer;
        var scope = _scope;
        PipeWork<object>(async ct =>
        {
            var workspace = scope.Known ?? await source.WorkspaceAsync(scope.Username, ct);
            var file = await writer.WriteWorkspaceAsync(workspace, ct);
            if (scope.Projects is { } scoped) return new WorkspaceListed(file, scoped);
            try
            {
                var projects = new List<ProjectProtocol.ProjectScope>();
                await foreach (var project in source.ProjectsAsync(workspace.Username, ct))
                    projects.Add(new ProjectProtocol.ProjectScope(project.Workspace, project.Name, project, null));
                return new WorkspaceListed(file, projects);
            }
            catch (Exception e) when (e is not OperationCanceledException || !ct.IsCancellationRequested)
            {
                return new ListingFailed(file, e);
            }
        });
    }

    protected override void OnWorkDone(object result)
    {
        switch (result)
        {
            case WorkspaceListed listed:
                _listed = true;
                Record(new CheckpointEntry(_scope.Username, UnitStatus.Done, "", [listed.WorkspaceFile], null, null, _attempts));
                var projects = listed.Projects.DistinctBy(p => p.Path, StringComparer.Ordinal)
                    .OrderBy(p => p.Path, StringComparer.Ordinal).ToList();
                _context.Supervisor.Tell(new CrawlProtocol.DiscoveryGrew(0, projects.Count, 0));
                foreach (var project in projects)
                {
                    var child = SpawnChild(ProjectActor.Props(_context, project, _checkpoint),
                        ActorNames.For("project", project.Path));
                    _projects[child] = project.Path;
                }
                FinishIfDone();
                break;
            case ListingFailed failed:
                _workspaceFile = failed.WorkspaceFile;
                OnListingFailed(UnitFailure.From(failed.Cause));
                break;
            case Status.Failure failure:
                OnListingFailed(UnitFailure.From(failure.Cause));
                break;
        }
    }

    private void OnListingFailed(UnitFailure unitFailure)
    {
        if (unitFailure.Fatal)
        {
            _context.Supervisor.Tell(new CrawlProtocol.CrawlFatal(_scope.Username, unitFailure));
            return;
        }
        if (unitFailure.Retryable && _attempts < _context.Settings.MaxUnitAttempts)
        {
            Timers.StartSingleTimer(RetryListing.Instance, RetryListing.Instance,
                UnitBackoff.Delay(_attempts, _context.Settings.UnitBackoffMin, _context.Settings.UnitBackoffMax));
            return;
        }
        // Like a project: keep naming the workspace.json on disk (written now, or recorded before).
        var files = _workspaceFile is { } written ? [written]
            : _checkpoint.Runs.TryGetValue(_scope.Username, out var previous) ? previous.Files
            : (IReadOnlyList<WrittenFile>)[];
        var entry = new CheckpointEntry(_scope.Username, UnitStatus.Failed, "", files, unitFailure.Kind, unitFailure.Message, _attempts);
        _context.Supervisor.Tell(new CrawlProtocol.UnitFailed(entry));
        // A workspace that does not exist says something about the selection, not about the backup: not recorded.
        if (unitFailure.Kind != "not-found") Record(entry);
        _listed = true;
        FinishIfDone();
    }

    protected override void OnChildStopped(IActorRef child)
    {
        if (!_projects.Remove(child, out var path)) return;
        _context.Supervisor.Tell(new CrawlProtocol.UnitFailed(new CheckpointEntry(path, UnitStatus.Failed, "", [],
            "crash", "project export stopped unexpectedly", 1)));
        FinishIfDone();
    }

    private void Record(CheckpointEntry entry)
    {
        _recording = true;
        _context.Checkpoint.Tell(new CheckpointProtocol.RecordUnit(entry));
        _context.Supervisor.Tell(new CrawlProtocol.UnitWritten(_scope.Username));
    }

    private void FinishIfDone()
    {
        if (_finished || !_listed || _recording || _projects.Count > 0) return;
        _finished = true;
        Context.Parent.Tell(new WorkspaceProtocol.WorkspaceFinished(_scope.Username));
    }
}
