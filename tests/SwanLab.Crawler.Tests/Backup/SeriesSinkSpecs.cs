using System.Security.Cryptography;
using System.Text;
using SwanLab.Crawler.Backup;
using SwanLab.Crawler.Source;

namespace SwanLab.Crawler.Tests.Backup;

public class SeriesSinkSpecs : IDisposable
{
    private const string Run = "alice/demo/run1";
    private readonly TempDir _dir = new();
    private readonly BackupLayout _layout;

    public SeriesSinkSpecs() => _layout = new BackupLayout(_dir.Path);

    public void Dispose() => _dir.Dispose();

    private static readonly SeriesPoint[] Sample =
    [
        new(0, 0.5, 1700000000000),
        new(1, double.NaN, null),
        new(2, double.PositiveInfinity, 1700000000002),
        new(3, double.NegativeInfinity, null),
        new(4, 0.1 + 0.2, 5),
        new(5, 1e300, null),
        new(6, -0.0, null),
        new(7, 1e-7, null),
        new(8, 123456789012, null),
    ];

    [Fact]
    public async Task Should_write_csv_exactly()
    {
        var info = await WriteAsync("train/loss", SeriesFormat.Csv, Sample);
        var expected = "step,value,timestamp\n0,0.5,1700000000000\n1,NaN,\n2,inf,1700000000002\n3,-inf,\n"
                       + "4,0.30000000000000004,5\n5,1E+300,\n6,-0,\n7,1E-07,\n8,123456789012,\n";
        var path = _layout.SeriesFile(Run, "train/loss", SeriesFormat.Csv);
        var bytes = await File.ReadAllBytesAsync(path);
        Assert.Equal(expected, Encoding.UTF8.GetString(bytes));
        Assert.Equal("alice/demo/run1/metrics/train%2Floss.csv", info.RelativePath);
        AssertInfo(info, bytes, Sample.Length, 0, 8);
    }

    [Fact]
    public async Task Should_write_jsonl_exactly()
    {
        var info = await WriteAsync("loss", SeriesFormat.Jsonl, Sample);
        var expected = """
            {"step":0,"value":0.5,"timestamp":1700000000000}
            {"step":1,"value":"NaN","timestamp":null}
            {"step":2,"value":"Infinity","timestamp":1700000000002}
            {"step":3,"value":"-Infinity","timestamp":null}
            {"step":4,"value":0.30000000000000004,"timestamp":5}
            {"step":5,"value":1E+300,"timestamp":null}
            {"step":6,"value":-0,"timestamp":null}
            {"step":7,"value":1E-07,"timestamp":null}
            {"step":8,"value":123456789012,"timestamp":null}

            """.Replace("\r\n", "\n");
        var bytes = await File.ReadAllBytesAsync(_layout.SeriesFile(Run, "loss", SeriesFormat.Jsonl));
        Assert.Equal(expected, Encoding.UTF8.GetString(bytes));
        AssertInfo(info, bytes, Sample.Length, 0, 8);
    }

    [Theory]
    [InlineData(SeriesFormat.Csv)]
    [InlineData(SeriesFormat.Jsonl)]
    public async Task Should_read_back_every_point_bit_for_bit(SeriesFormat format)
    {
        var random = new Random(7);
        var points = Enumerable.Range(0, 20_000)
            .Select(i => new SeriesPoint(i, BitConverter.Int64BitsToDouble(random.NextInt64()), i % 3 == 0 ? null : 1700000000000 + i))
            .Concat(Sample.Select(p => p with { Step = p.Step + 100_000 }))
            .ToArray();
        var info = await WriteAsync("k", format, points);
        var read = new List<SeriesPoint>();
        await foreach (var p in SeriesFileReader.ReadAsync(_layout.FullPath(info.RelativePath), CancellationToken.None)) read.Add(p);
        Assert.Equal(points.Length, read.Count);
        for (var i = 0; i < points.Length; i++)
        {
            Assert.Equal(points[i].Step, read[i].Step);
            Assert.Equal(points[i].TimestampMs, read[i].TimestampMs);
            // NaN payloads are not kept; everything else must round-trip to the same bits.
            if (double.IsNaN(points[i].Value)) Assert.True(double.IsNaN(read[i].Value));
            else Assert.Equal(BitConverter.DoubleToInt64Bits(points[i].Value), BitConverter.DoubleToInt64Bits(read[i].Value));
        }
        Assert.Equal(points.Length, info.Points);
    }

    [Theory]
    [InlineData(SeriesFormat.Csv)]
    [InlineData(SeriesFormat.Jsonl)]
    public async Task Should_leave_nothing_when_disposed_without_completing(SeriesFormat format)
    {
        await using (var sink = SeriesSinks.Create(_layout, Run, "loss", format))
        {
            for (var i = 0; i < 20_000; i++) await sink.WriteAsync(new SeriesPoint(i, i, null), CancellationToken.None);
        }
        var metrics = _layout.MetricsDirectory(Run);
        Assert.Empty(Directory.GetFiles(metrics));
    }

    [Fact]
    public async Task Should_write_a_header_only_file_for_an_empty_series()
    {
        var info = await WriteAsync("empty", SeriesFormat.Csv, []);
        Assert.Equal(0, info.Points);
        Assert.Null(info.FirstStep);
        Assert.Null(info.LastStep);
        Assert.Equal("step,value,timestamp\n", await File.ReadAllTextAsync(_layout.FullPath(info.RelativePath)));
    }

    [Fact]
    public async Task Should_refuse_points_after_completion()
    {
        await using var sink = SeriesSinks.Create(_layout, Run, "loss", SeriesFormat.Csv);
        await sink.CompleteAsync(CancellationToken.None);
        await Assert.ThrowsAsync<InvalidOperationException>(async () =>
            await sink.WriteAsync(new SeriesPoint(1, 1, null), CancellationToken.None));
    }

    [Fact]
    public async Task Should_reject_a_series_file_with_a_garbled_line()
    {
        var info = await WriteAsync("loss", SeriesFormat.Csv, Sample);
        var path = _layout.FullPath(info.RelativePath);
        await File.AppendAllTextAsync(path, "9,abc,\n");
        await Assert.ThrowsAsync<SeriesFormatException>(async () =>
        {
            await foreach (var _ in SeriesFileReader.ReadAsync(path, CancellationToken.None)) { }
        });
    }

    [Fact]
    public async Task Should_write_jsonl_lines_byte_identical_to_what_utf8_json_writer_writes()
    {
        // The sink formats lines by hand for speed; System.Text.Json is the reference for what a JSON line is.
        var random = new Random(5);
        var points = Sample.Concat(Enumerable.Range(100, 5000).Select(i => new SeriesPoint(i,
            i % 2 == 0 ? BitConverter.Int64BitsToDouble(random.NextInt64()) : random.NextDouble() * Math.Pow(10, random.Next(-30, 30)),
            i % 3 == 0 ? null : long.MaxValue - i))).ToList();
        await WriteAsync("train/loss", SeriesFormat.Jsonl, points);

        var expected = new System.Buffers.ArrayBufferWriter<byte>();
        foreach (var point in points)
        {
            using (var json = new System.Text.Json.Utf8JsonWriter(expected))
            {
                json.WriteStartObject();
                json.WriteNumber("step", point.Step);
                if (double.IsFinite(point.Value)) json.WriteNumber("value", point.Value);
                else json.WriteString("value", double.IsNaN(point.Value) ? "NaN" : point.Value > 0 ? "Infinity" : "-Infinity");
                if (point.TimestampMs is { } ts) json.WriteNumber("timestamp", ts);
                else json.WriteNull("timestamp");
                json.WriteEndObject();
            }
            System.Buffers.BuffersExtensions.Write(expected, "\n"u8);
        }
        var written = await File.ReadAllBytesAsync(_layout.SeriesFile(Run, "train/loss", SeriesFormat.Jsonl));
        Assert.Equal(Encoding.UTF8.GetString(expected.WrittenSpan), Encoding.UTF8.GetString(written));
    }

    private async Task<SeriesFileInfo> WriteAsync(string key, SeriesFormat format, IEnumerable<SeriesPoint> points)
    {
        await using var sink = SeriesSinks.Create(_layout, Run, key, format);
        foreach (var p in points) await sink.WriteAsync(p, CancellationToken.None);
        return await sink.CompleteAsync(CancellationToken.None);
    }

    private static void AssertInfo(SeriesFileInfo info, byte[] bytes, long points, long first, long last)
    {
        Assert.Equal(points, info.Points);
        Assert.Equal(first, info.FirstStep);
        Assert.Equal(last, info.LastStep);
        Assert.Equal(bytes.Length, info.Bytes);
        Assert.Equal(Convert.ToHexStringLower(SHA256.HashData(bytes)), info.Sha256);
    }
}
