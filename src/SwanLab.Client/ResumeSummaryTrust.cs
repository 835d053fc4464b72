namespace SwanLab.Client;

/// <summary>
/// What this client has learnt about the server's resume summary (<c>GET /house/metrics/summaries/{p}/{e}</c>, the read
/// the SDK resumes a run from): whether each of its members told the truth about a run whose data was also read in full.
/// A member is trusted for shortcuts (fewer requests) only once a run proved it, and never again once a run refuted it;
/// until then every read is made in full, as on a server without the summary. Learnt per server, thread-safe.
/// </summary>
public sealed class ResumeSummaryTrust
{
    private const int Unknown = 0, Proven = 1, Refuted = -1;
    private int _route, _scalars, _log, _epochsPerRun, _media;

    /// <summary>False once the server showed it has no usable resume summary (missing route, an answer that is not one).</summary>
    public bool Usable => Volatile.Read(ref _route) != Refuted;

    /// <summary>Its <c>scalar</c> steps matched the server's value statistics for every key of a run.</summary>
    public bool ScalarsProven => Volatile.Read(ref _scalars) == Proven;

    /// <summary>Its <c>log</c> epoch was the last epoch of a run's lines, read in full.</summary>
    public bool LogProven => Volatile.Read(ref _log) == Proven;

    /// <summary>
    /// Lines of a run read in full, of two levels or more, had one epoch each, contiguous from 0 or 1: one counter per
    /// run, as both SDKs number lines. Never proven on a server whose levels share epochs.
    /// </summary>
    public bool EpochsPerRunProven => Volatile.Read(ref _epochsPerRun) == Proven;

    /// <summary>Its <c>media</c> listed every key a run's media listing found items for (and at least one).</summary>
    public bool MediaProven => Volatile.Read(ref _media) == Proven;

    /// <summary>Its <c>media</c> member has not been caught missing a key the listing found.</summary>
    public bool MediaRefuted => Volatile.Read(ref _media) == Refuted;

    internal void RouteUnusable() => Volatile.Write(ref _route, Refuted);

    internal void Scalars(bool agrees) => Record(ref _scalars, agrees);

    internal void Log(bool agrees) => Record(ref _log, agrees);

    internal void EpochsPerRun(bool agrees) => Record(ref _epochsPerRun, agrees);

    internal void Media(bool agrees) => Record(ref _media, agrees);

    /// <summary>A refutation sticks; a proof only replaces "unknown".</summary>
    private static void Record(ref int member, bool agrees)
    {
        if (!agrees)
            Volatile.Write(ref member, Refuted);
        else
            Interlocked.CompareExchange(ref member, Proven, Unknown);
    }
}
