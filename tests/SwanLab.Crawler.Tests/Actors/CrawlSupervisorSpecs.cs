using Akka.Actor;
using System.Threading.Channels;
using SwanLab.Crawler.Actors;
using SwanLab.Crawler.Backup;
using SwanLab.Crawler.Crawl;
using Xunit.Abstractions;

namespace SwanLab.Crawler.Tests.Actors;

public sealed class CrawlSupervisorSpecs(ITestOutputHelper output) : CrawlSpecBase(output)
{
    [Fact]
    public void Should_export_every_run_of_every_project_of_every_workspace()
    {
        var source = ScriptedSource.Account(workspaces: 2, projects: 2, runs: 3);
        source.Find("ws1/proj0/run2").Media.Add(("images/cat", 4, ScriptedSource.Bytes("png-bytes")));
        var writer = new TestBackupWriter(Root);
        var store = new VerifyingCheckpointStore(Root);

        var result = CrawlToEnd(Settings(), source, writer, store);

        Assert.Equal((2, 4, 12, 12, 0, 0), (result.Workspaces, result.Projects, result.RunsTotal, result.RunsDone, result.RunsSkipped, result.RunsFailed));
        Assert.True(result.Complete);
        Assert.False(result.Cancelled);
        Assert.Equal(12 * 2 * 5, result.Points);
        // Workspaces and projects are units too: workspace.json / project.json are recorded like a run's files.
        Assert.Equal(12 + 4 + 2, store.Recorded.Count(e => e.Status == UnitStatus.Done));
        Assert.All(store.Recorded.Where(e => IsRun(e.RunPath)),
            e => Assert.Equal(5, e.Files.Count(f => !f.RelativePath.Contains("/media/")))); // run, 2 series, index, logs
        Assert.All(store.Recorded.Where(e => !IsRun(e.RunPath)), e => Assert.Single(e.Files));
        Assert.True(File.Exists(Path.Combine(Root, "ws1", "proj0", "run2", "media", "images%2Fcat", "4.bin")));
        Assert.True(File.Exists(Path.Combine(Root, "ws0", "proj1", "run1", "metrics", "train%2Floss.csv")));

        var summary = Assert.IsType<BackupSummary>(writer.Summary);
        Assert.True(summary.Complete);
        Assert.Equal(12 * 5 + 1 + 2 + 4, summary.Files.Count); // run files + one media + workspace.json + project.json
        Assert.Equal(summary.Files.Select(f => f.RelativePath).Order(StringComparer.Ordinal), summary.Files.Select(f => f.RelativePath));
        Assert.Empty(TempFiles());
    }

    [Fact]
    public void Should_never_have_more_runs_or_series_in_flight_than_configured()
    {
        var source = ScriptedSource.Account(workspaces: 2, projects: 2, runs: 6, series: 4, points: 6);
        source.PointDelay = TimeSpan.FromMilliseconds(1);
        var writer = new TestBackupWriter(Root, source.Runs);
        var store = new VerifyingCheckpointStore(Root);

        var result = CrawlToEnd(Settings(s => s with { RunConcurrency = 3, SeriesConcurrency = 5 }), source, writer, store);

        Assert.Equal(24, result.RunsDone);
        Assert.InRange(source.Runs.Max, 1, 3);
        Assert.InRange(source.MaxStreamsInFlight, 1, 5);
    }

    [Fact]
    public void Should_retry_a_failing_run_with_backoff_until_it_succeeds()
    {
        var source = ScriptedSource.Account(1, 1, 3);
        source.Find("ws0/proj0/run1").FailDetail = 2;
        var store = new VerifyingCheckpointStore(Root);

        var result = CrawlToEnd(Settings(s => s with { MaxUnitAttempts = 3 }), source, new TestBackupWriter(Root), store);

        Assert.True(result.Complete);
        Assert.Equal(3, result.RunsDone);
        Assert.Equal(3, source.DetailCalls("ws0/proj0/run1"));
        var entry = Assert.Single(store.Recorded, e => e.RunPath == "ws0/proj0/run1");
        Assert.Equal((UnitStatus.Done, 3), (entry.Status, entry.Attempts));
    }

    [Fact]
    public void Should_record_a_run_that_always_fails_as_failed_and_finish_the_others()
    {
        var source = ScriptedSource.Account(1, 2, 3);
        source.Find("ws0/proj1/run0").AlwaysFail = true;
        var writer = new TestBackupWriter(Root);
        var store = new VerifyingCheckpointStore(Root);

        var result = CrawlToEnd(Settings(s => s with { MaxUnitAttempts = 2 }), source, writer, store);

        Assert.False(result.Complete);
        Assert.Equal((6, 5, 1), (result.RunsTotal, result.RunsDone, result.RunsFailed));
        var failure = Assert.Single(result.Failures);
        Assert.Equal(("ws0/proj1/run0", UnitStatus.Failed, "http", 2), (failure.RunPath, failure.Status, failure.ErrorKind, failure.Attempts));
        Assert.Contains("500", failure.Error);
        Assert.Equal(2, source.DetailCalls("ws0/proj1/run0"));
        Assert.Contains(store.Recorded, e => e.RunPath == "ws0/proj1/run0" && e.Status == UnitStatus.Failed);
        Assert.False(writer.Summary!.Complete);
        Assert.Equal("ws0/proj1/run0", Assert.Single(writer.Summary.Failures).RunPath);
    }

    [Fact]
    public void Should_retry_a_run_whose_write_failed()
    {
        var source = ScriptedSource.Account(1, 1, 2);
        var writer = new TestBackupWriter(Root);
        writer.FailRunJson["ws0/proj0/run0"] = 1;
        var store = new VerifyingCheckpointStore(Root);

        var result = CrawlToEnd(Settings(), source, writer, store);

        Assert.True(result.Complete);
        Assert.Equal(2, store.Recorded.Single(e => e.RunPath == "ws0/proj0/run0").Attempts);
    }

    [Fact]
    public void Should_fail_a_silently_truncated_series_and_export_it_again()
    {
        var source = ScriptedSource.Account(1, 1, 2);
        source.Find("ws0/proj0/run0").TruncateStreams = 1;
        source.Find("ws0/proj0/run1").TruncateStreams = 100;
        var store = new VerifyingCheckpointStore(Root);

        var result = CrawlToEnd(Settings(s => s with { MaxUnitAttempts = 2 }), source, new TestBackupWriter(Root), store);

        Assert.Equal((1, 1), (result.RunsDone, result.RunsFailed));
        Assert.Equal(2, store.Recorded.Single(e => e.RunPath == "ws0/proj0/run0").Attempts);
        var failure = Assert.Single(result.Failures);
        Assert.Equal(("ws0/proj0/run1", "truncated"), (failure.RunPath, failure.ErrorKind));
        Assert.Empty(TempFiles());
        var loss = File.ReadAllLines(Path.Combine(Root, "ws0", "proj0", "run0", "metrics", "train%2Floss.csv"));
        Assert.Equal(6, loss.Length); // header + every point
    }

    [Fact]
    public void Should_record_a_run_only_after_all_its_files_are_durably_written()
    {
        var source = ScriptedSource.Account(1, 2, 4, series: 3);
        source.Find("ws0/proj0/run3").Media.Add(("video", 1, ScriptedSource.Bytes("mp4")));
        var store = new VerifyingCheckpointStore(Root);

        CrawlToEnd(Settings(), source, new TestBackupWriter(Root), store);

        Assert.Empty(store.Violations);
        Assert.Equal(8, store.Recorded.Count(e => IsRun(e.RunPath)));
        var withMedia = store.Recorded.Single(e => e.RunPath == "ws0/proj0/run3");
        Assert.Contains(withMedia.Files, f => f.RelativePath == "ws0/proj0/run3/media/video/1.bin");
        Assert.Contains(withMedia.Files, f => f.RelativePath == "ws0/proj0/run3/metrics/index.json");
    }

    [Fact]
    public void Should_skip_unchanged_finished_runs_and_export_running_or_changed_runs_again()
    {
        var source = ScriptedSource.Account(1, 1, 4);
        source.Find("ws0/proj0/run3").State = "RUNNING";
        source.Find("ws0/proj0/run3").FinishedAt = null;
        var store = new VerifyingCheckpointStore(Root);
        CrawlToEnd(Settings(), source, new TestBackupWriter(Root), store);
        var before = store.Recorded.Count;

        source.Find("ws0/proj0/run1").FinishedAt = "2026-02-02T00:00:00Z"; // changed since
        var writer = new TestBackupWriter(Root);
        var result = CrawlToEnd(Settings(), source, writer, store);

        Assert.Equal((4, 2, 2), (result.RunsTotal, result.RunsSkipped, result.RunsDone));
        Assert.Equal(1, source.DetailCalls("ws0/proj0/run0"));
        Assert.Equal(1, source.DetailCalls("ws0/proj0/run2"));
        Assert.Equal(2, source.DetailCalls("ws0/proj0/run1"));
        Assert.Equal(2, source.DetailCalls("ws0/proj0/run3"));
        Assert.Equal(2, store.Recorded.Skip(before).Count(e => IsRun(e.RunPath)));
        // Skipped runs still belong to the backup: their files are in the manifest.
        Assert.Contains(writer.Summary!.Files, f => f.RelativePath == "ws0/proj0/run0/run.json");
    }

    [Fact]
    public void Should_export_everything_again_on_restart()
    {
        var source = ScriptedSource.Account(1, 1, 2);
        var store = new VerifyingCheckpointStore(Root);
        CrawlToEnd(Settings(), source, new TestBackupWriter(Root), store);

        var result = CrawlToEnd(Settings(s => s with { Restart = true }), source, new TestBackupWriter(Root), store);

        Assert.Equal((2, 0), (result.RunsDone, result.RunsSkipped));
        Assert.Equal(1, store.Resets);
        Assert.Equal(2, source.DetailCalls("ws0/proj0/run0"));
    }

    [Fact]
    public void Should_list_the_account_again_after_a_malformed_answer()
    {
        var source = ScriptedSource.Account(2, 1, 2);
        source.MalformedWorkspaceListings = 2;

        var result = CrawlToEnd(Settings(), source, new TestBackupWriter(Root), new VerifyingCheckpointStore(Root));

        Assert.True(result.Complete);
        Assert.Equal((3, 4), (source.WorkspaceListings, result.RunsDone));
    }

    [Fact]
    public void Should_stop_the_crawl_when_the_account_stays_unlistable()
    {
        var source = ScriptedSource.Account(1, 1, 2);
        source.MalformedWorkspaceListings = int.MaxValue;

        var answer = Crawl(Settings(), source, new TestBackupWriter(Root), new VerifyingCheckpointStore(Root));

        var aborted = Assert.IsType<CrawlProtocol.CrawlAborted>(answer);
        Assert.Equal(("workspaces", "malformed"), (aborted.Path, aborted.Failure.Kind));
        Assert.Equal(Settings().MaxUnitAttempts, source.WorkspaceListings);
    }

    [Fact]
    public void Should_stop_the_crawl_when_the_credentials_are_rejected()
    {
        var source = ScriptedSource.Account(1, 1, 5);
        source.Find("ws0/proj0/run0").RejectCredentials = true;
        var store = new VerifyingCheckpointStore(Root);

        var answer = Crawl(Settings(s => s with { RunConcurrency = 1 }), source, new TestBackupWriter(Root), store);

        var aborted = Assert.IsType<CrawlProtocol.CrawlAborted>(answer);
        Assert.Equal("auth", aborted.Failure.Kind);
        Assert.DoesNotContain(store.Recorded, e => e.Status == UnitStatus.Failed);
        Assert.Empty(TempFiles());
    }

    [Fact]
    public void Should_stop_cleanly_when_cancelled_leaving_no_temp_files()
    {
        var source = ScriptedSource.Account(1, 2, 6, series: 3, points: 200);
        source.PointDelay = TimeSpan.FromMilliseconds(2);
        var store = new VerifyingCheckpointStore(Root);

        var answer = Crawl(Settings(), source, new TestBackupWriter(Root), store, whileRunning: supervisor =>
        {
            AwaitCondition(() => source.MaxStreamsInFlight > 0, TimeSpan.FromSeconds(10));
            supervisor.Tell(CrawlProtocol.CancelCrawl.Instance);
        });

        var result = Assert.IsType<CrawlProtocol.CrawlFinished>(answer).Result;
        Assert.True(result.Cancelled);
        Assert.False(result.Complete);
        Assert.True(result.RunsDone < 12);
        Assert.Empty(TempFiles());
        Assert.Empty(store.Violations);
        Assert.DoesNotContain(store.Recorded, e => e.Status == UnitStatus.Failed);
    }

    [Fact]
    public async Task Should_publish_progress_for_every_run()
    {
        var source = ScriptedSource.Account(1, 2, 3);
        var store = new VerifyingCheckpointStore(Root);
        CrawlToEnd(Settings(), source, new TestBackupWriter(Root), store);
        source.Find("ws0/proj1/run2").FinishedAt = "changed";
        var events = Channel.CreateBounded<CrawlEvent>(4);
        var reading = Task.Run(async () =>
        {
            var seen = new List<CrawlEvent>();
            while (await events.Reader.WaitToReadAsync())
                while (events.Reader.TryRead(out var e)) seen.Add(e);
            return seen;
        });

        var result = CrawlToEnd(Settings(), source, new TestBackupWriter(Root), store, events.Writer);
        events.Writer.TryComplete();
        var seen = await reading;

        Assert.Equal((5, 1), (result.RunsSkipped, result.RunsDone));
        Assert.Equal(5, seen.OfType<CrawlEvent.RunSkipped>().Count());
        Assert.Equal("ws0/proj1/run2", Assert.Single(seen.OfType<CrawlEvent.RunCompleted>()).RunPath);
        Assert.Equal(10, seen.OfType<CrawlEvent.PointsWritten>().Sum(p => p.Points));
        Assert.Equal(new CrawlEvent.Discovered(1, 2, 6), seen.OfType<CrawlEvent.Discovered>().Last());
    }

    [Fact]
    public void Should_report_a_selected_project_that_does_not_exist_once_and_export_the_rest()
    {
        var source = ScriptedSource.Account(1, 2, 2);
        var writer = new TestBackupWriter(Root);

        var result = CrawlToEnd(Settings(s => s with { Projects = ["ws0/proj1", "ws0/nope"], MaxUnitAttempts = 3 }),
            source, writer, new VerifyingCheckpointStore(Root));

        Assert.False(result.Complete);
        Assert.Equal(2, result.RunsDone);
        var failure = Assert.Single(result.Failures);
        Assert.Equal(("ws0/nope", "not-found", 1), (failure.RunPath, failure.ErrorKind, failure.Attempts));
        Assert.Equal(2, source.ProjectCalls); // no retry for something that is not there
        Assert.Equal(["ws0/proj1/run0", "ws0/proj1/run1"], writer.Discovered.Order(StringComparer.Ordinal));
    }

    private static bool IsRun(string unitPath) => unitPath.Count(c => c == '/') == 2;
}
