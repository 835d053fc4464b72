using Akka.Actor;
using SwanLab.Crawler.Backup;
using SwanLab.Crawler.Cluster.Serialization;

namespace SwanLab.Crawler.Actors;

/// <summary>Messages of <see cref="CheckpointWriterActor"/>.</summary>
public static class CheckpointProtocol
{
    /// <summary>Loads (after resetting, for --restart) and replies <see cref="CheckpointLoaded"/> or <see cref="CheckpointUnavailable"/>.</summary>
    public sealed record LoadCheckpoint(bool Restart);
    public sealed record CheckpointLoaded(CheckpointState State);
    public sealed record CheckpointUnavailable(string Error);

    /// <summary>Records one finished unit durably; replies <see cref="UnitRecorded"/> or <see cref="UnitNotRecorded"/>.</summary>
    public sealed record RecordUnit(CheckpointEntry Entry) : ICrawlClusterMessage;
    public sealed record UnitRecorded(string RunPath) : ICrawlClusterMessage;
    public sealed record UnitNotRecorded(string RunPath, string Error) : ICrawlClusterMessage;

    /// <summary>Replies <see cref="CheckpointFlushed"/> once every record sent before it is durable.</summary>
    public sealed record FlushCheckpoint
    {
        public static FlushCheckpoint Instance { get; } = new();
    }
    public sealed record CheckpointFlushed
    {
        public static CheckpointFlushed Instance { get; } = new();
    }
}

/// <summary>
/// The only writer of the <see cref="ICheckpointStore"/>. Messages are handled one at a time (ReceiveAsync
/// suspends the mailbox while a record is being fsynced), so records never interleave and a flush answered means
/// every earlier record is durable. Records are not cancellable: a half-written record is worse than a late one.
/// On failure: a store error is answered to the requester (<see cref="CheckpointProtocol.UnitNotRecorded"/>), whose
/// run then counts as failed and is retried; the actor itself keeps going. An unexpected crash restarts it
/// (it holds no state beyond the store).
/// </summary>
public sealed class CheckpointWriterActor : ReceiveActor
{
    public static Props Props(ICheckpointStore store) => Akka.Actor.Props.Create(() => new CheckpointWriterActor(store));

    public CheckpointWriterActor(ICheckpointStore store)
    {
        ReceiveAsync<CheckpointProtocol.LoadCheckpoint>(async load =>
        {
            var replyTo = Sender;
            try
            {
                if (load.Restart) await store.ResetAsync(CancellationToken.None);
                var state = await store.LoadAsync(CancellationToken.None);
                replyTo.Tell(new CheckpointProtocol.CheckpointLoaded(state));
            }
            catch (Exception ex)
            {
                replyTo.Tell(new CheckpointProtocol.CheckpointUnavailable(ex.Message));
            }
        });
        ReceiveAsync<CheckpointProtocol.RecordUnit>(async record =>
        {
            var replyTo = Sender;
            try
            {
                await store.RecordAsync(record.Entry, CancellationToken.None);
                replyTo.Tell(new CheckpointProtocol.UnitRecorded(record.Entry.RunPath));
            }
            catch (Exception ex)
            {
                replyTo.Tell(new CheckpointProtocol.UnitNotRecorded(record.Entry.RunPath, ex.Message));
            }
        });
        Receive<CheckpointProtocol.FlushCheckpoint>(_ => Sender.Tell(CheckpointProtocol.CheckpointFlushed.Instance));
    }
}
