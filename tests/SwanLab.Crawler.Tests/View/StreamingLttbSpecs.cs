using SwanLab.Crawler.Source;
using SwanLab.Crawler.View;

namespace SwanLab.Crawler.Tests.View;

public sealed class StreamingLttbSpecs
{
    static List<SeriesPoint> Wave(int n) =>
        Enumerable.Range(0, n).Select(i => new SeriesPoint(i * 3L, Math.Sin(i * 0.37) * (1 + i % 7) + (i % 11 == 0 ? double.NaN : 0), 1_000L + i)).ToList();

    [Theory]
    [InlineData(10, 5)]
    [InlineData(1_000, 3)]
    [InlineData(1_000, 100)]
    [InlineData(12_345, 2_000)]
    [InlineData(2_001, 2_000)]
    public void Should_choose_the_same_points_as_the_in_memory_lttb(int count, int threshold)
    {
        var points = Wave(count);
        var sampler = new StreamingLttb(count, threshold);
        foreach (var p in points) sampler.Add(p);

        var streamed = sampler.Finish();

        Assert.Equal(Lttb.Downsample(points, threshold), streamed);
        Assert.Equal(threshold, streamed.Count);
        Assert.Equal(points[0], streamed[0]);
        Assert.Equal(points[^1], streamed[^1]);
    }

    [Fact]
    public void Should_keep_a_series_no_longer_than_the_threshold_whole()
    {
        var points = Wave(50);
        var sampler = new StreamingLttb(50, 2_000);
        foreach (var p in points) sampler.Add(p);

        Assert.Equal(points, sampler.Finish());
    }

    [Fact]
    public void Should_refuse_a_series_shorter_or_longer_than_its_index_says()
    {
        var shorter = new StreamingLttb(100, 10);
        foreach (var p in Wave(99)) shorter.Add(p);
        Assert.Throws<InvalidOperationException>(() => shorter.Finish());

        var longer = new StreamingLttb(5, 3);
        var points = Wave(6);
        foreach (var p in points.Take(5)) longer.Add(p);
        Assert.Throws<InvalidOperationException>(() => longer.Add(points[5]));
    }
}
