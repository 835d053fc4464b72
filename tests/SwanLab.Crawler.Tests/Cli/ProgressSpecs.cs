using SwanLab.Crawler.Cli;
using SwanLab.Crawler.Crawl;

namespace SwanLab.Crawler.Tests.Cli;

public sealed class ProgressSpecs
{
    [Fact]
    public void Should_count_runs_points_and_requests_from_events()
    {
        var tracker = new ProgressTracker();
        var t = TimeSpan.FromSeconds(1);
        tracker.Apply(new CrawlEvent.Discovered(1, 2, 10), t);
        tracker.Apply(new CrawlEvent.Discovered(1, 1, 4), t); // late, smaller report: totals never shrink
        tracker.Apply(new CrawlEvent.RunStarted("a/b/1"), t);
        tracker.Apply(new CrawlEvent.RunStarted("a/b/2"), t);
        tracker.Apply(new CrawlEvent.RunCompleted("a/b/1", 100, 3), t);
        tracker.Apply(new CrawlEvent.RunSkipped("a/b/3"), t);
        tracker.Apply(new CrawlEvent.RunStarted("a/b/4"), t);
        tracker.Apply(new CrawlEvent.RunFailed("a/b/4", "ServerError", "500", 3), t);
        tracker.Apply(new CrawlEvent.PointsWritten(60), t);
        tracker.Apply(new CrawlEvent.PointsWritten(40), t);
        tracker.Apply(new CrawlEvent.RequestStats(10, 1, 0), TimeSpan.FromSeconds(1));
        tracker.Apply(new CrawlEvent.RequestStats(30, 2, 1), TimeSpan.FromSeconds(3));

        var s = tracker.Snapshot(TimeSpan.FromSeconds(3));

        Assert.Equal((1, 2, 10), (s.Workspaces, s.Projects, s.RunsTotal));
        Assert.Equal((1, 1, 1, 3), (s.RunsDone, s.RunsSkipped, s.RunsFailed, s.RunsSettled));
        Assert.Equal(1, s.RunsInFlight);
        Assert.Equal(100, s.Points);
        Assert.Equal((30, 2, 1), (s.Requests, s.Retries, s.RateLimited));
        Assert.Equal(10.0, s.RequestsPerSecond, precision: 6);
        // 2 runs fetched in 3 s, 7 left -> 10.5 s, rounded.
        Assert.Equal(TimeSpan.FromSeconds(10), s.Eta);
        Assert.Single(tracker.Failures);
    }

    [Fact]
    public void Should_not_estimate_before_any_run_is_fetched()
    {
        var tracker = new ProgressTracker();
        tracker.Apply(new CrawlEvent.Discovered(1, 1, 5), TimeSpan.FromSeconds(1));
        tracker.Apply(new CrawlEvent.RunSkipped("a/b/1"), TimeSpan.FromSeconds(1));

        Assert.Null(tracker.Snapshot(TimeSpan.FromSeconds(2)).Eta);
    }

    [Fact]
    public void Should_write_a_plain_line_with_every_counter()
    {
        var line = ProgressReporter.PlainLine(new ProgressSnapshot(1, 2, 40, 10, 2, 1, 3, 123456, 500, 4, 2, 12.5,
            TimeSpan.FromSeconds(65), TimeSpan.FromSeconds(90), Bytes: 13_000_000, PointsInFlight: 456));

        Assert.Equal("[00:01:05] runs 13/40 (10 exported, 2 already in backup, 1 failed) | 123,000 points written (+456 streaming) | 13.0 MB (0.2 MB/s) | 12.5 req/s | 4 retries | 2 x 429 | ETA 00:01:30", line);
    }

    [Fact]
    public void Should_drop_the_points_of_a_failed_attempt_so_a_retried_run_counts_once()
    {
        var tracker = new ProgressTracker();
        var t = TimeSpan.FromSeconds(1);
        tracker.Apply(new CrawlEvent.RunStarted("a/b/1"), t);
        tracker.Apply(new CrawlEvent.PointsWritten(700, "a/b/1"), t);
        Assert.Equal((0, 700), (tracker.Snapshot(t).PointsWritten, tracker.Snapshot(t).PointsInFlight)); // still streaming

        tracker.Apply(new CrawlEvent.RunStarted("a/b/1", Attempt: 2), t); // the first attempt failed: its files are gone
        tracker.Apply(new CrawlEvent.PointsWritten(600, "a/b/1"), t);
        tracker.Apply(new CrawlEvent.PointsWritten(400, "a/b/1"), t);
        tracker.Apply(new CrawlEvent.RunCompleted("a/b/1", 1000, 4, Bytes: 52_000), t);
        tracker.Apply(new CrawlEvent.RunStarted("a/b/2"), t);
        tracker.Apply(new CrawlEvent.PointsWritten(300, "a/b/2"), t);
        tracker.Apply(new CrawlEvent.RunFailed("a/b/2", "ServerError", "500", 3), t);

        var s = tracker.Snapshot(TimeSpan.FromSeconds(2));

        Assert.Equal(1000, s.Points);
        Assert.Equal((1000, 0), (s.PointsWritten, s.PointsInFlight));
        Assert.Equal(52_000, s.Bytes);
        Assert.Equal(26_000, s.BytesPerSecond, precision: 6);
        Assert.Equal(0, s.RunsInFlight);
    }

    [Fact]
    public void Should_not_count_the_points_of_attempts_still_streaming_as_written()
    {
        var tracker = new ProgressTracker();
        var t = TimeSpan.FromSeconds(1);
        tracker.Apply(new CrawlEvent.RunStarted("a/b/1"), t);
        tracker.Apply(new CrawlEvent.PointsWritten(500, "a/b/1"), t);
        tracker.Apply(new CrawlEvent.RunCompleted("a/b/1", 500, 3), t);
        tracker.Apply(new CrawlEvent.RunStarted("a/b/2"), t);
        tracker.Apply(new CrawlEvent.PointsWritten(300, "a/b/2"), t); // then Ctrl+C: the attempt's temp files are deleted

        var s = tracker.Snapshot(t);

        Assert.Equal((500, 300, 1), (s.PointsWritten, s.PointsInFlight, s.RunsInFlight));
    }
}
