using System.Runtime.CompilerServices;
using Parquet;
using Parquet.Schema;
using SwanLab.Crawler.Source;

namespace SwanLab.Crawler.Backup;

/// <summary>
/// Reads a Parquet series file (see <see cref="ParquetSeriesSchema"/>) back into points, one row group in memory at a
/// time. Strict like <see cref="SeriesFileReader"/>: a file that is not exactly the sink's schema, or that the Parquet
/// library cannot decode (truncated, tampered), is a <see cref="SeriesFormatException"/> naming the file.
/// </summary>
public static class ParquetSeriesReader
{
    public static async IAsyncEnumerable<SeriesPoint> ReadAsync(string path, [EnumeratorCancellation] CancellationToken ct)
    {
        await using var stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read, bufferSize: 1 << 16,
            FileOptions.Asynchronous | FileOptions.SequentialScan);
        var (reader, fields) = await OpenAsync(path, stream, ct).ConfigureAwait(false);
        await using (reader.ConfigureAwait(false))
        {
            for (var g = 0; g < reader.RowGroupCount; g++)
            {
                var group = await ReadGroupAsync(path, reader, fields, g, ct).ConfigureAwait(false);
                for (var i = 0; i < group.Steps.Length; i++)
                    yield return new SeriesPoint(group.Steps[i], group.Values[i], group.Timestamps[i]);
            }
        }
    }

    // The sink writes at most ParquetSeriesSink.DefaultRowGroupRows per group; a damaged footer must not make verify
    // allocate gigabytes.
    private const long MaxRowGroupRows = 1 << 24;

    private sealed record Fields(DataField Step, DataField Value, DataField Timestamp);

    private sealed record RowGroup(long[] Steps, double[] Values, long?[] Timestamps);

    private static async Task<(ParquetReader, Fields)> OpenAsync(string path, Stream stream, CancellationToken ct)
    {
        ParquetReader reader;
        try { reader = await ParquetReader.CreateAsync(stream, ParquetSeriesSchema.Options(), leaveStreamOpen: true, ct).ConfigureAwait(false); }
        catch (Exception e) when (IsDecodeFailure(e)) { throw Bad(path, $"not a readable Parquet file ({e.Message})"); }

        var fields = reader.Schema.Fields;
        if (fields.Count == 3 && fields[0] is DataField step && fields[1] is DataField value && fields[2] is DataField timestamp
            && Matches(step, ParquetSeriesSchema.Step) && Matches(value, ParquetSeriesSchema.Value)
            && Matches(timestamp, ParquetSeriesSchema.Timestamp))
            return (reader, new Fields(step, value, timestamp));
        await reader.DisposeAsync().ConfigureAwait(false);
        throw Bad(path, "expected the columns step (int64), value (double), timestamp (optional int64), got "
                        + string.Join(", ", fields.Select(Describe)));
    }

    private static async Task<RowGroup> ReadGroupAsync(string path, ParquetReader reader, Fields fields, int index,
        CancellationToken ct)
    {
        try
        {
            using var group = reader.OpenRowGroupReader(index);
            if (group.RowCount is < 0 or > MaxRowGroupRows)
                throw Bad(path, $"row group {index} claims {group.RowCount} rows");
            var rows = (int)group.RowCount;
            var steps = new long[rows];
            var values = new double[rows];
            var timestamps = new long?[rows];
            await group.ReadAsync(fields.Step, steps.AsMemory(), cancellationToken: ct).ConfigureAwait(false);
            await group.ReadAsync(fields.Value, values.AsMemory(), cancellationToken: ct).ConfigureAwait(false);
            await group.ReadAsync(fields.Timestamp, timestamps.AsMemory(), cancellationToken: ct).ConfigureAwait(false);
            return new RowGroup(steps, values, timestamps);
        }
        catch (Exception e) when (IsDecodeFailure(e))
        {
            throw Bad(path, $"row group {index} cannot be decoded ({e.Message})");
        }
    }

    private static bool Matches(DataField actual, DataField expected) =>
        actual.Name == expected.Name && actual.ClrType == expected.ClrType && actual.IsNullable == expected.IsNullable
        && !actual.IsArray && actual.MaxRepetitionLevel == 0;

    private static string Describe(Field field) =>
        field is DataField d ? $"{d.Name} ({d.ClrType.Name}{(d.IsNullable ? ", optional" : "")})" : $"{field.Name} ({field.SchemaType})";

    // A damaged file surfaces as whatever the decoder trips over first; all of it means "not what the sink wrote".
    // Cancellation and a file that vanished or cannot be opened are not about the content and pass through.
    private static bool IsDecodeFailure(Exception e) =>
        e is not (OperationCanceledException or FileNotFoundException or DirectoryNotFoundException
            or UnauthorizedAccessException or OutOfMemoryException or SeriesFormatException);

    private static SeriesFormatException Bad(string path, string why) => new($"{path}: {why}.");
}
