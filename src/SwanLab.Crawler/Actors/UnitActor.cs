using Akka.Actor;

namespace SwanLab.Crawler.Actors;

/// <summary>Stops a unit and everything under it; in-flight work is cancelled and awaited, then the actor stops.</summary>
public sealed record CancelUnit
{
    public static CancelUnit Instance { get; } = new();
}

/// <summary>
/// Base of the crawl's unit actors. It owns the unit's <see cref="CancellationTokenSource"/> (cancelled in
/// PostStop) and counts in-flight piped work and children, so a unit can <em>drain</em>: cancel everything, wait
/// until every async task has really finished (temp files deleted by their own finally blocks) and every child has
/// stopped, and only then report or stop. Async work never touches actor fields: it captures locals and its result
/// comes back as a message through <see cref="PipeWork{T}"/>.
/// </summary>
public abstract class UnitActor : ReceiveActor, IWithTimers
{
    private sealed record WorkDone(object Result);

    private readonly CancellationTokenSource _cts = new();
    private readonly HashSet<IActorRef> _children = [];
    private int _inFlight;
    private object? _reportWhenDrained;
    private bool _reported;

    public ITimerScheduler Timers { get; set; } = null!;

    protected CancellationToken UnitToken => _cts.Token;

    protected bool Draining { get; private set; }

    protected UnitActor()
    {
        Receive<WorkDone>(done =>
        {
            _inFlight--;
            OnWorkDone(done.Result);
        });
        Receive<Terminated>(t =>
        {
            if (_children.Remove(t.ActorRef)) OnChildStopped(t.ActorRef);
        });
        Receive<CancelUnit>(_ => BeginDrain(report: null));
    }

    /// <summary>Handles a piped result (a record of the subclass) or a <see cref="Status.Failure"/>.</summary>
    protected abstract void OnWorkDone(object result);

    /// <summary>A watched child stopped while we were not draining: it crashed (parents stop children only after their outcome).</summary>
    protected virtual void OnChildStopped(IActorRef child) { }

    /// <summary>Starts async work whose result comes back to <see cref="OnWorkDone"/>; failures arrive as <see cref="Status.Failure"/>.</summary>
    protected void PipeWork<T>(Func<CancellationToken, Task<T>> work) where T : notnull
    {
        _inFlight++;
        var ct = _cts.Token;
        Task.Run(() => work(ct), CancellationToken.None)
            .PipeTo(Self, success: r => new WorkDone(r), failure: ex => new WorkDone(new Status.Failure(ex)));
    }

    protected IActorRef SpawnChild(Props props, string name)
    {
        var child = Context.ActorOf(props, name);
        Context.Watch(child);
        _children.Add(child);
        return child;
    }

    /// <summary>Stops a child whose outcome we already have; its Terminated is then expected, not a crash.</summary>
    protected void StopChild(IActorRef child)
    {
        if (!_children.Remove(child)) return;
        Context.Unwatch(child);
        Context.Stop(child);
    }

    protected int ChildCount => _children.Count;

    /// <summary>
    /// Cancels all in-flight work and children and waits for them. With a <paramref name="report"/> the actor then
    /// tells its parent (which stops it); without one it stops itself (the parent is draining too).
    /// </summary>
    protected void BeginDrain(object? report)
    {
        if (Draining) return;
        Draining = true;
        _reportWhenDrained = report;
        Timers.CancelAll();
        _cts.Cancel();
        foreach (var child in _children) child.Tell(CancelUnit.Instance);
        Become(DrainingBehavior);
        CheckDrained();
    }

    private void DrainingBehavior()
    {
        Receive<WorkDone>(_ =>
        {
            _inFlight--;
            CheckDrained();
        });
        Receive<Terminated>(t =>
        {
            _children.Remove(t.ActorRef);
            CheckDrained();
        });
        Receive<CancelUnit>(_ =>
        {
            // The parent is draining as well: it will not act on our report, so stop instead of reporting.
            _reportWhenDrained = null;
            if (_reported) Context.Stop(Self);
            else CheckDrained();
        });
        ReceiveAny(message => OnWhileDraining(message));
    }

    /// <summary>Messages other than work results, Terminated and CancelUnit while draining; ignored by default.</summary>
    protected virtual void OnWhileDraining(object message) { }

    private void CheckDrained()
    {
        if (_reported || _inFlight > 0 || _children.Count > 0) return;
        if (_reportWhenDrained is { } report)
        {
            _reportWhenDrained = null;
            _reported = true;
            Context.Parent.Tell(report);
            return;
        }
        OnDrained();
    }

    /// <summary>Everything is finished after a cancel; default: stop.</summary>
    protected virtual void OnDrained() => Context.Stop(Self);

    protected override void PostStop()
    {
        _cts.Cancel();
        _cts.Dispose();
        base.PostStop();
    }
}
