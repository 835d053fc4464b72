using System.Buffers;
using System.Buffers.Text;
using System.IO.Pipelines;

namespace SwanLab.Client.Metrics;

/// <summary>
/// Incremental parser of a metric CSV, one series or many: the wide export (<c>step,{exp}-{key}_step,
/// {exp}-{key}_timestamp,...</c>, one row per step; a <c>_step</c> column holds the value) is split into one batch per
/// key as it is read. Reads through a <see cref="PipeReader"/> and parses bytes in place, so memory stays flat whatever
/// the series length. An empty value cell is no point; a malformed row is a <see cref="SwanLabProtocolException"/>.
/// Which cells belong to which key comes from the header (<see cref="MetricCsvColumns"/>), and every row must have as
/// many cells as the header: a swapped header or a row cut short would otherwise turn into wrong values or silently
/// missing points.
/// </summary>
internal sealed class MetricCsvReader : IAsyncDisposable
{
    private const int MaxLineLength = 4096;
    private readonly PipeReader _reader;
    private readonly string _endpoint;
    private readonly IReadOnlyList<string>? _keys;
    private readonly IReadOnlyList<string> _preferredPrefixes;
    private readonly byte[] _scratch = new byte[MaxLineLength];
    private readonly List<MetricPoint>[] _single = new List<MetricPoint>[1];
    private int[] _cellStart = [];
    private int[] _cellLength = [];
    private int[] _valueColumn = [];
    private int[] _timestampColumn = [];
    private long _lineNumber;
    private int _headerCells;
    private bool _done;

    /// <summary>One series whose key is not known: its columns are read by position (1 and 2).</summary>
    public MetricCsvReader(Stream stream, string endpoint)
        : this(stream, endpoint, null, [])
    {
    }

    /// <summary>
    /// The series of <paramref name="keys"/> (null: one series read by position); <paramref name="preferredPrefixes"/>
    /// are the header prefixes expected before each key (e.g. <c>"{run name}-"</c>), used to break ties.
    /// </summary>
    public MetricCsvReader(Stream stream, string endpoint, IReadOnlyList<string>? keys, IReadOnlyList<string> preferredPrefixes)
    {
        _reader = PipeReader.Create(stream, new StreamPipeReaderOptions(bufferSize: 64 * 1024, leaveOpen: true));
        _endpoint = endpoint;
        _keys = keys;
        _preferredPrefixes = preferredPrefixes;
    }

    /// <summary>Fills <paramref name="batch"/> with the next points of a one-series CSV; false (empty batch) at the end.</summary>
    public ValueTask<bool> ReadBatchAsync(List<MetricPoint> batch, CancellationToken ct)
    {
        _single[0] = batch;
        return ReadBatchesAsync(_single, ct);
    }

    /// <summary>
    /// Fills <paramref name="batches"/> (one list per key, request order) with the next points; returns false, with
    /// every list empty, at the end. A call returns once at least one key has points.
    /// </summary>
    public async ValueTask<bool> ReadBatchesAsync(IReadOnlyList<List<MetricPoint>> batches, CancellationToken ct)
    {
        foreach (var batch in batches)
            batch.Clear();
        while (true)
        {
            if (_done)
                return false;
            var result = await _reader.ReadAsync(ct).ConfigureAwait(false);
            var buffer = result.Buffer;
            var added = ParseLines(ref buffer, batches, result.IsCompleted);
            _reader.AdvanceTo(buffer.Start, buffer.End);
            if (result.IsCompleted)
                _done = true;
            if (added)
                return true;
        }
    }

    private bool ParseLines(ref ReadOnlySequence<byte> buffer, IReadOnlyList<List<MetricPoint>> batches, bool final)
    {
        var added = false;
        var reader = new SequenceReader<byte>(buffer);
        while (reader.TryReadTo(out ReadOnlySequence<byte> line, (byte)'\n'))
            added |= ParseLine(line, batches);
        if (final && !reader.End)
        {
            added |= ParseLine(reader.UnreadSequence, batches);
            reader.AdvanceToEnd();
        }
        else if (reader.Remaining > MaxLineLength)
        {
            throw new SwanLabProtocolException($"Metric CSV line {_lineNumber + 1} is longer than {MaxLineLength} bytes.", _endpoint);
        }
        buffer = buffer.Slice(reader.Position);
        return added;
    }

    private bool ParseLine(ReadOnlySequence<byte> sequence, IReadOnlyList<List<MetricPoint>> batches)
    {
        _lineNumber++;
        if (sequence.Length > MaxLineLength)
            throw new SwanLabProtocolException($"Metric CSV line {_lineNumber} is longer than {MaxLineLength} bytes.", _endpoint);
        ReadOnlySpan<byte> line;
        if (sequence.IsSingleSegment)
        {
            line = sequence.FirstSpan;
        }
        else
        {
            sequence.CopyTo(_scratch);
            line = _scratch.AsSpan(0, (int)sequence.Length);
        }
        if (line.Length > 0 && line[^1] == (byte)'\r')
            line = line[..^1];
        if (_lineNumber == 1)
        {
            ReadHeader(line, batches.Count);
            return false;
        }
        if (line.IsEmpty)
            return false;

        var column = 0;
        var offset = 0;
        while (true)
        {
            var comma = line[offset..].IndexOf((byte)',');
            var end = comma < 0 ? line.Length : offset + comma;
            if (column < _headerCells)
            {
                _cellStart[column] = offset;
                _cellLength[column] = end - offset;
            }
            if (comma < 0)
                break;
            offset = end + 1;
            column++;
        }
        if (column + 1 != _headerCells)
            throw new SwanLabProtocolException(
                $"Metric CSV line {_lineNumber} has {column + 1} of the {_headerCells} cells its header names (a row cut short?): '{Excerpt(line)}'.",
                _endpoint);

        var stepCell = Cell(line, 0);
        if (!TryParseStep(stepCell, out var step))
            throw Malformed("step", stepCell);
        var added = false;
        for (var k = 0; k < _valueColumn.Length; k++)
        {
            var valueCell = Cell(line, _valueColumn[k]);
            if (valueCell.IsEmpty)
                continue;
            if (!MetricNumbers.TryParse(valueCell, out var value))
                throw Malformed("value", valueCell);
            long? timestamp = null;
            var timestampCell = Cell(line, _timestampColumn[k]);
            if (!timestampCell.IsEmpty)
            {
                if (!TryParseStep(timestampCell, out var ts))
                    throw Malformed("timestamp", timestampCell);
                timestamp = ts;
            }
            batches[k].Add(new MetricPoint(step, value, timestamp));
            added = true;
        }
        return added;
    }

    private ReadOnlySpan<byte> Cell(ReadOnlySpan<byte> line, int column) =>
        column < 0 ? default : Unquote(line.Slice(_cellStart[column], _cellLength[column]));

    /// <summary>Splits the header (names may be quoted and hold commas) and resolves each key's columns.</summary>
    private void ReadHeader(ReadOnlySpan<byte> line, int batchCount)
    {
        var text = System.Text.Encoding.UTF8.GetString(line).TrimStart('\uFEFF');
        var names = new List<string>();
        var cell = new System.Text.StringBuilder();
        var quoted = false;
        for (var i = 0; i < text.Length; i++)
        {
            var c = text[i];
            if (c == '"' && quoted && i + 1 < text.Length && text[i + 1] == '"') { cell.Append('"'); i++; }
            else if (c == '"') quoted = !quoted;
            else if (c == ',' && !quoted) { names.Add(cell.ToString().Trim()); cell.Clear(); }
            else cell.Append(c);
        }
        names.Add(cell.ToString().Trim());
        _headerCells = names.Count;
        _cellStart = new int[names.Count];
        _cellLength = new int[names.Count];
        var header = Excerpt(line);
        var columns = MetricCsvColumns.Resolve(names, _keys, _preferredPrefixes,
            problem => new SwanLabProtocolException($"Metric CSV header '{header}' {problem}.", _endpoint));
        if (columns.ValueColumn.Count != batchCount)
            throw new InvalidOperationException($"{batchCount} batch list(s) for {columns.ValueColumn.Count} key(s).");
        _valueColumn = [.. columns.ValueColumn];
        _timestampColumn = [.. columns.TimestampColumn];
    }

    private static string Excerpt(ReadOnlySpan<byte> bytes)
    {
        var text = System.Text.Encoding.UTF8.GetString(bytes.Length > 80 ? bytes[..80] : bytes);
        // Garbage bodies must not flood logs with control or replacement characters.
        return new string(text.Select(c => char.IsControl(c) || c == '\uFFFD' ? '?' : c).ToArray()) + (bytes.Length > 80 ? "..." : "");
    }

    private static bool TryParseStep(ReadOnlySpan<byte> cell, out long value)
    {
        if (Utf8Parser.TryParse(cell, out value, out var consumed) && consumed == cell.Length)
            return true;
        // Some exporters write integral steps as floats ("12.0").
        if (Utf8Parser.TryParse(cell, out double d, out consumed) && consumed == cell.Length && d == Math.Floor(d) &&
            Math.Abs(d) < 9.2e18)
        {
            value = (long)d;
            return true;
        }
        value = 0;
        return false;
    }

    private static ReadOnlySpan<byte> Unquote(ReadOnlySpan<byte> cell)
    {
        cell = cell.Trim((byte)' ');
        return cell.Length >= 2 && cell[0] == (byte)'"' && cell[^1] == (byte)'"' ? cell[1..^1] : cell;
    }

    private SwanLabProtocolException Malformed(string what, ReadOnlySpan<byte> cell)
    {
        var text = System.Text.Encoding.UTF8.GetString(cell.Length > 40 ? cell[..40] : cell);
        return new SwanLabProtocolException($"Metric CSV line {_lineNumber}: '{text}' is not a valid {what}.", _endpoint);
    }

    public async ValueTask DisposeAsync() => await _reader.CompleteAsync().ConfigureAwait(false);
}
