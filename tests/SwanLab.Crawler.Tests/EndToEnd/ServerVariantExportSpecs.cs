using System.Text.Json;
using SwanLab.Client;
using SwanLab.Crawler.Backup;
using SwanLab.Crawler.Crawl;
using SwanLab.Crawler.Source;
using SwanLab.Crawler.Tests.Backup;
using SwanLab.Emulator;
using SwanLab.Emulator.Data;

namespace SwanLab.Crawler.Tests.EndToEnd;

/// <summary>
/// Exports of servers that differ from the House emulator where the SDK leaves room: a 0.7.8-era server without
/// /api/house, servers without the logs, media or summaries routes, and every log paging and level reading. Each is
/// complete for what the server has, says once what it lacks, and passes verify.
/// </summary>
public sealed class ServerVariantExportSpecs : IDisposable
{
    private static readonly CancellationToken None = CancellationToken.None;
    private readonly string _root = Path.Combine(Path.GetTempPath(), "swanlab-variants-" + Guid.NewGuid().ToString("N"));

    public void Dispose()
    {
        if (Directory.Exists(_root)) Directory.Delete(_root, recursive: true);
    }

    private CrawlSettings Settings(string dir) => new()
    {
        OutputDirectory = Path.Combine(_root, dir),
        RunConcurrency = 4,
        SeriesConcurrency = 8,
        ChannelCapacity = 64,
        MaxUnitAttempts = 2,
        UnitBackoffMin = TimeSpan.FromMilliseconds(5),
        UnitBackoffMax = TimeSpan.FromMilliseconds(20),
    };

    private static Task<SwanLabApi> ConnectAsync(EmulatorServer server) => EmulatorClient.ConnectAsync(server, maxRetries: 3);

    private static async Task<(CrawlResult Result, EmulatorDataset Data)> ExportAsync(EmulatorOptions options, CrawlSettings settings)
    {
        await using var server = await EmulatorServer.StartAsync(options, None);
        await using var api = await ConnectAsync(server);
        var result = await CrawlRunner.RunAsync(settings, new SwanLabClientSource(api), null, None);
        return (result, server.Dataset);
    }

    private static string PathOf(EmulatorRun run) => $"{run.Project.Workspace.Username}/{run.Project.Name}/{run.Cuid}";

    /// <summary>Every run complete, every point, every log line once in epoch order where the server serves logs, verify clean.</summary>
    private static async Task AssertCompleteAsync(CrawlResult result, EmulatorDataset data, string dir, bool logs, bool media)
    {
        Assert.True(result.Complete, string.Join("; ", result.Failures.Select(f => $"{f.RunPath}: {f.Error}")));
        Assert.Equal(0, result.RunsFailed);
        Assert.Equal(data.Runs.Count, result.RunsDone);
        Assert.Equal(data.Runs.Sum(r => data.DataOwner(r).Scalars.Sum(s => (long)s.Count)), result.Points);
        var layout = new BackupLayout(dir);
        foreach (var run in data.Runs)
        {
            var owner = data.DataOwner(run);
            var file = layout.LogsFile(PathOf(run));
            var epochs = File.Exists(file)
                ? File.ReadAllLines(file).Select(l => JsonDocument.Parse(l).RootElement.GetProperty("epoch").GetInt64()).ToList()
                : [];
            Assert.Equal(logs ? owner.LogLines.All().Select(l => l.Epoch) : [], epochs);
            var mediaDir = Path.Combine(layout.RunDirectory(PathOf(run)), BackupLayout.MediaFolderName);
            var mediaFiles = Directory.Exists(mediaDir) ? Directory.EnumerateFiles(mediaDir, "*", SearchOption.AllDirectories).Count() : 0;
            Assert.Equal(media ? owner.Media.Sum(m => m.Steps.Sum(s => s.Items.Count)) : 0, mediaFiles);
        }
        var report = await BackupVerifier.VerifyAsync(dir, None);
        Assert.True(report.Ok, string.Join("; ", report.Problems));
    }

    private static async Task<IReadOnlyList<UnavailableRead>> UnavailableInBackupJsonAsync(string dir) =>
        (await BackupInfo.ReadAsync(new BackupLayout(dir), None))!.Unavailable;

    [Fact]
    public async Task Should_back_up_a_legacy_server_with_the_same_runs_configs_and_points_as_the_house_server_of_the_same_seed()
    {
        var house = Settings("house");
        var legacy = Settings("legacy");
        var (houseResult, data) = await ExportAsync(new EmulatorOptions { Seed = 7, Size = DatasetSize.Tiny }, house);
        var (legacyResult, _) = await ExportAsync(new EmulatorOptions { Seed = 7, Size = DatasetSize.Tiny, Legacy = true }, legacy);

        await AssertCompleteAsync(houseResult, data, house.OutputDirectory, logs: true, media: true);
        await AssertCompleteAsync(legacyResult, data, legacy.OutputDirectory, logs: false, media: false);
        Assert.Empty(await UnavailableInBackupJsonAsync(house.OutputDirectory));
        var unavailable = await UnavailableInBackupJsonAsync(legacy.OutputDirectory);
        // The legacy server still answers the 0.7.8 OpenApi summaries (array body), so only logs and media are missing.
        Assert.Equal(["logs", "media"], unavailable.Select(u => u.Capability));
        Assert.All(unavailable, u => Assert.Contains("answered HTTP 404", u.Answer, StringComparison.Ordinal));
        Assert.Equal(unavailable, legacyResult.Unavailable);

        // Identical: every run.json (configs included), workspace.json, series file and metrics/index.json (the legacy
        // server's 0.7.8 summaries give the same last steps as the House value statistics). What may differ:
        // project.json (a 0.7.8-era server's projects predate multi-view projects and carry no "version"), logs.jsonl,
        // media/ and media.jsonl (the legacy server has no such reads), and the manifest and backup.json that describe them.
        static bool Comparable(string path) =>
            !path.EndsWith("/" + BackupLayout.ProjectFileName, StringComparison.Ordinal) &&
            !path.EndsWith("/" + BackupLayout.LogsFileName, StringComparison.Ordinal) &&
            !path.EndsWith("/" + BackupLayout.MediaIndexFileName, StringComparison.Ordinal) &&
            !path.Contains("/" + BackupLayout.MediaFolderName + "/", StringComparison.Ordinal) &&
            path != BackupLayout.ManifestFileName;
        var houseFiles = BackupTree.Hashes(house.OutputDirectory).Where(f => Comparable(f.Key)).ToList();
        var legacyFiles = BackupTree.Hashes(legacy.OutputDirectory).Where(f => Comparable(f.Key)).ToList();
        Assert.Equal(houseFiles, legacyFiles);
        Assert.Contains(houseFiles, f => f.Key.EndsWith("/run.json", StringComparison.Ordinal));
        Assert.Contains(houseFiles, f => f.Key.Contains("/metrics/", StringComparison.Ordinal));
    }

    public static TheoryData<EmulatorRoutes> AbsentRoutes() => new()
    {
        EmulatorRoutes.Logs, EmulatorRoutes.Media, EmulatorRoutes.Summaries, EmulatorRoutes.Logs | EmulatorRoutes.Media | EmulatorRoutes.Summaries,
    };

    [Theory]
    [MemberData(nameof(AbsentRoutes))]
    public async Task Should_export_everything_else_when_an_optional_route_is_absent(EmulatorRoutes absent)
    {
        var settings = Settings("absent");
        var (result, data) = await ExportAsync(new EmulatorOptions { Seed = 7, Size = DatasetSize.Tiny, AbsentRoutes = absent }, settings);

        await AssertCompleteAsync(result, data, settings.OutputDirectory,
            logs: !absent.HasFlag(EmulatorRoutes.Logs), media: !absent.HasFlag(EmulatorRoutes.Media));
        // Summaries are only asked of a server without value statistics: a House server that lacks them loses nothing.
        var expected = new[] { (EmulatorRoutes.Logs, "logs"), (EmulatorRoutes.Media, "media") }
            .Where(r => absent.HasFlag(r.Item1)).Select(r => r.Item2);
        var unavailable = await UnavailableInBackupJsonAsync(settings.OutputDirectory);
        Assert.Equal(expected, unavailable.Select(u => u.Capability));
        Assert.All(unavailable, u => Assert.EndsWith("answered HTTP 404 Not Found: No route", u.Answer, StringComparison.Ordinal));
    }

    [Fact]
    public async Task Should_keep_recording_an_unavailable_read_when_a_resumed_export_asks_the_server_nothing()
    {
        var settings = Settings("resumed");
        await using var server = await EmulatorServer.StartAsync(
            new EmulatorOptions { Seed = 7, Size = DatasetSize.Tiny, AbsentRoutes = EmulatorRoutes.Logs }, None);
        await using var api = await ConnectAsync(server);
        var first = await CrawlRunner.RunAsync(settings, new SwanLabClientSource(api), null, None);
        // The second export (a fresh client: it has learnt nothing) skips the finished runs and, without logs, never asks the log route.
        await using var freshApi = await ConnectAsync(server);
        var again = await CrawlRunner.RunAsync(settings with { IncludeLogs = false }, new SwanLabClientSource(freshApi), null, None);

        Assert.True(first.Complete);
        Assert.True(again.RunsSkipped > 0);
        Assert.Empty(again.Unavailable);
        Assert.Equal(["logs"], (await UnavailableInBackupJsonAsync(settings.OutputDirectory)).Select(u => u.Capability));
    }

    public static TheoryData<LogPagingReading, LogLevelReading> LogReadings()
    {
        var data = new TheoryData<LogPagingReading, LogLevelReading>();
        foreach (var paging in Enum.GetValues<LogPagingReading>())
            foreach (var levels in Enum.GetValues<LogLevelReading>())
                data.Add(paging, levels);
        return data;
    }

    [Theory]
    [MemberData(nameof(LogReadings))]
    public async Task Should_export_every_log_line_exactly_once_whatever_the_servers_log_reading(LogPagingReading paging, LogLevelReading levels)
    {
        var settings = Settings("logs") with { IncludeMedia = false };
        var (result, data) = await ExportAsync(new EmulatorOptions
        {
            Seed = 7, Size = DatasetSize.Tiny, LogLinesPerRun = 2500, LogPaging = paging, LogLevels = levels,
        }, settings);

        await AssertCompleteAsync(result, data, settings.OutputDirectory, logs: true, media: false);
        Assert.Contains(data.Runs, r => data.DataOwner(r).LogLines.Count == 2500);
        Assert.Empty(await UnavailableInBackupJsonAsync(settings.OutputDirectory));
    }
}
