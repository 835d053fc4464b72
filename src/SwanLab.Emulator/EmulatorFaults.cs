namespace SwanLab.Emulator;

/// <summary>
/// Fault and load injection, changeable while the server runs (tests switch faults on and off mid-crawl).
/// Per-request decisions come from one seeded RNG, so a given request sequence sees a repeatable fault sequence.
/// Never applied to <c>/__emulator/*</c>.
/// </summary>
public sealed class EmulatorFaults
{
    private readonly Random _random;
    private readonly object _sync = new();
    private readonly TimeProvider _clock;
    private double _rateLimit;
    private double _tokens;
    private long _lastRefill;
    private MalformedTarget[] _malformedTargets = [];

    internal EmulatorFaults(EmulatorOptions options)
    {
        _random = new Random(unchecked(options.Seed * 7919 + 13));
        _clock = options.Clock;
        LatencyMs = options.LatencyMs;
        JitterMs = options.JitterMs;
        RateLimit = options.RateLimit;
        FailRate = options.FailRate;
        ResetRate = options.ResetRate;
        TruncateRate = options.TruncateRate;
        SlowRate = options.SlowRate;
        SlowDelay = options.SlowDelay;
        MalformedRate = options.MalformedRate;
        MalformedTargets = options.Malformed;
        AbsentRoutes = options.AbsentRoutes;
        LogPaging = options.LogPaging;
        LogLevels = options.LogLevels;
        LogEpochs = options.LogEpochs;
        ResumeSummary = options.ResumeSummary;
    }

    /// <summary>Optional read routes answered 404 "No route", as by a server that does not have them.</summary>
    public EmulatorRoutes AbsentRoutes { get; set; }

    /// <summary>How the log route reads <c>epoch</c>.</summary>
    public LogPagingReading LogPaging { get; set; }

    /// <summary>What the log route's <c>level</c> selects.</summary>
    public LogLevelReading LogLevels { get; set; }

    /// <summary>How console lines are numbered when read.</summary>
    public LogEpochReading LogEpochs { get; set; }

    /// <summary>What the resume summary answers.</summary>
    public ResumeSummaryReading ResumeSummary { get; set; }

    /// <summary>Fixed delay added to every request.</summary>
    public int LatencyMs { get; set; }

    /// <summary>Extra random delay in [0, JitterMs].</summary>
    public int JitterMs { get; set; }

    /// <summary>Token-bucket limit for <c>/api</c> requests per second (bucket holds one second's worth); 0 = off.</summary>
    public double RateLimit
    {
        get { lock (_sync) { return _rateLimit; } }
        set
        {
            lock (_sync)
            {
                _rateLimit = Math.Max(0, value);
                _tokens = Math.Max(1, _rateLimit);
                _lastRefill = _clock.GetTimestamp();
            }
        }
    }

    /// <summary>Probability of answering 500/502/503 instead of the real response.</summary>
    public double FailRate { get; set; }

    /// <summary>Probability of aborting the connection after part of the response body.</summary>
    public double ResetRate { get; set; }

    /// <summary>Probability that a CSV download is cut short (half mid-line with an abort, half cleanly at a line end).</summary>
    public double TruncateRate { get; set; }

    /// <summary>Probability that a response stalls for <see cref="SlowDelay"/>.</summary>
    public double SlowRate { get; set; }

    public TimeSpan SlowDelay { get; set; }

    /// <summary>Probability that a successful JSON or metric-CSV response body is spoiled (see <see cref="MalformedKind"/>).</summary>
    public double MalformedRate { get; set; }

    /// <summary>Requests whose responses are always spoiled; replacing the list forgets objects tainted by the old one.</summary>
    public IReadOnlyList<MalformedTarget> MalformedTargets
    {
        get => Volatile.Read(ref _malformedTargets);
        set
        {
            Volatile.Write(ref _malformedTargets, [.. value ?? []]);
            Tainted.Clear();
        }
    }

    internal Malformation.TaintedObjects Tainted { get; } = new();

    /// <summary>Switches every fault off (rate limit included); absent routes and log readings are server variants, not faults, and stay.</summary>
    public void Clear()
    {
        LatencyMs = 0;
        JitterMs = 0;
        RateLimit = 0;
        FailRate = 0;
        ResetRate = 0;
        TruncateRate = 0;
        SlowRate = 0;
        MalformedRate = 0;
        MalformedTargets = [];
    }

    internal bool Draw(double probability)
    {
        if (probability <= 0)
        {
            return false;
        }

        lock (_sync)
        {
            return _random.NextDouble() < probability;
        }
    }

    internal int NextInt(int minInclusive, int maxExclusive)
    {
        lock (_sync)
        {
            return _random.Next(minInclusive, Math.Max(minInclusive + 1, maxExclusive));
        }
    }

    internal double NextDouble()
    {
        lock (_sync)
        {
            return _random.NextDouble();
        }
    }

    /// <summary>Takes a token; when none is left returns the whole seconds until one is (for Retry-After).</summary>
    internal int? TryAcquire()
    {
        lock (_sync)
        {
            if (_rateLimit <= 0)
            {
                return null;
            }

            var now = _clock.GetTimestamp();
            var elapsed = _clock.GetElapsedTime(_lastRefill, now).TotalSeconds;
            _lastRefill = now;
            _tokens = Math.Min(Math.Max(1, _rateLimit), _tokens + (elapsed * _rateLimit));
            if (_tokens >= 1)
            {
                _tokens -= 1;
                return null;
            }

            return Math.Max(1, (int)Math.Ceiling((1 - _tokens) / _rateLimit));
        }
    }
}
