using SwanLab.Client;
using SwanLab.Client.RateLimiting;
using SwanLab.Crawler.Configuration;

namespace SwanLab.Crawler.Cli;

/// <summary>
/// Signs in to one SwanLab host the same way for every command and every side of a transfer: its own request budget
/// (fixed when the user gave a rate, else learnt from the server's 429s), the retry settings, and the client's typed
/// failures turned into the CLI's (rejected or missing key, unreachable host, a host that is not a SwanLab API).
/// </summary>
internal static class ClientConnector
{
    /// <exception cref="CrawlerAuthenticationException">No API key, or the server rejected it.</exception>
    /// <exception cref="ServerUnreachableException">The host could not be reached (or answered 5xx/429 to the login).</exception>
    /// <exception cref="NotASwanLabServerException">The host answered, but not as SwanLab does.</exception>
    /// <exception cref="SettingsException">The host cannot be used as given.</exception>
    public static async Task<SignedInClient> ConnectAsync(ConnectionSettings connection, IRequestObserver? observer,
        CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(connection);
        var pacer = connection.RequestsPerSecond is { } rate
            ? RequestPacer.Fixed(rate)
            : RequestPacer.Adaptive(connection.InitialRequestsPerSecond > 0 ? connection.InitialRequestsPerSecond : null);
        var options = new SwanLabApiOptions
        {
            ApiKey = connection.ApiKey,
            Host = connection.Host,
            RateLimiter = pacer,
            OnRateLimited = e =>
            {
                pacer.ReportThrottled(e.RetryAfter);
                observer?.OnRateLimited(e);
            },
            OnRetry = observer is null ? null : observer.OnRetry,
            MaxRetries = connection.MaxRetries,
            RetryBaseDelay = connection.BackoffBase,
            MaxRetryDelay = connection.BackoffMax,
            AttemptTimeout = connection.HttpTimeout,
            Environment = connection.ClientEnvironment ?? SwanLabEnvironment.Process,
        };
        try
        {
            return new SignedInClient(await SwanLabApi.ConnectAsync(options, ct), pacer);
        }
        catch (SwanLabAuthenticationException e)
        {
            pacer.Dispose();
            var rejected = e.StatusCode is System.Net.HttpStatusCode.Unauthorized or System.Net.HttpStatusCode.Forbidden;
            throw new CrawlerAuthenticationException(connection.DisplayHost, rejected, e.Message, e) { NoApiKey = e.NoApiKey };
        }
        catch (SwanLabConnectionException e)
        {
            pacer.Dispose();
            var tls = FindInner<System.Net.Http.HttpRequestException>(e) is { HttpRequestError: System.Net.Http.HttpRequestError.SecureConnectionError };
            throw new ServerUnreachableException(connection.DisplayHost, e.Message, e) { HttpsAssumed = tls && connection.HttpsAssumed };
        }
        catch (SwanLabException e) when (IsNotSwanLab(e))
        {
            pacer.Dispose();
            throw new NotASwanLabServerException(connection.DisplayHost, Answer(e), e);
        }
        catch (SwanLabException e) when (e is SwanLabServerException or SwanLabRateLimitedException)
        {
            pacer.Dispose();
            throw new ServerUnreachableException(connection.DisplayHost, e.Message, e);
        }
        catch (ArgumentException e)
        {
            pacer.Dispose();
            throw new SettingsException($"host '{connection.Host}' cannot be used: {e.Message}");
        }
        catch
        {
            pacer.Dispose();
            throw;
        }
    }

    /// <summary>
    /// The login went to a server that answered, but not as SwanLab does: no such route (404, 405), another client
    /// error than a rejected key or a rate limit, or a body that is not SwanLab's login answer.
    /// </summary>
    static bool IsNotSwanLab(SwanLabException e) => e switch
    {
        SwanLabNotFoundException or SwanLabProtocolException => true,
        SwanLabServerException { StatusCode: System.Net.HttpStatusCode.NotImplemented } => true,
        SwanLabAuthenticationException or SwanLabForbiddenException or SwanLabRateLimitedException or SwanLabServerException => false,
        { StatusCode: { } status } => (int)status is >= 400 and < 500,
        _ => false,
    };

    static string Answer(SwanLabException e) => e switch
    {
        SwanLabProtocolException => $"{e.Endpoint ?? "the login"} answered, but not with SwanLab's login response",
        { StatusCode: { } status } => $"{e.Endpoint ?? "the login"} answered HTTP {(int)status}",
        _ => e.Message,
    };

    static T? FindInner<T>(Exception? e) where T : Exception
    {
        for (; e is not null; e = e.InnerException)
            if (e is T found)
                return found;
        return null;
    }
}

/// <summary>A signed-in client and the request budget it spends; disposing releases both.</summary>
internal sealed class SignedInClient(SwanLabApi api, RequestPacer pacer) : IAsyncDisposable
{
    public SwanLabApi Api { get; } = api;
    /// <summary>The request budget of this host; a cluster node bounds it to its share (<see cref="RequestPacer.SetCeiling"/>).</summary>
    public RequestPacer Pacer { get; } = pacer;

    public async ValueTask DisposeAsync()
    {
        await Api.DisposeAsync();
        Pacer.Dispose();
    }
}
