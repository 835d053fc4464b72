using SwanLab.Crawler.Actors;
using SwanLab.Crawler.Source;

namespace SwanLab.Crawler.Tests.Actors;

public sealed class BuildingBlockSpecs
{
    [Theory]
    [InlineData(1, 10)]
    [InlineData(2, 20)]
    [InlineData(3, 40)]
    [InlineData(5, 100)]
    [InlineData(40, 100)]
    public void Should_back_off_exponentially_within_the_configured_bounds(int failedAttempts, int expectedMs) =>
        Assert.Equal(TimeSpan.FromMilliseconds(expectedMs),
            UnitBackoff.Delay(failedAttempts, TimeSpan.FromMilliseconds(10), TimeSpan.FromMilliseconds(100)));

    [Fact]
    public void Should_downsample_to_the_threshold_keeping_first_and_last_point()
    {
        var points = Enumerable.Range(0, 1000).Select(i => new SeriesPoint(i * 3, Math.Sin(i / 10.0), null)).ToList();
        points[500] = points[500] with { Value = double.NaN };

        var sampled = Lttb.Downsample(points, 50);

        Assert.Equal(50, sampled.Count);
        Assert.Equal(points[0], sampled[0]);
        Assert.Equal(points[^1], sampled[^1]);
        Assert.True(sampled.Zip(sampled.Skip(1)).All(p => p.First.Step < p.Second.Step));
        Assert.Same(points, Lttb.Downsample(points, 5000));
    }

    [Fact]
    public void Should_treat_rejected_credentials_as_fatal_and_everything_else_as_retryable()
    {
        Assert.True(UnitFailure.From(new SourceAuthenticationException("401")).Fatal);
        Assert.True(UnitFailure.From(new SwanLab.Client.SwanLabAuthenticationException("401")).Fatal);
        var truncated = UnitFailure.From(new SeriesIncompleteException("short"));
        Assert.Equal(("truncated", false), (truncated.Kind, truncated.Fatal));
        Assert.Equal("http", UnitFailure.From(new AggregateException(new HttpRequestException("502"))).Kind);
    }

    [Fact]
    public void Should_fail_a_log_that_cannot_be_reconciled_with_the_count_as_truncated_and_retryable()
    {
        var failure = UnitFailure.From(new SwanLab.Client.SwanLabLogsIncompleteException(
            "Logs of run 'w/p/r': the server reports 2500 line(s) for level INFO but its pages held 1000", "GET /api/house/metrics/log"));

        Assert.Equal(("truncated", true), (failure.Kind, failure.Retryable));
        Assert.Contains("2500", failure.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Should_refuse_a_series_whose_last_step_or_count_differs_from_the_server()
    {
        var run = new RunDetail("w/p/r", "c", "pc", "r", "FINISHED", "2026-01-01", null, null, null, default);
        SeriesFetchActor.CheckComplete(run, new SeriesInfo("k", 10, 18), null, 10, 18);
        SeriesFetchActor.CheckComplete(run, new SeriesInfo("k", 10, 18), 5, 5, 18);
        Assert.Throws<SeriesIncompleteException>(() => SeriesFetchActor.CheckComplete(run, new SeriesInfo("k", 10, 18), null, 9, 18));
        Assert.Throws<SeriesIncompleteException>(() => SeriesFetchActor.CheckComplete(run, new SeriesInfo("k", null, 18), null, 9, 16));
        Assert.Throws<SeriesIncompleteException>(() => SeriesFetchActor.CheckComplete(run, new SeriesInfo("k", 3, 2), null, 0, null));
    }
}
