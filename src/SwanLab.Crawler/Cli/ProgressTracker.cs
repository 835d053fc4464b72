using SwanLab.Crawler.Crawl;

namespace SwanLab.Crawler.Cli;

/// <summary>Counters the console shows, at one moment.</summary>
internal sealed record ProgressSnapshot(int Workspaces, int Projects, int RunsTotal, int RunsDone, int RunsSkipped,
    int RunsFailed, int RunsInFlight, long Points, long Requests, long Retries, long RateLimited,
    double RequestsPerSecond, TimeSpan Elapsed, TimeSpan? Eta)
{
    /// <summary>Runs finished one way or another.</summary>
    public int RunsSettled => RunsDone + RunsSkipped + RunsFailed;
}

/// <summary>
/// Folds <see cref="CrawlEvent"/>s into counters. Not thread-safe by design: one reader applies events and the
/// renderer takes snapshots under the same lock (see <see cref="ProgressReporter"/>).
/// </summary>
internal sealed class ProgressTracker(TimeSpan rateWindow)
{
    readonly Queue<(TimeSpan At, long Requests)> requestSamples = new();
    readonly List<CrawlEvent.RunFailed> failures = [];
    int workspaces, projects, runsTotal, done, skipped, failed, started;
    long points, requests, retries, rateLimited;

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
            case CrawlEvent.RunStarted:
                started++;
                break;
            case CrawlEvent.RunSkipped:
                skipped++;
                break;
            case CrawlEvent.RunCompleted:
                done++;
                break;
            case CrawlEvent.RunFailed f:
                failed++;
                failures.Add(f);
                break;
            case CrawlEvent.PointsWritten p:
                points += p.Points;
                break;
            case CrawlEvent.RequestStats r:
                requests = Math.Max(requests, r.Requests);
                retries = Math.Max(retries, r.Retries);
                rateLimited = Math.Max(rateLimited, r.RateLimited);
                requestSamples.Enqueue((now, requests));
                break;
        }
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
        var inFlight = Math.Max(0, started - done - failed);
        return new ProgressSnapshot(workspaces, projects, total, done, skipped, failed, inFlight, points, requests,
            retries, rateLimited, rate, now, eta);
    }
}
