using System.Threading.Channels;
using Akka.Actor;
using SwanLab.Crawler.Crawl;

namespace SwanLab.Crawler.Actors;

/// <summary>Messages of <see cref="ProgressPublisherActor"/> besides the <see cref="CrawlEvent"/>s it publishes.</summary>
public static class ProgressProtocol
{
    /// <summary>Stops publishing and replies <see cref="ProgressRemainder"/> with what the channel could not take yet.</summary>
    public sealed record TakeRemainder
    {
        public static TakeRemainder Instance { get; } = new();
    }
    public sealed record ProgressRemainder(IReadOnlyList<CrawlEvent> Events);
}

/// <summary>
/// Moves <see cref="CrawlEvent"/>s from the actor system into the caller's bounded channel without ever blocking:
/// events the channel cannot take yet wait in a local queue (adjacent PointsWritten are merged, so a slow reader
/// costs memory per run, not per point) until <c>WaitToWriteAsync</c>, piped back, says there is room.
/// On failure: a completed or faulted channel just ends publishing (progress is advisory; the crawl goes on).
/// </summary>
public sealed class ProgressPublisherActor : ReceiveActor
{
    private sealed record ChannelWritable(bool Open);

    private readonly ChannelWriter<CrawlEvent>? _writer;
    private readonly LinkedList<CrawlEvent> _pending = new();
    private readonly CancellationTokenSource _cts = new();
    private bool _waiting;
    private bool _closed;

    public static Props Props(ChannelWriter<CrawlEvent>? writer) =>
        Akka.Actor.Props.Create(() => new ProgressPublisherActor(writer));

    public ProgressPublisherActor(ChannelWriter<CrawlEvent>? writer)
    {
        _writer = writer;
        _closed = writer is null;
        Receive<CrawlEvent>(Publish);
        Receive<ChannelWritable>(w =>
        {
            _waiting = false;
            if (!w.Open) _closed = true;
            Drain();
        });
        Receive<ProgressProtocol.TakeRemainder>(_ =>
        {
            var remainder = _closed && _writer is null ? [] : _pending.ToList();
            _pending.Clear();
            _closed = true;
            Sender.Tell(new ProgressProtocol.ProgressRemainder(remainder));
        });
    }

    private void Publish(CrawlEvent e)
    {
        if (_closed) return;
        if (e is CrawlEvent.PointsWritten more && _pending.Last?.Value is CrawlEvent.PointsWritten last && last.RunPath == more.RunPath)
        {
            _pending.Last.Value = last with { Points = last.Points + more.Points };
            return;
        }
        _pending.AddLast(e);
        Drain();
    }

    private void Drain()
    {
        if (_closed || _writer is null) return;
        while (_pending.First is { } next && _writer.TryWrite(next.Value)) _pending.RemoveFirst();
        if (_pending.Count == 0 || _waiting) return;
        _waiting = true;
        _writer.WaitToWriteAsync(_cts.Token).AsTask()
            .PipeTo(Self, success: open => new ChannelWritable(open), failure: _ => new ChannelWritable(false));
    }

    protected override void PostStop()
    {
        _cts.Cancel();
        _cts.Dispose();
        base.PostStop();
    }
}
