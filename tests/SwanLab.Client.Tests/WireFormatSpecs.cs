using System.Net;

namespace SwanLab.Client.Tests;

/// <summary>What exactly goes on the wire, pinned against a scripted server.</summary>
public sealed class WireFormatSpecs
{
    private static string Page(string items, int pages) => $$"""{"list":[{{items}}],"size":1,"pages":{{pages}},"total":{{pages}}}""";

    [Fact]
    public async Task Should_post_the_sdk_filter_list_to_runs_shows()
    {
        var stub = new StubHandler().On("POST /api/project/alice/demo/runs/shows", (_, _) => StubHandler.Json("[]"));
        await using var api = await SwanLabApi.ConnectAsync(StubHandler.Options(stub));
        await foreach (var _ in api.RunsAsync("alice/demo", new Dictionary<string, object?> { ["state"] = "FINISHED", ["config.optimizer.lr"] = "0.01" })) { }
        await foreach (var _ in api.RunsAsync("alice/demo")) { }
        var bodies = stub.Requests.Where(r => r.Route.EndsWith("/runs/shows", StringComparison.Ordinal)).Select(r => r.Body).ToList();
        Assert.Equal(
            """{"filters":[{"key":"state","active":true,"value":["FINISHED"],"op":"EQ","type":"STABLE"},{"key":"optimizer.lr","active":true,"value":["0.01"],"op":"EQ","type":"CONFIG"}]}""",
            bodies[0]);
        Assert.Equal("""{"filters":[]}""", bodies[1]);
    }

    [Fact]
    public async Task Should_send_paging_sort_search_and_python_booleans_and_stop_at_the_last_page()
    {
        var stub = new StubHandler().On("GET /api/project/alice", (request, hit) =>
            StubHandler.Json(Page($$"""{"name":"p{{hit}}","path":"alice/p{{hit}}"}""", pages: 3)));
        var options = StubHandler.Options(stub);
        await using var api = await SwanLabApi.ConnectAsync(new SwanLabApiOptions
        {
            ApiKey = options.ApiKey, Host = options.Host, HttpHandler = stub, Environment = options.Environment, PageSize = 1,
        });
        var names = new List<string>();
        await foreach (var project in api.ProjectsAsync("alice", sort: "name", search: "a b", detail: false))
            names.Add(project.Name);
        Assert.Equal(["p0", "p1", "p2"], names);
        var urls = stub.Urls.Where(u => u.StartsWith("/api/project/alice", StringComparison.Ordinal)).ToList();
        Assert.Equal("/api/project/alice?page=1&size=1&sort=name&search=a%20b&detail=False", urls[0]);
        Assert.Equal(3, urls.Count);
        await foreach (var _ in api.ProjectsAsync("alice")) { break; }
        Assert.EndsWith("detail=True", stub.Urls.Last());
    }

    [Fact]
    public async Task Should_escape_metric_keys_in_queries()
    {
        var stub = new StubHandler()
            .On("GET /api/project/alice/demo/runs/r1", (_, _) => StubHandler.Json("""{"cuid":"r1","name":"x","createdAt":"2024-08-01T00:00:00Z"}"""))
            .On("GET /api/project/alice/demo", (_, _) => StubHandler.Json("""{"cuid":"p1","name":"demo","path":"alice/demo"}"""))
            .On("GET /api/experiment/r1/column/csv", (_, _) => StubHandler.Json("""{"url":"/f.csv"}"""))
            .On("GET /f.csv", (_, _) => new HttpResponseMessage(HttpStatusCode.OK) { Content = new StringContent("step,a_step\n") });
        await using var api = await SwanLabApi.ConnectAsync(StubHandler.Options(stub));
        var run = await api.RunAsync("alice/demo/r1");
        await foreach (var _ in run.StreamMetricAsync("train/loss & more")) { }
        Assert.Contains("/api/experiment/r1/column/csv?key=train%2Floss%20%26%20more", stub.Urls);
    }

    [Fact]
    public async Task Should_send_house_queries_with_created_at_in_unix_seconds_and_root_ids_for_clones()
    {
        var stub = new StubHandler()
            .On("GET /api/project/alice/demo/runs/r2", (_, _) => StubHandler.Json(
                """{"cuid":"r2","name":"clone","createdAt":"2024-08-01T00:00:00Z","rootExpId":"r1","rootProId":"p0","project_id":"p1"}"""))
            .On("POST /api/house/metrics/scalar/keys", (_, _) => StubHandler.Json("""{"keys":[],"hasMore":false}"""))
            .On("POST /api/house/metrics/scalar/value", (_, _) => StubHandler.Json("[]"));
        await using var api = await SwanLabApi.ConnectAsync(StubHandler.Options(stub));
        var run = await api.RunAsync("alice/demo/r2");
        await run.MetricStatsAsync(["loss"]);
        var bodies = stub.Requests.Where(r => r.Route == "POST /api/house/metrics/scalar/value").Select(r => r.Body).ToList();
        Assert.Equal(2, bodies.Count);
        Assert.Contains(
            """{"projectId":"p1","xType":"step","range":[0,0],"columns":[{"experimentId":"r2","key":"loss","createdAt":1722470400,"rootProId":"p0","rootExpId":"r1"}],"num":1500}""",
            bodies);
        Assert.Contains(bodies, b => b!.Contains("\"xType\":\"timestamp\"", StringComparison.Ordinal));
    }

    [Fact]
    public async Task Should_report_an_unreachable_host_as_a_connection_error()
    {
        var ex = await Assert.ThrowsAsync<SwanLabConnectionException>(() => SwanLabApi.ConnectAsync(new SwanLabApiOptions
        {
            ApiKey = StubHandler.Key, Host = "http://127.0.0.1:1", MaxRetries = 1, RetryBaseDelay = TimeSpan.FromMilliseconds(1),
            Environment = SwanLabEnvironment.Empty(Path.GetTempPath()),
        }));
        Assert.Contains("127.0.0.1:1", ex.Message);
        Assert.DoesNotContain(StubHandler.Key, ex.ToString());
    }

    [Fact]
    public async Task Should_let_caller_cancellation_through_unwrapped()
    {
        var stub = new StubHandler().On("GET /api/group/alice", (_, _) => throw new OperationCanceledException());
        await using var api = await SwanLabApi.ConnectAsync(StubHandler.Options(stub));
        using var cts = new CancellationTokenSource();
        await cts.CancelAsync();
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => api.WorkspaceAsync(ct: cts.Token));
    }
}
