using System.Security.Cryptography;
using Parquet;
using Parquet.Schema;
using SwanLab.Crawler.Backup;
using SwanLab.Crawler.Source;

namespace SwanLab.Crawler.Tests.Backup;

public sealed class ParquetSeriesSinkSpecs : IDisposable
{
    private const string Run = "alice/demo/run1";
    private static readonly CancellationToken None = CancellationToken.None;
    private readonly TempDir _dir = new();
    private readonly BackupLayout _layout;

    public ParquetSeriesSinkSpecs() => _layout = new BackupLayout(_dir.Path);

    public void Dispose() => _dir.Dispose();

    private static readonly SeriesPoint[] Awkward =
    [
        new(0, 0.5, 1700000000000),
        new(1, double.NaN, null),
        new(2, double.PositiveInfinity, 1700000000002),
        new(3, double.NegativeInfinity, null),
        new(4, 0.1 + 0.2, 5),
        new(5, 1e300, null),
        new(6, -0.0, null),
        new(7, double.Epsilon, long.MinValue),
        new(8, double.MaxValue, long.MaxValue),
        new(9, -double.MaxValue, -1),
        new(-3, 2.2250738585072014E-308, 0),
    ];

    [Fact]
    public async Task Should_read_back_nan_infinities_and_extreme_doubles_bit_for_bit()
    {
        var info = await WriteAsync("train/loss", Awkward);

        Assert.Equal("alice/demo/run1/metrics/train%2Floss.parquet", info.RelativePath);
        var read = await ReadAsync(info);
        Assert.Equal(Awkward.Length, read.Count);
        for (var i = 0; i < Awkward.Length; i++)
        {
            Assert.Equal((Awkward[i].Step, Awkward[i].TimestampMs), (read[i].Step, read[i].TimestampMs));
            Assert.Equal(BitConverter.DoubleToInt64Bits(Awkward[i].Value), BitConverter.DoubleToInt64Bits(read[i].Value));
        }
        var bytes = await File.ReadAllBytesAsync(_layout.FullPath(info.RelativePath));
        Assert.Equal((Awkward.Length, 0L, -3L), (info.Points, info.FirstStep, info.LastStep));
        Assert.Equal((bytes.LongLength, Convert.ToHexStringLower(SHA256.HashData(bytes))), (info.Bytes, info.Sha256));
    }

    [Fact]
    public async Task Should_write_the_documented_schema_that_any_parquet_reader_sees()
    {
        var info = await WriteAsync("loss", Awkward);

        await using var stream = File.OpenRead(_layout.FullPath(info.RelativePath));
        await using var reader = await ParquetReader.CreateAsync(stream, cancellationToken: None);
        var fields = reader.Schema.GetDataFields();
        Assert.Equal(
            [("step", typeof(long), false), ("value", typeof(double), false), ("timestamp", typeof(long), true)],
            fields.Select(f => (f.Name, f.ClrType, f.IsNullable)));
        Assert.Empty(reader.CustomMetadata);
        Assert.Equal(1, reader.RowGroupCount);
    }

    [Fact]
    public async Task Should_stream_a_series_longer_than_a_row_group_in_bounded_row_groups()
    {
        const int rowGroup = 1000;
        var points = Enumerable.Range(0, 2 * rowGroup + 345)
            .Select(i => new SeriesPoint(i * 2L, Math.Sin(i), i % 7 == 0 ? null : 1_700_000_000_000 + i)).ToArray();
        var path = _layout.SeriesFile(Run, "long", SeriesFormat.Parquet);
        SeriesFileInfo info;
        await using (var sink = new ParquetSeriesSink(AtomicFileWriter.Create(_layout, path), rowGroup))
        {
            var writtenBeforeTheEnd = new List<int>();
            foreach (var p in points)
            {
                await sink.WriteAsync(p, None);
                writtenBeforeTheEnd.Add(sink.RowGroupsWritten);
            }
            // Full row groups leave memory as soon as they fill up, not at the end.
            Assert.Equal(1, writtenBeforeTheEnd[rowGroup - 1]);
            Assert.Equal(2, writtenBeforeTheEnd[^1]);
            info = await sink.CompleteAsync(None);
        }

        await using (var stream = File.OpenRead(path))
        await using (var reader = await ParquetReader.CreateAsync(stream, cancellationToken: None))
        {
            Assert.Equal(3, reader.RowGroupCount);
            Assert.Equal([rowGroup, rowGroup, 345L], reader.RowGroups.Select(g => g.RowCount));
        }
        Assert.Equal(points, await ReadAsync(info));
        Assert.Equal((points.LongLength, 0L, points[^1].Step), (info.Points, info.FirstStep, info.LastStep));
    }

    [Fact]
    public async Task Should_write_byte_identical_files_for_the_same_points()
    {
        var random = new Random(11);
        var points = Enumerable.Range(0, 5000)
            .Select(i => new SeriesPoint(i, random.NextDouble() * 1e6 - 5e5, i % 5 == 0 ? null : 1_700_000_000_000 + i * 37L))
            .Concat(Awkward.Select(p => p with { Step = p.Step + 10_000 }))
            .ToArray();

        var first = await WriteAsync("a", points);
        await Task.Delay(1100); // a writer that stamped wall-clock time (seconds) into the file would now differ
        var second = await WriteAsync("b", points);

        Assert.Equal(first.Sha256, second.Sha256);
        Assert.Equal(await File.ReadAllBytesAsync(_layout.FullPath(first.RelativePath)),
            await File.ReadAllBytesAsync(_layout.FullPath(second.RelativePath)));
    }

    [Fact]
    public async Task Should_write_a_readable_file_for_an_empty_series()
    {
        var info = await WriteAsync("empty", []);

        Assert.Equal((0L, (long?)null, (long?)null), (info.Points, info.FirstStep, info.LastStep));
        Assert.Empty(await ReadAsync(info));
        var bytes = await File.ReadAllBytesAsync(_layout.FullPath(info.RelativePath));
        Assert.Equal("PAR1"u8.ToArray(), bytes[..4]);
        Assert.Equal("PAR1"u8.ToArray(), bytes[^4..]);
    }

    [Fact]
    public async Task Should_leave_nothing_when_disposed_without_completing()
    {
        var path = _layout.SeriesFile(Run, "loss", SeriesFormat.Parquet);
        await using (var sink = new ParquetSeriesSink(AtomicFileWriter.Create(_layout, path), rowGroupRows: 100))
        {
            for (var i = 0; i < 1000; i++) await sink.WriteAsync(new SeriesPoint(i, i, null), None);
            Assert.Equal(10, sink.RowGroupsWritten);
        }
        Assert.Empty(Directory.GetFiles(_layout.MetricsDirectory(Run)));
    }

    [Fact]
    public async Task Should_refuse_points_after_completion()
    {
        await using var sink = SeriesSinks.Create(_layout, Run, "loss", SeriesFormat.Parquet);
        await sink.WriteAsync(new SeriesPoint(1, 1, null), None);
        await sink.CompleteAsync(None);
        await Assert.ThrowsAsync<InvalidOperationException>(async () => await sink.WriteAsync(new SeriesPoint(2, 1, null), None));
    }

    [Theory]
    [InlineData(0)]      // cut inside the header magic
    [InlineData(40)]     // cut in the middle of the data pages
    [InlineData(-1)]     // last byte missing: footer magic broken
    public async Task Should_reject_a_truncated_file_as_a_format_problem(int keep)
    {
        var info = await WriteAsync("loss", Enumerable.Range(0, 200).Select(i => new SeriesPoint(i, i * 0.5, i)).ToArray());
        var path = _layout.FullPath(info.RelativePath);
        var bytes = await File.ReadAllBytesAsync(path);
        await File.WriteAllBytesAsync(path, keep >= 0 ? bytes[..Math.Min(keep, bytes.Length)] : bytes[..^1]);

        await Assert.ThrowsAsync<SeriesFormatException>(() => ReadAsync(info));
    }

    [Fact]
    public async Task Should_refuse_or_read_every_single_byte_damage_and_every_cut_without_crashing_or_hanging()
    {
        // Parquet.Net's own Thrift reader can spin forever on a footer that runs past its end; the reader must refuse
        // such files first. Every damaged variant of a small file either reads through or is a SeriesFormatException.
        var info = await WriteAsync("fuzz", Enumerable.Range(0, 12)
            .Select(i => new SeriesPoint(i, i == 3 ? double.NaN : i * 0.25, i % 3 == 0 ? null : 1_700_000_000_000 + i)).ToArray());
        var path = _layout.FullPath(info.RelativePath);
        var original = await File.ReadAllBytesAsync(path);
        var variants = new List<byte[]>();
        for (var pos = 0; pos < original.Length; pos++)
            foreach (var mask in new byte[] { 0x01, 0x80, 0xFF })
            {
                var damaged = (byte[])original.Clone();
                damaged[pos] ^= mask;
                variants.Add(damaged);
            }
        for (var cut = 0; cut < original.Length; cut++) variants.Add(original[..cut]);

        var refused = 0;
        await Task.Run(async () =>
        {
            foreach (var bytes in variants)
            {
                await File.WriteAllBytesAsync(path, bytes);
                try { await foreach (var _ in SeriesFileReader.ReadAsync(path, None)) { } }
                catch (SeriesFormatException) { refused++; }
            }
        }).WaitAsync(TimeSpan.FromMinutes(2));

        Assert.True(refused >= original.Length, $"only {refused} of {variants.Count} damaged files were refused");
    }

    [Fact]
    public async Task Should_reject_a_parquet_file_with_other_columns()
    {
        var path = _layout.SeriesFile(Run, "other", SeriesFormat.Parquet);
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        var step = new DataField<long>("step");
        var value = new DataField<float>("value");
        await using (var file = File.Create(path))
        await using (var writer = await ParquetWriter.CreateAsync(new ParquetSchema(step, value), file, cancellationToken: None))
        using (var group = writer.CreateRowGroup())
        {
            await group.WriteAsync(step, new ReadOnlyMemory<long>([1, 2]));
            await group.WriteAsync(value, new ReadOnlyMemory<float>([1f, 2f]));
        }

        var error = await Assert.ThrowsAsync<SeriesFormatException>(async () =>
        {
            await foreach (var _ in SeriesFileReader.ReadAsync(path, None)) { }
        });
        Assert.Contains("expected the columns step (int64), value (double)", error.Message, StringComparison.Ordinal);
    }

    private async Task<SeriesFileInfo> WriteAsync(string key, IEnumerable<SeriesPoint> points)
    {
        await using var sink = SeriesSinks.Create(_layout, Run, key, SeriesFormat.Parquet);
        foreach (var p in points) await sink.WriteAsync(p, None);
        return await sink.CompleteAsync(None);
    }

    private async Task<List<SeriesPoint>> ReadAsync(SeriesFileInfo info)
    {
        var read = new List<SeriesPoint>();
        await foreach (var p in SeriesFileReader.ReadAsync(_layout.FullPath(info.RelativePath), None)) read.Add(p);
        return read;
    }
}
