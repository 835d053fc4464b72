using Parquet;
using Parquet.Schema;
using SwanLab.Crawler.Source;

namespace SwanLab.Crawler.Backup;

/// <summary>
/// The Parquet series file (part of the backup format): one file per series, columns in this order
/// <list type="bullet">
/// <item><c>step</c>: INT64, required.</item>
/// <item><c>value</c>: DOUBLE, required; NaN, +inf and -inf are stored as the IEEE values themselves, so every value
/// round-trips bit for bit (pandas reads float64 NaN/inf/-inf).</item>
/// <item><c>timestamp</c>: INT64, optional; milliseconds since the Unix epoch as in the CSV sink's third column, null
/// where the CSV cell is empty (the server did not say). A plain integer, not a Parquet TIMESTAMP, so the column
/// means exactly what it means in CSV and JSONL.</item>
/// </list>
/// Rows in the order received, in row groups of at most <see cref="ParquetSeriesSink.DefaultRowGroupRows"/> rows,
/// Snappy-compressed, no key-value metadata; the footer's created_by is the Parquet.Net version string, which is fixed
/// per library version, so the same points always give the same bytes.
/// </summary>
public static class ParquetSeriesSchema
{
    public static readonly DataField<long> Step = new("step");
    public static readonly DataField<double> Value = new("value");
    public static readonly DataField<long?> Timestamp = new("timestamp");

    // One shared instance: building a schema sets levels on its fields, so the fields belong to exactly one schema.
    public static readonly ParquetSchema Schema = new(Step, Value, Timestamp);

    /// <summary>Writer options: pinned here rather than left to library defaults, since they shape the bytes.</summary>
    public static ParquetOptions Options() => new() { CompressionMethod = CompressionMethod.Snappy };
}

/// <summary>
/// Streams one series into a Parquet file. Points collect in column arrays until a row group is full, which is then
/// encoded and handed to the file, so memory stays bounded by one row group however long the series is. The file is
/// written through <see cref="AtomicFileWriter"/>: nothing appears at the target until <see cref="CompleteAsync"/>.
/// </summary>
public sealed class ParquetSeriesSink : ISeriesSink
{
    /// <summary>
    /// 64 Ki rows: about 1.5 MiB of column arrays per open sink (32 series stream at once by default), and row groups
    /// large enough that their per-group footer entry is noise next to the data.
    /// </summary>
    public const int DefaultRowGroupRows = 1 << 16;

    // Short series are the common case: start small and grow up to one row group.
    private const int InitialCapacity = 256;

    private readonly AtomicFileWriter _file;
    private readonly int _rowGroupRows;
    private ParquetWriter? _writer;
    private long[] _steps = new long[InitialCapacity];
    private double[] _values = new double[InitialCapacity];
    private long?[] _timestamps = new long?[InitialCapacity];
    private int _buffered;
    private long _points;
    private long? _firstStep;
    private long? _lastStep;
    private bool _completed;
    private bool _disposed;

    internal ParquetSeriesSink(AtomicFileWriter file, int rowGroupRows = DefaultRowGroupRows)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(rowGroupRows, 1);
        _file = file;
        _rowGroupRows = rowGroupRows;
    }

    /// <summary>Points written so far.</summary>
    public long Points => _points;

    /// <summary>Row groups handed to the file so far (the last, partial one is written by <see cref="CompleteAsync"/>).</summary>
    public int RowGroupsWritten { get; private set; }

    public ValueTask WriteAsync(SeriesPoint point, CancellationToken ct)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        if (_completed) throw new InvalidOperationException("The series is already complete.");
        if (_buffered == _steps.Length) Grow();
        _steps[_buffered] = point.Step;
        _values[_buffered] = point.Value;
        _timestamps[_buffered] = point.TimestampMs;
        _buffered++;
        _points++;
        _firstStep ??= point.Step;
        _lastStep = point.Step;
        return _buffered == _rowGroupRows ? new ValueTask(WriteRowGroupAsync(ct)) : ValueTask.CompletedTask;
    }

    public async Task<SeriesFileInfo> CompleteAsync(CancellationToken ct)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        if (_completed) throw new InvalidOperationException("The series is already complete.");
        if (_buffered > 0) await WriteRowGroupAsync(ct).ConfigureAwait(false);
        // An empty series still gets a valid file: schema and footer, zero row groups (pandas reads an empty frame).
        var writer = _writer ?? await OpenWriterAsync(ct).ConfigureAwait(false);
        _writer = null;
        await writer.DisposeAsync().ConfigureAwait(false); // writes the footer
        var written = await _file.CommitAsync(ct).ConfigureAwait(false);
        _completed = true;
        return new SeriesFileInfo(written.RelativePath, _points, _firstStep, _lastStep, written.Bytes, written.Sha256);
    }

    public async ValueTask DisposeAsync()
    {
        if (_disposed) return;
        _disposed = true;
        // An uncompleted writer is dropped, not disposed: disposing would write a footer into a file being discarded.
        _writer = null;
        await _file.DisposeAsync().ConfigureAwait(false);
    }

    private void Grow()
    {
        var capacity = (int)Math.Min((long)_steps.Length * 2, _rowGroupRows);
        Array.Resize(ref _steps, capacity);
        Array.Resize(ref _values, capacity);
        Array.Resize(ref _timestamps, capacity);
    }

    private async Task<ParquetWriter> OpenWriterAsync(CancellationToken ct) =>
        _writer = await ParquetWriter.CreateAsync(ParquetSeriesSchema.Schema, _file.Stream, ParquetSeriesSchema.Options(),
            append: false, ct).ConfigureAwait(false);

    private async Task WriteRowGroupAsync(CancellationToken ct)
    {
        var writer = _writer ?? await OpenWriterAsync(ct).ConfigureAwait(false);
        using (var group = writer.CreateRowGroup())
        {
            await group.WriteAsync(ParquetSeriesSchema.Step, new ReadOnlyMemory<long>(_steps, 0, _buffered),
                cancellationToken: ct).ConfigureAwait(false);
            await group.WriteAsync(ParquetSeriesSchema.Value, new ReadOnlyMemory<double>(_values, 0, _buffered),
                cancellationToken: ct).ConfigureAwait(false);
            await group.WriteAsync(ParquetSeriesSchema.Timestamp, new ReadOnlyMemory<long?>(_timestamps, 0, _buffered),
                cancellationToken: ct).ConfigureAwait(false);
            group.CompleteValidate();
        }
        _buffered = 0;
        RowGroupsWritten++;
    }
}
