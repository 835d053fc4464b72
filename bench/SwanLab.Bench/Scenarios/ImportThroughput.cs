using System.Diagnostics;
using System.Globalization;
using SwanLab.Bench.Harness;
using SwanLab.Emulator;
using static SwanLab.Bench.Harness.BenchContext;

namespace SwanLab.Bench.Scenarios;

/// <summary>
/// Scenario 10 (issue 11): import and migrate throughput. The emulators (source and target) run in the bench process,
/// the crawler as its own process, so its wall time, CPU and peak RSS are its own; the bench process's CPU over an
/// import is the target emulator's (storing, then serving the read-back).
/// </summary>
public static class ImportThroughput
{
    /// <summary>
    /// 10a: many small runs into a target with a request limit the crawler is not told, from a backup (import) and
    /// from a server without a limit (migrate); the rate the target served against its limit.
    /// </summary>
    public static async Task<IReadOnlyList<ScenarioResult>> RateLimitedAsync(BenchContext ctx)
    {
        var results = new List<ScenarioResult>();
        foreach (var (limit, runs) in new[] { (50.0, ctx.Scale(80, 20)), (200.0, ctx.Scale(300, 60)) })
        {
            await using var source = await StartEmulatorAsync(new EmulatorOptions { Size = DatasetSize.Large, Runs = runs, KeysPerRun = 4, PointsPerKey = 200 });
            var backup = ctx.NewOutputDirectory($"ratelimited-{limit:F0}");
            (await CrawlerProcess.RunAsync(ExportArgs(source, backup))).EnsureExit();
            // Told the limit (--rate-limit) the pacer spaces requests at it exactly; not told, it has to find it.
            foreach (var mode in new[] { "import", "migrate", "import, told" })
            {
                await using var target = await StartEmulatorAsync(new EmulatorOptions { Size = DatasetSize.Empty, RateLimit = limit });
                await using var window = new RequestWindow(target);
                var args = mode switch
                {
                    "import" => ImportArgs(target, backup),
                    "migrate" => MigrateArgs(source, target, ctx.NewOutputDirectory($"ratelimited-state-{limit:F0}")),
                    _ => [.. ImportArgs(target, backup), "--rate-limit", F(limit, "F0")],
                };
                var run = (await CrawlerProcess.RunAsync(args)).EnsureExit();
                var figures = await window.CloseAsync();
                var ratio = figures.ServedPerSecond / limit;
                var writes = target.Stats.Snapshot().Writes;
                results.Add(new ScenarioResult(
                    $"10a. {mode} into a {limit:F0} req/s target{(mode.EndsWith("told", StringComparison.Ordinal) ? " (--rate-limit)" : ", limit not told")} ({writes.ExperimentsCreated} runs, 4 keys each in most; uploads + read-back)",
                    $"{F(figures.ServedPerSecond)} req/s served over {F(figures.Span.TotalSeconds)} s; {figures.Requests} API requests, {figures.Throttled} answered 429 ({F(figures.ThrottledShare * 100, "F2")}%); {writes.PointsStored:N0} points, {writes.DuplicateSteps} duplicate steps; process {F(run.Wall.TotalSeconds)} s",
                    $"target limit {limit:F0} req/s",
                    F(ratio, "F3"),
                    ">= 90% of limit, < 3% 429s, 0 duplicates",
                    ratio >= 0.90 && figures.ThrottledShare < 0.03 && writes.DuplicateSteps == 0));
            }
        }

        return results;
    }

    /// <summary>10b/10c: one huge series imported (from a backup) and migrated (server to server), no limit; peak RSS at two sizes.</summary>
    public static async Task<IReadOnlyList<ScenarioResult>> BigSeriesAsync(BenchContext ctx)
    {
        var sizes = ctx.Quick ? new[] { 300_000, 1_000_000 } : new[] { 1_000_000, 5_000_000 };
        var results = new List<ScenarioResult>();
        var rss = new List<(string Mode, int Points, long Rss)>();
        await WarmUpTargetAsync(ctx);
        foreach (var points in sizes)
        {
            var sourceOptions = new EmulatorOptions { Size = DatasetSize.Large, Runs = 0, KeysPerRun = 0, HugeSeriesPoints = points };
            await using var source = await StartEmulatorAsync(sourceOptions);
            var backup = ctx.NewOutputDirectory($"huge-{points}");
            // Only the huge run: the dataset's other runs would blur a points/s figure for one series.
            var hugeProject = $"{source.Dataset.User.Username}/huge-series";
            (await CrawlerProcess.RunAsync(ExportArgs(source, backup, "--no-logs", "--no-media", "--project", hugeProject))).EnsureExit();

            foreach (var mode in new[] { "import", "migrate" })
            {
                await using var target = await StartEmulatorAsync(new EmulatorOptions { Size = DatasetSize.Empty });
                var args = mode == "import"
                    ? ImportArgs(target, backup)
                    : [.. MigrateArgs(source, target, ctx.NewOutputDirectory($"migrate-state-{points}")), "--project", hugeProject];
                var upload = new UploadWindow(target, points);
                var cpuBefore = Process.GetCurrentProcess().TotalProcessorTime;
                var run = (await CrawlerProcess.RunAsync(args)).EnsureExit();
                var serverCpu = Process.GetCurrentProcess().TotalProcessorTime - cpuBefore;
                var window = await upload.CloseAsync();
                var writes = target.Stats.Snapshot().Writes;
                if (writes.PointsStored != points)
                {
                    throw new BenchFailure($"{mode} stored {writes.PointsStored} of {points} points");
                }

                var uploading = window;
                var whole = points / run.Wall.TotalSeconds;
                rss.Add((mode, points, run.PeakRssBytes));
                results.Add(new ScenarioResult(
                    $"10b. {mode} {points:N0} points (one series), target without a limit",
                    $"{F(uploading / 1e3, "F0")}k points/s uploading (first to last point stored); {F(whole / 1e3, "F0")}k points/s over the whole process ({F(run.Wall.TotalSeconds, "F2")} s: start-up, uploads, read-back of every point); CPU per 1M points: crawler {F(run.Cpu.TotalSeconds * 1e6 / points, "F2")} s, target emulator {F(serverCpu.TotalSeconds * 1e6 / points, "F2")} s; peak RSS {Mb(run.PeakRssBytes)}; {writes.MetricRequests} metric requests, {writes.DuplicateSteps} duplicate steps",
                    "500,000 points/s",
                    F(uploading / 500_000, "F2") + "x",
                    ">= 500k points/s uploading, 0 duplicates",
                    uploading >= 500_000 && writes.DuplicateSteps == 0));
            }
        }

        foreach (var mode in new[] { "import", "migrate" })
        {
            var small = rss.First(r => r.Mode == mode);
            var large = rss.Last(r => r.Mode == mode);
            var ratio = (double)large.Rss / small.Rss;
            results.Add(new ScenarioResult(
                $"10c. {mode} peak RSS, {small.Points:N0} vs {large.Points:N0} points",
                $"{Mb(small.Rss)} vs {Mb(large.Rss)}",
                $"the {small.Points:N0}-point {mode}",
                F(ratio, "F2") + "x",
                "flat: within 1.2x for 5x the points",
                ratio <= 1.2));
        }

        return results;
    }

    /// <summary>
    /// A server is warm when an import runs against it: one unmeasured 200,000-point import into a throwaway in-process
    /// target JIT-compiles the emulator's upload and read-back paths, which the first measured import paid for before.
    /// </summary>
    private static async Task WarmUpTargetAsync(BenchContext ctx)
    {
        await using var source = await StartEmulatorAsync(new EmulatorOptions { Size = DatasetSize.Large, Runs = 0, KeysPerRun = 0, HugeSeriesPoints = 200_000 });
        var backup = ctx.NewOutputDirectory("warm-up");
        (await CrawlerProcess.RunAsync(ExportArgs(source, backup, "--no-logs", "--no-media", "--project", $"{source.Dataset.User.Username}/huge-series"))).EnsureExit();
        await using var target = await StartEmulatorAsync(new EmulatorOptions { Size = DatasetSize.Empty });
        (await CrawlerProcess.RunAsync(ImportArgs(target, backup))).EnsureExit();
    }

    private static List<string> ImportArgs(EmulatorServer target, string backup) =>
        ["import", "--from", backup, "--host", target.BaseUrl.ToString().TrimEnd('/'), "--api-key", target.ApiKey, "--json"];

    private static List<string> MigrateArgs(EmulatorServer source, EmulatorServer target, string state) =>
    [
        "migrate", "--from-host", source.BaseUrl.ToString().TrimEnd('/'), "--from-api-key", source.ApiKey,
        "--to-host", target.BaseUrl.ToString().TrimEnd('/'), "--to-api-key", target.ApiKey, "--state-dir", state, "--json",
    ];

    /// <summary>
    /// Points stored per second from the first sample that saw points stored to the one that saw them all (sampled
    /// every 5 ms; the points of that first sample are not counted, since their request began before the window).
    /// </summary>
    private sealed class UploadWindow
    {
        private readonly CancellationTokenSource _stop = new();
        private readonly Task<double> _sampler;

        public UploadWindow(EmulatorServer target, long points)
        {
            _sampler = Task.Run(async () =>
            {
                var clock = Stopwatch.StartNew();
                (TimeSpan At, long Stored)? first = null;
                while (!_stop.IsCancellationRequested)
                {
                    var stored = target.Stats.Writes.Snapshot().PointsStored;
                    if (stored > 0)
                    {
                        first ??= (clock.Elapsed, stored);
                    }

                    if (stored >= points)
                    {
                        var span = (clock.Elapsed - first!.Value.At).TotalSeconds;
                        return span > 0 ? (stored - first.Value.Stored) / span : double.PositiveInfinity;
                    }

                    await Task.Delay(5);
                }

                return 0;
            });
        }

        /// <summary>Points per second while uploading.</summary>
        public async Task<double> CloseAsync()
        {
            await _stop.CancelAsync();
            var span = await _sampler;
            _stop.Dispose();
            return span;
        }
    }
}
