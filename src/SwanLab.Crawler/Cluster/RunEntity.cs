using System.Text.Json;
using Akka.Actor;
using Akka.Cluster.Sharding;
using SwanLab.Crawler.Actors;
using SwanLab.Crawler.Backup;
using SwanLab.Crawler.Crawl;
using SwanLab.Crawler.Source;

namespace SwanLab.Crawler.Cluster;

/// <summary>
/// What a node lends the runs sharded to it: its own settings (every node runs the same export command), its own
/// signed-in source, its own writer on the shared backup folder and its own series gate.
/// </summary>
public sealed record NodeServices(CrawlSettings Settings, ICrawlSource Source, ICrawlDestination Writer)
{
    /// <summary>
    /// The settings that change a run's files (series format, sample size, logs, media): every node must export with
    /// the coordinator's, or one backup would mix two kinds of runs.
    /// </summary>
    public static string ContentOf(CrawlSettings settings)
    {
        ArgumentNullException.ThrowIfNull(settings);
        return string.Create(System.Globalization.CultureInfo.InvariantCulture,
            $"--format {settings.Format.Name()}, --sample {(settings.Sample is { } n ? n.ToString(System.Globalization.CultureInfo.InvariantCulture) : "none")}, logs {(settings.IncludeLogs ? "on" : "off")}, media {(settings.IncludeMedia ? "on" : "off")}");
    }
}

/// <summary>
/// The sharded home of one run (entity id = the run path): runs an attempt with a <see cref="RunExportActor"/> on
/// this node, with a node-local <see cref="CrawlContext"/> (this node's source, writer and series slots) in which the
/// entity itself stands for the checkpoint and the progress publisher, so that:
/// the Done record goes to the coordinator's checkpoint writer named by the latest <see cref="RunEntityProtocol.ExportRun"/>
/// (the checkpoint keeps one writer cluster-wide, and a record whose writer died with its node is sent again to the
/// next coordinator's writer when that one attaches), and progress and the outcome go to the current requester.
/// A request for a run the entity is already exporting attaches to that attempt (it becomes the requester) instead of
/// starting a second export; a re-sent request of an attempt that has ended gets its outcome again. After the requester
/// acknowledges the outcome the entity passivates.
/// On failure: a failed attempt is reported as such (the requester's project decides about retrying); a crashed
/// attempt child is reported as a failed attempt ("crash"). The requester's node dying does not stop the attempt: the
/// next coordinator's request attaches to it. This node dying (or the shard moving away: <see cref="RunEntityProtocol.StopRunEntity"/>)
/// ends the attempt with its temp files deleted where the process lives long enough; the requester sees the entity
/// terminate and sends the run again, to its new home, as a re-homed run rather than a failed attempt.
/// </summary>
public sealed class RunEntity : ReceiveActor
{
    private readonly NodeServices _node;
    private readonly IActorRef _seriesSlots;
    private IActorRef? _attempt;
    private string _runPath = "";
    private string? _attemptId;
    private IActorRef _requester = ActorRefs.Nobody;
    private IActorRef _checkpoint = ActorRefs.Nobody;
    private CheckpointProtocol.RecordUnit? _pendingRecord;
    private object? _outcome;
    private bool _stopping;
    private bool _passivating;

    public static Props Props(NodeServices node, IActorRef seriesSlots) =>
        Akka.Actor.Props.Create(() => new RunEntity(node, seriesSlots));

    public RunEntity(NodeServices node, IActorRef seriesSlots)
    {
        _node = node;
        _seriesSlots = seriesSlots;

        Receive<RunEntityProtocol.ExportRun>(OnExportRun);
        Receive<RunEntityProtocol.OutcomeReceived>(r =>
        {
            if (r.AttemptId == _attemptId && _outcome is not null) Passivate();
        });
        Receive<RunEntityProtocol.CancelRunExport>(_ => StopAttempt());
        Receive<RunEntityProtocol.StopRunEntity>(_ => StopAttempt());
        // From the attempt, standing in for the checkpoint writer.
        Receive<CheckpointProtocol.RecordUnit>(record =>
        {
            _pendingRecord = record;
            if (!_checkpoint.IsNobody()) _checkpoint.Tell(record);
        });
        Receive<CheckpointProtocol.UnitRecorded>(recorded => OnRecordAnswered(recorded, recorded.RunPath));
        Receive<CheckpointProtocol.UnitNotRecorded>(failed => OnRecordAnswered(failed, failed.RunPath));
        // From the attempt, standing in for the progress publisher.
        Receive<CrawlEvent>(e => _requester.Tell(e));
        Receive<RunExportProtocol.RunExported>(exported => OnOutcome(exported));
        Receive<RunExportProtocol.RunExportFailed>(failed => OnOutcome(failed));
        Receive<Terminated>(OnTerminated);
        Receive<ReceiveTimeout>(_ =>
        {
            // Nobody came back for the outcome (the requester's node is gone and the run was resolved elsewhere).
            if (_attempt is null) Passivate();
        });
    }

    protected override SupervisorStrategy SupervisorStrategy() =>
        // A crashed attempt is a failed attempt: stop it; its Terminated becomes the failure.
        new OneForOneStrategy(_ => Directive.Stop);

    private void OnExportRun(RunEntityProtocol.ExportRun request)
    {
        if (_passivating)
        {
            // Reached this incarnation after it asked to passivate: the shard keeps it for the next one.
            Context.Parent.Forward(request);
            return;
        }
        if (_stopping) return; // the shard is moving or the node leaving: the requester sees this entity stop and sends again
        _runPath = request.RunPath;
        SetRequester(request.ReplyTo);
        SetCheckpoint(request.Checkpoint);
        if (_attempt is not null)
        {
            // Already exporting this run: the newcomer (a re-send, or the next coordinator) attaches to the attempt.
            _attemptId = request.AttemptId;
            _requester.Tell(new RunEntityProtocol.RunExportStarted(request.RunPath, request.AttemptId, Self));
            return;
        }
        if (_outcome is not null && request.AttemptId == _attemptId)
        {
            _requester.Tell(new RunEntityProtocol.RunExportStarted(request.RunPath, request.AttemptId, Self));
            _requester.Tell(_outcome);
            return;
        }
        _outcome = null;
        _attemptId = request.AttemptId;
        if (NodeServices.ContentOf(_node.Settings) is var mine && mine != request.Content)
        {
            // Not retried (another attempt here would refuse again); the run fails with the reason, nothing is written.
            _requester.Tell(new RunEntityProtocol.RunExportStarted(request.RunPath, request.AttemptId, Self));
            OnOutcomeOf(new RunExportProtocol.RunExportFailed(request.RunPath, new UnitFailure("node-settings",
                $"the node {((ExtendedActorSystem)Context.System).Provider.DefaultAddress} exports with {mine}, " +
                $"the coordinator with {request.Content}: run the same export command on every node", false)));
            return;
        }
        var context = new CrawlContext(_node.Settings, _node.Source, _node.Writer, Supervisor: Self, Checkpoint: Self,
            Progress: Self, RunSlots: ActorRefs.Nobody, SeriesSlots: _seriesSlots);
        var summary = new RunSummary(request.RunPath, request.Cuid, request.Name, request.State, request.FinishedAt, default(JsonElement));
        _attempt = Context.ActorOf(RunExportActor.Props(context, summary, request.Attempt, request.Previous),
            ActorNames.For("run", request.RunPath, request.Attempt));
        Context.Watch(_attempt);
        Context.SetReceiveTimeout(null);
        _requester.Tell(new RunEntityProtocol.RunExportStarted(request.RunPath, request.AttemptId, Self));
    }

    private void SetRequester(IActorRef requester)
    {
        if (requester.Equals(_requester)) return;
        _requester = requester;
        Context.Watch(_requester);
    }

    private void SetCheckpoint(IActorRef checkpoint)
    {
        if (checkpoint.Equals(_checkpoint)) return;
        _checkpoint = checkpoint;
        Context.Watch(_checkpoint);
        // A record the previous writer never answered (it died with its node) goes to the new one: recording the
        // same entry twice is harmless, the latest line per run wins.
        if (_pendingRecord is { } pending) _checkpoint.Tell(pending);
    }

    private void OnRecordAnswered(object answer, string runPath)
    {
        if (_pendingRecord?.Entry.RunPath != runPath || _attempt is null) return;
        _pendingRecord = null;
        _attempt.Tell(answer);
    }

    private void OnOutcome(object outcome)
    {
        if (_attempt is null || !Sender.Equals(_attempt)) return;
        Context.Unwatch(_attempt);
        Context.Stop(_attempt);
        _attempt = null;
        _pendingRecord = null;
        OnOutcomeOf(outcome);
    }

    private void OnTerminated(Terminated terminated)
    {
        if (terminated.ActorRef.Equals(_attempt))
        {
            _attempt = null;
            _pendingRecord = null;
            if (_stopping)
            {
                Context.Stop(Self);
                return;
            }
            OnOutcomeOf(new RunExportProtocol.RunExportFailed(_runPath,
                new UnitFailure("crash", "run export stopped without a result", false)));
            return;
        }
        if (terminated.ActorRef.Equals(_requester)) _requester = ActorRefs.Nobody;
        if (terminated.ActorRef.Equals(_checkpoint)) _checkpoint = ActorRefs.Nobody;
        if (_attempt is null && _requester.IsNobody() && _outcome is not null) Passivate();
    }

    /// <summary>Kept for a re-send of the same attempt until the requester acknowledges it (or nobody asks for a while).</summary>
    private void OnOutcomeOf(object outcome)
    {
        _outcome = outcome;
        _requester.Tell(outcome);
        Context.SetReceiveTimeout(TimeSpan.FromSeconds(30));
    }

    private void StopAttempt()
    {
        _stopping = true;
        if (_attempt is null)
        {
            Context.Stop(Self);
            return;
        }
        // The attempt drains (cancels its work, deletes its temp files) and stops; its Terminated stops this entity.
        _attempt.Tell(CancelUnit.Instance);
    }

    private void Passivate()
    {
        _stopping = true;
        _passivating = true;
        Context.Parent.Tell(new Passivate(RunEntityProtocol.StopRunEntity.Instance));
    }
}
