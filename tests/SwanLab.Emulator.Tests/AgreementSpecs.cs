using System.Globalization;
using System.Text.Json.Nodes;

namespace SwanLab.Emulator.Tests;

public sealed class AgreementSpecs
{
    [Fact]
    public async Task Should_agree_between_column_csv_sampled_series_and_full_export()
    {
        await using var server = await EmulatorServer.StartAsync(new EmulatorOptions());
        using var client = await TestClient.LoggedIn(server);
        var run = server.Dataset.FindProject("alice", "mnist-baseline")!.Runs[0];
        foreach (var key in new[] { "train/grad norm", "eval/sparse metric" })
        {
            var column = (await client.Get($"/api/experiment/{run.Cuid}/column/csv?key={Uri.EscapeDataString(key)}"))!["url"]!.GetValue<string>();
            var fromColumn = Rows(await client.Download(column));

            var refs = new JsonArray(new JsonObject { ["experimentName"] = run.Name, ["experimentId"] = run.Cuid, ["key"] = key, ["createdAt"] = run.CreatedAt.ToUnixTimeSeconds() });
            var cosKey = (await client.Post("/api/house/metrics/scalar/export", new JsonObject { ["projectId"] = run.Project.Cuid, ["columns"] = refs }))!["cosKey"]!.GetValue<string>();
            var url = (await client.Post("/api/files/presigned/get", new JsonObject { ["paths"] = new JsonArray(cosKey) }))!["urls"]![0]!.GetValue<string>();
            var fromExport = Rows(await client.Download(url));

            var sampled = (JsonArray)(await client.Post("/api/house/metrics/scalar", new JsonObject
            {
                ["projectId"] = run.Project.Cuid,
                ["xType"] = "step",
                ["range"] = new JsonArray(0, 0),
                ["columns"] = new JsonArray(new JsonObject { ["experimentId"] = run.Cuid, ["key"] = key, ["createdAt"] = run.CreatedAt.ToUnixTimeSeconds() }),
                ["num"] = 1500,
            }))!;
            var fromSampled = sampled[0]!["metrics"]!.AsArray()
                .Select(p => (Step: p!["index"]!.GetValue<long>(), Value: Parse(p["data"]!.ToString()), Ts: p["timestamp"]!.GetValue<long>()))
                .ToList();

            Assert.Equal(fromColumn, fromExport);
            Assert.Equal(fromColumn, fromSampled);
            Assert.Equal(run.FindScalar(key)!.Count, fromColumn.Count);
        }
    }

    private static List<(long Step, double Value, long Ts)> Rows(string csv) =>
        csv.Split('\n', StringSplitOptions.RemoveEmptyEntries).Skip(1)
            .Select(l => l.Split(','))
            .Select(c => (long.Parse(c[0], CultureInfo.InvariantCulture), Parse(c[1]), long.Parse(c[2], CultureInfo.InvariantCulture)))
            .ToList();

    private static double Parse(string cell) => cell switch
    {
        "NaN" => double.NaN,
        "INF" => double.PositiveInfinity,
        "-INF" => double.NegativeInfinity,
        _ => double.Parse(cell, CultureInfo.InvariantCulture),
    };
}
