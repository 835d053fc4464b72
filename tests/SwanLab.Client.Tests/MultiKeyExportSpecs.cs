using SwanLab.Emulator;
using SwanLab.Emulator.Data;

namespace SwanLab.Client.Tests;

/// <summary>Many keys per House query, as the SDK batches them: one export, one presign and one download per 16 keys.</summary>
public sealed class MultiKeyExportSpecs
{
    private static async Task<(EmulatorServer Server, SwanLabApi Api, Run Run, EmulatorRun Truth)> StartAsync(EmulatorOptions options)
    {
        var server = await EmulatorServer.StartAsync(options);
        var api = await EmulatorFixture.Connect(server, retries: 12);
        // The large dataset's own runs have exactly KeysPerRun keys (it also holds a few hand-made runs).
        var truth = server.Dataset.Runs.First(r => r.Name.StartsWith("bench-run-", StringComparison.Ordinal));
        var run = await api.RunAsync($"{truth.Project.Workspace.Username}/{truth.Project.Name}/{truth.Cuid}");
        return (server, api, run, truth);
    }

    private static async Task<Dictionary<string, List<MetricPoint>>> StreamAllAsync(Run run, IReadOnlyList<string> keys,
        IReadOnlyDictionary<string, long?>? expected = null)
    {
        var streamed = keys.ToDictionary(k => k, _ => new List<MetricPoint>(), StringComparer.Ordinal);
        await foreach (var batch in run.StreamMetricsBatchesAsync(keys, expected))
        {
            Assert.Equal(keys[batch.KeyIndex], batch.Key);
            streamed[batch.Key].AddRange(batch.Points);
        }
        return streamed;
    }

    private static List<MetricPoint> Truth(EmulatorRun run, string key) =>
        run.FindScalar(key)!.Points().Select(p => new MetricPoint(p.Step, p.Value, p.Timestamp)).ToList();

    private static long Count(EmulatorServer server, string route) => server.Stats.Snapshot().RequestsByEndpoint.GetValueOrDefault(route);

    [Theory]
    [InlineData(4, 1)]
    [InlineData(16, 1)]
    [InlineData(20, 2)]
    public async Task Should_export_every_key_with_one_export_presign_and_download_per_16_keys(int keyCount, int exports)
    {
        var (server, api, run, truth) = await StartAsync(new EmulatorOptions { Size = DatasetSize.Large, Runs = 1, KeysPerRun = keyCount, PointsPerKey = 300 });
        await using var _ = server;
        await using var __ = api;
        var keys = truth.Scalars.Select(s => s.Key).ToList();
        var expected = keys.ToDictionary(k => k, k => (long?)truth.FindScalar(k)!.LastStep, StringComparer.Ordinal);

        var streamed = await StreamAllAsync(run, keys, expected);

        Assert.All(keys, k => Assert.Equal(Truth(truth, k), streamed[k]));
        Assert.Equal(exports, Count(server, "POST /api/house/metrics/scalar/export"));
        Assert.Equal(exports, Count(server, "POST /api/files/presigned/get"));
        Assert.Equal(exports, Count(server, "GET /swanlab-private/{**key}"));
        Assert.Equal(0, Count(server, "POST /api/house/metrics/scalar/value"));
    }

    [Fact]
    public async Task Should_ask_the_last_steps_of_all_keys_of_an_export_in_one_query()
    {
        var (server, api, run, truth) = await StartAsync(new EmulatorOptions { Size = DatasetSize.Large, Runs = 1, KeysPerRun = 6, PointsPerKey = 50 });
        await using var _ = server;
        await using var __ = api;
        var keys = truth.Scalars.Select(s => s.Key).ToList();

        var streamed = await StreamAllAsync(run, keys);

        Assert.All(keys, k => Assert.Equal(Truth(truth, k), streamed[k]));
        Assert.Equal(1, Count(server, "POST /api/house/metrics/scalar/value"));
    }

    [Theory]
    [InlineData(ExportColumnStyle.RunCuid)]
    [InlineData(ExportColumnStyle.Reversed)]
    [InlineData(ExportColumnStyle.BareSorted)]
    public async Task Should_split_the_export_by_the_keys_its_header_names_whatever_the_server_calls_and_orders_them(ExportColumnStyle style)
    {
        var (server, api, run, truth) = await StartAsync(new EmulatorOptions
        {
            Size = DatasetSize.Large, Runs = 1, KeysPerRun = 5, PointsPerKey = 120, ExportColumns = style,
        });
        await using var _ = server;
        await using var __ = api;
        var keys = truth.Scalars.Select(s => s.Key).ToList();

        var streamed = await StreamAllAsync(run, keys);

        Assert.All(keys, k => Assert.Equal(Truth(truth, k), streamed[k]));
    }

    [Fact]
    public async Task Should_restart_a_broken_multi_key_download_without_losing_or_repeating_points()
    {
        var (server, api, run, truth) = await StartAsync(new EmulatorOptions { Size = DatasetSize.Large, Runs = 1, KeysPerRun = 4, PointsPerKey = 5_000 });
        await using var _ = server;
        await using var __ = api;
        server.Faults.TruncateRate = 0.4;
        server.Faults.ResetRate = 0.2;
        var keys = truth.Scalars.Select(s => s.Key).ToList();
        for (var i = 0; i < 3 || server.Stats.Snapshot().InjectedTruncations == 0; i++)
        {
            Assert.True(i < 60, "no truncation was injected in 60 downloads at a 40% rate");
            var streamed = await StreamAllAsync(run, keys);
            Assert.All(keys, k => Assert.Equal(Truth(truth, k), streamed[k]));
        }
    }

    [Fact]
    public async Task Should_export_one_key_per_request_on_a_legacy_server()
    {
        var (server, api, run, truth) = await StartAsync(new EmulatorOptions { Size = DatasetSize.Large, Runs = 1, KeysPerRun = 3, PointsPerKey = 80, Legacy = true });
        await using var _ = server;
        await using var __ = api;
        var keys = truth.Scalars.Select(s => s.Key).ToList();

        var streamed = await StreamAllAsync(run, keys);

        Assert.All(keys, k => Assert.Equal(Truth(truth, k), streamed[k]));
        Assert.Equal(3, Count(server, "GET /api/experiment/{id}/column/csv"));
    }

    [Fact]
    public async Task Should_sample_many_keys_in_one_query()
    {
        var (server, api, run, truth) = await StartAsync(new EmulatorOptions { Size = DatasetSize.Large, Runs = 1, KeysPerRun = 4, PointsPerKey = 400 });
        await using var _ = server;
        await using var __ = api;
        var keys = truth.Scalars.Select(s => s.Key).ToList();

        var sampled = await run.SampledMetricsAsync([.. keys, "no/such key"], num: 50);

        Assert.Equal(1, Count(server, "POST /api/house/metrics/scalar"));
        Assert.All(keys, k => Assert.InRange(sampled[k].Count, 2, 50));
        Assert.All(keys, k => Assert.Equal(truth.FindScalar(k)!.LastStep, sampled[k][^1].Step));
        Assert.Empty(sampled["no/such key"]);
    }
}
