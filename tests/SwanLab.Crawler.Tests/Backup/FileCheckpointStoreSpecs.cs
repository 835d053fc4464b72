using System.Text;
using SwanLab.Crawler.Backup;

namespace SwanLab.Crawler.Tests.Backup;

public class FileCheckpointStoreSpecs : IDisposable
{
    private readonly TempDir _dir = new();
    private readonly BackupLayout _layout;

    public FileCheckpointStoreSpecs() => _layout = new BackupLayout(_dir.Path);

    public void Dispose() => _dir.Dispose();

    private static CheckpointEntry Done(string path, string fingerprint = "FINISHED|t1") =>
        new(path, UnitStatus.Done, fingerprint, [new WrittenFile(path + "/run.json", 10, new string('a', 64))], null, null, 1);

    [Fact]
    public async Task Should_load_the_latest_entry_per_run_path()
    {
        await using (var store = new FileCheckpointStore(_layout))
        {
            await store.RecordAsync(Done("a/p/r1", "RUNNING|"), CancellationToken.None);
            await store.RecordAsync(Done("a/p/r2"), CancellationToken.None);
            await store.RecordAsync(Done("a/p/r1", "FINISHED|t2"), CancellationToken.None);
        }
        await using var reopened = new FileCheckpointStore(_layout);
        var state = await reopened.LoadAsync(CancellationToken.None);
        Assert.Equal(2, state.Runs.Count);
        Assert.Equal("FINISHED|t2", state.Runs["a/p/r1"].Fingerprint);
        Assert.Equal(Done("a/p/r2").Files, state.Runs["a/p/r2"].Files);
    }

    [Fact]
    public async Task Should_ignore_a_line_torn_by_a_crash_and_keep_appending_after_it()
    {
        await using (var store = new FileCheckpointStore(_layout))
            await store.RecordAsync(Done("a/p/r1"), CancellationToken.None);
        var full = await File.ReadAllBytesAsync(_layout.CheckpointFile);
        // Simulate a crash mid-append of a second line: half of it reached the disk, no newline.
        await using (var f = new FileStream(_layout.CheckpointFile, FileMode.Append))
            await f.WriteAsync(full.AsMemory(0, full.Length / 2));

        await using var reopened = new FileCheckpointStore(_layout);
        var state = await reopened.LoadAsync(CancellationToken.None);
        Assert.Single(state.Runs);
        Assert.Equal(1, reopened.SkippedLines);

        await reopened.RecordAsync(Done("a/p/r2"), CancellationToken.None);
        var after = await reopened.LoadAsync(CancellationToken.None);
        Assert.Equal(["a/p/r1", "a/p/r2"], after.Runs.Keys.Order(StringComparer.Ordinal));
        Assert.Equal(1, reopened.SkippedLines);
    }

    [Fact]
    public async Task Should_keep_failures_with_their_error_and_redact_secrets()
    {
        const string key = "sk-0123456789abcdefghij";
        await using (var store = new FileCheckpointStore(_layout, [key]))
            await store.RecordAsync(new CheckpointEntry("a/p/r1", UnitStatus.Failed, "F|", [], "http", $"401 for key {key}", 3),
                CancellationToken.None);
        var text = await File.ReadAllTextAsync(_layout.CheckpointFile, Encoding.UTF8);
        Assert.DoesNotContain(key, text, StringComparison.Ordinal);
        await using var reopened = new FileCheckpointStore(_layout);
        var entry = (await reopened.LoadAsync(CancellationToken.None)).Runs["a/p/r1"];
        Assert.Equal((UnitStatus.Failed, "http", "401 for key ***", 3), (entry.Status, entry.ErrorKind, entry.Error, entry.Attempts));
    }

    [Fact]
    public async Task Should_forget_everything_on_reset()
    {
        await using var store = new FileCheckpointStore(_layout);
        await store.RecordAsync(Done("a/p/r1"), CancellationToken.None);
        await store.ResetAsync(CancellationToken.None);
        Assert.Empty((await store.LoadAsync(CancellationToken.None)).Runs);
        await store.RecordAsync(Done("a/p/r2"), CancellationToken.None);
        Assert.Equal(["a/p/r2"], (await store.LoadAsync(CancellationToken.None)).Runs.Keys);
    }

    [Fact]
    public async Task Should_load_an_empty_state_when_there_is_no_checkpoint() =>
        Assert.Empty((await new FileCheckpointStore(_layout).LoadAsync(CancellationToken.None)).Runs);

    [Fact]
    public async Task Should_keep_the_checkpoint_in_the_private_state_folder()
    {
        await using var store = new FileCheckpointStore(_layout);
        await store.RecordAsync(Done("a/p/r1"), CancellationToken.None);
        Assert.True(BackupLayout.IsPrivate(_layout.RelativePath(_layout.CheckpointFile)));
        Assert.True(File.Exists(Path.Combine(_layout.Root, ".swanlab-crawler", "checkpoint.jsonl")));
    }
}

public class CheckpointContentSpecs : IDisposable
{
    private readonly TempDir _dir = new();
    private readonly BackupLayout _layout;

    public CheckpointContentSpecs() => _layout = new BackupLayout(_dir.Path);

    public void Dispose() => _dir.Dispose();

    [Fact]
    public async Task Should_keep_what_a_run_holds_and_read_format_1_lines_as_unknown()
    {
        var entry = new CheckpointEntry("a/p/r1", UnitStatus.Done, "FINISHED|t", [new WrittenFile("a/p/r1/run.json", 2, new string('b', 64))],
            null, null, 1) { Content = new RunContent(SeriesFormat.Jsonl, 50, Logs: false, Media: true, Points: 1234) };
        await using (var store = new FileCheckpointStore(_layout))
            await store.RecordAsync(entry, CancellationToken.None);
        // A line written by the tool before it recorded contents.
        await File.AppendAllTextAsync(_layout.CheckpointFile,
            "{\"attempts\":1,\"error\":null,\"errorKind\":null,\"files\":[],\"fingerprint\":\"FINISHED|t\",\"path\":\"a/p/old\",\"status\":\"done\",\"v\":1}\n");

        await using var reopened = new FileCheckpointStore(_layout);
        var state = await reopened.LoadAsync(CancellationToken.None);

        Assert.Equal(entry.Content, state.Runs["a/p/r1"].Content);
        Assert.Null(state.Runs["a/p/old"].Content);
        Assert.Equal(0, reopened.SkippedLines);
        var old = new SwanLab.Crawler.Source.RunSummary("a/p/old", "old", "old", "FINISHED", "t", default);
        Assert.Equal(SwanLab.Crawler.Crawl.ResumeVerdict.ContentUnknown,
            SwanLab.Crawler.Crawl.ResumeRule.Judge(state, old, new SwanLab.Crawler.Crawl.CrawlSettings { OutputDirectory = _dir.Path }, out _));
    }

    [Fact]
    public async Task Should_judge_a_run_holding_less_than_asked_for_export_and_more_for_skipping()
    {
        var state = new CheckpointState(new Dictionary<string, CheckpointEntry>
        {
            ["a/p/r"] = new("a/p/r", UnitStatus.Done, "FINISHED|t", [], null, null, 1)
            {
                Content = new RunContent(SeriesFormat.Csv, null, Logs: true, Media: false, Points: 1),
            },
        });
        var run = new SwanLab.Crawler.Source.RunSummary("a/p/r", "r", "r", "FINISHED", "t", default);
        var settings = new SwanLab.Crawler.Crawl.CrawlSettings { OutputDirectory = _dir.Path };

        Assert.Equal(SwanLab.Crawler.Crawl.ResumeVerdict.HoldsLess, SwanLab.Crawler.Crawl.ResumeRule.Judge(state, run, settings, out _));
        Assert.Equal(SwanLab.Crawler.Crawl.ResumeVerdict.SkipIfIntact,
            SwanLab.Crawler.Crawl.ResumeRule.Judge(state, run, settings with { IncludeMedia = false, IncludeLogs = false }, out _));
        Assert.Equal(SwanLab.Crawler.Crawl.ResumeVerdict.OtherSeriesForm,
            SwanLab.Crawler.Crawl.ResumeRule.Judge(state, run, settings with { IncludeMedia = false, Sample = 10 }, out _));
    }
}

public class DiscoveryLogSpecs : IDisposable
{
    private readonly TempDir _dir = new();

    public void Dispose() => _dir.Dispose();

    [Fact]
    public async Task Should_keep_every_line_when_many_projects_record_their_runs_at_once()
    {
        var layout = new BackupLayout(_dir.Path);
        var paths = Enumerable.Range(0, 2000).Select(i => $"ws/p{i % 20}/run-{i:D4}-with-a-longer-id").ToList();

        // Each project actor makes its own DiscoveryLog, as the crawl does.
        await Task.WhenAll(paths.Chunk(1).Select(chunk => Task.Run(() => new DiscoveryLog(layout).RecordAsync(chunk, CancellationToken.None))));

        Assert.Equal(paths.Order(StringComparer.Ordinal), (await new DiscoveryLog(layout).ReadAsync(CancellationToken.None)).Order(StringComparer.Ordinal));
    }
}
