using SwanLab.Emulator.Data;

namespace SwanLab.Emulator.Tests;

/// <summary>The uploaded-series store: steps kept sorted and unique whatever order they arrive in, reads isolated from later writes.</summary>
public sealed class StoredSeriesSpecs
{
    [Fact]
    public void Should_keep_steps_sorted_and_unique_when_uploads_arrive_out_of_order_or_repeat()
    {
        var series = new StoredScalarSeries("loss");
        Assert.True(series.Put(10, 1.0, 100));
        Assert.True(series.Put(30, 3.0, 300));
        Assert.True(series.Put(20, 2.0, 200));
        Assert.True(series.Put(5, 0.5, 50));
        Assert.False(series.Put(20, 2.5, 250));
        for (var step = 40; step < 3000; step++) Assert.True(series.Put(step, step, step));

        var read = series.Read();
        Assert.Equal(4 + 2960, read.Count);
        Assert.Equal((5L, 0.5, 50L), (read.StepAt(0), read.ValueAt(0), read.TimestampAt(0)));
        Assert.Equal((20L, 2.5, 250L), (read.StepAt(2), read.ValueAt(2), read.TimestampAt(2)));
        Assert.Equal(2999L, read.LastStep);
        Assert.True(Enumerable.Range(1, read.Count - 1).All(i => read.StepAt(i) > read.StepAt(i - 1)));
    }

    [Fact]
    public void Should_leave_an_earlier_read_unchanged_by_later_appends_replacements_and_inserts()
    {
        var series = new StoredScalarSeries("loss");
        for (var step = 0; step < 100; step += 2) series.Put(step, step, step);
        var before = series.Read();

        series.Put(200, 1, 1);
        series.Put(10, -1, -1);
        series.Put(11, -2, -2);

        Assert.Equal(50, before.Count);
        Assert.Equal((10L, 10.0), (before.StepAt(5), before.ValueAt(5)));
        Assert.Equal((12L, 12.0), (before.StepAt(6), before.ValueAt(6)));
        var after = series.Read();
        Assert.Equal(52, after.Count);
        Assert.Equal((10L, -1.0, 11L, -2.0), (after.StepAt(5), after.ValueAt(5), after.StepAt(6), after.ValueAt(6)));
    }
}
