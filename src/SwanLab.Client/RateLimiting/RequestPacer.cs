using System.Threading.RateLimiting;

namespace SwanLab.Client.RateLimiting;

/// <summary>
/// A request-rate budget that spaces requests evenly (no bursts) at <see cref="CurrentRate"/> per second.
/// Fixed mode keeps the rate it was given: even spacing at exactly the server's limit never trips a token bucket.
/// Adaptive mode finds an unknown limit. Started without a rate it slow-starts: paced from the first request at
/// 100/s, doubling every 150 ms while demand keeps up, so a server without a limit gets the callers' full speed
/// within a second, and the requests stay spaced, so when a limit's first 429 comes only the
/// next one or two have been sent (a request with no other in flight and none queued goes at once: one alone cannot
/// overshoot, and sequential callers are not slowed). That 429 means the server's budget just ran out: the first estimate is the rate of
/// a token bucket holding a second of it (a server's burst is typically a second of its rate) that the requests
/// accepted in the last 2 s would have emptied just then, at most what it accepted over the last second, and the
/// rate starts at 90% of it. From there it is AIMD: it grows while requests queue on it and no 429 arrives
/// (climbing fast back to just below the last throttled rate, then probing, faster the longer no 429 comes, and
/// forgetting a ceiling it passed by 25%), and backs off multiplicatively on <see cref="ReportThrottled"/>.
/// Share one instance between all clients that spend the same server budget.
/// </summary>
public sealed class RequestPacer : RateLimiter
{
    private static readonly TimeSpan AdjustInterval = TimeSpan.FromMilliseconds(250);
    // Slow start: paced from the first request, doubling every 150 ms while demand keeps up, so a server without a
    // limit gets the callers' full speed within a second, and requests are spaced (not a burst of every caller at
    // once) when a limit's first 429 comes. A token bucket hides its limit until it runs dry, which happens at about
    // limit x (doubling time / ln 2)^-1 x 1 s; the requests granted while that 429 travels back are the overshoot, so
    // a slower doubling means fewer of them (at 150 ms: under 3% of the first 2 s while the 429 takes < 10 ms).
    private const double SlowStartRate = 100;
    private static readonly TimeSpan SlowStartInterval = TimeSpan.FromMilliseconds(150);
    // One overshoot draws 429s for about one round trip; cutting again within that window would punish it twice,
    // but waiting much longer lets the excess keep drawing 429s.
    private static readonly TimeSpan DecreaseCooldown = TimeSpan.FromMilliseconds(300);
    // Grants and 429s in 50 ms buckets: what the server accepted over the 2 s before its first 429 (ModelBuckets),
    // in a ring twice as long, so slots booked up to 2 s ahead never overwrite them.
    private const int HistoryBuckets = 80;
    private const int ModelBuckets = 40;
    private static readonly TimeSpan HistoryBucket = TimeSpan.FromMilliseconds(50);

    private readonly Lock _gate = new();
    private readonly bool _adaptive;
    private readonly double _minRate;
    private readonly double _maxRate;
    private readonly TimeProvider _clock;
    private double _rate;
    private double? _ceiling;
    private long _nextSlotTicks;
    private long _lastAdjustTicks;
    private long? _lastDecreaseTicks;
    private long _grantedSinceAdjust;
    private long _windowStartTicks;
    private long _waitingNow;
    private long _totalGranted;
    private long _throttles;
    private bool _unbounded;
    private int _probeRounds;
    // A caller was refused a slot since the last adjustment: demand exceeds the rate even if few were granted.
    private bool _refusedSinceAdjust;
    // Granted leases not yet disposed: requests on their way. In slow start a request that finds none in flight and
    // nobody queued goes at once, so a sequential caller (login, listings) is never slowed by the spacing, which only
    // matters when many are in flight (one alone cannot overshoot a limit by more than itself).
    private long _inFlight;
    // When the last waiter was let go (not when it booked), to keep releases spaced when timers fire late.
    private long _lastReleaseTicks;
    private readonly long[] _grantHistory = new long[HistoryBuckets];
    private readonly long[] _throttleHistory = new long[HistoryBuckets];
    private readonly long[] _historySlot = new long[HistoryBuckets];
    // Bumped whenever booked slots stop being valid (a rate cut, a Retry-After pause): waiters that booked before it
    // book again when they wake, so a cut takes effect at once instead of after the queue booked at the old rate.
    private long _bookingGeneration;

    private RequestPacer(double? rate, bool adaptive, double minRate, double maxRate, TimeProvider? clock)
    {
        if (rate is { } given && (!(given > 0) || double.IsInfinity(given)))
        {
            throw new ArgumentOutOfRangeException(nameof(rate), rate, "The request rate must be a positive number.");
        }

        _unbounded = rate is null;
        _rate = rate ?? Math.Clamp(SlowStartRate, minRate, maxRate);
        _adaptive = adaptive;
        _minRate = minRate;
        _maxRate = maxRate;
        _clock = clock ?? TimeProvider.System;
        _nextSlotTicks = _lastAdjustTicks = _windowStartTicks = _clock.GetTimestamp();
    }

    /// <summary>A pacer that keeps <paramref name="requestsPerSecond"/> for its whole life.</summary>
    public static RequestPacer Fixed(double requestsPerSecond, TimeProvider? clock = null) =>
        new(requestsPerSecond, adaptive: false, requestsPerSecond, requestsPerSecond, clock);

    /// <summary>
    /// A pacer that discovers the server's limit: slow start (100/s, doubling every 150 ms under demand) until the first
    /// 429 when <paramref name="initialRequestsPerSecond"/> is null, else starting at that rate.
    /// </summary>
    public static RequestPacer Adaptive(double? initialRequestsPerSecond = null, double minRequestsPerSecond = 1,
        double maxRequestsPerSecond = 10_000, TimeProvider? clock = null) =>
        new(initialRequestsPerSecond, adaptive: true, minRequestsPerSecond, maxRequestsPerSecond, clock);

    /// <summary>True while an adaptive pacer started without a rate is in slow start: no 429 yet.</summary>
    public bool Unbounded { get { lock (_gate) { return _unbounded; } } }

    /// <summary>The rate requests are currently spaced at.</summary>
    public double CurrentRate { get { lock (_gate) { return _rate; } } }

    /// <summary>The lowest rate that has been throttled recently, if any (adaptive mode).</summary>
    public double? Ceiling { get { lock (_gate) { return _ceiling; } } }

    /// <summary>How many 429s were reported.</summary>
    public long Throttles => Interlocked.Read(ref _throttles);

    /// <summary>
    /// Tells the pacer the server answered 429. Adaptive mode lowers the rate (at most once per 300 ms, since one
    /// overshoot produces a burst of 429s); fixed mode holds every request back until <paramref name="retryAfter"/>.
    /// </summary>
    public void ReportThrottled(TimeSpan? retryAfter = null)
    {
        Interlocked.Increment(ref _throttles);
        lock (_gate)
        {
            var now = _clock.GetTimestamp();
            if (!_adaptive)
            {
                // Someone else is spending the budget we were given: honour the server's pause for everyone.
                if (retryAfter is { } pause && pause > TimeSpan.Zero)
                {
                    _nextSlotTicks = Math.Max(_nextSlotTicks, now + ToTicks(pause));
                    _bookingGeneration++;
                }

                return;
            }

            // Adaptive: the rate cut is the answer. The throttled request itself waits Retry-After in the client's
            // retry; pausing every other request as well would throw away a second of budget per 429.
            Record(_throttleHistory, now, 1);
            _probeRounds = 0;
            if (_unbounded)
            {
                // The server's budget just ran out: the first estimate is the limit of a token bucket holding a second of
                // its rate that what it accepted lately would have emptied just now (at most what it accepted over the
                // last second, which counts the bucket's burst as well).
                _unbounded = false;
                var (granted, throttled) = History(now, TimeSpan.FromSeconds(1));
                _ceiling = Math.Clamp(Math.Min(granted - throttled, BucketLimit(now) ?? double.PositiveInfinity), _minRate, _maxRate);
                _rate = Math.Max(_minRate, _ceiling.Value * 0.9);
                _lastDecreaseTicks = _lastAdjustTicks = _windowStartTicks = now;
                _grantedSinceAdjust = 0;
                _nextSlotTicks = now + ToTicks(TimeSpan.FromSeconds(1 / _rate));
                _bookingGeneration++;
                return;
            }

            if (_lastDecreaseTicks is { } last && Elapsed(last, now) < DecreaseCooldown)
            {
                return;
            }

            // What the server accepted lately (granted minus throttled) estimates its limit directly, so one cut
            // lands near it instead of sawing down to it over many rounds of 429s.
            var window = Elapsed(_windowStartTicks, now);
            var (sent, refused) = History(now, window);
            var accepted = window >= AdjustInterval && sent > refused
                ? (sent - refused) / window.TotalSeconds
                : double.PositiveInfinity;
            // Bounded below: early in a window the 429s still answer requests granted in the previous one, which
            // would make the estimate (and the rate) collapse.
            _ceiling = Math.Clamp(accepted, _rate * 0.7, _rate);
            _rate = Math.Max(_minRate, Math.Min(_rate * 0.8, _ceiling.Value * 0.9));
            _lastDecreaseTicks = _lastAdjustTicks = now;
            _grantedSinceAdjust = 0;
            // Slots booked ahead at the old rate would keep drawing 429s for as long as the queue is (about a
            // second with dozens of waiters); drop them, and let their waiters book again at the new rate.
            _nextSlotTicks = Math.Min(_nextSlotTicks, now + ToTicks(TimeSpan.FromSeconds(1 / _rate)));
            _bookingGeneration++;
        }
    }

    /// <inheritdoc />
    public override TimeSpan? IdleDuration
    {
        get
        {
            lock (_gate)
            {
                return Interlocked.Read(ref _waitingNow) > 0 ? null : Elapsed(_nextSlotTicks, _clock.GetTimestamp());
            }
        }
    }

    /// <inheritdoc />
    public override RateLimiterStatistics? GetStatistics() => new()
    {
        CurrentAvailablePermits = 0,
        CurrentQueuedCount = Interlocked.Read(ref _waitingNow),
        TotalSuccessfulLeases = Interlocked.Read(ref _totalGranted),
        TotalFailedLeases = 0,
    };

    /// <inheritdoc />
    protected override RateLimitLease AttemptAcquireCore(int permitCount)
    {
        ValidatePermits(permitCount);
        lock (_gate)
        {
            var now = _clock.GetTimestamp();
            if (permitCount == 0)
            {
                return Lease.Granted;
            }

            if (_nextSlotTicks > now && !Idle)
            {
                _refusedSinceAdjust = true;
                return Lease.Refused;
            }

            Reserve(now, permitCount);
            return Held();
        }
    }

    /// <inheritdoc />
    protected override async ValueTask<RateLimitLease> AcquireAsyncCore(int permitCount, CancellationToken cancellationToken)
    {
        ValidatePermits(permitCount);
        if (permitCount == 0)
        {
            return Lease.Granted;
        }

        long? booked = null;
        for (var rebooking = false; ; rebooking = true)
        {
            TimeSpan wait;
            long generation;
            lock (_gate)
            {
                var now = _clock.GetTimestamp();
                if (booked is { } dropped)
                {
                    Unrecord(dropped, permitCount);
                }

                var start = Reserve(now, permitCount, counted: !rebooking);
                if (rebooking)
                {
                    Record(_grantHistory, start, permitCount);
                }

                booked = start;
                wait = Elapsed(now, start);
                generation = _bookingGeneration;
            }

            while (true)
            {
                if (wait > TimeSpan.Zero)
                {
                    Interlocked.Increment(ref _waitingNow);
                    try
                    {
                        await Task.Delay(wait, _clock, cancellationToken).ConfigureAwait(false);
                    }
                    finally
                    {
                        Interlocked.Decrement(ref _waitingNow);
                    }
                }

                lock (_gate)
                {
                    if (generation != _bookingGeneration)
                    {
                        break;
                    }

                    // Timers that fire late (a starved machine) would release every overdue waiter at once: a burst
                    // that a token bucket answers with 429s. Releases keep at least half a slot apart instead.
                    var now = _clock.GetTimestamp();
                    var spaced = _lastReleaseTicks + (ToTicks(TimeSpan.FromSeconds(permitCount / _rate)) / 2);
                    if (now < spaced && !Idle)
                    {
                        wait = Elapsed(now, spaced);
                        continue;
                    }

                    _lastReleaseTicks = now;
                    return Held();
                }
            }
        }
    }

    /// <summary>
    /// Books the next free slot(s) and returns the timestamp the caller may start at. A request booking again after a
    /// cut (<paramref name="counted"/> false) was counted when it first booked, so the demand figures skip it.
    /// </summary>
    private long Reserve(long now, int permitCount, bool counted = true)
    {
        Adjust(now);
        var start = Idle ? now : Math.Max(now, _nextSlotTicks);
        _nextSlotTicks = start + ToTicks(TimeSpan.FromSeconds(permitCount / _rate));

        if (!counted)
        {
            return start;
        }

        _grantedSinceAdjust += permitCount;
        if (Elapsed(_windowStartTicks, now) > TimeSpan.FromSeconds(1))
        {
            _windowStartTicks = now;
        }

        // At the slot's time, not the booking's: a queue books a second ahead, and those requests are not sent yet.
        Record(_grantHistory, start, permitCount);
        Interlocked.Add(ref _totalGranted, permitCount);
        return start;
    }

    /// <summary>Slow start with no request in flight and none queued: the next one needs no spacing.</summary>
    private bool Idle => _unbounded && Interlocked.Read(ref _inFlight) == 0 && Interlocked.Read(ref _waitingNow) == 0;

    /// <summary>Adaptive growth: only while demand saturates the current rate, so an idle crawl doesn't inflate it.</summary>
    private void Adjust(long now)
    {
        var sinceAdjust = Elapsed(_lastAdjustTicks, now);
        if (!_adaptive || sinceAdjust < (_unbounded ? SlowStartInterval : AdjustInterval))
        {
            return;
        }

        var offered = _grantedSinceAdjust / sinceAdjust.TotalSeconds;
        // A refusal shows demand above the rate when it came, so it speaks for an interval of about that length only.
        var refused = _refusedSinceAdjust && sinceAdjust <= 2 * (_unbounded ? SlowStartInterval : AdjustInterval);
        var saturated = offered >= _rate * 0.9 || _nextSlotTicks > now || refused;
        _refusedSinceAdjust = false;
        if (saturated)
        {
            _rate = _ceiling switch
            {
                null when _unbounded => _rate * 2,                      // slow start: no 429 yet
                null => _rate * 1.5,                                    // started at a given rate, no limit seen yet
                { } c when _rate < c * 0.95 => _rate + (c * 0.95 - _rate) * 0.5, // climb back fast to just below it
                // Probe past it, gently at first (the limit is usually where it was) and faster each second no 429
                // comes (it may have risen, or the first estimate was low).
                _ => _rate * (1 + 0.01 * (1 << Math.Min(4, _probeRounds++ / 4))),
            };
            if (_ceiling is { } ceiling && _rate > ceiling * 1.25)
            {
                _ceiling = null;
            }

            _rate = Math.Clamp(_rate, _minRate, _maxRate);
        }

        _lastAdjustTicks = now;
        _grantedSinceAdjust = 0;
    }

    private void Record(long[] history, long now, long count)
    {
        var slot = now / ToTicks(HistoryBucket);
        var i = (int)(slot % HistoryBuckets);
        if (_historySlot[i] != slot)
        {
            _historySlot[i] = slot;
            _grantHistory[i] = 0;
            _throttleHistory[i] = 0;
        }

        history[i] += count;
    }

    /// <summary>Takes back a booking's grants from the history, when its request books again at another slot.</summary>
    private void Unrecord(long at, long count)
    {
        var slot = at / ToTicks(HistoryBucket);
        var i = (int)(slot % HistoryBuckets);
        if (_historySlot[i] == slot)
        {
            _grantHistory[i] = Math.Max(0, _grantHistory[i] - count);
        }
    }

    /// <summary>Grants and 429s of the last <paramref name="span"/> (the buckets still in it, none booked ahead).</summary>
    private (long Granted, long Throttled) History(long now, TimeSpan span)
    {
        var slot = now / ToTicks(HistoryBucket);
        var buckets = Math.Min(HistoryBuckets, (int)Math.Round(span / HistoryBucket));
        long granted = 0, throttled = 0;
        for (var i = 0; i < HistoryBuckets; i++)
        {
            var age = slot - _historySlot[i];
            if (age >= 0 && age < buckets)
            {
                granted += _grantHistory[i];
                throttled += _throttleHistory[i];
            }
        }

        return (granted, throttled);
    }

    /// <summary>
    /// The rate of a token bucket holding one second of it, full 2 s ago, that the requests accepted since (grants
    /// minus 429s, per 50 ms) would have emptied just now: the limit of the emulator's kind of server, found by
    /// bisection (the tokens left grow with the rate); null when no such bucket would be empty. A server with a smaller
    /// burst is underestimated, and the
    /// probing that follows finds the rest; a larger one is overestimated, and its next 429s cut the rate.
    /// </summary>
    private double? BucketLimit(long now)
    {
        var slot = now / ToTicks(HistoryBucket);
        var accepted = new double[ModelBuckets];
        for (var k = 0; k < ModelBuckets; k++)
        {
            var at = slot - (ModelBuckets - 1) + k;
            var i = (int)(((at % HistoryBuckets) + HistoryBuckets) % HistoryBuckets);
            accepted[k] = _historySlot[i] == at ? Math.Max(0, _grantHistory[i] - _throttleHistory[i]) : 0;
        }

        double TokensLeft(double limit)
        {
            var tokens = limit;
            var refill = limit * HistoryBucket.TotalSeconds;
            foreach (var a in accepted)
            {
                tokens = Math.Min(limit, tokens + refill) - a;
            }

            return tokens;
        }

        double low = _minRate, high = _maxRate;
        if (TokensLeft(low) >= 0)
        {
            // Too little accepted to empty any such bucket: the server's burst is smaller than a second.
            return null;
        }

        for (var n = 0; n < 40; n++)
        {
            var middle = (low + high) / 2;
            if (TokensLeft(middle) < 0)
            {
                low = middle;
            }
            else
            {
                high = middle;
            }
        }

        return low;
    }

    private static void ValidatePermits(int permitCount)
    {
        if (permitCount < 0)
        {
            throw new ArgumentOutOfRangeException(nameof(permitCount), permitCount, "Permit count cannot be negative.");
        }
    }

    private long ToTicks(TimeSpan span) => (long)(span.TotalSeconds * _clock.TimestampFrequency);

    private TimeSpan Elapsed(long from, long to) =>
        to <= from ? TimeSpan.Zero : TimeSpan.FromSeconds((double)(to - from) / _clock.TimestampFrequency);

    /// <summary>A granted lease that counts as in flight until it is disposed (Polly holds it for the attempt).</summary>
    private RateLimitLease Held()
    {
        Interlocked.Increment(ref _inFlight);
        return new Lease(true, this);
    }

    private sealed class Lease(bool acquired, RequestPacer? holder = null) : RateLimitLease
    {
        public static readonly Lease Granted = new(true);
        public static readonly Lease Refused = new(false);
        private int _released;

        public override bool IsAcquired { get; } = acquired;

        protected override void Dispose(bool disposing)
        {
            if (holder is not null && Interlocked.Exchange(ref _released, 1) == 0)
            {
                Interlocked.Decrement(ref holder._inFlight);
            }

            base.Dispose(disposing);
        }

        public override IEnumerable<string> MetadataNames => [];

        public override bool TryGetMetadata(string metadataName, out object? metadata)
        {
            metadata = null;
            return false;
        }
    }
}
