namespace SwanLab.Crawler.Source;

/// <summary>
/// An optional read (<c>logs</c>, <c>media</c>, <c>summaries</c>) the server does not offer, with the answer that
/// showed it, e.g. <c>GET /api/house/metrics/log answered HTTP 404 Not Found: No route</c>. Recorded once per backup
/// in backup.json's <c>unavailable</c>, never as a run failure.
/// </summary>
public sealed record UnavailableRead(string Capability, string Answer);

/// <summary>A source that learns which optional reads its server offers (from the server's answers, not its version).</summary>
public interface IServerReadsSource
{
    /// <summary>Reads found missing so far, sorted by capability.</summary>
    IReadOnlyList<UnavailableRead> Unavailable { get; }

    /// <summary>Reads that answered at least once (names as in <see cref="UnavailableRead.Capability"/>).</summary>
    IReadOnlyList<string> Offered { get; }
}
