using Akka.Actor;
using Akka.TestKit;
using SwanLab.Crawler.Actors;
using SwanLab.Crawler.Cluster;
using SwanLab.Crawler.Crawl;
using SwanLab.Crawler.Tests.Actors;
using Xunit.Abstractions;

namespace SwanLab.Crawler.Tests.Cluster;

/// <summary>
/// A <see cref="RunEntity"/> on its own (no cluster needed): the requesters and the checkpoint writer are probes, the
/// source is scripted. What matters across nodes: one export per run however often it is asked for, and a Done record
/// that reaches a checkpoint writer even when the one it was sent to died.
/// </summary>
public sealed class RunEntitySpecs(ITestOutputHelper output) : CrawlSpecBase(output)
{
    private const string RunPath = "alice/mnist/run-1";

    private (IActorRef Entity, ScriptedSource Source) StartEntity(Func<CrawlSettings, CrawlSettings>? change = null)
    {
        var source = new ScriptedSource();
        source.AddRun("alice", "mnist", "run-1");
        var settings = Settings(change);
        var node = new NodeServices(settings, source, new TestBackupWriter(Root));
        var seriesSlots = Sys.ActorOf(SlotGateActor.Props(settings.SeriesConcurrency));
        return (Sys.ActorOf(RunEntity.Props(node, seriesSlots)), source);
    }

    private RunEntityProtocol.ExportRun Request(string attemptId, IActorRef replyTo, IActorRef checkpoint) =>
        new(RunPath, "run-1", "run-1", "FINISHED", "2026-01-01T00:00:00Z", 1, attemptId, null, replyTo, checkpoint,
            NodeServices.ContentOf(Settings()));

    [Fact]
    public void Should_refuse_a_run_when_this_node_exports_with_other_settings_than_the_coordinator_and_write_nothing()
    {
        var (entity, source) = StartEntity(s => s with { Format = SwanLab.Crawler.Backup.SeriesFormat.Jsonl });
        var requester = CreateTestProbe();
        var checkpoint = CreateTestProbe();

        entity.Tell(Request("a", requester.Ref, checkpoint.Ref));

        var failed = requester.FishForMessage<RunExportProtocol.RunExportFailed>(_ => true, TimeSpan.FromSeconds(10));
        Assert.Equal("node-settings", failed.Failure.Kind);
        Assert.False(failed.Failure.Retryable);
        Assert.Contains("--format jsonl", failed.Failure.Message, StringComparison.Ordinal);
        Assert.Contains("--format csv", failed.Failure.Message, StringComparison.Ordinal);
        Assert.Equal(0, source.DetailCalls(RunPath));
        checkpoint.ExpectNoMsg(TimeSpan.FromMilliseconds(200));
    }

    [Fact]
    public void Should_attach_a_second_request_for_a_run_it_is_exporting_instead_of_exporting_it_again()
    {
        var (entity, source) = StartEntity();
        var first = CreateTestProbe();
        var second = CreateTestProbe();
        var checkpoint = CreateTestProbe();

        entity.Tell(Request("a", first.Ref, checkpoint.Ref));
        first.ExpectMsg<RunEntityProtocol.RunExportStarted>();
        // The next coordinator (or a re-send) asks for the same run while it is being exported.
        entity.Tell(Request("b", second.Ref, checkpoint.Ref));
        Assert.Equal(entity, second.ExpectMsg<RunEntityProtocol.RunExportStarted>().Entity);

        var record = checkpoint.ExpectMsg<CheckpointProtocol.RecordUnit>(TimeSpan.FromSeconds(10));
        checkpoint.Reply(new CheckpointProtocol.UnitRecorded(record.Entry.RunPath));
        var exported = second.FishForMessage<RunExportProtocol.RunExported>(_ => true, TimeSpan.FromSeconds(10));

        Assert.Equal(RunPath, exported.RunPath);
        Assert.Equal(1, source.DetailCalls(RunPath));
        checkpoint.ExpectNoMsg(TimeSpan.FromMilliseconds(200));
    }

    [Fact]
    public void Should_send_a_record_its_dead_writer_never_confirmed_to_the_next_coordinators_writer()
    {
        var (entity, source) = StartEntity();
        var requester = CreateTestProbe();
        var deadWriter = CreateTestProbe();
        entity.Tell(Request("a", requester.Ref, deadWriter.Ref));
        var unanswered = deadWriter.ExpectMsg<CheckpointProtocol.RecordUnit>(TimeSpan.FromSeconds(10));
        // The coordinator's node dies with the record unanswered.
        Watch(deadWriter.Ref);
        Sys.Stop(deadWriter.Ref);
        ExpectTerminated(deadWriter.Ref);

        var nextRequester = CreateTestProbe();
        var nextWriter = CreateTestProbe();
        entity.Tell(Request("b", nextRequester.Ref, nextWriter.Ref));
        var resent = nextWriter.FishForMessage<CheckpointProtocol.RecordUnit>(_ => true, TimeSpan.FromSeconds(10));
        Assert.Equal(unanswered.Entry, resent.Entry);
        nextWriter.Reply(new CheckpointProtocol.UnitRecorded(resent.Entry.RunPath));

        nextRequester.FishForMessage<RunExportProtocol.RunExported>(_ => true, TimeSpan.FromSeconds(10));
        Assert.Equal(1, source.DetailCalls(RunPath));
    }

    [Fact]
    public void Should_answer_a_re_sent_request_of_an_ended_attempt_with_its_outcome_instead_of_exporting_again()
    {
        var (entity, source) = StartEntity();
        var requester = CreateTestProbe();
        var checkpoint = CreateTestProbe();
        entity.Tell(Request("a", requester.Ref, checkpoint.Ref));
        var record = checkpoint.ExpectMsg<CheckpointProtocol.RecordUnit>(TimeSpan.FromSeconds(10));
        checkpoint.Reply(new CheckpointProtocol.UnitRecorded(record.Entry.RunPath));
        requester.FishForMessage<RunExportProtocol.RunExported>(_ => true, TimeSpan.FromSeconds(10));

        // The outcome was lost on the way (the requester timed out and sends the same attempt again).
        entity.Tell(Request("a", requester.Ref, checkpoint.Ref));
        requester.FishForMessage<RunExportProtocol.RunExported>(_ => true, TimeSpan.FromSeconds(10));
        Assert.Equal(1, source.DetailCalls(RunPath));
    }
}
