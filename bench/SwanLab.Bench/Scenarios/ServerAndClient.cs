using System.Diagnostics;
using System.Globalization;
using System.Net;
using SwanLab.Bench.Harness;
using SwanLab.Client;
using SwanLab.Emulator;
using static SwanLab.Bench.Harness.BenchContext;

namespace SwanLab.Bench.Scenarios;

/// <summary>Scenario 8: the emulator's own throughput, and the client's allocations while streaming a long series.</summary>
public static class ServerAndClient
{
    public static async Task<ScenarioResult> EmulatorThroughputAsync(BenchContext ctx)
    {
        var startClock = Stopwatch.StartNew();
        await using var server = await StartEmulatorAsync(new EmulatorOptions { Size = DatasetSize.Demo });
        var startup = startClock.Elapsed;

        using var handler = new SocketsHttpHandler { CookieContainer = new CookieContainer(), MaxConnectionsPerServer = 64 };
        using var http = new HttpClient(handler) { BaseAddress = server.BaseUrl };
        using (var login = new HttpRequestMessage(HttpMethod.Post, "/api/login/api_key"))
        {
            login.Headers.TryAddWithoutValidation("authorization", server.ApiKey);
            (await http.SendAsync(login)).EnsureSuccessStatusCode();
        }

        var path = $"/api/group/{server.Dataset.User.Username}";
        var duration = TimeSpan.FromSeconds(ctx.Scale(10, 3));
        long served = 0;
        var clock = Stopwatch.StartNew();
        var workers = Enumerable.Range(0, 16).Select(async _ =>
        {
            while (clock.Elapsed < duration)
            {
                using var response = await http.GetAsync(path);
                await response.Content.CopyToAsync(Stream.Null);
                if (response.IsSuccessStatusCode)
                {
                    Interlocked.Increment(ref served);
                }
            }
        });
        await Task.WhenAll(workers);
        var rate = served / clock.Elapsed.TotalSeconds;
        return new ScenarioResult(
            "8a. emulator throughput (GET /api/group/{user}, 16 connections, load generator in the same process)",
            $"{F(rate, "F0")} req/s over {F(clock.Elapsed.TotalSeconds)} s; demo start-up {F(startup.TotalMilliseconds, "F0")} ms",
            "2,000 req/s; 2 s start-up",
            $"{F(rate / 2000, "F2")}x; start-up {F(startup.TotalSeconds / 2, "F2")} of cap",
            ">= 2,000 req/s, start-up < 2 s",
            rate >= 2000 && startup < TimeSpan.FromSeconds(2));
    }

    /// <summary>
    /// Streams a 1,000,000-point series through SwanLab.Client with the emulator in another process, so every
    /// byte allocated here is the client's. Flat = a bounded number of bytes per point and a small, steady heap.
    /// </summary>
    public static async Task<ScenarioResult> ClientStreamingAsync(BenchContext ctx)
    {
        const int points = 1_000_000;
        await using var emulator = await EmulatorProcess.StartAsync("--size", "large", "--runs", "1", "--keys", "1",
            "--points", points.ToString(CultureInfo.InvariantCulture));
        await using var api = await SwanLabApi.ConnectAsync(new SwanLabApiOptions { ApiKey = emulator.ApiKey, Host = emulator.BaseUrl });

        Client.Run? run = null;
        await foreach (var workspace in api.WorkspacesAsync())
        {
            await foreach (var project in api.ProjectsAsync(workspace.Username))
            {
                await foreach (var listed in api.RunsAsync(project.Path))
                {
                    run ??= await api.RunAsync(listed.Path);
                }
            }
        }

        if (run is null)
        {
            throw new BenchFailure("the emulator served no run");
        }

        string? key = null;
        await foreach (var k in run.SeriesKeysAsync())
        {
            key ??= k.Key;
        }

        long count = 0, peakHeap = 0;
        GC.Collect();
        var before = GC.GetTotalAllocatedBytes(precise: true);
        await foreach (var point in run.StreamMetricAsync(key!))
        {
            count++;
            if ((count & 0xFFFF) == 0)
            {
                peakHeap = Math.Max(peakHeap, GC.GetGCMemoryInfo().HeapSizeBytes);
            }
        }

        var allocated = GC.GetTotalAllocatedBytes(precise: true) - before;
        var perPoint = (double)allocated / Math.Max(1, count);
        return new ScenarioResult(
            $"8b. client streaming {count:N0} points",
            $"{Mb(allocated)} allocated in all = {F(perPoint, "F2")} bytes/point; GC heap peak {Mb(peakHeap)}",
            "flat: no per-point allocation (a point is 24 bytes)",
            $"{F(perPoint / 24, "F3")} of one point's size per point",
            "< 8 bytes/point, heap < 64 MB",
            count == points && perPoint < 8 && peakHeap < 64L * 1024 * 1024);
    }
}

/// <summary>The emulator as a child process (its CLI), for measurements that must not count its allocations.</summary>
public sealed class EmulatorProcess : IAsyncDisposable
{
    private readonly Process _process;

    private EmulatorProcess(Process process, string baseUrl, string apiKey)
    {
        _process = process;
        BaseUrl = baseUrl;
        ApiKey = apiKey;
    }

    public string BaseUrl { get; }
    public string ApiKey { get; }

    public static async Task<EmulatorProcess> StartAsync(params string[] args)
    {
        const string apiKey = "BenchKey0123456789abc";
        var info = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        info.ArgumentList.Add(Path.Combine(AppContext.BaseDirectory, "SwanLab.Emulator.dll"));
        foreach (var arg in args.Concat(["--port", "0", "--api-key", apiKey]))
        {
            info.ArgumentList.Add(arg);
        }

        var process = Process.Start(info) ?? throw new BenchFailure("could not start the emulator process");
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(60));
        while (await process.StandardOutput.ReadLineAsync(timeout.Token) is { } line)
        {
            const string prefix = "listening on ";
            if (line.StartsWith(prefix, StringComparison.Ordinal))
            {
                return new EmulatorProcess(process, line[prefix.Length..].Trim(), apiKey);
            }
        }

        throw new BenchFailure("the emulator process exited before listening: " + await process.StandardError.ReadToEndAsync());
    }

    public async ValueTask DisposeAsync()
    {
        if (!_process.HasExited)
        {
            _process.Kill(entireProcessTree: true);
            await _process.WaitForExitAsync();
        }

        _process.Dispose();
    }
}
