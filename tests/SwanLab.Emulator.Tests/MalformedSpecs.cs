using System.Net;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace SwanLab.Emulator.Tests;

public sealed class MalformedSpecs
{
    [Fact]
    public async Task Should_spoil_the_json_of_requests_matching_a_target_and_nothing_else()
    {
        await using var server = await EmulatorServer.StartAsync(new EmulatorOptions());
        using var client = await TestClient.LoggedIn(server);
        var project = server.Dataset.FindProject("alice", "mnist-baseline")!;
        var (target, other) = (project.Runs[0], project.Runs[1]);
        server.Faults.MalformedTargets = [new MalformedTarget(target.Cuid, MalformedKind.Json)];

        using (var spoiled = await client.Http.GetAsync($"/api/project/alice/mnist-baseline/runs/{target.Cuid}"))
        {
            Assert.Equal(HttpStatusCode.OK, spoiled.StatusCode);
            var text = await spoiled.Content.ReadAsStringAsync();
            Assert.Contains("502 Bad Gateway", text, StringComparison.Ordinal);
            Assert.ThrowsAny<JsonException>(() => JsonDocument.Parse(text));
        }

        Assert.Equal(other.Cuid, (await client.Get($"/api/project/alice/mnist-baseline/runs/{other.Cuid}"))!["cuid"]!.GetValue<string>());
        // The run listing names the target too, but its request does not: it stays intact.
        Assert.NotNull(await client.Get("/api/project/alice/mnist-baseline/runs"));
        Assert.Equal(1, server.Stats.Snapshot().InjectedMalformed);

        server.Faults.Clear();
        Assert.Equal(target.Cuid, (await client.Get($"/api/project/alice/mnist-baseline/runs/{target.Cuid}"))!["cuid"]!.GetValue<string>());
    }

    [Fact]
    public async Task Should_match_targets_in_json_request_bodies()
    {
        await using var server = await EmulatorServer.StartAsync(new EmulatorOptions());
        using var client = await TestClient.LoggedIn(server);
        var run = server.Dataset.FindProject("alice", "mnist-baseline")!.Runs[0];
        server.Faults.MalformedTargets = [new MalformedTarget(run.Cuid, MalformedKind.Garbage)];

        using var response = await client.Http.PostAsync("/api/house/metrics/scalar/keys", TestClient.Content(new JsonObject
        {
            ["projectId"] = run.Project.Cuid, ["experimentId"] = run.Cuid, ["limit"] = 10,
        }));
        var bytes = await response.Content.ReadAsByteArrayAsync();
        Assert.True(bytes.Length >= 64);
        Assert.All(bytes, b => Assert.True(b >= 0x80));
    }

    [Theory]
    [InlineData(MalformedKind.CsvHeader)]
    [InlineData(MalformedKind.CsvValue)]
    [InlineData(MalformedKind.CsvRow)]
    public async Task Should_spoil_the_metric_csvs_a_targeted_run_exports(MalformedKind kind)
    {
        await using var server = await EmulatorServer.StartAsync(new EmulatorOptions { PointsPerKey = 20 });
        using var client = await TestClient.LoggedIn(server);
        var project = server.Dataset.FindProject("alice", "mnist-baseline")!;
        var (target, other) = (project.Runs[0], project.Runs[1]);
        var clean = await ExportCsv(client, target, "train/loss");
        server.Faults.MalformedTargets = [new MalformedTarget(target.Cuid, kind)];

        var spoiled = (await ExportCsv(client, target, "train/loss")).Split('\n');
        var lines = clean.Split('\n');
        Assert.Equal(lines.Length, spoiled.Length);
        var changed = Enumerable.Range(0, lines.Length).Where(i => lines[i] != spoiled[i]).ToList();
        var row = Assert.Single(changed);
        var cells = spoiled[row].Split(',');
        switch (kind)
        {
            case MalformedKind.CsvHeader:
                Assert.Equal(0, row);
                Assert.EndsWith("_timestamp", cells[1], StringComparison.Ordinal);
                Assert.EndsWith("_step", cells[2], StringComparison.Ordinal);
                break;
            case MalformedKind.CsvValue:
                Assert.True(row > 0);
                Assert.Equal("n/a", cells[1]);
                break;
            case MalformedKind.CsvRow:
                Assert.True(row > 0);
                Assert.Equal(lines[row].Split(',')[0], Assert.Single(cells));
                break;
        }

        Assert.Equal(await ExportCsv(client, other, "train/loss", server), await ExportCsv(client, other, "train/loss"));
        // Also through the legacy column/csv URL.
        var legacy = (await client.Get($"/api/experiment/{target.Cuid}/column/csv?key=train/loss"))!["url"]!.GetValue<string>();
        Assert.NotEqual(clean, await client.Download(legacy));
        Assert.Equal(2, server.Stats.Snapshot().InjectedMalformed);
    }

    [Fact]
    public async Task Should_spoil_random_responses_at_the_malformed_rate()
    {
        await using var server = await EmulatorServer.StartAsync(new EmulatorOptions { MalformedRate = 1 });
        using var client = new TestClient(server);
        using var response = await client.Login(server.ApiKey);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var text = await response.Content.ReadAsStringAsync();
        Assert.ThrowsAny<JsonException>(() => JsonDocument.Parse(text));
        Assert.Equal(1, server.Stats.Snapshot().InjectedMalformed);
        server.Faults.MalformedRate = 0;
        using var ok = await client.Login(server.ApiKey);
        JsonDocument.Parse(await ok.Content.ReadAsStringAsync()).Dispose();
    }

    [Fact]
    public async Task Should_switch_malformed_targets_over_http()
    {
        await using var server = await EmulatorServer.StartAsync(new EmulatorOptions());
        using var client = new TestClient(server);
        using (var on = await client.Http.PostAsync("/__emulator/faults",
                   TestClient.Content(new JsonObject { ["malformed"] = new JsonArray("abc=csv-row", "def"), ["malformedRate"] = 0.25 })))
        {
            Assert.Equal(HttpStatusCode.OK, on.StatusCode);
            var answer = JsonNode.Parse(await on.Content.ReadAsStringAsync())!;
            Assert.Equal(["abc=csvrow", "def=json"], answer["malformed"]!.AsArray().Select(t => t!.GetValue<string>()));
        }

        Assert.Equal([new MalformedTarget("abc", MalformedKind.CsvRow), new MalformedTarget("def", MalformedKind.Json)], server.Faults.MalformedTargets);
        Assert.Equal(0.25, server.Faults.MalformedRate);
        using var bad = await client.Http.PostAsync("/__emulator/faults", TestClient.Content(new JsonObject { ["malformed"] = new JsonArray("abc=sideways") }));
        Assert.Equal(HttpStatusCode.BadRequest, bad.StatusCode);
    }

    [Theory]
    [InlineData("run1", "run1", MalformedKind.Json)]
    [InlineData("run1=garbage", "run1", MalformedKind.Garbage)]
    [InlineData("a=b=CSV-Header", "a=b", MalformedKind.CsvHeader)]
    [InlineData("run1=csv_value", null, null)]
    [InlineData("=json", null, null)]
    public void Should_parse_malformed_targets(string text, string? match, MalformedKind? kind)
    {
        if (match is null)
        {
            Assert.Throws<ArgumentException>(() => MalformedTarget.Parse(text));
            return;
        }

        Assert.Equal(new MalformedTarget(match, kind!.Value), MalformedTarget.Parse(text));
    }

    private static async Task<string> ExportCsv(TestClient client, Data.EmulatorRun run, string key, EmulatorServer? faultFree = null)
    {
        if (faultFree is not null)
        {
            // The reference read: the same export with the fault switched off for one request.
            var targets = faultFree.Faults.MalformedTargets;
            faultFree.Faults.MalformedTargets = [];
            try { return await ExportCsv(client, run, key); }
            finally { faultFree.Faults.MalformedTargets = targets; }
        }

        var refs = new JsonArray(new JsonObject { ["experimentName"] = run.Name, ["experimentId"] = run.Cuid, ["key"] = key, ["createdAt"] = run.CreatedAt.ToUnixTimeSeconds() });
        var cosKey = (await client.Post("/api/house/metrics/scalar/export", new JsonObject { ["projectId"] = run.Project.Cuid, ["columns"] = refs }))!["cosKey"]!.GetValue<string>();
        var url = (await client.Post("/api/files/presigned/get", new JsonObject { ["paths"] = new JsonArray(cosKey) }))!["urls"]![0]!.GetValue<string>();
        return await client.Download(url);
    }
}
