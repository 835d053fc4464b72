using System.Diagnostics;
using SwanLab.Bench.Harness;
using SwanLab.Emulator;
using static SwanLab.Bench.Harness.BenchContext;

namespace SwanLab.Bench.Scenarios;

/// <summary>Issue 10 items 4 and 5: requests per run, the demo's crawl time, and the pacer's ramp to an unknown limit.</summary>
public static class RequestBudget
{
    /// <summary>
    /// 9a: API requests of one 4-key run without media, as the difference of two crawls so discovery cancels out:
    /// (41 runs - 21 runs) / 20 once the first runs proved the server's resume summary (a long crawl's cost per run),
    /// and (21 - 1) / 20 with those first runs in it.
    /// </summary>
    public static async Task<ScenarioResult> RequestsPerRunAsync(BenchContext ctx)
    {
        async Task<long> ApiRequestsAsync(int runs)
        {
            await using var server = await StartEmulatorAsync(new EmulatorOptions { Size = DatasetSize.Large, Runs = runs, KeysPerRun = 4, PointsPerKey = 100 });
            (await CrawlerProcess.RunAsync(ExportArgs(server, ctx.NewOutputDirectory($"per-run-{runs}"), "--project", "alice/bench-000"))).EnsureExit();
            return server.Stats.Snapshot().ApiRequests;
        }

        var one = await ApiRequestsAsync(1);
        var many = await ApiRequestsAsync(21);
        var more = await ApiRequestsAsync(41);
        var perRun = (more - many) / 20.0;
        var withFirst = (many - one) / 20.0;
        return new ScenarioResult(
            "9a. API requests per run (4 scalar keys, 20 log lines INFO+WARN, a sixth of runs CRASHED with an ERROR line too, no media)",
            $"{F(perRun, "F2")} per run ((41-run crawl {more} - 21-run crawl {many}) / 20); {F(withFirst, "F2")} with the first runs that prove the resume summary ((21 - 1-run {one}) / 20); 10 before the resume summary, 16 before issue 10",
            "7 per run",
            F(perRun / 7, "F2"),
            "<= 7 per run",
            perRun <= 7);
    }

    /// <summary>9b: the demo dataset against a server without a limit: the crawl part (first to last request).</summary>
    public static async Task<ScenarioResult> DemoCrawlTimeAsync(BenchContext ctx)
    {
        await using var server = await StartEmulatorAsync(new EmulatorOptions { Size = DatasetSize.Demo });
        await using var window = new RequestWindow(server);
        var crawl = (await CrawlerProcess.RunAsync(ExportArgs(server, ctx.NewOutputDirectory("demo")))).EnsureExit();
        var figures = await window.CloseAsync();
        return new ScenarioResult(
            "9b. demo export against a server without a limit (59 runs)",
            $"crawl part {F(figures.Span.TotalSeconds, "F2")} s (first to last request), {figures.Requests} API requests, {figures.Throttled} 429s; whole process {F(crawl.Wall.TotalSeconds, "F2")} s",
            "2 s",
            F(figures.Span.TotalSeconds / 2, "F2"),
            "< 2 s",
            figures.Span.TotalSeconds < 2);
    }

    /// <summary>9c: an unknown limit: when does the served rate first reach 90% of it, and how many 429s does finding it cost.</summary>
    public static async Task<IReadOnlyList<ScenarioResult>> RampAsync(BenchContext ctx)
    {
        var results = new List<ScenarioResult>();
        foreach (var limit in new[] { 20.0, 50.0, 200.0 })
        {
            // About 15 s of requests at the limit (about 7.5 API requests per run).
            var runs = ctx.Scale((int)(limit * 2), (int)limit);
            await using var server = await StartEmulatorAsync(new EmulatorOptions
            {
                Size = DatasetSize.Large, Runs = runs, KeysPerRun = 4, PointsPerKey = 100, LatencyMs = 20, RateLimit = limit,
            });
            var samples = new List<(double T, long Api, long Throttled)>();
            using var stop = new CancellationTokenSource();
            var clock = Stopwatch.StartNew();
            var sampler = Task.Run(async () =>
            {
                while (!stop.IsCancellationRequested)
                {
                    var s = server.Stats.Snapshot();
                    lock (samples) samples.Add((clock.Elapsed.TotalSeconds, s.ApiRequests, s.RateLimited));
                    try { await Task.Delay(20, stop.Token); } catch (OperationCanceledException) { }
                }
            });
            (await CrawlerProcess.RunAsync(ExportArgs(server, ctx.NewOutputDirectory($"ramp-{limit}"), "--concurrency", "32"))).EnsureExit();
            await stop.CancelAsync();
            await sampler;

            var start = samples.First(s => s.Api > 0);
            // Served = API requests minus 429s; the first second-long window whose served rate reaches 90% of the limit.
            double? reached = null;
            foreach (var s in samples.Where(s => s.T >= start.T + 1))
            {
                var before = samples.Last(p => p.T <= s.T - 1);
                if ((s.Api - s.Throttled) - (before.Api - before.Throttled) >= 0.9 * limit)
                {
                    reached = s.T - start.T;
                    break;
                }
            }
            var end = samples[^1];
            var firstTwo = samples.Last(s => s.T <= start.T + 2);
            var share = end.Api > 0 ? (double)end.Throttled / end.Api : 0;
            // When the 429s of the first 2 s came (from the crawl's first request), sampled every 20 ms.
            var early = string.Join(" ", samples.Zip(samples.Skip(1))
                .Where(p => p.Second.Throttled > p.First.Throttled && p.Second.T <= start.T + 2)
                .Select(p => $"{F(p.Second.T - start.T, "F2")}s:{p.Second.Throttled - p.First.Throttled}"));
            var shareTwo = firstTwo.Api > 0 ? (double)firstTwo.Throttled / firstTwo.Api : 0;
            results.Add(new ScenarioResult(
                $"9c. pacer ramp to an unknown {F(limit, "F0")} req/s limit ({runs} runs x 4 keys, 20 ms latency)",
                $"90% of the limit served after {(reached is { } r ? F(r, "F2") + " s" : "never")}; 429s {F(share * 100, "F2")}% of {end.Api} API requests over the crawl ({F(end.T - start.T)} s), {F(shareTwo * 100, "F1")}% ({firstTwo.Throttled} of {firstTwo.Api}) in its first 2 s{(early.Length > 0 ? " (at " + early + ")" : "")}",
                "2 s; 3% 429s",
                reached is { } t ? F(t / 2, "F2") : "-",
                "90% within 2 s, < 3% 429s (whole crawl and first 2 s)",
                reached <= 2 && share < 0.03 && shareTwo < 0.03));
        }

        return results;
    }
}
