using Akka.Actor;
using SwanLab.Crawler.Actors;
using SwanLab.Crawler.Backup;
using SwanLab.Crawler.Crawl;
using SwanLab.Crawler.Source;

namespace SwanLab.Crawler.Cluster;

/// <summary>
/// Cluster dispatch: a project's run attempt becomes a <see cref="RemoteRunAttempt"/> child that has the run exported
/// by its <see cref="RunEntity"/> (wherever sharding puts it) with the crawl's checkpoint writer.
/// </summary>
/// <param name="ShardRegion">This node's "run-export" shard region.</param>
/// <param name="StartTimeout">How long an entity may take to say it started before the run is sent again.</param>
public sealed record ClusterRunDispatch(IActorRef ShardRegion, TimeSpan StartTimeout) : IRunDispatch
{
    public Props AttemptProps(CrawlContext context, RunSummary run, int attempt, CheckpointEntry? previous) =>
        RemoteRunAttempt.Props(context, ShardRegion, StartTimeout, run, attempt, previous);
}

/// <summary>
/// Stands in, under its project, for a run attempt executed by a <see cref="RunEntity"/> on some node: towards the
/// project it behaves like a <see cref="RunExportActor"/> (one RunExported or RunExportFailed, progress to the
/// publisher), towards the cluster it sends <see cref="RunEntityProtocol.ExportRun"/> to the shard region and watches
/// the entity that answers.
/// On failure: when the entity terminates before an outcome (its node died or was downed, its shard moved) or does
/// not say it started within the start timeout, the same attempt is sent again: the run is re-homed, which is not a
/// failed attempt and does not count against MaxUnitAttempts. The entity's own failures arrive as RunExportFailed
/// and are passed on (the project retries). Cancelled (CancelUnit), it tells the entity to stop and stops.
/// </summary>
public sealed class RemoteRunAttempt : ReceiveActor, IWithTimers
{
    private sealed record StartTimedOut
    {
        public static StartTimedOut Instance { get; } = new();
    }

    private readonly CrawlContext _context;
    private readonly IActorRef _region;
    private readonly TimeSpan _startTimeout;
    private readonly RunEntityProtocol.ExportRun _request;
    private IActorRef? _entity;

    public ITimerScheduler Timers { get; set; } = null!;

    public static Props Props(CrawlContext context, IActorRef region, TimeSpan startTimeout, RunSummary run, int attempt,
        CheckpointEntry? previous) =>
        Akka.Actor.Props.Create(() => new RemoteRunAttempt(context, region, startTimeout, run, attempt, previous));

    public RemoteRunAttempt(CrawlContext context, IActorRef region, TimeSpan startTimeout, RunSummary run, int attempt,
        CheckpointEntry? previous)
    {
        _context = context;
        _region = region;
        _startTimeout = startTimeout;
        _request = new RunEntityProtocol.ExportRun(run.Path, run.Cuid, run.Name, run.State, run.FinishedAt, attempt,
            Guid.NewGuid().ToString("N"), previous, Self, context.Checkpoint, NodeServices.ContentOf(context.Settings));

        Receive<RunEntityProtocol.RunExportStarted>(started =>
        {
            if (started.AttemptId != _request.AttemptId) return;
            Timers.Cancel(StartTimedOut.Instance);
            if (started.Entity.Equals(_entity)) return;
            if (_entity is not null) Context.Unwatch(_entity);
            _entity = started.Entity;
            Context.Watch(_entity);
        });
        Receive<StartTimedOut>(_ => Send());
        Receive<Terminated>(t =>
        {
            if (!t.ActorRef.Equals(_entity)) return;
            _entity = null;
            Send();
        });
        Receive<RunExportProtocol.RunExported>(exported => Conclude(exported));
        Receive<RunExportProtocol.RunExportFailed>(failed => Conclude(failed));
        Receive<CrawlEvent>(e => _context.Progress.Tell(e));
        Receive<CancelUnit>(_ =>
        {
            if (_entity is not null) _entity.Tell(new RunEntityProtocol.CancelRunExport(_request.RunPath));
            else _region.Tell(new RunEntityProtocol.CancelRunExport(_request.RunPath));
            Context.Stop(Self);
        });

        Send();
    }

    private void Send()
    {
        _region.Tell(_request);
        Timers.StartSingleTimer(StartTimedOut.Instance, StartTimedOut.Instance, _startTimeout);
    }

    private void Conclude(object outcome)
    {
        Timers.CancelAll();
        if (_entity is not null)
        {
            Context.Unwatch(_entity);
            _entity.Tell(new RunEntityProtocol.OutcomeReceived(_request.RunPath, _request.AttemptId));
        }
        else
        {
            Sender.Tell(new RunEntityProtocol.OutcomeReceived(_request.RunPath, _request.AttemptId));
        }
        _entity = null;
        // The project hears it from this child, as it would from a local RunExportActor.
        Context.Parent.Tell(outcome);
        Become(() => ReceiveAny(_ => { }));
    }
}
