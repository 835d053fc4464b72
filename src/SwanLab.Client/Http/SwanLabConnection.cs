using System.Globalization;
using System.Net;
using System.Net.Http.Headers;
using System.Text.Json;
using Polly;
using System.Threading.RateLimiting;
using Polly.RateLimiting;
using Polly.Retry;
using Polly.Timeout;
using SwanLab.Client.Auth;

namespace SwanLab.Client.Http;

/// <summary>How a request authenticates.</summary>
internal enum RequestAuth
{
    /// <summary>Cookie <c>sid</c> of the current session (logging in or renewing first when needed).</summary>
    Session,
    /// <summary>Header <c>authorization: &lt;api key&gt;</c> (login only).</summary>
    ApiKey,
    /// <summary>Nothing: presigned object-store URLs carry their own signature.</summary>
    None,
}

/// <summary>Which failed attempts of one request the pipeline may repeat.</summary>
internal enum RequestRetry
{
    /// <summary>429, 5xx, connection faults and timeouts: for reads and idempotent writes.</summary>
    Transient,
    /// <summary>
    /// Only failures after which the server certainly did not act on the request: 429 (refused before processing) and a
    /// connection that could not be established. For writes a repeat could duplicate (metric batches).
    /// </summary>
    NotDelivered,
    /// <summary>No repeat at all.</summary>
    None,
}

/// <summary>The logged-in session. <see cref="ToString"/> hides the sid.</summary>
internal sealed record SwanLabSession(string Sid, DateTimeOffset? ExpiresAt, string Username, string? DisplayName)
{
    public override string ToString() => $"SwanLabSession {{ Username = {Username}, ExpiresAt = {ExpiresAt:O}, Sid = *** }}";
}

/// <summary>
/// The single HTTP path of a client: one <see cref="HttpClient"/>, one Polly pipeline (retry 429/5xx/connection
/// faults with jittered exponential backoff honouring <c>Retry-After</c>, per-attempt timeout), one shared rate limiter
/// permit per attempt, and the session (login, renewal 7 days before expiry as the SDK does, renewal on a 401).
/// </summary>
internal sealed class SwanLabConnection : IDisposable
{
    private static readonly TimeSpan RenewBeforeExpiry = TimeSpan.FromDays(7);
    private static readonly HashSet<HttpStatusCode> TransientStatuses =
    [
        HttpStatusCode.TooManyRequests, HttpStatusCode.InternalServerError, HttpStatusCode.BadGateway,
        HttpStatusCode.ServiceUnavailable, HttpStatusCode.GatewayTimeout,
    ];

    private readonly HttpClient _http;
    private readonly string _apiKey;
    private readonly SwanLabApiOptions _options;
    private readonly ResiliencePipeline<HttpResponseMessage> _pipeline;
    private readonly SemaphoreSlim _loginLock = new(1, 1);
    private SwanLabSession? _session;

    public SwanLabConnection(ResolvedCredentials credentials, SwanLabApiOptions options, SwanLabApiStatistics statistics)
    {
        _options = options;
        _apiKey = credentials.ApiKey;
        Statistics = statistics;
        ApiHost = credentials.ApiHost;
        WebHost = credentials.WebHost;
        Origin = new Uri(credentials.ApiHost + "/", UriKind.Absolute);
        ApiBase = new Uri(Origin, "api/");
        var handler = options.HttpHandler ?? new SocketsHttpHandler
        {
            UseCookies = false,
            PooledConnectionLifetime = TimeSpan.FromMinutes(5),
            AutomaticDecompression = DecompressionMethods.All,
        };
        _http = new HttpClient(handler, disposeHandler: options.HttpHandler is null) { Timeout = Timeout.InfiniteTimeSpan };
        _http.DefaultRequestHeaders.UserAgent.Add(new ProductInfoHeaderValue("SwanLab.Client", "0.1"));
        _pipeline = BuildPipeline(options, statistics);
    }

    public SwanLabApiStatistics Statistics { get; }
    public string ApiHost { get; }
    public string WebHost { get; }
    public Uri Origin { get; }
    public Uri ApiBase { get; }
    public SwanLabApiOptions Options => _options;
    public SwanLabSession? Session => Volatile.Read(ref _session);

    /// <summary>Raised on every 429 (in addition to <see cref="SwanLabApiOptions.OnRateLimited"/>).</summary>
    public event Action<SwanLabRateLimitedEvent>? RateLimited;

    private static ResiliencePipeline<HttpResponseMessage> BuildPipeline(SwanLabApiOptions options, SwanLabApiStatistics statistics)
    {
        var builder = new ResiliencePipelineBuilder<HttpResponseMessage>();
        if (options.MaxRetries > 0)
        {
            builder.AddRetry(new RetryStrategyOptions<HttpResponseMessage>
            {
                MaxRetryAttempts = options.MaxRetries,
                BackoffType = DelayBackoffType.Exponential,
                UseJitter = true,
                Delay = options.RetryBaseDelay,
                MaxDelay = options.MaxRetryDelay,
                ShouldHandle = args => new ValueTask<bool>(args.Context.Properties.GetValue(RetryKey, RequestRetry.Transient) switch
                {
                    RequestRetry.None => false,
                    RequestRetry.NotDelivered => args.Outcome switch
                    {
                        { Exception: HttpRequestException e } => NeverReachedServer(e),
                        { Result: { StatusCode: HttpStatusCode.TooManyRequests } } => true,
                        _ => false,
                    },
                    _ => IsTransient(args.Outcome, args.Context.CancellationToken),
                }),
                DelayGenerator = args =>
                {
                    var retryAfter = args.Outcome.Result is { } response ? RetryAfterOf(response) : null;
                    return new ValueTask<TimeSpan?>(retryAfter is { } wait
                        ? (wait > options.MaxRetryDelay ? options.MaxRetryDelay : wait)
                        : null);
                },
                OnRetry = args =>
                {
                    statistics.CountRetry();
                    if (options.OnRetry is { } observe)
                    {
                        var reason = args.Outcome.Result is { } failed
                            ? $"HTTP {(int)failed.StatusCode} {failed.ReasonPhrase}"
                            : args.Outcome.Exception?.Message ?? "unknown failure";
                        observe(new SwanLabRetryEvent(args.Context.Properties.GetValue(EndpointKey, "?"), args.AttemptNumber,
                            args.RetryDelay, reason));
                    }
                    return default;
                },
            });
        }
        // Between retry and timeout: every attempt takes a permit, and queueing for one never eats the attempt's timeout.
        if (options.RateLimiter is { } limiter)
        {
            builder.AddRateLimiter(new RateLimiterStrategyOptions
            {
                RateLimiter = args => args.Context.Properties.GetValue(SpendsApiBudget, true)
                    ? AcquirePermitAsync(limiter, args.Context.CancellationToken)
                    : new ValueTask<RateLimitLease>(FreeLease.Instance),
            });
        }
        builder.AddTimeout(options.AttemptTimeout);
        return builder.Build();
    }

    private static bool IsTransient(Outcome<HttpResponseMessage> outcome, CancellationToken ct) => outcome switch
    {
        // A TLS handshake that fails fails the same way every time (plain-HTTP server, bad certificate).
        { Exception: HttpRequestException { HttpRequestError: HttpRequestError.SecureConnectionError } } => false,
        { Exception: HttpRequestException or IOException or TimeoutRejectedException } => true,
        // A cancellation the caller did not ask for is a timeout further down (handler, proxy).
        { Exception: OperationCanceledException } => !ct.IsCancellationRequested,
        { Result: { } response } => TransientStatuses.Contains(response.StatusCode),
        _ => false,
    };

    /// <summary>True when the request cannot have reached the server: no connection was made, or the name did not resolve.</summary>
    internal static bool NeverReachedServer(HttpRequestException e) =>
        e.HttpRequestError is HttpRequestError.ConnectionError or HttpRequestError.NameResolutionError or HttpRequestError.ProxyTunnelError;

    internal static TimeSpan? RetryAfterOf(HttpResponseMessage response)
    {
        var header = response.Headers.RetryAfter;
        if (header?.Delta is { } delta)
            return delta < TimeSpan.Zero ? TimeSpan.Zero : delta;
        if (header?.Date is { } date)
        {
            var wait = date - DateTimeOffset.UtcNow;
            return wait < TimeSpan.Zero ? TimeSpan.Zero : wait;
        }
        return null;
    }

    public Uri ApiUri(string relativePath) => new(ApiBase, relativePath);

    /// <summary>
    /// Resolves a download URL from the server: absolute URLs are used as they are, path-only ones (self-hosted
    /// servers, SwanLab issue #1267) are resolved against the host.
    /// </summary>
    public Uri ResolveDownloadUrl(string url)
    {
        if (Uri.TryCreate(url, UriKind.Absolute, out var absolute) &&
            (absolute.Scheme == Uri.UriSchemeHttp || absolute.Scheme == Uri.UriSchemeHttps))
            return absolute;
        return new Uri(Origin, url.StartsWith('/') ? url : "/" + url);
    }

    internal static string Describe(HttpMethod method, Uri uri) => $"{method.Method} {uri.AbsolutePath}";

    // ----------------------------------------------------------------- session

    /// <summary>Logs in now (used by ConnectAsync so a wrong key fails at once).</summary>
    public async Task<SwanLabSession> LoginAsync(CancellationToken ct)
    {
        await _loginLock.WaitAsync(ct).ConfigureAwait(false);
        try
        {
            var session = await LoginCoreAsync(ct).ConfigureAwait(false);
            Volatile.Write(ref _session, session);
            return session;
        }
        finally
        {
            _loginLock.Release();
        }
    }

    private async Task<string> GetSidAsync(string? rejectedSid, CancellationToken ct)
    {
        var current = Volatile.Read(ref _session);
        if (current is not null && current.Sid != rejectedSid && !NeedsRenewal(current))
            return current.Sid;
        await _loginLock.WaitAsync(ct).ConfigureAwait(false);
        try
        {
            current = Volatile.Read(ref _session);
            if (current is not null && current.Sid != rejectedSid && !NeedsRenewal(current))
                return current.Sid;
            var session = await LoginCoreAsync(ct).ConfigureAwait(false);
            Volatile.Write(ref _session, session);
            return session.Sid;
        }
        finally
        {
            _loginLock.Release();
        }
    }

    private static bool NeedsRenewal(SwanLabSession session) =>
        session.ExpiresAt is { } expires && expires - DateTimeOffset.UtcNow <= RenewBeforeExpiry;

    private async Task<SwanLabSession> LoginCoreAsync(CancellationToken ct)
    {
        var uri = ApiUri(Endpoints.Login);
        var endpoint = Describe(HttpMethod.Post, uri);
        Statistics.CountLogin();
        using var response = await SendAsync(HttpMethod.Post, uri, body: null, RequestAuth.ApiKey, bufferBody: true, ct)
            .ConfigureAwait(false);
        if (response.StatusCode is HttpStatusCode.Unauthorized or HttpStatusCode.Forbidden)
            throw new SwanLabAuthenticationException(
                $"{ApiHost} rejected the API key (HTTP {(int)response.StatusCode}). Check the key, or that it belongs to this host.",
                endpoint, response.StatusCode, traceId: TraceIdOf(response));
        await EnsureSuccessAsync(response, endpoint, "Login", ct).ConfigureAwait(false);
        var json = await ReadJsonAsync(response, endpoint, ct).ConfigureAwait(false);
        if (json.ValueKind != JsonValueKind.Object ||
            !json.TryGetProperty("sid", out var sid) || sid.ValueKind != JsonValueKind.String ||
            !json.TryGetProperty("userInfo", out var user) || user.ValueKind != JsonValueKind.Object ||
            !user.TryGetProperty("username", out var username) || username.ValueKind != JsonValueKind.String)
            throw new SwanLabProtocolException("The login response lacks sid or userInfo.username.", endpoint);
        DateTimeOffset? expires = null;
        if (json.TryGetProperty("expiredAt", out var expiredAt) && expiredAt.ValueKind == JsonValueKind.String &&
            DateTimeOffset.TryParse(expiredAt.GetString(), CultureInfo.InvariantCulture,
                DateTimeStyles.AssumeUniversal | DateTimeStyles.AdjustToUniversal, out var parsed))
            expires = parsed;
        var displayName = user.TryGetProperty("name", out var name) && name.ValueKind == JsonValueKind.String ? name.GetString() : null;
        return new SwanLabSession(sid.GetString()!, expires, username.GetString()!, displayName);
    }

    // ----------------------------------------------------------------- sending

    /// <summary>
    /// Sends one logical request through the pipeline. JSON calls buffer the body inside the attempt (so a body cut
    /// short is retried); downloads return after the headers. Failed statuses are returned, not thrown, once retries
    /// are exhausted; a session the server rejects (401) is renewed once.
    /// </summary>
    public Task<HttpResponseMessage> SendAsync(HttpMethod method, Uri uri, byte[]? body, RequestAuth auth,
        bool bufferBody, CancellationToken ct) =>
        SendAsync(method, uri, body, auth, bufferBody, RequestRetry.Transient, "application/json", ct);

    /// <summary>
    /// As the other overload, with the retry rule of this request (<see cref="RequestRetry"/>) and the body's content type
    /// (presigned uploads send files, not JSON).
    /// </summary>
    public async Task<HttpResponseMessage> SendAsync(HttpMethod method, Uri uri, byte[]? body, RequestAuth auth,
        bool bufferBody, RequestRetry retry, string contentType, CancellationToken ct)
    {
        var endpoint = Describe(method, uri);
        string? rejectedSid = null;
        for (var renewal = 0; ; renewal++)
        {
            var attempt = 0;
            string? sentSid = null;
            HttpResponseMessage response;
            var context = ResilienceContextPool.Shared.Get(ct);
            // Presigned downloads go to the object store, not the API: they don't spend the API's budget.
            context.Properties.Set(SpendsApiBudget, auth != RequestAuth.None);
            context.Properties.Set(EndpointKey, endpoint);
            context.Properties.Set(RetryKey, retry);
            try
            {
                response = await _pipeline.ExecuteAsync(async (ctx, _) =>
                {
                    var token = ctx.CancellationToken;
                    var thisAttempt = attempt++;
                    if (auth == RequestAuth.Session)
                        sentSid = await GetSidAsync(rejectedSid, token).ConfigureAwait(false);
                    using var request = new HttpRequestMessage(method, uri);
                    if (body is not null)
                    {
                        request.Content = new ByteArrayContent(body);
                        request.Content.Headers.ContentType = MediaTypeHeaderValue.Parse(contentType);
                    }
                    if (auth == RequestAuth.Session)
                        request.Headers.TryAddWithoutValidation("Cookie", "sid=" + sentSid);
                    else if (auth == RequestAuth.ApiKey)
                        request.Headers.TryAddWithoutValidation("authorization", _apiKey);
                    Statistics.CountRequest();
                    HttpResponseMessage result;
                    try
                    {
                        result = await _http.SendAsync(request,
                            bufferBody ? HttpCompletionOption.ResponseContentRead : HttpCompletionOption.ResponseHeadersRead,
                            token).ConfigureAwait(false);
                    }
                    catch (Exception ex) when (ex is HttpRequestException or IOException ||
                                               (ex is OperationCanceledException && !ct.IsCancellationRequested))
                    {
                        Statistics.CountConnectionFault();
                        throw;
                    }
                    Observe(result, endpoint, thisAttempt);
                    return result;
                }, context, 0).ConfigureAwait(false);
            }
            catch (TimeoutRejectedException ex)
            {
                throw new SwanLabConnectionException(
                    $"{endpoint} timed out after {attempt} attempt(s) of {_options.AttemptTimeout.TotalSeconds:0.###} s.",
                    endpoint, ex);
            }
            catch (Exception ex) when (ex is HttpRequestException or IOException ||
                                       (ex is OperationCanceledException && !ct.IsCancellationRequested))
            {
                throw new SwanLabConnectionException(
                    $"{endpoint} failed: cannot reach {Origin.Authority} ({ex.Message}) after {attempt} attempt(s).",
                    endpoint, ex);
            }
            finally
            {
                ResilienceContextPool.Shared.Return(context);
            }

            if (auth == RequestAuth.Session && response.StatusCode == HttpStatusCode.Unauthorized && renewal == 0)
            {
                // The server may invalidate a sid early (e.g. after a run finishes): log in again once.
                response.Dispose();
                rejectedSid = sentSid;
                continue;
            }
            return response;
        }
    }

    private void Observe(HttpResponseMessage response, string endpoint, int attempt)
    {
        if (response.StatusCode == HttpStatusCode.TooManyRequests)
        {
            Statistics.CountRateLimited();
            var e = new SwanLabRateLimitedEvent(endpoint, RetryAfterOf(response), attempt);
            _options.OnRateLimited?.Invoke(e);
            RateLimited?.Invoke(e);
        }
        else if ((int)response.StatusCode >= 500)
        {
            Statistics.CountServerError();
        }
    }

    private static readonly ResiliencePropertyKey<bool> SpendsApiBudget = new("SwanLab.SpendsApiBudget");
    private static readonly ResiliencePropertyKey<string> EndpointKey = new("SwanLab.Endpoint");
    private static readonly ResiliencePropertyKey<RequestRetry> RetryKey = new("SwanLab.RequestRetry");

    /// <summary>Waits for a permit; a full queue means "wait and queue again", never a failed request.</summary>
    private static async ValueTask<RateLimitLease> AcquirePermitAsync(RateLimiter limiter, CancellationToken ct)
    {
        while (true)
        {
            var lease = await limiter.AcquireAsync(1, ct).ConfigureAwait(false);
            if (lease.IsAcquired)
                return lease;
            var wait = lease.TryGetMetadata(MetadataName.RetryAfter, out var retryAfter) ? retryAfter : TimeSpan.FromMilliseconds(50);
            lease.Dispose();
            await Task.Delay(wait, ct).ConfigureAwait(false);
        }
    }

    /// <summary>The lease of a request that does not spend the shared budget.</summary>
    private sealed class FreeLease : RateLimitLease
    {
        public static readonly FreeLease Instance = new();
        public override bool IsAcquired => true;
        public override IEnumerable<string> MetadataNames => [];
        public override bool TryGetMetadata(string metadataName, out object? metadata)
        {
            metadata = null;
            return false;
        }
    }

    // ----------------------------------------------------------------- JSON helpers

    public Task<JsonElement> GetJsonAsync(string relativePath, CancellationToken ct, string? subject = null) =>
        SendJsonAsync(HttpMethod.Get, relativePath, null, ct, subject);

    public Task<JsonElement> PostJsonAsync(string relativePath, object? body, CancellationToken ct, string? subject = null) =>
        SendJsonAsync(HttpMethod.Post, relativePath, body, ct, subject);

    public async Task<JsonElement> SendJsonAsync(HttpMethod method, string relativePath, object? body, CancellationToken ct,
        string? subject = null)
    {
        var uri = ApiUri(relativePath);
        var endpoint = Describe(method, uri);
        var bytes = body is null ? null : JsonSerializer.SerializeToUtf8Bytes(body, SwanLabJson.Options);
        using var response = await SendAsync(method, uri, bytes, RequestAuth.Session, bufferBody: true, ct).ConfigureAwait(false);
        await EnsureSuccessAsync(response, endpoint, subject, ct).ConfigureAwait(false);
        return await ReadJsonAsync(response, endpoint, ct).ConfigureAwait(false);
    }

    internal static async Task<JsonElement> ReadJsonAsync(HttpResponseMessage response, string endpoint, CancellationToken ct)
    {
        var bytes = await response.Content.ReadAsByteArrayAsync(ct).ConfigureAwait(false);
        if (bytes.Length == 0)
            return default;
        try
        {
            return JsonSerializer.Deserialize<JsonElement>(bytes);
        }
        catch (JsonException ex)
        {
            throw new SwanLabProtocolException($"{endpoint} returned a body that is not JSON ({ex.Message}).", endpoint, ex);
        }
    }

    internal static string? TraceIdOf(HttpResponseMessage response) =>
        response.Headers.TryGetValues("traceid", out var values) ? values.FirstOrDefault() : null;

    /// <summary>Turns a failed status into the matching typed exception.</summary>
    public async Task EnsureSuccessAsync(HttpResponseMessage response, string endpoint, string? subject, CancellationToken ct)
    {
        if (response.IsSuccessStatusCode)
            return;
        string? serverCode = null, serverMessage = null;
        try
        {
            var text = await response.Content.ReadAsStringAsync(ct).ConfigureAwait(false);
            if (text.Length > 0 && text.TrimStart().StartsWith('{'))
            {
                using var doc = JsonDocument.Parse(text);
                if (doc.RootElement.TryGetProperty("code", out var code))
                    serverCode = code.ValueKind == JsonValueKind.String ? code.GetString() : code.GetRawText();
                if (doc.RootElement.TryGetProperty("message", out var message) && message.ValueKind == JsonValueKind.String)
                    serverMessage = message.GetString();
            }
        }
        catch (Exception ex) when (ex is JsonException or IOException or HttpRequestException)
        {
            // The status alone decides the exception type; an unreadable error body only loses detail.
        }
        throw CreateException(response, endpoint, subject, serverCode, serverMessage);
    }

    private SwanLabException CreateException(HttpResponseMessage response, string endpoint, string? subject,
        string? serverCode, string? serverMessage)
    {
        var status = response.StatusCode;
        var traceId = TraceIdOf(response);
        var detail = $"{endpoint} answered HTTP {(int)status} {response.ReasonPhrase}";
        if (!string.IsNullOrEmpty(serverMessage))
            detail += $": {Scrub(serverMessage)}";
        var what = subject ?? endpoint;
        return status switch
        {
            HttpStatusCode.Unauthorized => new SwanLabAuthenticationException(
                $"{what}: the session was rejected and logging in again did not help ({detail}).", endpoint, status, serverCode, traceId),
            HttpStatusCode.Forbidden => new SwanLabForbiddenException(
                $"{what}: access denied for user '{Session?.Username}' ({detail}).", endpoint, status, serverCode, traceId),
            HttpStatusCode.NotFound => new SwanLabNotFoundException($"{what} was not found ({detail}).", endpoint, status, serverCode, traceId),
            HttpStatusCode.TooManyRequests => new SwanLabRateLimitedException(
                $"{what}: still rate limited after {_options.MaxRetries + 1} attempt(s) ({detail}).", RetryAfterOf(response), endpoint,
                serverCode, traceId),
            >= HttpStatusCode.InternalServerError => new SwanLabServerException(
                $"{what}: server error after {_options.MaxRetries + 1} attempt(s) ({detail}).", endpoint, status, serverCode, traceId),
            _ => new SwanLabException($"{what}: request failed ({detail}).", endpoint, status, serverCode, traceId),
        };
    }

    /// <summary>Removes the API key from text that came from elsewhere (a server echoing a header, say).</summary>
    public string Scrub(string text) => _apiKey.Length > 0 ? text.Replace(_apiKey, "***", StringComparison.Ordinal) : text;

    public void Dispose()
    {
        _http.Dispose();
        _loginLock.Dispose();
    }
}
