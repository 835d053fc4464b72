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
}
