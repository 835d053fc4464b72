using System.Buffers;
using System.Globalization;
using SwanLab.Crawler.Source;

namespace SwanLab.Crawler.Backup;

/// <summary>Opens series sinks; an interface so actor tests can count or fail writes without touching disk.</summary>
public interface ISeriesSinkFactory
{
    ISeriesSink Create(string runPath, string key);
}

/// <summary>Opens CSV, JSONL or Parquet sinks at their place in the backup layout.</summary>
public sealed class SeriesSinkFactory(BackupLayout layout, SeriesFormat format) : ISeriesSinkFactory
{
    public SeriesFormat Format => format;

    public ISeriesSink Create(string runPath, string key) => SeriesSinks.Create(layout, runPath, key, format);
}

/// <summary>
/// Series file formats (part of the backup format). Both hold one point per line in the order received, LF line ends,
/// UTF-8 without BOM, numbers in invariant culture with the shortest text that round-trips to the same double.
/// <list type="bullet">
/// <item>CSV: header <c>step,value,timestamp</c>; timestamp (ms) empty when unknown; NaN, +inf, -inf as
/// <c>NaN</c>, <c>inf</c>, <c>-inf</c>, which <c>pandas.read_csv</c> reads as float NaN/inf/-inf.</item>
/// <item>JSONL: <c>{"step":0,"value":0.5,"timestamp":1700000000000}</c>; timestamp <c>null</c> when unknown. JSON has
/// no NaN, so non-finite values are the strings <c>"NaN"</c>, <c>"Infinity"</c>, <c>"-Infinity"</c> (valid JSON,
/// the names System.Text.Json uses; <c>pandas.read_json(lines=True)</c> reads them as float NaN/inf/-inf).</item>
/// </list>
/// Parquet is a binary format of its own; see <see cref="ParquetSeriesSchema"/>.
/// </summary>
public static class SeriesSinks
{
    public static ISeriesSink Create(BackupLayout layout, string runPath, string key, SeriesFormat format)
    {
        ArgumentNullException.ThrowIfNull(layout);
        var path = layout.SeriesFile(runPath, key, format);
        return format switch
        {
            SeriesFormat.Csv => new CsvSeriesSink(AtomicFileWriter.Create(layout, path)),
            SeriesFormat.Jsonl => new JsonlSeriesSink(AtomicFileWriter.Create(layout, path)),
            SeriesFormat.Parquet => new ParquetSeriesSink(AtomicFileWriter.Create(layout, path)),
            _ => throw new ArgumentOutOfRangeException(nameof(format), format, "unknown series format"),
        };
    }
}

/// <summary>
/// Shared bookkeeping of the sinks: points are formatted into memory and handed to the file in 64 KiB chunks, so
/// the per-point path does no I/O and no awaiting.
/// </summary>
public abstract class BufferedSeriesSink : ISeriesSink
{
    protected const int ChunkBytes = 1 << 16;

    private readonly AtomicFileWriter _file;
    private long _points;
    private long? _firstStep;
    private long? _lastStep;
    private bool _completed;
    private bool _disposed;

    protected BufferedSeriesSink(AtomicFileWriter file) => _file = file;

    /// <summary>Points written so far.</summary>
    public long Points => _points;

    public ValueTask WriteAsync(SeriesPoint point, CancellationToken ct)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        if (_completed) throw new InvalidOperationException("The series is already complete.");
        Append(point);
        _points++;
        _firstStep ??= point.Step;
        _lastStep = point.Step;
        return PendingBytes >= ChunkBytes ? DrainAsync(ct) : ValueTask.CompletedTask;
    }

    public async Task<SeriesFileInfo> CompleteAsync(CancellationToken ct)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        if (_completed) throw new InvalidOperationException("The series is already complete.");
        await DrainAsync(ct).ConfigureAwait(false);
        var written = await _file.CommitAsync(ct).ConfigureAwait(false);
        _completed = true;
        return new SeriesFileInfo(written.RelativePath, _points, _firstStep, _lastStep, written.Bytes, written.Sha256);
    }

    public async ValueTask DisposeAsync()
    {
        if (_disposed) return;
        _disposed = true;
        await _file.DisposeAsync().ConfigureAwait(false);
        GC.SuppressFinalize(this);
    }

    /// <summary>Formats one point into the in-memory buffer.</summary>
    protected abstract void Append(SeriesPoint point);

    /// <summary>Bytes formatted but not yet handed to the file.</summary>
    protected abstract int PendingBytes { get; }

    /// <summary>Moves the formatted bytes out of the buffer and empties it.</summary>
    protected abstract ReadOnlyMemory<byte> TakePending();

    /// <summary>Called after <see cref="TakePending"/>'s bytes were written, so the buffer may be reused.</summary>
    protected abstract void ResetPending();

    private async ValueTask DrainAsync(CancellationToken ct)
    {
        var pending = TakePending();
        if (pending.Length > 0) await _file.Stream.WriteAsync(pending, ct).ConfigureAwait(false);
        ResetPending();
    }
}

/// <summary>
/// CSV series file (header <c>step,value,timestamp</c>), formatted straight into UTF-8 bytes. Every field is a number
/// or one of <c>NaN</c>/<c>inf</c>/<c>-inf</c>, so no field ever needs quoting or escaping; going through CsvHelper
/// meant three strings and a UTF-16 to UTF-8 pass per point, which made this sink the slowest stage of a big-series
/// export (0.43 against 0.26 microseconds a point, and about 100 bytes of garbage a point).
/// </summary>
public sealed class CsvSeriesSink : BufferedSeriesSink
{
    /// <summary>Longest row: two 20-character integers, a 24-character double, two commas and a line feed.</summary>
    private const int MaxRowBytes = 72;

    private static readonly byte[] Header = "step,value,timestamp\n"u8.ToArray();

    private readonly ArrayBufferWriter<byte> _pending = new(ChunkBytes + 4096);

    internal CsvSeriesSink(AtomicFileWriter file) : base(file) => _pending.Write(Header);

    protected override void Append(SeriesPoint point)
    {
        var row = _pending.GetSpan(MaxRowBytes);
        var at = Format(row, point.Step);
        row[at++] = (byte)',';
        at += FormatValue(row[at..], point.Value);
        row[at++] = (byte)',';
        if (point.TimestampMs is { } ts) at += Format(row[at..], ts);
        row[at++] = (byte)'\n';
        _pending.Advance(at);
    }

    protected override int PendingBytes => _pending.WrittenCount;

    protected override ReadOnlyMemory<byte> TakePending() => _pending.WrittenMemory;

    protected override void ResetPending() => _pending.ResetWrittenCount();

    private static int Format(Span<byte> destination, long number)
    {
        number.TryFormat(destination, out var written, default, CultureInfo.InvariantCulture);
        return written;
    }

    private static int FormatValue(Span<byte> destination, double value)
    {
        if (double.IsFinite(value))
        {
            value.TryFormat(destination, out var written, "R", CultureInfo.InvariantCulture);
            return written;
        }
        var text = double.IsNaN(value) ? "NaN"u8 : value > 0 ? "inf"u8 : "-inf"u8;
        text.CopyTo(destination);
        return text.Length;
    }
}

/// <summary>
/// JSON Lines series file: <c>{"step":0,"value":0.5,"timestamp":1700000000000}</c> per line, formatted straight into
/// UTF-8 bytes. The field names are fixed and the values are integers, shortest round-trip doubles (the text
/// System.Text.Json's <c>Utf8JsonWriter</c> writes for them, checked on 2M random doubles), the strings
/// <c>"NaN"</c>/<c>"Infinity"</c>/<c>"-Infinity"</c> or <c>null</c>, so nothing ever needs escaping. Going through
/// <c>Utf8JsonWriter</c> (write, flush and reset per line) made this the slowest sink: 5.2 CPU-s per 10M points,
/// and the only big-series export under 1M points/s.
/// </summary>
public sealed class JsonlSeriesSink : BufferedSeriesSink
{
    /// <summary>Longest line: the fixed text (~35 bytes), two 20-character integers and a 24-character double.</summary>
    private const int MaxLineBytes = 112;

    private readonly ArrayBufferWriter<byte> _pending = new(ChunkBytes + 4096);

    internal JsonlSeriesSink(AtomicFileWriter file) : base(file)
    {
    }

    protected override void Append(SeriesPoint point)
    {
        var line = _pending.GetSpan(MaxLineBytes);
        var at = Put(line, "{\"step\":"u8);
        at += Format(line[at..], point.Step);
        at += Put(line[at..], ",\"value\":"u8);
        at += FormatValue(line[at..], point.Value);
        at += Put(line[at..], ",\"timestamp\":"u8);
        at += point.TimestampMs is { } ts ? Format(line[at..], ts) : Put(line[at..], "null"u8);
        at += Put(line[at..], "}\n"u8);
        _pending.Advance(at);
    }

    protected override int PendingBytes => _pending.WrittenCount;

    protected override ReadOnlyMemory<byte> TakePending() => _pending.WrittenMemory;

    protected override void ResetPending() => _pending.ResetWrittenCount();

    private static int Put(Span<byte> destination, ReadOnlySpan<byte> text)
    {
        text.CopyTo(destination);
        return text.Length;
    }

    private static int Format(Span<byte> destination, long number)
    {
        number.TryFormat(destination, out var written, default, CultureInfo.InvariantCulture);
        return written;
    }

    private static int FormatValue(Span<byte> destination, double value)
    {
        if (double.IsFinite(value))
        {
            value.TryFormat(destination, out var written, "R", CultureInfo.InvariantCulture);
            return written;
        }
        return Put(destination, double.IsNaN(value) ? "\"NaN\""u8 : value > 0 ? "\"Infinity\""u8 : "\"-Infinity\""u8);
    }
}
