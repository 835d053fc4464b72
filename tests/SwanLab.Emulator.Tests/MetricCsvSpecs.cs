using System.Globalization;
using System.Text.Json.Nodes;

namespace SwanLab.Emulator.Tests;

public sealed class MetricCsvSpecs
{
    [Fact]
    public async Task Should_serve_0_7_8_column_csv_with_sdk_column_naming_and_nonfinite_cells()
    {
        await using var server = await EmulatorServer.StartAsync(new EmulatorOptions());
        using var client = await TestClient.LoggedIn(server);
        var run = server.Dataset.FindProject("alice", "mnist-baseline")!.Runs[0];
        var key = "train/grad norm";
        var answer = await client.Get($"/api/experiment/{run.Cuid}/column/csv?key={Uri.EscapeDataString(key)}");
        var url = answer!["url"]!.GetValue<string>();
        Assert.StartsWith(server.BaseUrl.ToString().TrimEnd('/') + "/swanlab-private/", url, StringComparison.Ordinal);
        var lines = (await client.Download(url)).Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.Equal($"step,{run.Name}-{key}_step,{run.Name}-{key}_timestamp", lines[0]);
        var series = run.FindScalar(key)!;
        Assert.Equal(series.Count + 1, lines.Length);
        Assert.Equal("NaN", lines[4].Split(',')[1]);
        Assert.Equal("INF", lines[8].Split(',')[1]);
        Assert.Equal("-INF", lines[12].Split(',')[1]);
        Assert.Equal(series.ValueAt(1).ToString("R", CultureInfo.InvariantCulture), lines[2].Split(',')[1]);
    }

    [Fact]
    public async Task Should_export_wide_csv_via_cosKey_and_presigned_get()
    {
        await using var server = await EmulatorServer.StartAsync(new EmulatorOptions());
        using var client = await TestClient.LoggedIn(server);
        var run = server.Dataset.FindProject("alice", "mnist-baseline")!.Runs[0];
        var export = await client.Post("/api/house/metrics/scalar/export", new JsonObject
        {
            ["projectId"] = run.Project.Cuid,
            ["columns"] = new JsonArray(
                new JsonObject { ["experimentName"] = run.Name, ["experimentId"] = run.Cuid, ["key"] = "train/loss", ["createdAt"] = run.CreatedAt.ToUnixTimeSeconds() },
                new JsonObject { ["experimentName"] = run.Name, ["experimentId"] = run.Cuid, ["key"] = "eval/sparse metric", ["createdAt"] = run.CreatedAt.ToUnixTimeSeconds() }),
        });
        var cosKey = export!["cosKey"]!.GetValue<string>();
        var urls = await client.Post("/api/files/presigned/get", new JsonObject { ["paths"] = new JsonArray(cosKey) });
        var lines = (await client.Download(urls!["urls"]![0]!.GetValue<string>())).Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.Equal($"step,{run.Name}-train/loss_step,{run.Name}-train/loss_timestamp,{run.Name}-eval/sparse metric_step,{run.Name}-eval/sparse metric_timestamp", lines[0]);
        Assert.Equal(run.FindScalar("train/loss")!.Count + 1, lines.Length);
        Assert.EndsWith(",,", lines[2], StringComparison.Ordinal);
        Assert.Equal(5, lines[11].Split(',').Length);
        Assert.NotEqual("", lines[11].Split(',')[3]);
    }
}
