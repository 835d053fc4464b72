using System.Collections.Concurrent;

namespace SwanLab.Emulator;

/// <summary>Request counters, so benchmarks can compute achieved rates and tests can see what a client called.</summary>
public sealed class EmulatorStats
{
    private readonly ConcurrentDictionary<string, long> _byEndpoint = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, RunReadCounters> _byRun = new(StringComparer.Ordinal);
    private readonly long _startedAt = System.Diagnostics.Stopwatch.GetTimestamp();
    private long _total;
    private long _rateLimited;
    private long _failures;
    private long _resets;
    private long _truncations;
    private long _slow;
    private long _malformed;

    internal void CountRequest(string endpoint)
    {
        Interlocked.Increment(ref _total);
        _byEndpoint.AddOrUpdate(endpoint, 1, static (_, n) => n + 1);
    }

    /// <summary>The run's detail (with profile) was requested; <paramref name="runPath"/> is "workspace/project/cuid".</summary>
    internal void CountRunDetail(string runPath) => Interlocked.Increment(ref _byRun.GetOrAdd(runPath, static _ => new()).Detail);

    /// <summary>A metric export of the run (House CSV export or the 0.7.8 column CSV; once per request that names it).</summary>
    internal void CountMetricExport(string runPath) => Interlocked.Increment(ref _byRun.GetOrAdd(runPath, static _ => new()).MetricExports);

    /// <summary>How often the run's detail and its metric exports were requested so far.</summary>
    public RunReads ReadsOf(string runPath) =>
        _byRun.TryGetValue(runPath, out var c) ? c.Snapshot() : new RunReads(0, 0);

    internal void CountRateLimited() => Interlocked.Increment(ref _rateLimited);

    internal void CountFailure() => Interlocked.Increment(ref _failures);

    internal void CountReset() => Interlocked.Increment(ref _resets);

    internal void CountTruncation() => Interlocked.Increment(ref _truncations);

    internal void CountSlow() => Interlocked.Increment(ref _slow);

    internal void CountMalformed() => Interlocked.Increment(ref _malformed);

    /// <summary>What uploads wrote so far (live).</summary>
    public EmulatorWriteCounters Writes { get; } = new();

    /// <summary>Requests seen for one endpoint key, e.g. <c>GET /api/project/{workspace}</c>.</summary>
    public long Requests(string endpoint) => _byEndpoint.GetValueOrDefault(endpoint);

    public EmulatorStatsSnapshot Snapshot() => new(
        Interlocked.Read(ref _total),
        new SortedDictionary<string, long>(_byEndpoint, StringComparer.Ordinal),
        Interlocked.Read(ref _rateLimited),
        Interlocked.Read(ref _failures),
        Interlocked.Read(ref _resets),
        Interlocked.Read(ref _truncations),
        Interlocked.Read(ref _slow),
        Interlocked.Read(ref _malformed),
        System.Diagnostics.Stopwatch.GetElapsedTime(_startedAt).TotalSeconds)
    {
        Writes = Writes.Snapshot(),
        RunReads = new SortedDictionary<string, RunReads>(_byRun.ToDictionary(e => e.Key, e => e.Value.Snapshot()), StringComparer.Ordinal),
    };

    private sealed class RunReadCounters
    {
        public long Detail;
        public long MetricExports;

        public RunReads Snapshot() => new(Interlocked.Read(ref Detail), Interlocked.Read(ref MetricExports));
    }
}

/// <summary>
/// What a client read of one run: its detail (<c>GET .../runs/{id}</c>) and metric exports. A crawl that exports every
/// run once reads each detail once; a run read twice was exported twice (e.g. re-homed from a dead cluster node).
/// </summary>
public sealed record RunReads(long Detail, long MetricExports);

/// <summary>
/// Counters at one moment. Endpoint keys are "METHOD route-template"; requests that matched no route count as
/// "METHOD (unmatched)". RateLimited counts 429s; the Injected* counters count faults actually applied.
/// </summary>
public sealed record EmulatorStatsSnapshot(
    long TotalRequests,
    IReadOnlyDictionary<string, long> RequestsByEndpoint,
    long RateLimited,
    long InjectedFailures,
    long InjectedResets,
    long InjectedTruncations,
    long InjectedSlow,
    long InjectedMalformed,
    double UptimeSeconds)
{
    /// <summary>Per run path ("workspace/project/cuid"), how often its detail and metric exports were requested.</summary>
    public IReadOnlyDictionary<string, RunReads> RunReads { get; init; } = new Dictionary<string, RunReads>();

    /// <summary>What uploads wrote: projects/experiments created, points, duplicate steps, log lines, media.</summary>
    public EmulatorWriteStats Writes { get; init; } = new(0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0);

    /// <summary>
    /// Requests to the API (<c>/api/...</c>), 429s included. Presigned downloads go to the object store, which a
    /// SwanLab server's rate limit does not cover, so rates against that limit must count only these.
    /// </summary>
    public long ApiRequests => RequestsByEndpoint.Where(e => e.Key.Contains(" /api/", StringComparison.Ordinal)).Sum(e => e.Value);
}
