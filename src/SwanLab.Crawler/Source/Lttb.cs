namespace SwanLab.Crawler.Source;

/// <summary>
/// Largest-Triangle-Three-Buckets downsampling (Steinarsson 2013), the algorithm the SwanLab server uses for sampled
/// series; used on the client when the server cannot sample (legacy servers) or not as finely as asked (&gt; 1500).
/// Keeps the first and last point, so the last step of a sampled series is the real last step.
/// </summary>
public static class Lttb
{
    public static IReadOnlyList<SeriesPoint> Downsample(IReadOnlyList<SeriesPoint> points, int threshold)
    {
        ArgumentNullException.ThrowIfNull(points);
        if (threshold >= points.Count || threshold <= 0) return points;
        if (threshold < 3) return threshold == 1 ? [points[^1]] : [points[0], points[^1]];

        var sampled = new List<SeriesPoint>(threshold) { points[0] };
        var bucketSize = (double)(points.Count - 2) / (threshold - 2);
        var a = 0;
        for (var i = 0; i < threshold - 2; i++)
        {
            var nextStart = (int)Math.Floor((i + 1) * bucketSize) + 1;
            var nextEnd = Math.Min((int)Math.Floor((i + 2) * bucketSize) + 1, points.Count);
            double avgX = 0, avgY = 0;
            var count = 0;
            for (var j = nextStart; j < nextEnd; j++)
            {
                if (!double.IsFinite(points[j].Value)) continue;
                avgX += points[j].Step;
                avgY += points[j].Value;
                count++;
            }
            if (count > 0) { avgX /= count; avgY /= count; }
            else { avgX = points[Math.Min(nextStart, points.Count - 1)].Step; }

            var start = (int)Math.Floor(i * bucketSize) + 1;
            var end = (int)Math.Floor((i + 1) * bucketSize) + 1;
            var ax = (double)points[a].Step;
            var ay = double.IsFinite(points[a].Value) ? points[a].Value : 0;
            var best = start;
            var bestArea = -1.0;
            for (var j = start; j < end; j++)
            {
                var y = double.IsFinite(points[j].Value) ? points[j].Value : 0;
                var area = Math.Abs((ax - avgX) * (y - ay) - (ax - points[j].Step) * (avgY - ay));
                if (area > bestArea)
                {
                    bestArea = area;
                    best = j;
                }
            }
            sampled.Add(points[best]);
            a = best;
        }
        sampled.Add(points[^1]);
        return sampled;
    }
}
