using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using SwanLab.Bench.Harness;
using SwanLab.Emulator;
using static SwanLab.Bench.Harness.BenchContext;

namespace SwanLab.Bench.Scenarios;

/// <summary>Issue 13's cluster figures: one node against three at the same cluster-wide rate, and failover time.</summary>
public static class ClusterScale
{
    private const double RateLimit = 60;

    private static EmulatorOptions Dataset(BenchContext ctx) => new()
    {
        Size = DatasetSize.Large, Runs = ctx.Scale(240, 90), KeysPerRun = 4, PointsPerKey = 200, LatencyMs = 20,
    };

    /// <summary>11a: the same export at --rate-limit 60, one process and `--nodes 3`: the crawl part (first to last request).</summary>
    public static async Task<ScenarioResult> OverheadAsync(BenchContext ctx)
    {
        async Task<(WindowFigures Window, CrawlerRun Run)> CrawlAsync(string name, params string[] extra)
        {
            await using var server = await StartEmulatorAsync(Dataset(ctx));
            await using var window = new RequestWindow(server);
            var run = (await CrawlerProcess.RunAsync(ExportArgs(server, ctx.NewOutputDirectory(name),
                ["--rate-limit", F(RateLimit, "F0"), "--concurrency", "16", .. extra]))).EnsureExit();
            return (await window.CloseAsync(), run);
        }

        var one = await CrawlAsync("cluster-1");
        var three = await CrawlAsync("cluster-3", "--nodes", "3");
        var ratio = three.Window.Span.TotalSeconds / one.Window.Span.TotalSeconds;
        return new ScenarioResult(
            $"11a. cluster overhead: 3 nodes (--nodes 3) vs 1 at --rate-limit {F(RateLimit, "F0")} ({Dataset(ctx).Runs} runs)",
            $"crawl part 1 node {F(one.Window.Span.TotalSeconds, "F2")} s ({one.Window.Requests} requests, {F(one.Window.Requests / one.Window.Span.TotalSeconds)}/s), " +
            $"3 nodes {F(three.Window.Span.TotalSeconds, "F2")} s ({three.Window.Requests} requests, {F(three.Window.Requests / three.Window.Span.TotalSeconds)}/s, {three.Window.Throttled} 429s); " +
            $"whole process {F(one.Run.Wall.TotalSeconds, "F1")} s vs {F(three.Run.Wall.TotalSeconds, "F1")} s",
            "1 node's time",
            F(ratio, "F2"),
            "<= 1.10",
            ratio <= 1.10);
    }

    /// <summary>
    /// 11b: three processes (one command each), the third SIGKILLed once a third of the runs were read: the time from
    /// the kill until the first of its runs in flight is read again (exported elsewhere), and the crawl's outcome.
    /// </summary>
    public static async Task<ScenarioResult> FailoverAsync(BenchContext ctx)
    {
        var options = Dataset(ctx);
        await using var server = await StartEmulatorAsync(options);
        var folder = ctx.NewOutputDirectory("cluster-failover");
        var ports = FreePorts(3);
        var seed = $"127.0.0.1:{ports[0]}";
        string[] Node(int i) => [.. ExportArgs(server, folder, "--rate-limit", F(RateLimit, "F0"), "--concurrency", "8",
            "--cluster-host", "127.0.0.1", "--cluster-port", ports[i].ToString(System.Globalization.CultureInfo.InvariantCulture), "--seed-node", seed)];

        var clock = Stopwatch.StartNew();
        TimeSpan? killedAt = null;
        TimeSpan? resumedAt = null;
        HashSet<string> readBeforeKill = [];
        using var stop = new CancellationTokenSource();
        var sampler = Task.Run(async () =>
        {
            while (!stop.IsCancellationRequested)
            {
                if (killedAt is not null && resumedAt is null
                    && server.Stats.Snapshot().RunReads.Any(r => r.Value.Detail >= 2 && readBeforeKill.Contains(r.Key)))
                    resumedAt = clock.Elapsed;
                try { await Task.Delay(20, stop.Token); } catch (OperationCanceledException) { }
            }
        });
        var third = options.Runs!.Value / 3;
        var nodes = new[]
        {
            CrawlerProcess.RunAsync(Node(0), timeout: TimeSpan.FromMinutes(5)),
            CrawlerProcess.RunAsync(Node(1), timeout: TimeSpan.FromMinutes(5)),
            CrawlerProcess.RunAsync(Node(2), killWhen: () =>
            {
                var reads = server.Stats.Snapshot().RunReads;
                if (reads.Count < third) return false;
                readBeforeKill = [.. reads.Keys];
                killedAt = clock.Elapsed;
                return true;
            }, timeout: TimeSpan.FromMinutes(5)),
        };
        var runs = await Task.WhenAll(nodes);
        await stop.CancelAsync();
        await sampler;
        var reread = server.Stats.Snapshot().RunReads.Count(r => r.Value.Detail >= 2);
        var failover = resumedAt - killedAt;
        var ok = runs[0].ExitCode == 0 && runs[1].ExitCode == 0 && runs[2].Killed;
        return new ScenarioResult(
            $"11b. failover: 3 nodes, one SIGKILLed after {third} of {options.Runs} runs were read",
            (failover is { } f ? $"its runs read again {F(f.TotalSeconds, "F2")} s after the kill" : "no run of the killed node was read again (none in flight?)") +
            $"; {reread} runs exported twice; survivors exited {runs[0].ExitCode} and {runs[1].ExitCode}; whole crawl {F(Math.Max(runs[0].Wall.TotalSeconds, runs[1].Wall.TotalSeconds), "F1")} s",
            "10 s",
            failover is { } t ? F(t.TotalSeconds / 10, "F2") : "-",
            "<= 10 s",
            ok && failover is { TotalSeconds: <= 10 });
    }

    private static int[] FreePorts(int count)
    {
        var listeners = Enumerable.Range(0, count).Select(_ => new TcpListener(IPAddress.Loopback, 0)).ToList();
        listeners.ForEach(l => l.Start());
        var ports = listeners.Select(l => ((IPEndPoint)l.LocalEndpoint).Port).ToArray();
        listeners.ForEach(l => l.Stop());
        return ports;
    }
}
