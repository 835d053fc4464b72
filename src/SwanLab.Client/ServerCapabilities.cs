using System.Collections.Concurrent;

namespace SwanLab.Client;

/// <summary>An optional read a SwanLab server may or may not offer (servers of other versions lack some).</summary>
public enum ServerCapability
{
    /// <summary>Console logs: <c>GET /house/metrics/log</c>.</summary>
    Logs,

    /// <summary>Media: <c>/house/metrics/media/keys</c>, <c>/house/metrics/f_media</c>, <c>/resources/presigned/get</c>.</summary>
    Media,

    /// <summary>Server-side summaries: <c>POST /house/metrics/summaries</c>.</summary>
    Summaries,
}

/// <summary>A read the server does not offer, with its answer (e.g. <c>GET /api/house/metrics/log answered HTTP 404 Not Found: No route</c>).</summary>
public sealed record UnavailableCapability(ServerCapability Capability, string Answer)
{
    /// <summary>The capability's name as written in reports: <c>logs</c>, <c>media</c>, <c>summaries</c>.</summary>
    public string Name => ServerCapabilities.NameOf(Capability);
}

/// <summary>
/// What this client has learnt about the server's optional reads: unknown until the first request, then offered (the
/// route answered once) or unavailable (the route itself is missing). Learnt once per server and never un-learnt, so a
/// missing route costs one request per crawl, not one per run. Thread-safe.
/// </summary>
public sealed class ServerCapabilities
{
    private readonly ConcurrentDictionary<ServerCapability, UnavailableCapability> _unavailable = new();
    private readonly ConcurrentDictionary<ServerCapability, bool> _offered = new();
    private readonly ConcurrentDictionary<ServerCapability, SemaphoreSlim> _probes = new();

    /// <summary>The reads found missing so far, in capability order.</summary>
    public IReadOnlyList<UnavailableCapability> Unavailable =>
        _unavailable.Values.OrderBy(u => u.Capability).ToList();

    /// <summary>The reads that answered at least once.</summary>
    public IReadOnlyList<ServerCapability> Offered => _offered.Keys.Order().ToList();

    /// <summary>Whether the read answered successfully at least once (a later 404 is then about the data, not the route).</summary>
    public bool IsOffered(ServerCapability capability) => _offered.ContainsKey(capability);

    /// <summary>The recorded answer when the read is known to be missing.</summary>
    public UnavailableCapability? UnavailableOrNull(ServerCapability capability) =>
        _unavailable.TryGetValue(capability, out var unavailable) ? unavailable : null;

    internal void MarkOffered(ServerCapability capability) => _offered.TryAdd(capability, true);

    /// <summary>
    /// While a read is neither offered nor known missing, its requests go one at a time, so a crawl of many runs at once
    /// learns a missing route from one request (and at most one check of a run) instead of one per run in flight.
    /// Returns null once the read's state is known: no waiting then.
    /// </summary>
    internal async Task<IDisposable?> ProbeAsync(ServerCapability capability, CancellationToken ct)
    {
        if (IsOffered(capability) || _unavailable.ContainsKey(capability))
            return null;
        var gate = _probes.GetOrAdd(capability, _ => new SemaphoreSlim(1, 1));
        await gate.WaitAsync(ct).ConfigureAwait(false);
        return new Release(gate);
    }

    private sealed class Release(SemaphoreSlim gate) : IDisposable
    {
        private int _released;

        public void Dispose()
        {
            if (Interlocked.Exchange(ref _released, 1) == 0)
                gate.Release();
        }
    }

    /// <summary>Records the first answer that showed the read missing; later ones keep it.</summary>
    internal UnavailableCapability MarkUnavailable(ServerCapability capability, string answer) =>
        _unavailable.GetOrAdd(capability, c => new UnavailableCapability(c, answer));

    /// <summary>Lower-case report name of a capability.</summary>
    public static string NameOf(ServerCapability capability) => capability switch
    {
        ServerCapability.Logs => "logs",
        ServerCapability.Media => "media",
        ServerCapability.Summaries => "summaries",
        _ => capability.ToString().ToLowerInvariant(),
    };
}
