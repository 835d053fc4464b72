using Akka.Actor;

namespace SwanLab.Crawler.Actors;

/// <summary>Messages of <see cref="SlotGateActor"/>.</summary>
public static class SlotGateProtocol
{
    /// <summary>Ask for one slot for <paramref name="Token"/>; answered with <see cref="SlotGranted"/> when one is free.</summary>
    public sealed record RequestSlot(string Token);
    public sealed record SlotGranted(string Token);
    public sealed record ReleaseSlot(string Token);
    public sealed record GetGateStats
    {
        public static GetGateStats Instance { get; } = new();
    }
    public sealed record GateStats(int InUse, int Queued, int MaxInUse, long Granted);
}

/// <summary>
/// Admission control: at most <c>capacity</c> slots are granted at once, in request order. This is what bounds how
/// many runs (or series) are in flight, independent of how many exist. Requesters are watched: a requester that
/// stops (finished, crashed or cancelled) gives back its slots and its queued requests, so a failure can never leak
/// capacity. On failure: the gate does no I/O and has no failure of its own; should it crash anyway, the crawl
/// supervisor stops it and aborts the crawl (a restarted gate would have forgotten its grants).
/// </summary>
public sealed class SlotGateActor : ReceiveActor
{
    private readonly int _capacity;
    private readonly LinkedList<(IActorRef Requester, string Token)> _queue = new();
    private readonly List<(IActorRef Holder, string Token)> _granted = [];
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
            _queue.AddLast((Sender, r.Token));
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
        Receive<SlotGateProtocol.GetGateStats>(_ =>
            Sender.Tell(new SlotGateProtocol.GateStats(_granted.Count, _queue.Count, _maxInUse, _grantedTotal)));
    }

    private void Watch(IActorRef requester)
    {
        if (_watched.ContainsKey(requester)) return;
        _watched[requester] = 1;
        Context.Watch(requester);
    }

    private void GrantWhilePossible()
    {
        while (_granted.Count < _capacity && _queue.First is { } first)
        {
            _queue.RemoveFirst();
            _granted.Add(first.Value);
            _grantedTotal++;
            _maxInUse = Math.Max(_maxInUse, _granted.Count);
            first.Value.Requester.Tell(new SlotGateProtocol.SlotGranted(first.Value.Token));
        }
    }
}
