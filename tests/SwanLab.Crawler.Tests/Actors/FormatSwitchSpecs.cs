using SwanLab.Crawler.Backup;
using SwanLab.Crawler.Crawl;
using SwanLab.Crawler.Tests.Backup;

namespace SwanLab.Crawler.Tests.Actors;

/// <summary>Exporting again into a folder with another --format or --sample: the backup ends up as a fresh one would.</summary>
public sealed class FormatSwitchSpecs : IDisposable
{
    private readonly string _root = Path.Combine(Path.GetTempPath(), "swanlab-format-switch-" + Guid.NewGuid().ToString("N"));
    private static readonly CancellationToken None = CancellationToken.None;

    private CrawlSettings Settings(string dir, SeriesFormat format, int? sample = null) => new()
    {
        OutputDirectory = Path.Combine(_root, dir),
        Format = format,
        Sample = sample,
        RunConcurrency = 3,
        SeriesConcurrency = 3,
        ChannelCapacity = 8,
        UnitBackoffMin = TimeSpan.FromMilliseconds(1),
        UnitBackoffMax = TimeSpan.FromMilliseconds(5),
    };

    private static ScriptedSource Account() => ScriptedSource.Account(1, 2, 3, series: 2, points: 9);

    [Theory]
    [InlineData(SeriesFormat.Csv, SeriesFormat.Parquet)]
    [InlineData(SeriesFormat.Parquet, SeriesFormat.Jsonl)]
    public async Task Should_export_every_run_again_in_the_new_format_and_leave_no_old_series_files(SeriesFormat before, SeriesFormat after)
    {
        var fresh = Settings("fresh", after);
        await CrawlRunner.RunAsync(fresh, Account(), null, None);
        var switched = Settings("switched", before);
        await CrawlRunner.RunAsync(switched, Account(), null, None);

        var source = Account();
        var result = await CrawlRunner.RunAsync(switched with { Format = after }, source, null, None);

        Assert.True(result.Complete);
        Assert.Equal((0, 6), (result.RunsSkipped, result.RunsDone));
        Assert.Empty(Directory.EnumerateFiles(switched.OutputDirectory, "*" + BackupLayout.SeriesExtension(before), SearchOption.AllDirectories));
        Assert.Equal(BackupTree.Hashes(fresh.OutputDirectory), BackupTree.Hashes(switched.OutputDirectory));
        Assert.True((await BackupVerifier.VerifyAsync(switched.OutputDirectory, None)).Ok);

        // Same format again: now the runs are skipped as usual.
        var again = await CrawlRunner.RunAsync(switched with { Format = after }, Account(), null, None);
        Assert.Equal((6, 0), (again.RunsSkipped, again.RunsDone));
    }

    [Fact]
    public async Task Should_remove_only_series_files_it_recorded_when_the_format_changes()
    {
        var settings = Settings("mine", SeriesFormat.Csv);
        await CrawlRunner.RunAsync(settings, Account(), null, None);
        var layout = new BackupLayout(settings.OutputDirectory);
        var mine = Path.Combine(layout.MetricsDirectory("ws0/proj0/run0"), "my-notes.csv");
        await File.WriteAllTextAsync(mine, "step,value\n");

        var result = await CrawlRunner.RunAsync(settings with { Format = SeriesFormat.Jsonl }, Account(), null, None);

        Assert.True(result.Complete);
        Assert.True(File.Exists(mine)); // not the tool's: never deleted (and never adopted)
        Assert.Equal([mine], Directory.EnumerateFiles(settings.OutputDirectory, "*.csv", SearchOption.AllDirectories));
        var report = await BackupVerifier.VerifyAsync(settings.OutputDirectory, None);
        Assert.True(report.Ok);
        Assert.Equal("ws0/proj0/run0/metrics/my-notes.csv", Assert.Single(report.Extras).Path);
    }

    [Fact]
    public async Task Should_export_every_run_again_when_the_sample_size_changes()
    {
        var settings = Settings("sampled", SeriesFormat.Parquet);
        await CrawlRunner.RunAsync(settings, Account(), null, None);

        // The scripted source does not downsample; 50 is above its 9 points per series, so nothing is cut either way.
        var result = await CrawlRunner.RunAsync(settings with { Sample = 50 }, Account(), null, None);

        Assert.True(result.Complete, string.Join("; ", result.Failures.Select(f => $"{f.RunPath}: {f.ErrorKind} {f.Error}")));
        Assert.Equal((0, 6), (result.RunsSkipped, result.RunsDone));
        var layout = new BackupLayout(settings.OutputDirectory);
        Assert.Equal(new SeriesVariant(SeriesFormat.Parquet, 50, 6), Assert.Single((await BackupInfo.ReadAsync(layout, None))!.Series));
        foreach (var index in Directory.EnumerateFiles(settings.OutputDirectory, BackupLayout.MetricsIndexFileName, SearchOption.AllDirectories))
            Assert.Equal(50, (await MetricsIndex.ReadAsync(index, None)).Sample);
    }

    public void Dispose()
    {
        try { Directory.Delete(_root, recursive: true); } catch (IOException) { }
    }
}
