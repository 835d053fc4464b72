using SwanLab.Crawler.Source;

namespace SwanLab.Crawler.View;

/// <summary>
/// Largest-Triangle-Three-Buckets over a stream whose length is known in advance (metrics/index.json says how many
/// points a series file holds), with the same bucket boundaries as <see cref="Lttb"/>: only the bucket being decided and
/// the one after it are held, so a 10M-point series needs memory for two buckets (~10,000 points at 2,000), not 10M.
/// Non-finite values are never chosen as a bucket's representative by area; they count as 0 like in <see cref="Lttb"/>.
/// </summary>
public sealed class StreamingLttb
{
    private readonly long _count;
    private readonly int _threshold;
    private readonly double _bucketSize;
    private readonly List<SeriesPoint> _output;
    private List<SeriesPoint> _current = [];
    private List<SeriesPoint> _next = [];
    private long _seen;
    private int _currentBucket; // index (0-based, among threshold-2 inner buckets) of _current
    private SeriesPoint _anchor;
    private SeriesPoint _last;

    public StreamingLttb(long count, int threshold)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(count);
        ArgumentOutOfRangeException.ThrowIfLessThan(threshold, 3);
        _count = count;
        _threshold = threshold;
        _bucketSize = count > threshold ? (double)(count - 2) / (threshold - 2) : 0;
        _output = new List<SeriesPoint>((int)Math.Min(count, threshold));
    }

    /// <summary>True when the series is short enough to be kept whole.</summary>
    public bool KeepsAll => _count <= _threshold;

    public void Add(SeriesPoint point)
    {
        var i = _seen++;
        if (i >= _count) throw new InvalidOperationException($"The series holds more than the {_count} points its index promised.");
        _last = point;
        if (KeepsAll) { _output.Add(point); return; }
        if (i == 0) { _output.Add(point); _anchor = point; return; }
        if (i == _count - 1) return; // the last point is added by Finish
        var bucket = BucketOf(i);
        if (bucket == _currentBucket) { _current.Add(point); return; }
        if (bucket == _currentBucket + 1) { _next.Add(point); if (EndOf(bucket) == i + 1) Decide(); return; }
        throw new InvalidOperationException("points arrived out of bucket order");
    }

    /// <summary>The chosen points, first and last included; throws when fewer points came than promised.</summary>
    public IReadOnlyList<SeriesPoint> Finish()
    {
        if (_seen != _count) throw new InvalidOperationException($"The series holds {_seen} points; its index says {_count}.");
        if (KeepsAll) return _output;
        // The buckets not yet decided: the last inner one is decided against the last point.
        while (_currentBucket < _threshold - 2)
        {
            if (_next.Count == 0 && _currentBucket == _threshold - 3) _next.Add(_last);
            Decide();
        }
        _output.Add(_last);
        return _output;
    }

    private int BucketOf(long i)
    {
        // Same boundaries as Lttb: bucket b spans [floor(b*size)+1, floor((b+1)*size)+1).
        var b = (int)Math.Floor((i - 1) / _bucketSize);
        while (b > 0 && StartOf(b) > i) b--;
        while (EndOf(b) <= i) b++;
        return Math.Min(b, _threshold - 3);
    }

    private long StartOf(int b) => (long)Math.Floor(b * _bucketSize) + 1;
    private long EndOf(int b) => b >= _threshold - 3 ? _count - 1 : (long)Math.Floor((b + 1) * _bucketSize) + 1;

    private void Decide()
    {
        double avgX = 0, avgY = 0;
        var n = 0;
        foreach (var p in _next)
        {
            if (!double.IsFinite(p.Value)) continue;
            avgX += p.Step; avgY += p.Value; n++;
        }
        if (n > 0) { avgX /= n; avgY /= n; }
        else if (_next.Count > 0) avgX = _next[0].Step;
        else avgX = _last.Step;

        if (_current.Count > 0)
        {
            var ax = (double)_anchor.Step;
            var ay = double.IsFinite(_anchor.Value) ? _anchor.Value : 0;
            var best = _current[0];
            var bestArea = -1.0;
            foreach (var p in _current)
            {
                var y = double.IsFinite(p.Value) ? p.Value : 0;
                var area = Math.Abs((ax - avgX) * (y - ay) - (ax - p.Step) * (avgY - ay));
                if (area > bestArea) { bestArea = area; best = p; }
            }
            _output.Add(best);
            _anchor = best;
        }
        (_current, _next) = (_next, _current);
        _next.Clear();
        _currentBucket++;
    }
}
