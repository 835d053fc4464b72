using SwanLab.Client;
using SwanLab.Crawler.Crawl;
using SwanLab.Crawler.Source;
using SwanLab.Crawler.Tests.Backup;
using SwanLab.Emulator;
using SwanLab.Emulator.Data;

namespace SwanLab.Crawler.Tests.EndToEnd;

/// <summary>
/// Requests per run, counted by the emulator: under a server's rate limit they are the crawl's speed. A run's cost is
/// the difference between exporting 3 runs and 1 run of the same project, so discovery (login, listings) cancels out.
/// </summary>
public sealed class RequestCountSpecs : IDisposable
{
    private readonly string _root = Directory.CreateTempSubdirectory("swanlab-requests-").FullName;
    private static readonly CancellationToken None = CancellationToken.None;

    private CrawlSettings Settings(string dir) => new()
    {
        OutputDirectory = Path.Combine(_root, dir),
        Projects = ["alice/bench-000"],
        RunConcurrency = 4,
        SeriesConcurrency = 32,
        MaxUnitAttempts = 1,
    };

    private static async Task<(CrawlResult Result, EmulatorStatsSnapshot Stats)> ExportAsync(EmulatorOptions options, CrawlSettings settings)
    {
        await using var server = await EmulatorServer.StartAsync(options, None);
        await using var api = await EmulatorClient.ConnectAsync(server);
        var result = await CrawlRunner.RunAsync(settings, new SwanLabClientSource(api), null, None);
        Assert.True(result.Complete, string.Join("; ", result.Failures.Select(f => $"{f.RunPath}: {f.Error}")));
        return (result, server.Stats.Snapshot());
    }

    /// <summary>Requests of one run, per route: (3 runs - 1 run) / 2.</summary>
    private async Task<Dictionary<string, double>> PerRunAsync(int keys, CrawlSettings settings, bool legacy = false)
    {
        EmulatorOptions Options(int runs) => new() { Size = DatasetSize.Large, Runs = runs, KeysPerRun = keys, PointsPerKey = 150, Legacy = legacy };
        var (_, one) = await ExportAsync(Options(1), settings with { OutputDirectory = settings.OutputDirectory + "-1" });
        var (_, three) = await ExportAsync(Options(3), settings with { OutputDirectory = settings.OutputDirectory + "-3" });
        return three.RequestsByEndpoint.Keys.Union(one.RequestsByEndpoint.Keys)
            .ToDictionary(k => k, k => (three.RequestsByEndpoint.GetValueOrDefault(k) - one.RequestsByEndpoint.GetValueOrDefault(k)) / 2.0);
    }

    private static double Api(Dictionary<string, double> perRun) =>
        perRun.Where(e => e.Key.Contains(" /api/", StringComparison.Ordinal)).Sum(e => e.Value);

    [Fact]
    public async Task Should_export_a_run_with_4_keys_its_logs_and_no_media_in_at_most_7_api_requests()
    {
        // One run at a time, so the first run's full reads have proven the server's resume summary before the others.
        var perRun = await PerRunAsync(4, Settings("four") with { RunConcurrency = 1 });

        // Detail, scalar keys, resume summary (last steps, no media, last log epoch), one export, one presign, and the
        // log levels the run has (INFO and WARN on this exact-level server): no value statistics, no media listing.
        Assert.Equal(1, perRun["POST /api/house/metrics/scalar/export"]);
        Assert.Equal(1, perRun["POST /api/files/presigned/get"]);
        Assert.Equal(1, perRun["GET /api/house/metrics/summaries/{projectId}/{experimentId}"]);
        Assert.Equal(2, perRun["GET /api/house/metrics/log"]);
        Assert.Equal(1, perRun["GET /swanlab-private/{**key}"]);
        Assert.True(Api(perRun) <= 7, string.Join("; ", perRun.Where(e => e.Value != 0).Select(e => $"{e.Key}={e.Value}")));
    }

    [Fact]
    public async Task Should_still_list_media_when_no_log_read_proved_the_resume_summary()
    {
        var perRun = await PerRunAsync(4, Settings("unproven") with { RunConcurrency = 1, IncludeLogs = false });

        // Without a log read the summary's log epoch is never proven, so media is still listed; its scalar steps are.
        Assert.Equal(0, perRun.GetValueOrDefault("POST /api/house/metrics/scalar/value"));
        Assert.Equal(2, perRun["POST /api/house/metrics/{type}/keys"]);
        Assert.True(Api(perRun) <= 6, string.Join("; ", perRun.Where(e => e.Value != 0).Select(e => $"{e.Key}={e.Value}")));
    }

    [Theory]
    [InlineData(16, 1)]
    [InlineData(17, 2)]
    [InlineData(40, 3)]
    public async Task Should_make_no_more_than_one_export_per_16_keys(int keys, int exports)
    {
        var perRun = await PerRunAsync(keys, Settings("k" + keys) with { IncludeLogs = false, IncludeMedia = false });

        Assert.Equal(exports, perRun["POST /api/house/metrics/scalar/export"]);
        Assert.Equal(exports, perRun["POST /api/files/presigned/get"]);
        // Value statistics per 16 keys only until a run proved the resume summary's steps (runs go 4 at a time here).
        Assert.InRange(perRun.GetValueOrDefault("POST /api/house/metrics/scalar/value"), 0, exports);
    }

    [Fact]
    public async Task Should_make_fewer_exports_when_the_series_gate_has_fewer_slots_than_16()
    {
        var perRun = await PerRunAsync(12, Settings("narrow") with { SeriesConcurrency = 5, IncludeLogs = false, IncludeMedia = false });

        Assert.Equal(3, perRun["POST /api/house/metrics/scalar/export"]);
    }

    [Theory]
    [InlineData(ExportColumnStyle.RunCuid)]
    [InlineData(ExportColumnStyle.Reversed)]
    [InlineData(ExportColumnStyle.BareSorted)]
    public async Task Should_write_the_same_series_files_whatever_the_server_calls_and_orders_the_export_columns(ExportColumnStyle style)
    {
        var options = new EmulatorOptions { Size = DatasetSize.Large, Runs = 2, KeysPerRun = 6, PointsPerKey = 120 };
        var plain = Settings("plain") with { IncludeLogs = false, IncludeMedia = false };
        var styled = Settings("styled-" + style) with { IncludeLogs = false, IncludeMedia = false };
        await ExportAsync(options, plain);
        await ExportAsync(new EmulatorOptions { Size = DatasetSize.Large, Runs = 2, KeysPerRun = 6, PointsPerKey = 120, ExportColumns = style }, styled);

        Assert.Equal(BackupTree.Hashes(plain.OutputDirectory), BackupTree.Hashes(styled.OutputDirectory));
    }

    [Fact]
    public async Task Should_download_media_with_the_urls_the_listing_presigned()
    {
        var settings = Settings("media") with { Projects = [] };
        await using var server = await EmulatorServer.StartAsync(new EmulatorOptions { Size = DatasetSize.Tiny }, None);
        await using (var api = await EmulatorClient.ConnectAsync(server))
            Assert.True((await CrawlRunner.RunAsync(settings, new SwanLabClientSource(api), null, None)).Complete);

        var stats = server.Stats.Snapshot().RequestsByEndpoint;
        var files = server.Dataset.Runs.Sum(r => server.Dataset.DataOwner(r).Media.Sum(m => m.Steps.Sum(s => s.Items.Count)));
        Assert.True(files > 0);
        // One presign per listed key (all its paths at once), not one more per file downloaded.
        Assert.True(stats.GetValueOrDefault("POST /api/resources/presigned/get") <= stats.GetValueOrDefault("POST /api/house/metrics/f_media"),
            string.Join("; ", stats.Select(e => $"{e.Key}={e.Value}")));
    }

    [Theory]
    [InlineData(DatasetSize.Tiny)]
    [InlineData(DatasetSize.Demo)]
    public async Task Should_estimate_within_10_percent_the_requests_the_export_then_makes(DatasetSize size)
    {
        var settings = Settings("estimate-" + size) with { Projects = [] };
        await using var server = await EmulatorServer.StartAsync(new EmulatorOptions { Size = size }, None);
        long estimate;
        await using (var api = await EmulatorClient.ConnectAsync(server))
            estimate = (await CrawlPlanner.PlanAsync(settings, new SwanLabClientSource(api), None)).EstimatedRequests;

        var before = server.Stats.Snapshot().TotalRequests;
        await using (var api = await EmulatorClient.ConnectAsync(server))
            Assert.True((await CrawlRunner.RunAsync(settings, new SwanLabClientSource(api), null, None)).Complete);
        var made = server.Stats.Snapshot().TotalRequests - before;

        Assert.InRange(estimate, 0.9 * made, 1.1 * made);
    }

    public void Dispose()
    {
        try { Directory.Delete(_root, recursive: true); } catch (IOException) { }
    }
}
