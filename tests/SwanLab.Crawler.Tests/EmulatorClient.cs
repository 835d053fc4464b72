using SwanLab.Client;
using SwanLab.Client.RateLimiting;
using SwanLab.Emulator;

namespace SwanLab.Crawler.Tests;

/// <summary>
/// The one way specs connect a client to an in-process emulator: millisecond backoffs so injected faults cost no wall
/// time, and an empty environment so a developer's own SWANLAB_* variables or ~/.swanlab/.netrc never leak into a spec.
/// </summary>
internal static class EmulatorClient
{
    /// <param name="server">The emulator to talk to (its own API key).</param>
    /// <param name="maxRetries">Retries per request; the SDK's 5 unless a spec injects faults or wants them to surface.</param>
    /// <param name="pacer">A request pacer that also hears the server's 429s; none = unpaced.</param>
    public static Task<SwanLabApi> ConnectAsync(EmulatorServer server, int maxRetries = 5, RequestPacer? pacer = null) =>
        SwanLabApi.ConnectAsync(new SwanLabApiOptions
        {
            ApiKey = server.ApiKey,
            Host = server.BaseUrl.ToString().TrimEnd('/'),
            RateLimiter = pacer,
            OnRateLimited = pacer is null ? null : e => pacer.ReportThrottled(e.RetryAfter),
            MaxRetries = maxRetries,
            RetryBaseDelay = TimeSpan.FromMilliseconds(5),
            MaxRetryDelay = TimeSpan.FromMilliseconds(100),
            AttemptTimeout = TimeSpan.FromSeconds(20),
            Environment = new SwanLabEnvironment(new Dictionary<string, string>(), Path.GetTempPath(), Path.GetTempPath()),
        }, CancellationToken.None);

    /// <summary>Paced like the crawler paces an unknown server: adaptive, starting at 200 requests/s.</summary>
    public static Task<SwanLabApi> ConnectAdaptiveAsync(EmulatorServer server, int maxRetries = 8) =>
        ConnectAsync(server, maxRetries, RequestPacer.Adaptive(initialRequestsPerSecond: 200));
}
