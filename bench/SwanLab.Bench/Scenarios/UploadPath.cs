using System.Diagnostics;
using System.Net;
using System.Text;
using System.Text.Json;
using SwanLab.Bench.Harness;
using SwanLab.Client;
using SwanLab.Client.Upload;
using static SwanLab.Bench.Harness.BenchContext;

namespace SwanLab.Bench.Scenarios;

/// <summary>
/// 10m: the client's scalar upload path alone, with no server behind it: an in-memory handler answers login and
/// every <c>POST /house/metrics</c> at once (reading the body, as a server would). What is left is the JSON
/// encoding, the envelope, the retry pipeline and HttpClient: the crawler side's ceiling in points/s.
/// </summary>
public static class UploadPath
{
    public static async Task<ScenarioResult> ScalarEncodingAsync(BenchContext ctx)
    {
        var points = ctx.Scale(2_000_000, 1_000_000);
        using var handler = new NullServer();
        await using var api = await SwanLabApi.ConnectAsync(new SwanLabApiOptions
        {
            ApiKey = NullServer.Key,
            Host = "http://null.test",
            HttpHandler = handler,
            Environment = SwanLabEnvironment.Empty(Path.GetTempPath()),
        });
        var uploader = api.Uploader();
        using var empty = JsonDocument.Parse("{}");
        var project = new UploadProject("alice", "bench", "projectcuid0000000001", 1, false, 0, empty.RootElement.Clone());
        var run = new UploadRun(project, "runcuid00000000000001", null, "bench", "2026-01-01T00:00:00.000Z", null, false, empty.RootElement.Clone());

        const int batch = 10_000;
        var items = new ScalarUpload[batch];
        // Warm-up: JIT the encoder before measuring, as a long import would be past it after its first batches.
        await uploader.UploadScalarsAsync(run, Fill(items, 0), MetricRetry.Reconcile);

        GC.Collect();
        var allocatedBefore = GC.GetTotalAllocatedBytes(precise: true);
        var cpuBefore = Process.GetCurrentProcess().TotalProcessorTime;
        handler.Bytes = 0;
        var clock = Stopwatch.StartNew();
        for (var start = 0; start < points; start += batch)
        {
            await uploader.UploadScalarsAsync(run, Fill(items, batch + start), MetricRetry.Reconcile);
        }

        clock.Stop();
        var cpu = Process.GetCurrentProcess().TotalProcessorTime - cpuBefore;
        var allocated = GC.GetTotalAllocatedBytes(precise: true) - allocatedBefore;
        var rate = points / clock.Elapsed.TotalSeconds;
        return new ScenarioResult(
            $"10m. client scalar upload path, no server ({points:N0} points, 10,000 per request)",
            $"{F(rate / 1e6, "F2")} M points/s ({F(clock.Elapsed.TotalSeconds, "F2")} s, {F(cpu.TotalSeconds, "F2")} CPU-s); {F((double)handler.Bytes / points, "F1")} body bytes/point; {F((double)allocated / points, "F1")} bytes allocated/point",
            "500,000 points/s",
            F(rate / 500_000, "F2") + "x",
            "the client alone well above 500k points/s",
            rate >= 500_000);
    }

    /// <summary>Points shaped like a training run's: increasing steps, a value, a millisecond timestamp.</summary>
    private static ScalarUpload[] Fill(ScalarUpload[] items, int first)
    {
        for (var i = 0; i < items.Length; i++)
        {
            var step = first + i;
            items[i] = new ScalarUpload("train/loss", step, 1.0 / (1 + (step * 0.001)), 1_722_470_401_000 + (step * 37L));
        }

        return items;
    }

    /// <summary>Answers login and metric uploads in memory; counts the body bytes it was sent.</summary>
    private sealed class NullServer : HttpMessageHandler
    {
        public const string Key = "0123456789abcdefABCDE";
        public long Bytes;

        protected override async Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken ct)
        {
            if (request.Content is not null)
            {
                var body = await request.Content.ReadAsByteArrayAsync(ct);
                Bytes += body.Length;
            }

            var json = request.RequestUri!.AbsolutePath.EndsWith("/login/api_key", StringComparison.Ordinal)
                ? """{"sid":"sid-1","expiredAt":"2099-12-31T23:59:59.000Z","userInfo":{"username":"alice","name":"Alice"}}"""
                : "{}";
            return new HttpResponseMessage(HttpStatusCode.OK)
            {
                Content = new StringContent(json, Encoding.UTF8, "application/json"),
                RequestMessage = request,
            };
        }
    }
}
