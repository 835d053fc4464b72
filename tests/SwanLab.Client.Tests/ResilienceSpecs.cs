using System.Net;
using System.Threading.RateLimiting;

namespace SwanLab.Client.Tests;

/// <summary>Retry, error mapping and session behaviour, against a scripted in-memory server.</summary>
public sealed class ResilienceSpecs
{
    private const string WorkspaceRoute = "GET /api/group/alice";
    private const string WorkspaceJson = """{"name":"Alice","username":"alice","type":"PERSON","comment":"","role":"OWNER","profile":{}}""";

    [Theory]
    [InlineData(HttpStatusCode.TooManyRequests)]
    [InlineData(HttpStatusCode.InternalServerError)]
    [InlineData(HttpStatusCode.BadGateway)]
    [InlineData(HttpStatusCode.ServiceUnavailable)]
    [InlineData(HttpStatusCode.GatewayTimeout)]
    public async Task Should_retry_each_transient_status_then_succeed(HttpStatusCode status)
    {
        var stub = new StubHandler().On(WorkspaceRoute, (_, hit) => hit < 2 ? StubHandler.Status(status) : StubHandler.Json(WorkspaceJson));
        await using var api = await SwanLabApi.ConnectAsync(StubHandler.Options(stub));
        var workspace = await api.WorkspaceAsync();
        Assert.Equal("alice", workspace.Username);
        Assert.Equal(3, stub.Hits(WorkspaceRoute));
        Assert.Equal(2, api.Statistics.Retries);
        Assert.Equal(status == HttpStatusCode.TooManyRequests ? 2 : 0, api.Statistics.RateLimited);
    }

    [Fact]
    public async Task Should_tell_the_observer_of_each_retry_with_its_endpoint_and_reason()
    {
        var stub = new StubHandler().On(WorkspaceRoute, (_, hit) => hit < 2 ? StubHandler.Status(HttpStatusCode.ServiceUnavailable) : StubHandler.Json(WorkspaceJson));
        var retries = new System.Collections.Concurrent.ConcurrentQueue<SwanLabRetryEvent>();
        var options = StubHandler.Options(stub);
        await using var api = await SwanLabApi.ConnectAsync(new SwanLabApiOptions
        {
            ApiKey = options.ApiKey, Host = options.Host, HttpHandler = stub, MaxRetries = 3, RetryBaseDelay = TimeSpan.FromMilliseconds(1),
            Environment = options.Environment, OnRetry = retries.Enqueue,
        });

        await api.WorkspaceAsync();

        Assert.Equal([(WorkspaceRoute, 0, "HTTP 503 Service Unavailable"), (WorkspaceRoute, 1, "HTTP 503 Service Unavailable")],
            retries.Select(r => (r.Endpoint, r.Attempt, r.Reason)));
    }

    [Fact]
    public async Task Should_not_retry_a_failed_TLS_handshake()
    {
        var stub = new StubHandler().On("POST /api/login/api_key", (_, _) =>
            throw new HttpRequestException(HttpRequestError.SecureConnectionError, "The SSL connection could not be established"));

        var ex = await Assert.ThrowsAsync<SwanLabConnectionException>(() => SwanLabApi.ConnectAsync(StubHandler.Options(stub, retries: 5)));

        Assert.Equal(1, stub.Hits("POST /api/login/api_key"));
        Assert.Contains("SSL", ex.Message);
    }

    [Fact]
    public async Task Should_retry_connection_resets_and_timeouts()
    {
        var stub = new StubHandler().On(WorkspaceRoute, (_, hit) => hit switch
        {
            0 => throw new HttpRequestException("connection reset", new IOException("reset")),
            1 => throw new IOException("broken pipe"),
            2 => throw new TaskCanceledException("timeout"),
            _ => StubHandler.Json(WorkspaceJson),
        });
        await using var api = await SwanLabApi.ConnectAsync(StubHandler.Options(stub, retries: 3));
        Assert.Equal("Alice", (await api.WorkspaceAsync()).Name);
        Assert.Equal(3, api.Statistics.ConnectionFaults);
    }

    [Fact]
    public async Task Should_honour_retry_after_and_report_each_429()
    {
        var events = new List<SwanLabRateLimitedEvent>();
        var stub = new StubHandler().On(WorkspaceRoute, (_, hit) =>
        {
            if (hit > 0)
                return StubHandler.Json(WorkspaceJson);
            var limited = StubHandler.Status(HttpStatusCode.TooManyRequests);
            limited.Headers.RetryAfter = new System.Net.Http.Headers.RetryConditionHeaderValue(TimeSpan.FromMilliseconds(20));
            return limited;
        });
        var options = StubHandler.Options(stub);
        await using var api = await SwanLabApi.ConnectAsync(new SwanLabApiOptions
        {
            ApiKey = options.ApiKey, Host = options.Host, HttpHandler = stub, MaxRetries = 2, RetryBaseDelay = TimeSpan.FromMilliseconds(1),
            Environment = options.Environment, OnRateLimited = e => { lock (events) events.Add(e); },
        });
        var raised = 0;
        api.RateLimited += _ => Interlocked.Increment(ref raised);
        await api.WorkspaceAsync();
        var e = Assert.Single(events);
        Assert.Equal("GET /api/group/alice", e.Endpoint);
        Assert.Equal(0, e.Attempt);
        Assert.Equal(1, raised);
    }

    [Fact]
    public async Task Should_throw_rate_limited_with_retry_after_when_429_persists()
    {
        var stub = new StubHandler().On(WorkspaceRoute, (_, _) =>
        {
            var limited = StubHandler.Status(HttpStatusCode.TooManyRequests);
            limited.Headers.RetryAfter = new System.Net.Http.Headers.RetryConditionHeaderValue(TimeSpan.FromSeconds(0));
            return limited;
        });
        await using var api = await SwanLabApi.ConnectAsync(StubHandler.Options(stub, retries: 2));
        var ex = await Assert.ThrowsAsync<SwanLabRateLimitedException>(() => api.WorkspaceAsync());
        Assert.Equal(TimeSpan.Zero, ex.RetryAfter);
        Assert.Equal(3, stub.Hits(WorkspaceRoute));
        Assert.Equal(3, api.Statistics.RateLimited);
    }

    [Fact]
    public async Task Should_throw_server_error_after_retries_with_trace_id_and_server_message()
    {
        var stub = new StubHandler().On(WorkspaceRoute, (_, _) =>
        {
            var failed = StubHandler.Status(HttpStatusCode.InternalServerError, """{"code":"BOOM","message":"database on fire"}""");
            failed.Headers.Add("traceid", "t-123");
            return failed;
        });
        await using var api = await SwanLabApi.ConnectAsync(StubHandler.Options(stub, retries: 1));
        var ex = await Assert.ThrowsAsync<SwanLabServerException>(() => api.WorkspaceAsync());
        Assert.Equal("BOOM", ex.ServerCode);
        Assert.Equal("t-123", ex.TraceId);
        Assert.Contains("database on fire", ex.Message);
        Assert.Equal(HttpStatusCode.InternalServerError, ex.StatusCode);
    }

    [Fact]
    public async Task Should_throw_connection_error_when_the_server_is_unreachable()
    {
        var stub = new StubHandler().On("POST /api/login/api_key", (_, _) => throw new HttpRequestException("refused"));
        var ex = await Assert.ThrowsAsync<SwanLabConnectionException>(() => SwanLabApi.ConnectAsync(StubHandler.Options(stub, retries: 1)));
        Assert.DoesNotContain(StubHandler.Key, ex.ToString());
    }

    [Fact]
    public async Task Should_map_404_and_403_to_typed_errors_without_retrying()
    {
        var stub = new StubHandler()
            .On("GET /api/project/alice/nope", (_, _) => StubHandler.Status(HttpStatusCode.NotFound))
            .On("GET /api/project/alice/secret", (_, _) => StubHandler.Status(HttpStatusCode.Forbidden));
        await using var api = await SwanLabApi.ConnectAsync(StubHandler.Options(stub));
        var notFound = await Assert.ThrowsAsync<SwanLabNotFoundException>(() => api.ProjectAsync("alice/nope"));
        Assert.Contains("alice/nope", notFound.Message);
        await Assert.ThrowsAsync<SwanLabForbiddenException>(() => api.ProjectAsync("alice/secret"));
        Assert.Equal(1, stub.Hits("GET /api/project/alice/nope"));
    }

    [Fact]
    public async Task Should_raise_a_protocol_error_for_a_body_that_is_not_json()
    {
        var stub = new StubHandler().On(WorkspaceRoute, (_, _) => StubHandler.Json("<html>proxy error</html>"));
        await using var api = await SwanLabApi.ConnectAsync(StubHandler.Options(stub));
        var ex = await Assert.ThrowsAsync<SwanLabProtocolException>(() => api.WorkspaceAsync());
        Assert.Equal("GET /api/group/alice", ex.Endpoint);
    }

    [Fact]
    public async Task Should_reject_a_wrong_key_with_an_authentication_error_that_hides_the_key()
    {
        var stub = new StubHandler();
        var options = StubHandler.Options(stub);
        var ex = await Assert.ThrowsAsync<SwanLabAuthenticationException>(() => SwanLabApi.ConnectAsync(new SwanLabApiOptions
        {
            ApiKey = "wrongwrongwrongwrong1", Host = options.Host, HttpHandler = stub, Environment = options.Environment,
        }));
        Assert.DoesNotContain("wrongwrongwrongwrong1", ex.ToString());
        Assert.Equal(HttpStatusCode.Unauthorized, ex.StatusCode);
    }

    [Fact]
    public async Task Should_send_the_key_only_to_login_and_the_sid_cookie_afterwards()
    {
        var stub = new StubHandler().On(WorkspaceRoute, (_, _) => StubHandler.Json(WorkspaceJson));
        await using var api = await SwanLabApi.ConnectAsync(StubHandler.Options(stub));
        await api.WorkspaceAsync();
        var requests = stub.Requests.ToList();
        Assert.Equal(("POST /api/login/api_key", (string?)null, StubHandler.Key), (requests[0].Route, requests[0].Cookie, requests[0].Authorization));
        Assert.Equal((WorkspaceRoute, "sid=sid-1", (string?)null), (requests[1].Route, requests[1].Cookie, requests[1].Authorization));
        Assert.Equal("alice", api.Username);
        Assert.DoesNotContain(StubHandler.Key, api.ToString());
    }

    [Fact]
    public async Task Should_log_in_again_when_the_session_is_within_seven_days_of_expiry()
    {
        var stub = new StubHandler { ExpiredAt = DateTime.UtcNow.AddDays(3).ToString("yyyy-MM-ddTHH:mm:ss.fffZ", System.Globalization.CultureInfo.InvariantCulture) }
            .On(WorkspaceRoute, (_, _) => StubHandler.Json(WorkspaceJson));
        await using var api = await SwanLabApi.ConnectAsync(StubHandler.Options(stub));
        await api.WorkspaceAsync();
        await api.WorkspaceAsync();
        Assert.Equal(3, stub.Hits("POST /api/login/api_key"));
        Assert.Equal("sid=sid-3", stub.Requests.Last().Cookie);
    }

    [Fact]
    public async Task Should_log_in_again_once_when_the_server_rejects_the_sid()
    {
        var stub = new StubHandler().On(WorkspaceRoute, (request, _) =>
            request.Headers.GetValues("Cookie").Single() == "sid=sid-1" ? StubHandler.Status(HttpStatusCode.Unauthorized) : StubHandler.Json(WorkspaceJson));
        await using var api = await SwanLabApi.ConnectAsync(StubHandler.Options(stub));
        await api.WorkspaceAsync();
        Assert.Equal(2, api.Statistics.Logins);
    }

    [Fact]
    public async Task Should_take_one_permit_per_attempt_from_a_shared_limiter()
    {
        using var limiter = new TokenBucketRateLimiter(new TokenBucketRateLimiterOptions
        {
            TokenLimit = 100, TokensPerPeriod = 100, ReplenishmentPeriod = TimeSpan.FromHours(1), QueueLimit = 10, AutoReplenishment = false,
        });
        var stub = new StubHandler().On(WorkspaceRoute, (_, hit) => hit == 0 ? StubHandler.Status(HttpStatusCode.BadGateway) : StubHandler.Json(WorkspaceJson));
        var o = StubHandler.Options(stub);
        var options = new SwanLabApiOptions
        {
            ApiKey = o.ApiKey, Host = o.Host, HttpHandler = stub, RetryBaseDelay = o.RetryBaseDelay, Environment = o.Environment, RateLimiter = limiter,
        };
        await using var first = await SwanLabApi.ConnectAsync(options);
        await using var second = await SwanLabApi.ConnectAsync(options);
        await first.WorkspaceAsync();
        await second.WorkspaceAsync();
        // 2 logins + 2 attempts for the first call + 1 for the second.
        Assert.Equal(95, limiter.GetStatistics()!.CurrentAvailablePermits);
    }

    [Fact]
    public async Task Should_validate_paths_before_sending_anything()
    {
        var stub = new StubHandler();
        await using var api = await SwanLabApi.ConnectAsync(StubHandler.Options(stub));
        var before = stub.Requests.Count;
        await Assert.ThrowsAsync<ArgumentException>(() => api.RunAsync("alice/demo"));
        await Assert.ThrowsAsync<ArgumentException>(() => api.ProjectAsync("alice/.."));
        await Assert.ThrowsAsync<ArgumentException>(async () => { await foreach (var _ in api.RunsAsync("alice//demo")) { } });
        Assert.Equal(before, stub.Requests.Count);
    }

    [Fact]
    public async Task Should_not_count_waiting_for_a_permit_against_the_attempt_timeout()
    {
        using var limiter = new TokenBucketRateLimiter(new TokenBucketRateLimiterOptions
        {
            TokenLimit = 1, TokensPerPeriod = 1, ReplenishmentPeriod = TimeSpan.FromMilliseconds(400), QueueLimit = 10, AutoReplenishment = true,
        });
        var stub = new StubHandler().On(WorkspaceRoute, (_, _) => StubHandler.Json(WorkspaceJson));
        var o = StubHandler.Options(stub);
        await using var api = await SwanLabApi.ConnectAsync(new SwanLabApiOptions
        {
            ApiKey = o.ApiKey, Host = o.Host, HttpHandler = stub, Environment = o.Environment, RateLimiter = limiter,
            AttemptTimeout = TimeSpan.FromMilliseconds(150), MaxRetries = 0,
        });
        await api.WorkspaceAsync();
        await api.WorkspaceAsync();
        Assert.Equal(3, stub.Requests.Count);
    }
}
