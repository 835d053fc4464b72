namespace SwanLab.Client;

/// <summary>
/// Live counters of one client, safe to read from any thread (e.g. for a progress display).
/// </summary>
public sealed class SwanLabApiStatistics
{
    private long _requests;
    private long _retries;
    private long _rateLimited;
    private long _serverErrors;
    private long _connectionFaults;
    private long _logins;
    private long _urlRefreshes;

    /// <summary>HTTP attempts sent (first attempts and retries, API calls and downloads).</summary>
    public long Requests => Interlocked.Read(ref _requests);

    /// <summary>Attempts that were retries of an earlier failed attempt.</summary>
    public long Retries => Interlocked.Read(ref _retries);

    /// <summary>HTTP 429 responses received.</summary>
    public long RateLimited => Interlocked.Read(ref _rateLimited);

    /// <summary>HTTP 500/502/503/504 responses received.</summary>
    public long ServerErrors => Interlocked.Read(ref _serverErrors);

    /// <summary>Attempts that failed without a response (refused, reset, timed out, body cut short).</summary>
    public long ConnectionFaults => Interlocked.Read(ref _connectionFaults);

    /// <summary>Logins performed (the first one, and renewals of an expiring or rejected session).</summary>
    public long Logins => Interlocked.Read(ref _logins);

    /// <summary>Presigned URLs requested again because the previous one had expired or its download broke.</summary>
    public long UrlRefreshes => Interlocked.Read(ref _urlRefreshes);

    internal void CountRequest() => Interlocked.Increment(ref _requests);
    internal void CountRetry() => Interlocked.Increment(ref _retries);
    internal void CountRateLimited() => Interlocked.Increment(ref _rateLimited);
    internal void CountServerError() => Interlocked.Increment(ref _serverErrors);
    internal void CountConnectionFault() => Interlocked.Increment(ref _connectionFaults);
    internal void CountLogin() => Interlocked.Increment(ref _logins);
    internal void CountUrlRefresh() => Interlocked.Increment(ref _urlRefreshes);

    /// <summary>A one-line summary, e.g. for logs.</summary>
    public override string ToString() =>
        $"requests={Requests} retries={Retries} 429s={RateLimited} 5xx={ServerErrors} connectionFaults={ConnectionFaults} logins={Logins}";
}
