using SwanLab.Client;
using SwanLab.Crawler.Backup;
using SwanLab.Crawler.Crawl;
using SwanLab.Crawler.Source;
using SwanLab.Crawler.Tests.Backup;
using SwanLab.Emulator.Data;
using SwanLab.Emulator;

namespace SwanLab.Crawler.Tests.EndToEnd;

/// <summary>Exports from the in-process emulator through SwanLab.Client, the actors and the real storage.</summary>
public sealed class EmulatorExportSpecs : IDisposable
{
    private readonly string _root = Path.Combine(Path.GetTempPath(), "swanlab-e2e-" + Guid.NewGuid().ToString("N"));
    private static readonly CancellationToken None = CancellationToken.None;

    private CrawlSettings Settings(string dir) => new()
    {
        OutputDirectory = Path.Combine(_root, dir),
        RunConcurrency = 4,
        SeriesConcurrency = 8,
        ChannelCapacity = 64,
        MaxUnitAttempts = 5,
        UnitBackoffMin = TimeSpan.FromMilliseconds(5),
        UnitBackoffMax = TimeSpan.FromMilliseconds(50),
    };

    /// <summary>Connects the way the CLI does: one shared pacer that slows down when the server answers 429.</summary>
    private static Task<SwanLabApi> ConnectAsync(EmulatorServer server) => EmulatorClient.ConnectAdaptiveAsync(server);

    private static async Task<(CrawlResult Result, EmulatorDataset Data)> ExportAsync(EmulatorOptions options, CrawlSettings settings)
    {
        var (result, data, _) = await ExportWithStatsAsync(options, settings);
        return (result, data);
    }

    private static async Task<(CrawlResult Result, EmulatorDataset Data, EmulatorStatsSnapshot Stats)> ExportWithStatsAsync(
        EmulatorOptions options, CrawlSettings settings)
    {
        await using var server = await EmulatorServer.StartAsync(options, None);
        await using var api = await ConnectAsync(server);
        var result = await CrawlRunner.RunAsync(settings, new SwanLabClientSource(api), null, None);
        return (result, server.Dataset, server.Stats.Snapshot());
    }

    [Fact]
    public async Task Should_export_every_run_field_and_point_the_emulator_has()
    {
        var settings = Settings("full");
        await using var server = await EmulatorServer.StartAsync(new EmulatorOptions { Size = DatasetSize.Tiny }, None);
        await using var api = await ConnectAsync(server);

        var result = await CrawlRunner.RunAsync(settings, new SwanLabClientSource(api), null, None);

        var data = server.Dataset;
        Assert.True(result.Complete, string.Join("; ", result.Failures.Select(f => $"{f.RunPath}: {f.Error}")));
        Assert.Equal(data.Runs.Count, result.RunsDone);
        Assert.Equal(data.Runs.Sum(r => data.DataOwner(r).Scalars.Sum(s => (long)s.Count)), result.Points);
        Assert.True(result.Points > 0);
        var layout = new BackupLayout(settings.OutputDirectory);
        foreach (var run in data.Runs)
        {
            var path = $"{run.Project.Workspace.Username}/{run.Project.Name}/{run.Cuid}";
            var expectedJson = CanonicalJson.Serialize((await api.RunAsync(path, None)).Json());
            Assert.Equal(expectedJson, await File.ReadAllBytesAsync(layout.RunFile(path)));

            var owner = data.DataOwner(run);
            var index = await MetricsIndex.ReadAsync(layout.MetricsIndexFile(path), None);
            Assert.Equal(owner.Scalars.Select(s => s.Key).Order(StringComparer.Ordinal), index.Series.Select(s => s.Key));
            foreach (var series in owner.Scalars)
            {
                var file = Path.Combine(layout.MetricsDirectory(path), index.Series.Single(s => s.Key == series.Key).File);
                var written = new List<SeriesPoint>();
                await foreach (var point in SeriesFileReader.ReadAsync(file, None)) written.Add(point);
                var expected = series.Points().Select(p => new SeriesPoint(p.Step, p.Value, p.Timestamp)).ToList();
                Assert.Equal(expected, written);
            }

            var logLines = File.Exists(layout.LogsFile(path)) ? File.ReadAllLines(layout.LogsFile(path)).Length : 0;
            Assert.Equal(owner.LogLines.Count, logLines);
            var mediaFiles = owner.Media.Sum(m => m.Steps.Sum(s => s.Items.Count));
            var mediaDir = Path.Combine(layout.RunDirectory(path), BackupLayout.MediaFolderName);
            Assert.Equal(mediaFiles, Directory.Exists(mediaDir) ? Directory.EnumerateFiles(mediaDir, "*", SearchOption.AllDirectories).Count() : 0);
        }

        var report = await BackupVerifier.VerifyAsync(settings.OutputDirectory, None);
        Assert.True(report.Ok, string.Join("; ", report.Problems));
    }

    [Fact]
    public async Task Should_export_exactly_the_selected_state_project_and_run()
    {
        var everything = Settings("all");
        var (all, data) = await ExportAsync(new EmulatorOptions { Size = DatasetSize.Tiny }, everything);
        Assert.True(all.Complete);

        var finished = Settings("finished") with { Filter = new RunFilter(["FINISHED"], new Dictionary<string, string>()) };
        var (byState, _) = await ExportAsync(new EmulatorOptions { Size = DatasetSize.Tiny }, finished);
        Assert.Equal(data.Runs.Count(r => r.State == "FINISHED"), byState.RunsDone);
        Assert.All(RunDirectories(finished.OutputDirectory), dir =>
            Assert.Contains("FINISHED", File.ReadAllText(Path.Combine(dir, BackupLayout.RunFileName)), StringComparison.Ordinal));

        var project = data.Projects.First(p => p.Runs.Count > 1);
        var oneProject = Settings("project") with { Projects = [project.Path] };
        var (byProject, _) = await ExportAsync(new EmulatorOptions { Size = DatasetSize.Tiny }, oneProject);
        Assert.Equal((1, 1, project.Runs.Count), (byProject.Workspaces, byProject.Projects, byProject.RunsDone));

        var run = project.Runs[^1];
        var oneRun = Settings("run") with { Runs = [$"{project.Path}/{run.Cuid}"] };
        var (byRun, _) = await ExportAsync(new EmulatorOptions { Size = DatasetSize.Tiny }, oneRun);
        Assert.Equal(1, byRun.RunsDone);
        var runDir = Assert.Single(RunDirectories(oneRun.OutputDirectory));
        // The selected run's files are exactly those of the full export.
        var relative = Path.GetRelativePath(oneRun.OutputDirectory, runDir);
        Assert.Equal(BackupTree.Hashes(Path.Combine(everything.OutputDirectory, relative)), BackupTree.Hashes(runDir));
    }

    [Fact]
    public async Task Should_give_the_same_backup_through_faults_truncation_and_rate_limiting()
    {
        var clean = Settings("clean");
        var (cleanResult, _) = await ExportAsync(new EmulatorOptions { Size = DatasetSize.Tiny }, clean);
        Assert.True(cleanResult.Complete);

        var faulty = Settings("faulty");
        var (faultyResult, _, stats) = await ExportWithStatsAsync(new EmulatorOptions
        {
            Size = DatasetSize.Tiny, FailRate = 0.2, ResetRate = 0.05, TruncateRate = 0.05, RateLimit = 30,
        }, faulty);

        Assert.True(stats.InjectedFailures > 0 && stats.InjectedResets > 0 && stats.RateLimited > 0, stats.ToString());
        Assert.True(faultyResult.Complete, string.Join("; ", faultyResult.Failures.Select(f => $"{f.RunPath}: {f.ErrorKind} {f.Error}")));
        Assert.Equal(BackupTree.Hashes(clean.OutputDirectory), BackupTree.Hashes(faulty.OutputDirectory));
    }

    [Fact]
    public async Task Should_give_the_same_backup_when_many_downloads_are_cut_short()
    {
        var clean = Settings("clean");
        await ExportAsync(new EmulatorOptions { Size = DatasetSize.Tiny }, clean);

        var truncated = Settings("truncated");
        var (result, _, stats) = await ExportWithStatsAsync(new EmulatorOptions { Size = DatasetSize.Tiny, TruncateRate = 0.3 }, truncated);

        Assert.True(stats.InjectedTruncations > 0, stats.ToString());
        Assert.True(result.Complete, string.Join("; ", result.Failures.Select(f => $"{f.RunPath}: {f.ErrorKind} {f.Error}")));
        Assert.Equal(BackupTree.Hashes(clean.OutputDirectory), BackupTree.Hashes(truncated.OutputDirectory));
    }

    [Theory]
    [InlineData(20, SeriesFormat.Csv)]
    [InlineData(3000, SeriesFormat.Jsonl)]
    public async Task Should_export_sampled_series_that_end_at_the_real_last_step(int sample, SeriesFormat format)
    {
        var settings = Settings("sampled") with { Sample = sample, Format = format };
        var (result, data) = await ExportAsync(new EmulatorOptions { Size = DatasetSize.Tiny }, settings);

        Assert.True(result.Complete, string.Join("; ", result.Failures.Select(f => $"{f.RunPath}: {f.ErrorKind} {f.Error}")));
        var layout = new BackupLayout(settings.OutputDirectory);
        foreach (var run in data.Runs)
        {
            var path = $"{run.Project.Workspace.Username}/{run.Project.Name}/{run.Cuid}";
            var index = await MetricsIndex.ReadAsync(layout.MetricsIndexFile(path), None);
            Assert.Equal((format, (int?)sample), (index.Format, index.Sample));
            foreach (var series in data.DataOwner(run).Scalars)
            {
                var entry = index.Series.Single(s => s.Key == series.Key);
                Assert.InRange(entry.Points, Math.Min(series.Count, 1), Math.Min(series.Count, sample));
                Assert.Equal(series.LastStep, entry.LastStep);
            }
        }
        Assert.True((await BackupVerifier.VerifyAsync(settings.OutputDirectory, None)).Ok);
    }

    private static IEnumerable<string> RunDirectories(string root) =>
        Directory.EnumerateFiles(root, BackupLayout.RunFileName, SearchOption.AllDirectories).Select(Path.GetDirectoryName)!;

    public void Dispose()
    {
        try { Directory.Delete(_root, recursive: true); } catch (IOException) { }
    }
}
