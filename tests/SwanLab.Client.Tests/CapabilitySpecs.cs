using System.Net;
using System.Text;

namespace SwanLab.Client.Tests;

/// <summary>
/// A 404 for an optional read's route (logs, media, summaries) makes the read unavailable on that server, once; a 404
/// for the run stays a failure. Servers of different make say "no route" differently, or not at all.
/// </summary>
public sealed class CapabilitySpecs
{
    private const string RunRoute = "GET /api/project/alice/demo/runs/r1";
    private const string LogRoute = "GET /api/house/metrics/log";

    private static StubHandler Server(Func<HttpResponseMessage> logAnswer, Func<int, HttpResponseMessage>? runAnswer = null) => new StubHandler()
        .On(RunRoute, (_, hit) => runAnswer?.Invoke(hit) ?? StubHandler.Json(
            """{"cuid":"r1","name":"t","createdAt":"2024-08-01T00:00:00.000Z","state":"FINISHED","project_id":"p1"}"""))
        .On(LogRoute, (_, _) => logAnswer());

    private static HttpResponseMessage Text(HttpStatusCode status, string text) =>
        new(status) { Content = new StringContent(text, Encoding.UTF8, "text/plain") };

    public static TheoryData<string, string> RouteAnswers() => new()
    {
        { "No route", "No route" },
        { "404 page not found", "404 page not found" },
        { """{"statusCode":404,"message":"Cannot GET /api/house/metrics/log?experimentId=r1","error":"Not Found"}""",
            "Cannot GET /api/house/metrics/log?experimentId=r1 / Not Found" },
        { """{"errmsg":"No route"}""", "No route" },
    };

    [Theory]
    [MemberData(nameof(RouteAnswers))]
    public async Task Should_record_a_missing_log_route_once_from_what_its_404_says(string body, string said)
    {
        var stub = Server(() => Text(HttpStatusCode.NotFound, body));
        await using var api = await SwanLabApi.ConnectAsync(StubHandler.Options(stub));
        var run = await api.RunAsync("alice/demo/r1");

        var ex = await Assert.ThrowsAsync<SwanLabCapabilityUnavailableException>(() => run.AllLogsAsync());
        await Assert.ThrowsAsync<SwanLabCapabilityUnavailableException>(() => run.AllLogsAsync());

        Assert.Equal($"GET /api/house/metrics/log answered HTTP 404 Not Found: {said}", ex.Unavailable.Answer);
        Assert.Equal([ex.Unavailable], api.Capabilities.Unavailable);
        Assert.Equal(1, stub.Hits(LogRoute));
        // The body said it: no extra request to check the run.
        Assert.Equal(1, stub.Hits(RunRoute));
    }

    [Fact]
    public async Task Should_check_the_run_when_a_404_says_nothing_and_call_the_route_missing_when_the_run_is_there()
    {
        var stub = Server(() => Text(HttpStatusCode.NotFound, ""));
        await using var api = await SwanLabApi.ConnectAsync(StubHandler.Options(stub));
        var run = await api.RunAsync("alice/demo/r1");

        var ex = await Assert.ThrowsAsync<SwanLabCapabilityUnavailableException>(() => run.AllLogsAsync());

        Assert.Equal("GET /api/house/metrics/log answered HTTP 404 Not Found", ex.Unavailable.Answer);
        Assert.Equal(2, stub.Hits(RunRoute));
    }

    [Fact]
    public async Task Should_learn_a_missing_route_from_one_request_however_many_runs_ask_at_once()
    {
        // Each answer waits (bounded) for a second request in flight, so reads that were not held back would overlap.
        var inFlight = 0;
        using var second = new ManualResetEventSlim();
        var stub = Server(() =>
        {
            if (Interlocked.Increment(ref inFlight) >= 2)
                second.Set();
            second.Wait(TimeSpan.FromMilliseconds(300));
            Interlocked.Decrement(ref inFlight);
            return Text(HttpStatusCode.NotFound, "");
        });
        await using var api = await SwanLabApi.ConnectAsync(StubHandler.Options(stub));
        var run = await api.RunAsync("alice/demo/r1");

        var reads = Enumerable.Range(0, 16).Select(_ => Task.Run(() => run.AllLogsAsync())).ToList();
        foreach (var read in reads)
            await Assert.ThrowsAsync<SwanLabCapabilityUnavailableException>(() => read);

        Assert.Equal(1, stub.Hits(LogRoute));
        Assert.Equal(2, stub.Hits(RunRoute));
    }

    [Fact]
    public async Task Should_fail_the_run_when_a_404_that_says_nothing_comes_for_a_run_that_is_gone()
    {
        var stub = Server(() => Text(HttpStatusCode.NotFound, ""),
            hit => hit == 0
                ? StubHandler.Json("""{"cuid":"r1","name":"t","createdAt":"2024-08-01T00:00:00.000Z","project_id":"p1"}""")
                : StubHandler.Status(HttpStatusCode.NotFound, """{"code":"NOT_FOUND","message":"experiment not found"}"""));
        await using var api = await SwanLabApi.ConnectAsync(StubHandler.Options(stub));
        var run = await api.RunAsync("alice/demo/r1");

        await Assert.ThrowsAsync<SwanLabNotFoundException>(() => run.AllLogsAsync());

        Assert.Empty(api.Capabilities.Unavailable);
    }

    [Theory]
    [InlineData("""{"code":"NOT_FOUND","message":"experiment not found"}""")]
    [InlineData("""{"code":"Disabled_Resource","message":"experiment has been deleted"}""")]
    public async Task Should_fail_the_run_when_the_404_is_about_the_run(string body)
    {
        var stub = Server(() => StubHandler.Status(HttpStatusCode.NotFound, body));
        await using var api = await SwanLabApi.ConnectAsync(StubHandler.Options(stub));
        var run = await api.RunAsync("alice/demo/r1");

        var ex = await Assert.ThrowsAsync<SwanLabNotFoundException>(() => run.AllLogsAsync());

        Assert.Contains("Logs of run 'alice/demo/r1'", ex.Message, StringComparison.Ordinal);
        Assert.Empty(api.Capabilities.Unavailable);
        Assert.Equal(1, stub.Hits(RunRoute));
    }

    [Fact]
    public async Task Should_fail_the_run_on_any_404_once_the_route_has_answered()
    {
        var answers = 0;
        var stub = Server(() => Interlocked.Increment(ref answers) == 1
            ? StubHandler.Json("""{"logs":[],"count":0}""")
            : Text(HttpStatusCode.NotFound, "No route"));
        await using var api = await SwanLabApi.ConnectAsync(StubHandler.Options(stub));
        var run = await api.RunAsync("alice/demo/r1");

        await Assert.ThrowsAsync<SwanLabNotFoundException>(() => run.AllLogsAsync());

        Assert.Equal([ServerCapability.Logs], api.Capabilities.Offered);
        Assert.Empty(api.Capabilities.Unavailable);
    }

    [Fact]
    public async Task Should_record_missing_media_and_summaries_routes_as_unavailable()
    {
        var stub = new StubHandler()
            .On(RunRoute, (_, _) => StubHandler.Json(
                """{"cuid":"r1","name":"t","createdAt":"2024-08-01T00:00:00.000Z","state":"FINISHED","project_id":"p1"}"""))
            .On("POST /api/house/metrics/scalar/keys", (_, _) => StubHandler.Json("""{"keys":["loss"],"hasMore":false,"nextCursor":""}"""))
            .On("POST /api/house/metrics/media/keys", (_, _) => Text(HttpStatusCode.NotFound, "No route"))
            .On("POST /api/house/metrics/summaries", (_, _) => Text(HttpStatusCode.NotFound, "No route"));
        await using var api = await SwanLabApi.ConnectAsync(StubHandler.Options(stub));
        var run = await api.RunAsync("alice/demo/r1");

        await Assert.ThrowsAsync<SwanLabCapabilityUnavailableException>(async () => { await foreach (var _ in run.MediaAsync()) { } });
        await Assert.ThrowsAsync<SwanLabCapabilityUnavailableException>(() => run.SummaryAsync());

        Assert.Equal([ServerCapability.Media, ServerCapability.Summaries], api.Capabilities.Unavailable.Select(u => u.Capability));
        Assert.Equal("POST /api/house/metrics/media/keys answered HTTP 404 Not Found: No route", api.Capabilities.Unavailable[0].Answer);
    }
}
