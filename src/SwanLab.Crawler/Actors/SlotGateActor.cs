using Akka.Actor;

namespace SwanLab.Crawler.Actors;

/// <summary>Messages of <see cref="SlotGateActor"/>.</summary>
public static class SlotGateProtocol
{
    /// <summary>
    /// Ask for <paramref name="Weight"/> slots at once for <paramref name="Token"/> (e.g. one per series of a multi-key
    /// download); answered with <see cref="SlotGranted"/> when that many are free. A weight above the capacity is
    /// capped to it, so no request can wait forever.
    /// </summary>
    public sealed record RequestSlot(string Token, int Weight = 1);
    public sealed record SlotGranted(string Token);
    public sealed record ReleaseSlot(string Token);
    /// <summary>
    /// Changes how many slots the gate grants at once (a cluster's run gate grows and shrinks with its members);
    /// grants already made stand, new ones wait until the slots in use fall below the new capacity.
    /// </summary>
    public sealed record Resize(int Capacity);
    public sealed record GetGateStats
    {
        public static GetGateStats Instance { get; } = new();
    }
    public sealed record GateStats(int InUse, int Queued, int MaxInUse, long Granted);
}

/// <summary>
/// Admission control: at most <c>capacity</c> slots are granted at once, in request order (a request for several
/// slots is granted whole, and those behind it wait, so a large request is never starved by small ones). This is
/// what bounds how many runs (or series) are in flight, independent of how many exist. Requesters are watched: a requester that
/// stops (finished, crashed or cancelled) gives back its slots and its queued requests, so a failure can never leak
/// capacity. On failure: the gate does no I/O and has no failure of its own; should it crash anyway, the crawl
/// supervisor stops it and aborts the crawl (a restarted gate would have forgotten its grants).
/// </summary>
public sealed class SlotGateActor : ReceiveActor
{
    private int _capacity;
    private readonly LinkedList<(IActorRef Requester, string Token, int Weight)> _queue = new();
    private readonly List<(IActorRef Holder, string Token, int Weight)> _granted = [];
    private readonly Dictionary<IActorRef, int> _watched = new();
    private int _maxInUse;
    private long _grantedTotal;

    public static Props Props(int capacity) => Akka.Actor.Props.Create(() => new SlotGateActor(capacity));

    public SlotGateActor(int capacity)
    {
        _capacity = Math.Max(1, capacity);
        Receive<SlotGateProtocol.RequestSlot>(r =>
        {
            Watch(Sender);
            _queue.AddLast((Sender, r.Token, Math.Clamp(r.Weight, 1, _capacity)));
            GrantWhilePossible();
        });
        Receive<SlotGateProtocol.ReleaseSlot>(r =>
        {
            var index = _granted.FindIndex(g => g.Holder.Equals(Sender) && g.Token == r.Token);
            if (index < 0) return;
            _granted.RemoveAt(index);
            GrantWhilePossible();
        });
        Receive<Terminated>(t =>
        {
            _watched.Remove(t.ActorRef);
            _granted.RemoveAll(g => g.Holder.Equals(t.ActorRef));
            for (var node = _queue.First; node is not null;)
            {
                var next = node.Next;
                if (node.Value.Requester.Equals(t.ActorRef)) _queue.Remove(node);
                node = next;
            }
            GrantWhilePossible();
        });
        Receive<SlotGateProtocol.Resize>(r =>
        {
            _capacity = Math.Max(1, r.Capacity);
            GrantWhilePossible();
        });
        Receive<SlotGateProtocol.GetGateStats>(_ =>
            Sender.Tell(new SlotGateProtocol.GateStats(InUse, _queue.Count, _maxInUse, _grantedTotal)));
    }

    private void Watch(IActorRef requester)
    {
        if (_watched.ContainsKey(requester)) return;
        _watched[requester] = 1;
        Context.Watch(requester);
    }

    private int InUse => _granted.Sum(g => g.Weight);

    private void GrantWhilePossible()
    {
        while (_queue.First is { } first && InUse + Math.Min(first.Value.Weight, _capacity) <= _capacity)
        {
            _queue.RemoveFirst();
            _granted.Add(first.Value);
            _grantedTotal++;
            _maxInUse = Math.Max(_maxInUse, InUse);
            first.Value.Requester.Tell(new SlotGateProtocol.SlotGranted(first.Value.Token));
        }
    }
}
