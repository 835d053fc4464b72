using SwanLab.Crawler.Crawl;

namespace SwanLab.Crawler.Cli;

/// <summary>Counters the console shows, at one moment.</summary>
/// <param name="Points">
/// Points written by this command: those of runs now durable in the backup plus those the runs in flight have
/// streamed so far in their current attempt. A failed attempt's points are dropped (its files are deleted), so at
/// the end this is exactly the points of the runs exported by this command.
/// </param>
/// <param name="Bytes">Bytes of the files of the runs this command made durable.</param>
/// <param name="PointsInFlight">The part of <paramref name="Points"/> streamed by attempts still running.</param>
internal sealed record ProgressSnapshot(int Workspaces, int Projects, int RunsTotal, int RunsDone, int RunsSkipped,
    int RunsFailed, int RunsInFlight, long Points, long Requests, long Retries, long RateLimited,
    double RequestsPerSecond, TimeSpan Elapsed, TimeSpan? Eta, long Bytes = 0, long PointsInFlight = 0)
{
    /// <summary>
    /// Points of the runs this command made durable: once the crawl has ended (an interrupted attempt's files are
    /// deleted), the points it wrote, and what the summary and --json report.
    /// </summary>
    public long PointsWritten => Points - PointsInFlight;

    /// <summary>Runs finished one way or another.</summary>
    public int RunsSettled => RunsDone + RunsSkipped + RunsFailed;

    /// <summary>Average write rate since the command started.</summary>
    public double BytesPerSecond => Elapsed.TotalSeconds > 0 ? Bytes / Elapsed.TotalSeconds : 0;

    /// <summary>The nodes of a cluster crawl as last heard (empty for a crawl of one process).</summary>
    public IReadOnlyList<NodeStatus> Nodes { get; init; } = [];
}

/// <summary>
/// Folds <see cref="CrawlEvent"/>s into counters. Not thread-safe by design: one reader applies events and the
/// renderer takes snapshots under the same lock (see <see cref="ProgressReporter"/>).
/// </summary>
internal sealed class ProgressTracker(TimeSpan rateWindow)
{
    readonly Queue<(TimeSpan At, long Requests)> requestSamples = new();
    readonly List<CrawlEvent.RunFailed> failures = [];
    // Points the current attempt at each run in flight has streamed; void when the attempt fails or is retried.
    readonly Dictionary<string, long> streaming = new(StringComparer.Ordinal);
    IReadOnlyList<NodeStatus> nodes = [];
    int workspaces, projects, runsTotal, done, skipped, failed;
    long committedPoints, unattributedPoints, bytes, requests, retries, rateLimited, streamingPoints;

    public ProgressTracker() : this(TimeSpan.FromSeconds(5)) { }

    /// <summary>Failures seen so far, oldest first.</summary>
    public IReadOnlyList<CrawlEvent.RunFailed> Failures => failures;

    public void Apply(CrawlEvent e, TimeSpan now)
    {
        switch (e)
        {
            case CrawlEvent.Discovered d:
                // Discovery reports running totals; never let a late, smaller report shrink them.
                workspaces = Math.Max(workspaces, d.Workspaces);
                projects = Math.Max(projects, d.Projects);
                runsTotal = Math.Max(runsTotal, d.Runs);
                break;
            case CrawlEvent.RunStarted s:
                Forget(s.RunPath);
                streaming[s.RunPath] = 0;
                break;
            case CrawlEvent.RunSkipped:
                skipped++;
                break;
            case CrawlEvent.RunCompleted c:
                Forget(c.RunPath);
                done++;
                committedPoints += c.Points;
                bytes += c.Bytes;
                break;
            case CrawlEvent.RunFailed f:
                Forget(f.RunPath);
                failed++;
                failures.Add(f);
                break;
            case CrawlEvent.PointsWritten { RunPath: { } run } p when streaming.TryGetValue(run, out var sofar):
                streaming[run] = sofar + p.Points;
                streamingPoints += p.Points;
                break;
            case CrawlEvent.PointsWritten { RunPath: null } p:
                unattributedPoints += p.Points;
                break;
            case CrawlEvent.RequestStats r:
                requests = Math.Max(requests, r.Requests);
                retries = Math.Max(retries, r.Retries);
                rateLimited = Math.Max(rateLimited, r.RateLimited);
                requestSamples.Enqueue((now, requests));
                break;
            case CrawlEvent.ClusterNodes c:
                nodes = c.Nodes;
                break;
        }
    }

    void Forget(string run)
    {
        if (streaming.Remove(run, out var points))
            streamingPoints -= points;
    }

    public ProgressSnapshot Snapshot(TimeSpan now)
    {
        while (requestSamples.Count > 1 && now - requestSamples.Peek().At > rateWindow)
            requestSamples.Dequeue();
        double rate = 0;
        if (requestSamples.Count > 0)
        {
            var (at, first) = requestSamples.Peek();
            var span = (now - at).TotalSeconds;
            rate = span > 0.5 ? (requests - first) / span : 0;
        }

        var total = Math.Max(runsTotal, done + skipped + failed);
        var fetched = done + failed;
        var left = total - done - skipped - failed;
        TimeSpan? eta = fetched > 0 && left >= 0 && now > TimeSpan.Zero
            ? TimeSpan.FromSeconds(Math.Round(left * now.TotalSeconds / fetched))
            : null;
        // Points from a producer that does not say which run they belong to are shown until runs complete, then the
        // completed runs' own counts take over (never both).
        var points = committedPoints + streamingPoints + (unattributedPoints > committedPoints ? unattributedPoints - committedPoints : 0);
        return new ProgressSnapshot(workspaces, projects, total, done, skipped, failed, streaming.Count, points, requests,
            retries, rateLimited, rate, now, eta, bytes, streamingPoints) { Nodes = nodes };
    }
}
