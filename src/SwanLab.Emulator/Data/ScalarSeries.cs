namespace SwanLab.Emulator.Data;

/// <summary>
/// One metric key of one run, read by position (points are ordered by step).
/// Generated series compute every point on demand, so a 10,000,000-point key costs no memory.
/// </summary>
public abstract class ScalarSeries(string key)
{
    public string Key { get; } = key;

    public abstract int Count { get; }

    public abstract long StepAt(int index);

    public abstract double ValueAt(int index);

    /// <summary>Unix milliseconds at which the point was logged.</summary>
    public abstract long TimestampAt(int index);

    public long? LastStep => Count == 0 ? null : StepAt(Count - 1);

    /// <summary>A stable view for one request (stored series copy their points; generated ones return themselves).</summary>
    public virtual ScalarSeries Read() => this;

    /// <summary>Index of the first point whose step is &gt;= <paramref name="step"/> (Count when none).</summary>
    public int LowerBound(long step)
    {
        int lo = 0, hi = Count;
        while (lo < hi)
        {
            var mid = (lo + hi) >>> 1;
            if (StepAt(mid) < step)
            {
                lo = mid + 1;
            }
            else
            {
                hi = mid;
            }
        }

        return lo;
    }

    private SeriesStats? _stats;

    /// <summary>Min/max/avg/median/latest/stddev over finite values (cached: generated series are immutable).</summary>
    public SeriesStats Stats() => _stats ??= SeriesStats.Compute(this);

    public IEnumerable<(long Step, double Value, long Timestamp)> Points()
    {
        for (var i = 0; i < Count; i++)
        {
            yield return (StepAt(i), ValueAt(i), TimestampAt(i));
        }
    }
}

/// <summary>How a generated key's values evolve.</summary>
public enum MetricShape
{
    Loss,
    Accuracy,
    Oscillating,
    Percent,
}

/// <summary>Points at steps first, first+stride, ... computed from (seed, run, key, step); never materialised.</summary>
public sealed class GeneratedScalarSeries : ScalarSeries
{
    private readonly ulong _identity;
    private readonly long _firstStep;
    private readonly long _stride;
    private readonly int _count;
    private readonly long _baseTimestampMs;
    private readonly MetricShape _shape;
    private readonly bool _nonFinite;
    private readonly double _scale;
    private readonly double _tau;

    internal GeneratedScalarSeries(string key, ulong identity, long firstStep, long stride, int count,
        long baseTimestampMs, MetricShape shape, bool nonFinite)
        : base(key)
    {
        _identity = identity;
        _firstStep = firstStep;
        _stride = Math.Max(1, stride);
        _count = Math.Max(0, count);
        _baseTimestampMs = baseTimestampMs;
        _shape = shape;
        _nonFinite = nonFinite;
        _scale = 0.5 + Rng.Unit(Rng.Hash(identity, 1));
        _tau = Math.Max(10, (count * _stride) / (2.0 + 4 * Rng.Unit(Rng.Hash(identity, 2))));
    }

    public override int Count => _count;

    public override long StepAt(int index) => _firstStep + (index * _stride);

    public override long TimestampAt(int index)
    {
        var step = StepAt(index);
        return _baseTimestampMs + (step * 1000) + (long)(Rng.Hash(_identity, (ulong)step, 3) % 500);
    }

    public override double ValueAt(int index)
    {
        if (_nonFinite)
        {
            // Fixed positions so even the tiny dataset carries NaN, +INF and -INF.
            switch (index)
            {
                case 3: return double.NaN;
                case 7: return double.PositiveInfinity;
                case 11: return double.NegativeInfinity;
            }
        }

        var step = StepAt(index);
        var noise = Rng.Unit(Rng.Hash(_identity, (ulong)step)) - 0.5;
        var t = step / _tau;
        var value = _shape switch
        {
            MetricShape.Loss => (_scale * 2.5 * Math.Exp(-t)) + 0.05 + (0.04 * noise),
            MetricShape.Accuracy => Math.Clamp((0.95 * (1 - Math.Exp(-t))) + (0.03 * noise), 0, 1),
            MetricShape.Oscillating => (_scale * Math.Sin(step / 7.0)) + (0.1 * noise),
            _ => Math.Clamp(40 + (30 * _scale * Math.Sin(step / 50.0)) + (20 * noise), 0, 100),
        };
        return Math.Round(value, 6);
    }
}

/// <summary>
/// Points uploaded through <c>POST /house/metrics</c>; later uploads of a step replace earlier ones. Kept in
/// step-sorted arrays: uploads arrive in step order, so a point is almost always an append (O(1), 24 bytes), where a
/// tree cost a few microseconds and ~80 bytes per point, which made the emulator the slowest part of a big import.
/// A snapshot shares the arrays (appends never touch what it reads); a replace or insert copies them first.
/// </summary>
public sealed class StoredScalarSeries(string key) : ScalarSeries(key)
{
    private readonly Lock _lock = new();
    private long[] _steps = [];
    private double[] _values = [];
    private long[] _timestamps = [];
    private int _count;
    private ArrayScalarSeries? _snapshot;
    private bool _shared;

    public override int Count
    {
        get
        {
            lock (_lock)
            {
                return _count;
            }
        }
    }

    /// <summary>Stores a point; true when the step was new, false when it replaced one already stored.</summary>
    public bool Put(long step, double value, long timestampMs)
    {
        lock (_lock)
        {
            _snapshot = null;
            if (_count == 0 || step > _steps[_count - 1])
            {
                if (_count == _steps.Length)
                {
                    Grow();
                }

                _steps[_count] = step;
                _values[_count] = value;
                _timestamps[_count] = timestampMs;
                _count++;
                return true;
            }

            if (_shared)
            {
                // A reader holds the current arrays: change copies, never what it reads.
                _steps = _steps[..];
                _values = _values[..];
                _timestamps = _timestamps[..];
                _shared = false;
            }

            var at = Array.BinarySearch(_steps, 0, _count, step);
            if (at >= 0)
            {
                _values[at] = value;
                _timestamps[at] = timestampMs;
                return false;
            }

            at = ~at;
            if (_count == _steps.Length)
            {
                Grow();
            }

            Array.Copy(_steps, at, _steps, at + 1, _count - at);
            Array.Copy(_values, at, _values, at + 1, _count - at);
            Array.Copy(_timestamps, at, _timestamps, at + 1, _count - at);
            _steps[at] = step;
            _values[at] = value;
            _timestamps[at] = timestampMs;
            _count++;
            return true;
        }
    }

    private void Grow()
    {
        var size = Math.Max(1024, _steps.Length * 2);
        Array.Resize(ref _steps, size);
        Array.Resize(ref _values, size);
        Array.Resize(ref _timestamps, size);
        // New arrays: snapshots keep the old ones.
        _shared = false;
    }

    public override ScalarSeries Read()
    {
        lock (_lock)
        {
            _shared = true;
            return _snapshot ??= new ArrayScalarSeries(Key, _steps, _values, _timestamps, _count);
        }
    }

    public override long StepAt(int index) => Read().StepAt(index);

    public override double ValueAt(int index) => Read().ValueAt(index);

    public override long TimestampAt(int index) => Read().TimestampAt(index);
}

internal sealed class ArrayScalarSeries(string key, long[] steps, double[] values, long[] timestamps, int count) : ScalarSeries(key)
{
    public override int Count => count;

    public override long StepAt(int index) => (uint)index < (uint)count ? steps[index] : throw new ArgumentOutOfRangeException(nameof(index));

    public override double ValueAt(int index) => (uint)index < (uint)count ? values[index] : throw new ArgumentOutOfRangeException(nameof(index));

    public override long TimestampAt(int index) => (uint)index < (uint)count ? timestamps[index] : throw new ArgumentOutOfRangeException(nameof(index));
}

/// <summary>One statistic with the position where it occurs.</summary>
public readonly record struct StatPoint(long Step, long Timestamp, double Value);

public sealed record SeriesStats(StatPoint Min, StatPoint Max, StatPoint Avg, StatPoint Median, StatPoint Latest, double StdDev,
    int FiniteCount)
{
    internal static SeriesStats Compute(ScalarSeries series)
    {
        var n = series.Count;
        var finite = new List<double>(Math.Min(n, 1 << 20));
        int minI = -1, maxI = -1, lastI = -1;
        double sum = 0, sumSq = 0;
        for (var i = 0; i < n; i++)
        {
            var v = series.ValueAt(i);
            if (!double.IsFinite(v))
            {
                continue;
            }

            finite.Add(v);
            sum += v;
            sumSq += v * v;
            if (minI < 0 || v < series.ValueAt(minI))
            {
                minI = i;
            }

            if (maxI < 0 || v > series.ValueAt(maxI))
            {
                maxI = i;
            }

            lastI = i;
        }

        if (finite.Count == 0)
        {
            var none = new StatPoint(0, 0, double.NaN);
            return new SeriesStats(none, none, none, none, none, double.NaN, 0);
        }

        var sorted = finite.ToArray();
        Array.Sort(sorted);
        var median = sorted[(sorted.Length - 1) / 2];
        var medianI = 0;
        for (var i = 0; i < n; i++)
        {
            if (series.ValueAt(i) == median)
            {
                medianI = i;
                break;
            }
        }

        var avg = Math.Round(sum / finite.Count, 6);
        var variance = Math.Max(0, (sumSq / finite.Count) - ((sum / finite.Count) * (sum / finite.Count)));
        StatPoint At(int i) => new(series.StepAt(i), series.TimestampAt(i), series.ValueAt(i));
        return new SeriesStats(At(minI), At(maxI), new StatPoint(0, 0, avg), At(medianI), At(lastI),
            Math.Round(Math.Sqrt(variance), 6), finite.Count);
    }
}
