namespace SwanLab.Crawler.Source;

/// <summary>
/// The server rejected the credentials. Fatal for a crawl: every further request would fail the same way,
/// so the crawl stops instead of recording every run as failed. The message never contains the key.
/// </summary>
public sealed class SourceAuthenticationException(string message, Exception? inner = null) : Exception(message, inner);

/// <summary>
/// A series arrived shorter (or otherwise different) than the server said it is: the silent-truncation defence.
/// Treated like any other unit failure: the run is exported again, then recorded as failed.
/// </summary>
public sealed class SeriesIncompleteException(string message) : Exception(message);

/// <summary>HTTP-level counters a source may expose; the crawl publishes them as <c>CrawlEvent.RequestStats</c>.</summary>
public interface IRequestStatsSource
{
    (long Requests, long Retries, long RateLimited) RequestStats { get; }
}
