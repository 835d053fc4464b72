using System.Text;
using SwanLab.Client.Metrics;

namespace SwanLab.Client.Tests;

/// <summary>A metric CSV whose shape is wrong is a protocol error, never wrong values or silently missing points.</summary>
public sealed class MetricCsvShapeSpecs
{
    private static List<MetricPoint> Parse(string csv)
    {
        var reader = new MetricCsvReader(new MemoryStream(Encoding.UTF8.GetBytes(csv)), "GET /x.csv");
        var all = new List<MetricPoint>();
        var batch = new List<MetricPoint>();
        while (reader.ReadBatchAsync(batch, CancellationToken.None).AsTask().GetAwaiter().GetResult())
            all.AddRange(batch);
        return all;
    }

    [Fact]
    public void Should_reject_a_header_with_the_value_and_timestamp_columns_swapped()
    {
        var ex = Assert.Throws<SwanLabProtocolException>(() => Parse("step,r-loss_timestamp,r-loss_step\n0,1700000000000,0.5\n"));
        Assert.Contains("header", ex.Message, StringComparison.Ordinal);
        Assert.Contains("r-loss_timestamp", ex.Message, StringComparison.Ordinal);
        Assert.Equal("GET /x.csv", ex.Endpoint);
    }

    [Theory]
    [InlineData("step\n0\n")]
    [InlineData("step,r-loss_step,r-loss_extra\n0,0.5,1\n")]
    public void Should_reject_a_header_without_a_value_column_followed_by_its_timestamp(string csv) =>
        Assert.Throws<SwanLabProtocolException>(() => Parse(csv));

    [Fact]
    public void Should_reject_a_body_of_garbage_without_echoing_control_characters()
    {
        var garbage = Encoding.Latin1.GetString(Enumerable.Range(0, 200).Select(i => (byte)(0x80 + (i * 7 % 0x80))).ToArray());
        var ex = Assert.Throws<SwanLabProtocolException>(() => Parse(garbage));
        Assert.DoesNotContain(ex.Message, c => char.IsControl(c));
        Assert.True(ex.Message.Length < 200, ex.Message);
    }

    [Theory]
    [InlineData("7")]
    [InlineData("7,0.5")]
    [InlineData("7,0.5,1700000000007,9")]
    public void Should_reject_a_row_with_more_or_fewer_cells_than_the_header(string row)
    {
        var csv = $"step,r-loss_step,r-loss_timestamp\n6,0.25,1700000000006\n{row}\n8,0.75,1700000000008\n";
        var ex = Assert.Throws<SwanLabProtocolException>(() => Parse(csv));
        Assert.Contains("line 3", ex.Message, StringComparison.Ordinal);
        Assert.Contains("cells", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Should_accept_quoted_header_names_with_commas_and_rows_without_a_point()
    {
        var points = Parse("step,\"r-a,b_step\",\"r-a,b_timestamp\"\n0,0.5,1\n1,,\n2,0.25,3\n");
        Assert.Equal([new MetricPoint(0, 0.5, 1), new MetricPoint(2, 0.25, 3)], points);
    }

    [Fact]
    public void Should_accept_a_two_column_csv_without_timestamps() =>
        Assert.Equal([new MetricPoint(0, 1.5, null)], Parse("step,loss\n0,1.5\n"));

    private static List<MetricPoint>[] ParseWide(string csv, params string[] keys)
    {
        var reader = new MetricCsvReader(new MemoryStream(Encoding.UTF8.GetBytes(csv)), "GET /x.csv", keys, ["dragon-3-", "r1-"]);
        var all = keys.Select(_ => new List<MetricPoint>()).ToArray();
        var batches = keys.Select(_ => new List<MetricPoint>()).ToArray();
        while (reader.ReadBatchesAsync(batches, CancellationToken.None).AsTask().GetAwaiter().GetResult())
            for (var k = 0; k < keys.Length; k++)
                all[k].AddRange(batches[k]);
        return all;
    }

    [Fact]
    public void Should_split_a_wide_export_into_one_series_per_key_with_empty_cells_as_no_point()
    {
        var series = ParseWide(
            "step,dragon-3-loss_step,dragon-3-loss_timestamp,dragon-3-acc_step,dragon-3-acc_timestamp\n" +
            "0,0.52,1722470401000,,\n1,0.48,1722470402000,0.61,1722470402000\n2,,,NaN,1722470403000\n",
            "loss", "acc");
        Assert.Equal([new MetricPoint(0, 0.52, 1722470401000), new MetricPoint(1, 0.48, 1722470402000)], series[0]);
        Assert.Equal(2, series[1].Count);
        Assert.Equal(new MetricPoint(1, 0.61, 1722470402000), series[1][0]);
        Assert.True(double.IsNaN(series[1][1].Value));
    }

    [Theory]
    [InlineData("step,r1-acc_step,r1-acc_timestamp,r1-loss_step,r1-loss_timestamp\n0,0.1,10,0.9,11\n")]     // other order, cuid prefix
    [InlineData("step,acc_step,acc_timestamp,loss_step,loss_timestamp\n0,0.1,10,0.9,11\n")]                 // no experiment prefix
    [InlineData("step,some run-loss_step,some run-loss_timestamp,some run-acc_step,some run-acc_timestamp\n0,0.9,11,0.1,10\n")]
    [InlineData("step,value,timestamp,value,timestamp\n0,0.9,11,0.1,10\n")]                                 // unnamed: by position, as the SDK
    public void Should_match_columns_by_the_key_the_header_names_whatever_the_order_or_prefix(string csv)
    {
        var series = ParseWide(csv, "loss", "acc");
        Assert.Equal([new MetricPoint(0, 0.9, 11)], series[0]);
        Assert.Equal([new MetricPoint(0, 0.1, 10)], series[1]);
    }

    [Fact]
    public void Should_not_take_a_key_for_another_key_that_ends_with_it()
    {
        // "x-train-loss" ends with "loss" too; the prefix all columns share ("x-train-") decides.
        var series = ParseWide(
            "step,x-train-train-loss_step,x-train-train-loss_timestamp,x-train-loss_step,x-train-loss_timestamp\n0,1,10,2,20\n",
            "loss", "train-loss");
        Assert.Equal([new MetricPoint(0, 2, 20)], series[0]);
        Assert.Equal([new MetricPoint(0, 1, 10)], series[1]);
    }

    [Fact]
    public void Should_fail_loudly_when_a_requested_key_has_no_column()
    {
        var ex = Assert.Throws<SwanLabProtocolException>(() =>
            ParseWide("step,dragon-3-loss_step,dragon-3-loss_timestamp\n0,0.5,1\n", "loss", "acc"));
        Assert.Contains("'acc'", ex.Message, StringComparison.Ordinal);
        Assert.Contains("header", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Should_reject_a_wide_header_whose_value_and_timestamp_names_are_swapped()
    {
        var ex = Assert.Throws<SwanLabProtocolException>(() => ParseWide(
            "step,dragon-3-loss_timestamp,dragon-3-loss_step,dragon-3-acc_step,dragon-3-acc_timestamp\n0,0.5,1,0.1,2\n", "loss", "acc"));
        Assert.Contains("header", ex.Message, StringComparison.Ordinal);
        Assert.Contains("'loss'", ex.Message, StringComparison.Ordinal);
    }
}
