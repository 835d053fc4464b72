using System.Net;
using System.Text.Json.Nodes;
using SwanLab.Emulator.Data;

namespace SwanLab.Emulator.Tests;

/// <summary>The server variants the SDK leaves open: missing optional routes, log paging and level readings.</summary>
public sealed class ServerVariantSpecs
{
    // The CRASHED tiny run: INFO at epochs 1-6 and 8-11, WARN at 7, ERROR at 12.
    private static EmulatorRun Crashed(EmulatorServer server) =>
        server.Dataset.FindProject("alice", "mnist-baseline")!.Runs.Single(r => r.State == "CRASHED");

    private static async Task<long[]> Epochs(TestClient client, EmulatorRun run, string level, int size, int epoch)
    {
        var page = await client.Get($"/api/house/metrics/log?projectId={run.Project.Cuid}&experimentId={run.Cuid}&size={size}&epoch={epoch}&level={level}&createdAt=1");
        return page!["logs"]!.AsArray().Select(l => l!["epoch"]!.GetValue<long>()).ToArray();
    }

    [Theory]
    [InlineData(LogPagingReading.Shard, new long[] { 8, 9 })]
    [InlineData(LogPagingReading.Offset, new long[] { 4, 5 })]
    [InlineData(LogPagingReading.AfterEpoch, new long[] { 4, 5 })]
    public async Task Should_page_logs_by_the_chosen_reading_of_epoch(LogPagingReading paging, long[] expected)
    {
        await using var server = await EmulatorServer.StartAsync(new EmulatorOptions { LogPaging = paging });
        using var client = await TestClient.LoggedIn(server);

        Assert.Equal(expected, await Epochs(client, Crashed(server), "INFO", 2, 3));
    }

    [Fact]
    public async Task Should_tell_offset_from_after_epoch_where_the_level_skips_epochs()
    {
        await using var server = await EmulatorServer.StartAsync(new EmulatorOptions { LogPaging = LogPagingReading.Offset });
        using var client = await TestClient.LoggedIn(server);
        var run = Crashed(server);

        var offset = await Epochs(client, run, "INFO", 2, 7);
        server.Faults.LogPaging = LogPagingReading.AfterEpoch;
        var afterEpoch = await Epochs(client, run, "INFO", 2, 7);

        Assert.Equal(new long[] { 9, 10 }, offset);
        Assert.Equal(new long[] { 8, 9 }, afterEpoch);
    }

    [Theory]
    [InlineData(LogLevelReading.Exact, "WARN", new long[] { 7 }, 1)]
    [InlineData(LogLevelReading.AtOrAbove, "WARN", new long[] { 7, 12 }, 2)]
    [InlineData(LogLevelReading.AtOrAbove, "DEBUG", new long[] { 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12 }, 12)]
    [InlineData(LogLevelReading.Ignored, "ERROR", new long[] { 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12 }, 12)]
    public async Task Should_filter_logs_by_the_chosen_meaning_of_level(LogLevelReading levels, string level, long[] expected, int count)
    {
        await using var server = await EmulatorServer.StartAsync(new EmulatorOptions { LogLevels = levels });
        using var client = await TestClient.LoggedIn(server);
        var run = Crashed(server);

        var page = await client.Get($"/api/house/metrics/log?projectId={run.Project.Cuid}&experimentId={run.Cuid}&size=1000&epoch=0&level={level}&createdAt=1");

        Assert.Equal(expected, page!["logs"]!.AsArray().Select(l => l!["epoch"]!.GetValue<long>()));
        Assert.Equal(count, page["count"]!.GetValue<int>());
    }

    [Theory]
    [InlineData(EmulatorRoutes.Logs, "GET", "/api/house/metrics/log?experimentId=RUN&level=INFO")]
    [InlineData(EmulatorRoutes.Logs, "POST", "/api/house/metrics/log/export")]
    [InlineData(EmulatorRoutes.Media, "POST", "/api/house/metrics/media/keys")]
    [InlineData(EmulatorRoutes.Media, "POST", "/api/house/metrics/f_media")]
    [InlineData(EmulatorRoutes.Media, "POST", "/api/resources/presigned/get")]
    [InlineData(EmulatorRoutes.Summaries, "POST", "/api/house/metrics/summaries")]
    public async Task Should_answer_404_no_route_for_an_absent_route_whatever_the_run(EmulatorRoutes absent, string method, string path)
    {
        await using var server = await EmulatorServer.StartAsync(new EmulatorOptions { AbsentRoutes = absent });
        using var client = await TestClient.LoggedIn(server);
        var run = Crashed(server);

        using var request = new HttpRequestMessage(new HttpMethod(method), path.Replace("RUN", run.Cuid, StringComparison.Ordinal));
        if (method == "POST")
        {
            request.Content = TestClient.Content(new JsonObject { ["experiments"] = new JsonArray(), ["columns"] = new JsonArray(), ["paths"] = new JsonArray() });
        }

        using var response = await client.Http.SendAsync(request);

        Assert.Equal(HttpStatusCode.NotFound, response.StatusCode);
        Assert.Equal("No route", await response.Content.ReadAsStringAsync());
    }

    [Fact]
    public async Task Should_keep_the_other_routes_and_switch_absent_routes_at_runtime()
    {
        await using var server = await EmulatorServer.StartAsync(new EmulatorOptions { AbsentRoutes = EmulatorRoutes.Logs });
        using var client = await TestClient.LoggedIn(server);
        var run = Crashed(server);
        var body = new JsonObject { ["experiments"] = new JsonArray(new JsonObject { ["projectId"] = run.Project.Cuid, ["experimentId"] = run.Cuid, ["createdAt"] = 1 }) };

        Assert.NotNull(await client.Post("/api/house/metrics/summaries", body));
        var faults = await client.Post("/__emulator/faults", new JsonObject
        {
            ["absentRoutes"] = new JsonArray("summaries"), ["logPaging"] = "after-epoch", ["logLevels"] = "at-or-above",
        });

        Assert.Equal(["summaries"], faults!["absentRoutes"]!.AsArray().Select(n => n!.GetValue<string>()));
        Assert.Equal("after-epoch", faults["logPaging"]!.GetValue<string>());
        Assert.Equal("at-or-above", faults["logLevels"]!.GetValue<string>());
        using var summaries = await client.Http.PostAsync("/api/house/metrics/summaries", TestClient.Content(body));
        Assert.Equal(HttpStatusCode.NotFound, summaries.StatusCode);
        var warnAndAbove = await Epochs(client, run, "WARN", 1000, 0);
        Assert.Equal(new long[] { 7, 12 }, warnAndAbove);
    }

    [Fact]
    public async Task Should_number_lines_per_level_and_report_the_last_lines_epoch_in_the_resume_summary_when_asked()
    {
        await using var server = await EmulatorServer.StartAsync(new EmulatorOptions { LogEpochs = LogEpochReading.PerLevel });
        using var client = await TestClient.LoggedIn(server);
        var run = Crashed(server);

        Assert.Equal(new long[] { 1, 2, 3, 4, 5, 6, 7, 8, 9, 10 }, await Epochs(client, run, "INFO", 1000, 0));
        Assert.Equal(new long[] { 1 }, await Epochs(client, run, "WARN", 1000, 0));
        var summary = await client.Get($"/api/house/metrics/summaries/{run.Project.Cuid}/{run.Cuid}?all=True&createdAt=1");
        // The last line is the crash's ERROR, the first of its level.
        Assert.Equal(1, summary!["log"]![0]!["step"]!.GetValue<long>());
    }

    [Theory]
    [InlineData("full", true, HttpStatusCode.OK)]
    [InlineData("without-media", false, HttpStatusCode.OK)]
    [InlineData("absent", false, HttpStatusCode.NotFound)]
    public async Task Should_answer_the_resume_summary_as_the_chosen_variant(string variant, bool media, HttpStatusCode status)
    {
        await using var server = await EmulatorServer.StartAsync(new EmulatorOptions());
        using var client = await TestClient.LoggedIn(server);
        var run = Crashed(server);
        var faults = await client.Post("/__emulator/faults", new JsonObject { ["resumeSummary"] = variant });

        using var response = await client.Http.GetAsync($"/api/house/metrics/summaries/{run.Project.Cuid}/{run.Cuid}?all=True&createdAt=1");

        Assert.Equal(variant, faults!["resumeSummary"]!.GetValue<string>());
        Assert.Equal(status, response.StatusCode);
        var text = await response.Content.ReadAsStringAsync();
        Assert.Equal(media, text.Contains("\"media\"", StringComparison.Ordinal));
        Assert.Equal(status == HttpStatusCode.OK, text.Contains("\"log\"", StringComparison.Ordinal));
    }
}
