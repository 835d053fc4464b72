using System.Threading.Channels;
using SwanLab.Crawler.Backup;
using SwanLab.Crawler.Crawl;
using SwanLab.Crawler.Source;

namespace SwanLab.Crawler.Tests.Actors;

/// <summary>The CLI's entry point: a hosted actor system per crawl.</summary>
public sealed class CrawlRunnerSpecs : IDisposable
{
    private readonly string _root = Path.Combine(Path.GetTempPath(), "swanlab-runner-spec-" + Guid.NewGuid().ToString("N"));

    private CrawlSettings Settings() => new()
    {
        OutputDirectory = _root,
        RunConcurrency = 2,
        SeriesConcurrency = 2,
        ChannelCapacity = 4,
        UnitBackoffMin = TimeSpan.FromMilliseconds(1),
        UnitBackoffMax = TimeSpan.FromMilliseconds(5),
    };

    [Fact]
    public async Task Should_crawl_through_the_hosted_actor_system_and_complete_the_progress_channel()
    {
        var source = ScriptedSource.Account(2, 1, 2);
        var events = Channel.CreateBounded<CrawlEvent>(2);
        var seen = ReadAll(events.Reader);

        var result = await CrawlRunner.RunAsync(Settings(), source, new TestBackupWriter(_root),
            new VerifyingCheckpointStore(_root), events.Writer, CancellationToken.None);

        Assert.True(result.Complete);
        Assert.Equal(4, result.RunsDone);
        Assert.Equal(4, (await seen).OfType<CrawlEvent.RunCompleted>().Count()); // and the channel was completed
    }

    [Fact]
    public async Task Should_return_a_cancelled_result_when_the_token_is_cancelled()
    {
        var source = ScriptedSource.Account(1, 1, 8, series: 2, points: 500);
        source.PointDelay = TimeSpan.FromMilliseconds(2);
        var store = new VerifyingCheckpointStore(_root);
        using var cts = new CancellationTokenSource();
        var events = Channel.CreateUnbounded<CrawlEvent>();
        var cancelOnFirstStart = Task.Run(async () =>
        {
            await foreach (var e in events.Reader.ReadAllAsync())
                if (e is CrawlEvent.RunStarted) await cts.CancelAsync();
        });

        var result = await CrawlRunner.RunAsync(Settings(), source, new TestBackupWriter(_root), store, events.Writer, cts.Token);
        await cancelOnFirstStart;

        Assert.True(result.Cancelled);
        Assert.False(result.Complete);
        Assert.Empty(Directory.EnumerateFiles(_root, "*.tmp", SearchOption.AllDirectories));
        Assert.Empty(store.Violations);
    }

    [Fact]
    public async Task Should_throw_an_authentication_error_when_the_credentials_are_rejected()
    {
        var source = ScriptedSource.Account(1, 1, 1);
        source.Find("ws0/proj0/run0").RejectCredentials = true;

        var error = await Assert.ThrowsAsync<SourceAuthenticationException>(() => CrawlRunner.RunAsync(Settings(), source,
            new TestBackupWriter(_root), new VerifyingCheckpointStore(_root), null, CancellationToken.None));
        Assert.Contains("rejected", error.Message);
    }

    [Fact]
    public async Task Should_refuse_a_malformed_selection_before_crawling()
    {
        var settings = Settings() with { Runs = ["ws0/proj0"] };
        await Assert.ThrowsAsync<ArgumentException>(() => CrawlRunner.RunAsync(settings, ScriptedSource.Account(1, 1, 1),
            new TestBackupWriter(_root), new VerifyingCheckpointStore(_root), null, CancellationToken.None));
    }

    private static async Task<List<CrawlEvent>> ReadAll(ChannelReader<CrawlEvent> reader)
    {
        var seen = new List<CrawlEvent>();
        await foreach (var e in reader.ReadAllAsync()) seen.Add(e);
        return seen;
    }

    public void Dispose()
    {
        try { Directory.Delete(_root, recursive: true); } catch (IOException) { } catch (UnauthorizedAccessException) { }
    }
}
