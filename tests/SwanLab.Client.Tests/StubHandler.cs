using System.Collections.Concurrent;
using System.Net;
using System.Text;

namespace SwanLab.Client.Tests;

/// <summary>
/// An in-memory HTTP server for behaviours the emulator cannot script precisely (exact attempt counts, one fault at a
/// time). Routes by "METHOD /path"; the login route is answered by default.
/// </summary>
internal sealed class StubHandler : HttpMessageHandler
{
    public const string Key = "0123456789abcdefABCDE";
    private readonly ConcurrentDictionary<string, Func<HttpRequestMessage, int, HttpResponseMessage>> _routes = new();
    private readonly ConcurrentDictionary<string, int> _hits = new();

    public ConcurrentQueue<(string Route, string? Cookie, string? Authorization, string? Body)> Requests { get; } = new();
    public ConcurrentQueue<string> Urls { get; } = new();
    public string ExpiredAt { get; set; } = "2099-12-31T23:59:59.000Z";
    public int SidCounter;

    public StubHandler()
    {
        On("POST /api/login/api_key", (request, _) =>
        {
            var auth = request.Headers.TryGetValues("authorization", out var v) ? v.Single() : null;
            if (auth != Key)
                return new HttpResponseMessage(HttpStatusCode.Unauthorized) { ReasonPhrase = "Unauthorized" };
            var sid = "sid-" + Interlocked.Increment(ref SidCounter);
            return Json("{\"sid\":\"" + sid + "\",\"expiredAt\":\"" + ExpiredAt + "\",\"userInfo\":{\"username\":\"alice\",\"name\":\"Alice\"}}");
        });
    }

    public StubHandler On(string route, Func<HttpRequestMessage, int, HttpResponseMessage> answer)
    {
        _routes[route] = answer;
        return this;
    }

    public int Hits(string route) => _hits.GetValueOrDefault(route);

    public static HttpResponseMessage Json(string json, HttpStatusCode status = HttpStatusCode.OK) =>
        new(status) { Content = new StringContent(json, Encoding.UTF8, "application/json") };

    public static HttpResponseMessage Status(HttpStatusCode status, string? body = null) =>
        new(status) { Content = new StringContent(body ?? "", Encoding.UTF8, "application/json") };

    protected override async Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken ct)
    {
        var route = $"{request.Method.Method} {request.RequestUri!.AbsolutePath}";
        var hit = _hits.AddOrUpdate(route, 1, (_, n) => n + 1) - 1;
        var cookie = request.Headers.TryGetValues("Cookie", out var c) ? c.Single() : null;
        var authorization = request.Headers.TryGetValues("authorization", out var a) ? a.Single() : null;
        var body = request.Content is null ? null : await request.Content.ReadAsStringAsync(ct);
        Requests.Enqueue((route, cookie, authorization, body));
        Urls.Enqueue(request.RequestUri.PathAndQuery);
        if (!_routes.TryGetValue(route, out var answer))
            return Status(HttpStatusCode.NotFound, """{"code":"NOT_FOUND","message":"no route"}""");
        var response = answer(request, hit);
        response.RequestMessage = request;
        return response;
    }

    public static SwanLabApiOptions Options(StubHandler handler, int retries = 3) => new()
    {
        ApiKey = Key,
        Host = "http://stub.test",
        HttpHandler = handler,
        MaxRetries = retries,
        RetryBaseDelay = TimeSpan.FromMilliseconds(1),
        MaxRetryDelay = TimeSpan.FromMilliseconds(50),
        AttemptTimeout = TimeSpan.FromSeconds(5),
        Environment = SwanLabEnvironment.Empty(Path.GetTempPath()),
    };
}
