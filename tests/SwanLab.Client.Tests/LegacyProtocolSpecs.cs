using System.Net;
using System.Text;

namespace SwanLab.Client.Tests;

/// <summary>A 0.7.8-era server: every /house read answers 404, metrics come from /experiment/{cuid}/column/csv.</summary>
public sealed class LegacyProtocolSpecs
{
    private const string Csv = "step,t0707-loss_step,t0707-loss_timestamp\n0,0.5,1751825820000\n1,NaN,1751825821000\n2,0.25,1751825822000\n";

    private static StubHandler LegacyServer()
    {
        var stub = new StubHandler()
            .On("GET /api/project/alice/demo/runs/r1", (_, _) => StubHandler.Json(
                """{"cuid":"r1","name":"t0707","createdAt":"2024-08-01T00:00:00.000Z","state":"FINISHED","profile":{"config":{}}}"""))
            .On("GET /api/project/alice/demo", (_, _) => StubHandler.Json("""{"cuid":"p1","name":"demo","path":"alice/demo"}"""))
            .On("GET /api/experiment/r1/column/csv", (_, _) => StubHandler.Json("""{"url":"/files/r1-loss.csv"}"""))
            .On("GET /files/r1-loss.csv", (_, _) => new HttpResponseMessage(HttpStatusCode.OK) { Content = new StringContent(Csv, Encoding.UTF8, "text/csv") })
            .On("GET /api/experiment/r1/column", (_, _) => StubHandler.Json(
                """{"list":[{"key":"loss","type":"FLOAT","class":"CUSTOM"},{"key":"img","type":"IMAGE","class":"CUSTOM"}],"size":100,"pages":1,"total":2}"""));
        return stub;
    }

    [Fact]
    public async Task Should_fall_back_to_the_078_csv_endpoint_after_a_house_404_and_say_so()
    {
        var stub = LegacyServer();
        await using var api = await SwanLabApi.ConnectAsync(StubHandler.Options(stub));
        var run = await api.RunAsync("alice/demo/r1");
        Assert.Equal(SwanLabProtocol.Unknown, api.Protocol);
        var points = new List<MetricPoint>();
        await foreach (var point in run.StreamMetricAsync("loss"))
            points.Add(point);
        Assert.Equal(SwanLabProtocol.Legacy, api.Protocol);
        Assert.Equal([0L, 1, 2], points.Select(p => p.Step));
        Assert.True(double.IsNaN(points[1].Value));
        Assert.Equal(1751825822000, points[2].TimestampMs);
        Assert.Equal(1, stub.Hits("POST /api/house/metrics/scalar/keys"));
        var table = await run.MetricsAsync(["loss"]);
        Assert.Equal("step,loss\n0,0.5\n1,NaN\n2,0.25\n", table.ToCsv());
        Assert.Equal(1, stub.Hits("POST /api/house/metrics/scalar/keys"));
        Assert.Equal(0, stub.Hits("POST /api/house/metrics/scalar/export"));
        Assert.Equal(SwanLabProtocol.Legacy, await api.DetectProtocolAsync());
    }

    [Fact]
    public async Task Should_detect_a_legacy_server_with_one_probe()
    {
        await using var api = await SwanLabApi.ConnectAsync(StubHandler.Options(LegacyServer()));
        Assert.Equal(SwanLabProtocol.Legacy, await api.DetectProtocolAsync());
    }

    [Fact]
    public async Task Should_list_keys_from_the_column_list_and_refuse_house_only_reads_clearly()
    {
        var stub = LegacyServer();
        await using var api = await SwanLabApi.ConnectAsync(StubHandler.Options(stub));
        var run = await api.RunAsync("alice/demo/r1");
        var keys = new List<SeriesKey>();
        await foreach (var key in run.SeriesKeysAsync())
            keys.Add(key);
        Assert.Equal(["loss"], keys.Select(k => k.Key));
        Assert.Equal(SwanLabProtocol.Legacy, api.Protocol);
        var media = new List<SeriesKey>();
        await foreach (var key in run.SeriesKeysAsync(SeriesKind.Media))
            media.Add(key);
        Assert.Equal(["img"], media.Select(k => k.Key));
        var ex = await Assert.ThrowsAsync<SwanLabNotSupportedException>(() => run.MetricStatsAsync(["loss"]));
        Assert.Contains("0.7.8", ex.Message);
        await Assert.ThrowsAsync<SwanLabNotSupportedException>(() => run.SampledMetricAsync("loss"));
        // Logs are asked, not assumed missing: the 404 for the route is recorded once, with the server's answer.
        var logs = await Assert.ThrowsAsync<SwanLabCapabilityUnavailableException>(async () => { await foreach (var _ in run.LogsAsync()) { } });
        Assert.Equal(ServerCapability.Logs, logs.Unavailable.Capability);
        Assert.Equal("GET /api/house/metrics/log answered HTTP 404 Not Found: no route / NOT_FOUND", logs.Unavailable.Answer);
        await Assert.ThrowsAsync<SwanLabCapabilityUnavailableException>(() => run.AllLogsAsync());
        Assert.Equal(1, stub.Hits("GET /api/house/metrics/log"));
    }

    [Fact]
    public async Task Should_not_switch_protocol_because_one_run_is_missing_on_a_house_server()
    {
        var stub = new StubHandler()
            .On("GET /api/project/alice/demo/runs/r1", (_, _) => StubHandler.Json(
                """{"cuid":"r1","name":"gone","createdAt":"2024-08-01T00:00:00.000Z","project_id":"p1"}"""))
            .On("POST /api/house/metrics/scalar/keys", (_, _) => StubHandler.Json("""{"keys":[],"hasMore":false,"nextCursor":""}"""))
            .On("POST /api/house/metrics/scalar/export", (_, _) => StubHandler.Status(HttpStatusCode.NotFound, """{"code":"NOT_FOUND","message":"experiment"}"""));
        await using var api = await SwanLabApi.ConnectAsync(StubHandler.Options(stub));
        var run = await api.RunAsync("alice/demo/r1");
        await Assert.ThrowsAsync<SwanLabNotFoundException>(async () => { await foreach (var _ in run.StreamMetricAsync("loss")) { } });
        Assert.Equal(SwanLabProtocol.House, api.Protocol);
        Assert.Equal(0, stub.Hits("GET /api/experiment/r1/column/csv"));
    }
}
