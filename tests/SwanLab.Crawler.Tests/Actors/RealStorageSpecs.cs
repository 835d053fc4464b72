using SwanLab.Crawler.Backup;
using SwanLab.Crawler.Crawl;
using SwanLab.Crawler.Tests.Backup;

namespace SwanLab.Crawler.Tests.Actors;

/// <summary>The crawl over the real storage layer (BackupWriter + FileCheckpointStore) with a scripted source.</summary>
public sealed class RealStorageSpecs : IDisposable
{
    private readonly string _root = Path.Combine(Path.GetTempPath(), "swanlab-real-storage-" + Guid.NewGuid().ToString("N"));

    private CrawlSettings Settings(string dir) => new()
    {
        OutputDirectory = Path.Combine(_root, dir),
        RunConcurrency = 3,
        SeriesConcurrency = 3,
        ChannelCapacity = 8,
        UnitBackoffMin = TimeSpan.FromMilliseconds(1),
        UnitBackoffMax = TimeSpan.FromMilliseconds(5),
    };

    private static ScriptedSource Account()
    {
        var source = ScriptedSource.Account(2, 2, 3, series: 3, points: 7);
        source.Find("ws0/proj1/run2").Media.Add(("images/sample", 3, ScriptedSource.Bytes("png")));
        return source;
    }

    [Fact]
    public async Task Should_write_a_complete_backup_with_manifest_errors_and_backup_info()
    {
        var settings = Settings("a");
        var result = await CrawlRunner.RunAsync(settings, Account(), null, CancellationToken.None);

        Assert.True(result.Complete);
        var layout = new BackupLayout(settings.OutputDirectory);
        var info = await BackupInfo.ReadAsync(layout, CancellationToken.None);
        Assert.NotNull(info);
        Assert.True(info.Complete);
        Assert.Equal(12, info.Counts.RunsDone);
        Assert.Empty(await ErrorsWriter.ReadAsync(layout, CancellationToken.None));
        var manifest = await ManifestWriter.ReadAsync(layout, CancellationToken.None);
        Assert.Equal(BackupTree.Hashes(settings.OutputDirectory).Keys.Where(k => k is not "manifest.jsonl" and not "backup.json"),
            manifest.Select(f => f.RelativePath));
        Assert.Contains(manifest, f => f.RelativePath.EndsWith("/metrics/index.json", StringComparison.Ordinal));
    }

    [Fact]
    public async Task Should_give_byte_identical_backups_from_the_same_source_fresh_or_resumed()
    {
        var fresh = Settings("fresh");
        await CrawlRunner.RunAsync(fresh, Account(), null, CancellationToken.None);

        var resumed = Settings("resumed");
        var failing = Account();
        failing.Find("ws1/proj0/run1").AlwaysFail = true;
        failing.Find("ws0/proj0/run0").TruncateStreams = 1;
        var first = await CrawlRunner.RunAsync(resumed with { MaxUnitAttempts = 2 }, failing, null, CancellationToken.None);
        Assert.Equal(1, first.RunsFailed);
        var second = await CrawlRunner.RunAsync(resumed, Account(), null, CancellationToken.None);
        Assert.Equal((11, 1), (second.RunsSkipped, second.RunsDone));
        Assert.Equal(12 * 3 * 7, second.Points); // skipped runs' points count too

        Assert.Equal(BackupTree.Hashes(fresh.OutputDirectory), BackupTree.Hashes(resumed.OutputDirectory));
        var freshInfo = await BackupInfo.ReadAsync(new BackupLayout(fresh.OutputDirectory), CancellationToken.None);
        var resumedInfo = await BackupInfo.ReadAsync(new BackupLayout(resumed.OutputDirectory), CancellationToken.None);
        Assert.Equal(freshInfo!.Counts, resumedInfo!.Counts);
    }

    [Fact]
    public async Task Should_leave_no_temp_files_and_an_intact_checkpoint_when_cancelled()
    {
        var settings = Settings("cancelled");
        var source = ScriptedSource.Account(1, 1, 6, series: 2, points: 300);
        source.PointDelay = TimeSpan.FromMilliseconds(1);
        using var cts = new CancellationTokenSource();
        var running = CrawlRunner.RunAsync(settings, source, null, cts.Token);
        while (source.MaxStreamsInFlight == 0 && !running.IsCompleted) await Task.Delay(5);
        await cts.CancelAsync();
        var result = await running;

        Assert.True(result.Cancelled);
        Assert.Empty(Directory.EnumerateFiles(settings.OutputDirectory, AtomicFile.TempPrefix + "*", SearchOption.AllDirectories));
        await using var store = new FileCheckpointStore(new BackupLayout(settings.OutputDirectory));
        var state = await store.LoadAsync(CancellationToken.None);
        Assert.Equal(result.RunsDone, state.Runs.Keys.Count(BackupContents.IsRun));

        var resumed = await CrawlRunner.RunAsync(settings, ScriptedSource.Account(1, 1, 6, series: 2, points: 300), null, CancellationToken.None);
        Assert.True(resumed.Complete);
        Assert.Equal((result.RunsDone, 6 - result.RunsDone), (resumed.RunsSkipped, resumed.RunsDone));
    }

    [Fact]
    public async Task Should_not_leave_complete_in_backup_json_when_a_later_export_is_interrupted()
    {
        var settings = Settings("interrupted");
        Assert.True((await CrawlRunner.RunAsync(settings, ScriptedSource.Account(1, 1, 4, series: 2, points: 300), null, CancellationToken.None)).Complete);
        var source = ScriptedSource.Account(1, 1, 4, series: 2, points: 300);
        source.PointDelay = TimeSpan.FromMilliseconds(1);
        using var cts = new CancellationTokenSource();
        var running = CrawlRunner.RunAsync(settings with { Refetch = true, Projects = ["ws0/proj0"] }, source, null, cts.Token);
        while (source.MaxStreamsInFlight == 0 && !running.IsCompleted) await Task.Delay(5);
        await cts.CancelAsync();
        Assert.True((await running).Cancelled);

        var info = await BackupInfo.ReadAsync(new BackupLayout(settings.OutputDirectory), CancellationToken.None);
        Assert.False(info!.Complete);
    }

    [Fact]
    public async Task Should_resume_after_a_crash_left_temp_files_and_a_torn_checkpoint_line()
    {
        var fresh = Settings("fresh");
        await CrawlRunner.RunAsync(fresh, Account(), null, CancellationToken.None);

        var crashed = Settings("crashed");
        var partial = Account();
        partial.Find("ws1/proj1/run0").AlwaysFail = true;
        await CrawlRunner.RunAsync(crashed with { MaxUnitAttempts = 1 }, partial, null, CancellationToken.None);
        // What a SIGKILL mid-write leaves: temp files next to real ones, half a checkpoint record, no backup.json.
        var layout = new BackupLayout(crashed.OutputDirectory);
        Directory.CreateDirectory(layout.MetricsDirectory("ws1/proj1/run0"));
        await File.WriteAllTextAsync(Path.Combine(layout.MetricsDirectory("ws1/proj1/run0"), AtomicFile.NewTempName()), "step,val");
        await File.WriteAllTextAsync(Path.Combine(layout.RunDirectory("ws0/proj0/run1"), AtomicFile.NewTempName()), "{\"cu");
        await File.AppendAllTextAsync(layout.CheckpointFile, "{\"runPath\":\"ws0/pr");
        File.Delete(layout.BackupInfoFile);

        var resumed = await CrawlRunner.RunAsync(crashed, Account(), null, CancellationToken.None);

        Assert.True(resumed.Complete);
        Assert.Equal((11, 1), (resumed.RunsSkipped, resumed.RunsDone));
        Assert.Equal(BackupTree.Hashes(fresh.OutputDirectory), BackupTree.Hashes(crashed.OutputDirectory));
        Assert.Empty(Directory.EnumerateFiles(crashed.OutputDirectory, AtomicFile.TempPrefix + "*", SearchOption.AllDirectories));
        Assert.True((await BackupVerifier.VerifyAsync(crashed.OutputDirectory, CancellationToken.None)).Ok);
    }

    public void Dispose()
    {
        try { Directory.Delete(_root, recursive: true); } catch (IOException) { }
    }
}
