using System.Runtime.Serialization;
using System.Text;
using System.Text.Json;
using Akka.Actor;
using Akka.Hosting;
using Akka.Remote.Hosting;
using Akka.Serialization;
using SwanLab.Crawler.Actors;
using SwanLab.Crawler.Backup;
using SwanLab.Crawler.Cluster.Serialization;
using SwanLab.Crawler.Source;

namespace SwanLab.Crawler.Tests.Cluster;

/// <summary>A run handed to another node, with the checkpoint entry of its last attempt and where to report.</summary>
public sealed record SpecRunHandOver(RunSummary Run, CheckpointEntry? Previous, UnitFailure? LastFailure,
    IReadOnlyDictionary<string, long> LastSteps, IReadOnlySet<string> Keys, DateTimeOffset Since, TimeSpan Budget,
    double Rate, IActorRef? ReplyTo) : ICrawlClusterMessage;

public sealed record SpecPing(string Text, IActorRef ReplyTo) : ICrawlClusterMessage;

public sealed record SpecPong(string Text) : ICrawlClusterMessage;

public abstract record SpecOutcome : ICrawlClusterMessage
{
    public sealed record Done(long Points) : SpecOutcome;
    public sealed record Failed(UnitFailure Why) : SpecOutcome;
}

public sealed record SpecOutcomes(IReadOnlyList<SpecOutcome> Outcomes, SpecOutcome? Last) : ICrawlClusterMessage;

public sealed class CrawlJsonSerializerSpecs : IAsyncLifetime
{
    private HostedNode _node = null!;

    public async Task InitializeAsync() =>
        _node = await HostedNode.StartAsync("serializer-spec", akka => akka.AddCrawlClusterSerializer());

    public async Task DisposeAsync() => await _node.DisposeAsync();

    private static RunSummary SampleRun() => new("alice/mnist/run-1", "c0ffee", "baseline", "FINISHED",
        "2026-01-02T03:04:05Z", JsonDocument.Parse("""{"profile":{"config":{"lr":{"value":0.01}},"tags":["a","b"]},"n":1.0000000000000002}""").RootElement);

    [Fact]
    public void Should_round_trip_a_run_with_its_raw_json_checkpoint_entry_and_failure()
    {
        var message = new SpecRunHandOver(SampleRun(),
            new CheckpointEntry("alice/mnist/run-1", UnitStatus.Failed, "FINISHED|x",
                [new WrittenFile("alice/mnist/run-1/run.json", 42, new string('a', 64))], "server", "HTTP 503", 2)
            { Content = new RunContent(SeriesFormat.Parquet, 100, Logs: true, Media: false, Points: 9_000_000_000) },
            new UnitFailure("rate-limited", "429", Fatal: false),
            new Dictionary<string, long> { ["train/loss"] = 99, ["acc"] = -1 }, new HashSet<string> { "x", "y" },
            new DateTimeOffset(2026, 12, 4, 21, 0, 0, TimeSpan.FromHours(8)), TimeSpan.FromMilliseconds(1500.5),
            double.NaN, ReplyTo: null);

        var back = RoundTrip(message);

        Assert.Equal(message.Run with { Raw = default }, back.Run with { Raw = default });
        Assert.Equal(message.Run.Raw.GetRawText(), back.Run.Raw.GetRawText());
        Assert.Equal(message.Previous!.Files, back.Previous!.Files);
        Assert.Equal(message.Previous with { Files = [] }, back.Previous with { Files = [] });
        Assert.Equal(message.LastFailure, back.LastFailure);
        Assert.Equal(message.LastSteps, back.LastSteps);
        Assert.Equal(message.Keys.Order(), back.Keys.Order());
        Assert.Equal(message.Since, back.Since);
        Assert.Equal(message.Since.Offset, back.Since.Offset);
        Assert.Equal(message.Budget, back.Budget);
        Assert.True(double.IsNaN(back.Rate));
        Assert.Null(back.ReplyTo);
    }

    [Fact]
    public void Should_keep_the_concrete_type_of_a_field_declared_as_an_abstract_message()
    {
        var message = new SpecOutcomes([new SpecOutcome.Done(5), new SpecOutcome.Failed(new UnitFailure("io", "disk", false))],
            new SpecOutcome.Done(7));

        var back = RoundTrip(message);

        Assert.Equal(message.Outcomes, back.Outcomes);
        Assert.Equal(message.Last, back.Last);
    }

    [Fact]
    public void Should_bind_every_crawl_message_to_the_json_serializer_with_its_type_name_as_manifest()
    {
        var serializer = _node.System.Serialization.FindSerializerFor(new SpecPong("x"));

        Assert.IsType<CrawlJsonSerializer>(serializer);
        Assert.Equal("SwanLab.Crawler.Tests.Cluster.SpecPong, SwanLab.Crawler.Tests",
            ((SerializerWithStringManifest)serializer).Manifest(new SpecPong("x")));
    }

    [Fact]
    public void Should_refuse_an_unknown_manifest_with_a_clear_error()
    {
        var serializer = Serializer();

        var unknown = Assert.Throws<SerializationException>(() => serializer.FromBinary("{}"u8.ToArray(), "SwanLab.Crawler.NoSuchMessage"));
        Assert.Contains("Unknown crawl message manifest 'SwanLab.Crawler.NoSuchMessage'", unknown.Message);
        var notAMessage = Assert.Throws<SerializationException>(() =>
            serializer.FromBinary("{}"u8.ToArray(), typeof(FileInfo).AssemblyQualifiedName!));
        Assert.Contains("not a concrete ICrawlClusterMessage", notAMessage.Message);
        var damaged = Assert.Throws<SerializationException>(() =>
            serializer.FromBinary("{\"Text\":"u8.ToArray(), CrawlMessageTypes.ManifestOf(typeof(SpecPong))));
        Assert.Contains("could not be read", damaged.Message);
    }

    [Fact]
    public async Task Should_resolve_an_actor_ref_field_to_a_working_ref_on_another_node()
    {
        await using var other = await HostedNode.StartAsync("serializer-spec", akka => akka
            .WithRemoting("127.0.0.1", 0).AddCrawlClusterSerializer()
            .WithActors((system, _) => system.ActorOf(Props.Create(() => new PongActor()), "ponger")));
        await using var here = await HostedNode.StartAsync("serializer-spec", akka => akka
            .WithRemoting("127.0.0.1", 0).AddCrawlClusterSerializer());
        var heard = new TaskCompletionSource<string>(TaskCreationOptions.RunContinuationsAsynchronously);
        var catcher = here.System.ActorOf(Props.Create(() => new CatcherActor(heard)), "catcher");

        here.System.ActorSelection(new RootActorPath(other.Address) / "user" / "ponger").Tell(new SpecPing("hello", catcher));

        Assert.Equal("hello from " + other.Address, await heard.Task.WaitAsync(TimeSpan.FromSeconds(15)));
    }

    [Fact]
    public void Should_round_trip_a_sample_of_every_crawl_message_the_crawler_defines()
    {
        var problems = CrawlMessageTypes.InCrawler().Concat([typeof(SpecRunHandOver), typeof(SpecOutcomes)])
            .Select(type => MessageSamples.RoundTripProblem(type, _node.System))
            .OfType<string>()
            .ToList();

        Assert.True(problems.Count == 0, string.Join(Environment.NewLine, problems));
    }

    [Fact]
    public void Should_report_a_message_whose_property_does_not_survive_the_round_trip()
    {
        var problem = MessageSamples.RoundTripProblem(typeof(SpecLossyMessage), _node.System);

        Assert.NotNull(problem);
        Assert.Contains("Label", problem);
    }

    private T RoundTrip<T>(T message) where T : notnull
    {
        var serializer = Serializer();
        var bytes = serializer.ToBinary(message);
        return Assert.IsType<T>(serializer.FromBinary(bytes, serializer.Manifest(message)));
    }

    private CrawlJsonSerializer Serializer() =>
        Assert.IsType<CrawlJsonSerializer>(_node.System.Serialization.FindSerializerFor(new SpecPong("x")));

    private sealed class PongActor : ReceiveActor
    {
        public PongActor()
        {
            var self = ((ExtendedActorSystem)Context.System).Provider.DefaultAddress;
            Receive<SpecPing>(ping => ping.ReplyTo.Tell(new SpecPong($"{ping.Text} from {self}")));
        }
    }

    private sealed class CatcherActor : ReceiveActor
    {
        public CatcherActor(TaskCompletionSource<string> heard) => Receive<SpecPong>(pong => heard.TrySetResult(pong.Text));
    }
}

/// <summary>A message whose property JSON cannot set (its init is internal): the sample sweep must notice.</summary>
public sealed record SpecLossyMessage(int Count) : ICrawlClusterMessage
{
    public string? Label { get; internal init; }
}
