using System.Net;
using System.Text.Json.Nodes;

namespace SwanLab.Emulator.Tests;

public sealed class FaultSpecs
{
    [Fact]
    public async Task Should_answer_429_with_Retry_After_when_token_bucket_is_empty()
    {
        var clock = new ManualClock(DateTimeOffset.UtcNow);
        await using var server = await EmulatorServer.StartAsync(new EmulatorOptions { Clock = clock, RateLimit = 2 });
        using var client = new TestClient(server);
        var statuses = new List<HttpStatusCode>();
        for (var i = 0; i < 4; i++)
        {
            using var response = await client.Login(server.ApiKey);
            statuses.Add(response.StatusCode);
            if (response.StatusCode == HttpStatusCode.TooManyRequests)
            {
                Assert.True(int.Parse(response.Headers.GetValues("Retry-After").Single(), System.Globalization.CultureInfo.InvariantCulture) >= 1);
            }
        }

        Assert.Equal([HttpStatusCode.OK, HttpStatusCode.OK, HttpStatusCode.TooManyRequests, HttpStatusCode.TooManyRequests], statuses);
        clock.Now += TimeSpan.FromSeconds(1);
        using (var refilled = await client.Login(server.ApiKey))
        {
            Assert.Equal(HttpStatusCode.OK, refilled.StatusCode);
        }

        Assert.Equal(2, server.Stats.Snapshot().RateLimited);
        server.Faults.RateLimit = 0;
        for (var i = 0; i < 5; i++)
        {
            using var free = await client.Login(server.ApiKey);
            Assert.Equal(HttpStatusCode.OK, free.StatusCode);
        }
    }

    [Fact]
    public async Task Should_inject_5xx_with_error_body_but_never_on_emulator_routes()
    {
        await using var server = await EmulatorServer.StartAsync(new EmulatorOptions { FailRate = 1 });
        using var client = new TestClient(server);
        using var response = await client.Login(server.ApiKey);
        Assert.Contains((int)response.StatusCode, new[] { 500, 502, 503 });
        var body = JsonNode.Parse(await response.Content.ReadAsStringAsync());
        Assert.NotNull(body!["code"]);
        Assert.NotNull(body["message"]);
        using var stats = await client.Http.GetAsync("/__emulator/stats");
        Assert.Equal(HttpStatusCode.OK, stats.StatusCode);
        var snapshot = JsonNode.Parse(await stats.Content.ReadAsStringAsync())!;
        Assert.Equal(1, snapshot["injectedFailures"]!.GetValue<long>());
        Assert.Equal(1, snapshot["requestsByEndpoint"]!["POST /api/login/api_key"]!.GetValue<long>());
        server.Faults.FailRate = 0;
        using var ok = await client.Login(server.ApiKey);
        Assert.Equal(HttpStatusCode.OK, ok.StatusCode);
    }

    [Fact]
    public async Task Should_abort_connection_mid_response_on_reset()
    {
        await using var server = await EmulatorServer.StartAsync(new EmulatorOptions());
        using var client = await TestClient.LoggedIn(server);
        server.Faults.ResetRate = 1;
        await Assert.ThrowsAnyAsync<Exception>(async () =>
        {
            using var response = await client.Http.GetAsync("/api/project/alice?page=1&size=20");
            await response.Content.ReadAsStringAsync();
        });
        Assert.Equal(1, server.Stats.Snapshot().InjectedResets);
        server.Faults.ResetRate = 0;
        await client.Get("/api/project/alice?page=1&size=20");
    }

    [Fact]
    public async Task Should_truncate_csv_downloads_both_loudly_and_cleanly()
    {
        await using var server = await EmulatorServer.StartAsync(new EmulatorOptions { PointsPerKey = 2000 });
        using var client = await TestClient.LoggedIn(server);
        var run = server.Dataset.FindProject("alice", "mnist-baseline")!.Runs[0];
        var url = (await client.Get($"/api/experiment/{run.Cuid}/column/csv?key=train/loss"))!["url"]!.GetValue<string>();
        var fullLines = (await client.Download(url)).Split('\n', StringSplitOptions.RemoveEmptyEntries).Length;
        server.Faults.TruncateRate = 1;
        int clean = 0, loud = 0;
        for (var i = 0; i < 12; i++)
        {
            try
            {
                var body = await client.Download(url);
                Assert.EndsWith("\n", body, StringComparison.Ordinal);
                var lines = body.Split('\n', StringSplitOptions.RemoveEmptyEntries);
                Assert.True(lines.Length < fullLines);
                Assert.All(lines.Skip(1), l => Assert.Equal(3, l.Split(',').Length));
                clean++;
            }
            catch (HttpRequestException)
            {
                loud++;
            }
        }

        Assert.True(clean > 0, "no clean cut");
        Assert.True(loud > 0, "no mid-line cut");
        Assert.Equal(12, server.Stats.Snapshot().InjectedTruncations);
    }

    [Fact]
    public async Task Should_stall_slow_responses_and_delay_with_latency()
    {
        await using var server = await EmulatorServer.StartAsync(new EmulatorOptions { SlowRate = 1, SlowDelay = TimeSpan.FromSeconds(30) });
        using var client = new TestClient(server);
        client.Http.Timeout = TimeSpan.FromMilliseconds(300);
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => client.Login(server.ApiKey));
        Assert.Equal(1, server.Stats.Snapshot().InjectedSlow);
        server.Faults.SlowRate = 0;
        server.Faults.LatencyMs = 30_000;
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => client.Login(server.ApiKey));
        server.Faults.Clear();
        using var ok = await client.Login(server.ApiKey);
        Assert.Equal(HttpStatusCode.OK, ok.StatusCode);
    }

    [Fact]
    public async Task Should_switch_faults_over_http_for_command_line_instances()
    {
        await using var server = await EmulatorServer.StartAsync(new EmulatorOptions());
        using var client = new TestClient(server);
        using (var on = await client.Http.PostAsync("/__emulator/faults", TestClient.Content(new JsonObject { ["failRate"] = 1 })))
        {
            Assert.Equal(HttpStatusCode.OK, on.StatusCode);
            Assert.Equal(1, JsonNode.Parse(await on.Content.ReadAsStringAsync())!["failRate"]!.GetValue<double>());
        }

        Assert.Equal(1, server.Faults.FailRate);
        using (var failed = await client.Login(server.ApiKey))
        {
            Assert.True((int)failed.StatusCode >= 500);
        }

        using (var off = await client.Http.PostAsync("/__emulator/faults", TestClient.Content(new JsonObject { ["failRate"] = 0 })))
        {
            Assert.Equal(HttpStatusCode.OK, off.StatusCode);
        }

        using var ok = await client.Login(server.ApiKey);
        Assert.Equal(HttpStatusCode.OK, ok.StatusCode);
    }
}
