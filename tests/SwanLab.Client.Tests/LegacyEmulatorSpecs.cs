using SwanLab.Emulator;

namespace SwanLab.Client.Tests;

/// <summary>The 0.7.8 fallback against a real server that has no House service (every /api/house/* is 404).</summary>
public sealed class LegacyEmulatorSpecs
{
    [Fact]
    public async Task Should_read_every_point_through_the_078_csv_endpoint_from_a_server_without_house()
    {
        await using var server = await EmulatorServer.StartAsync(new EmulatorOptions { Seed = 7, Size = DatasetSize.Tiny, Legacy = true });
        await using var api = await EmulatorFixture.Connect(server);
        var truthRun = server.Dataset.FindProject("alice", "mnist-baseline")!.Runs[0];
        var run = await api.RunAsync($"alice/mnist-baseline/{truthRun.Cuid}");

        var points = new List<MetricPoint>();
        await foreach (var point in run.StreamMetricAsync("train/loss"))
        {
            points.Add(point);
        }

        var truth = server.Dataset.DataOwner(truthRun).FindScalar("train/loss")!.Points().ToList();
        Assert.Equal(SwanLabProtocol.Legacy, api.Protocol);
        Assert.Equal(truth.Select(p => p.Step), points.Select(p => p.Step));
        Assert.Equal(truth.Select(p => p.Value), points.Select(p => p.Value));
        var stats = server.Stats.Snapshot().RequestsByEndpoint;
        Assert.True(stats.GetValueOrDefault("GET /api/experiment/{id}/column/csv") > 0, string.Join(", ", stats.Keys));
        Assert.Equal(SwanLabProtocol.Legacy, await api.DetectProtocolAsync());
    }

    [Fact]
    public async Task Should_refuse_house_only_reads_clearly_on_a_server_without_house()
    {
        await using var server = await EmulatorServer.StartAsync(new EmulatorOptions { Seed = 7, Size = DatasetSize.Tiny, Legacy = true });
        await using var api = await EmulatorFixture.Connect(server);
        var run = await api.RunAsync($"alice/mnist-baseline/{server.Dataset.FindProject("alice", "mnist-baseline")!.Runs[0].Cuid}");

        await Assert.ThrowsAsync<SwanLabNotSupportedException>(() => run.SampledMetricAsync("train/loss"));
    }
}
