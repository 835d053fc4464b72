using System.Buffers;
using System.Buffers.Text;
using System.IO.Pipelines;

namespace SwanLab.Client.Metrics;

/// <summary>
/// Incremental parser of a metric CSV (<c>step,{exp}-{key}_step,{exp}-{key}_timestamp</c>; the <c>_step</c> column
/// holds the value). Reads through a <see cref="PipeReader"/> and parses bytes in place, so memory stays flat whatever
/// the series length. A row with an empty value cell has no point; a malformed row is a
/// <see cref="SwanLabProtocolException"/>. The header's names are not used, but its shape is checked (value column
/// before its <c>_timestamp</c> column) and every row must have as many cells as the header: a swapped header or a
/// row cut short would otherwise turn into wrong values or silently missing points.
/// </summary>
internal sealed class MetricCsvReader : IAsyncDisposable
{
    private const int MaxLineLength = 4096;
    private readonly PipeReader _reader;
    private readonly string _endpoint;
    private readonly int _valueColumn;
    private readonly byte[] _scratch = new byte[MaxLineLength];
    private long _lineNumber;
    private int _headerCells;
    private bool _done;

    public MetricCsvReader(Stream stream, string endpoint, int valueColumn = 1)
    {
        _reader = PipeReader.Create(stream, new StreamPipeReaderOptions(bufferSize: 64 * 1024, leaveOpen: true));
        _endpoint = endpoint;
        _valueColumn = valueColumn;
    }

    /// <summary>Fills <paramref name="batch"/> with the next points; returns false (with an empty batch) at the end.</summary>
    public async ValueTask<bool> ReadBatchAsync(List<MetricPoint> batch, CancellationToken ct)
    {
        batch.Clear();
        while (batch.Count == 0)
        {
            if (_done)
                return false;
            var result = await _reader.ReadAsync(ct).ConfigureAwait(false);
            var buffer = result.Buffer;
            ParseLines(ref buffer, batch, result.IsCompleted);
            _reader.AdvanceTo(buffer.Start, buffer.End);
            if (result.IsCompleted)
                _done = true;
        }
        return true;
    }

    private void ParseLines(ref ReadOnlySequence<byte> buffer, List<MetricPoint> batch, bool final)
    {
        var reader = new SequenceReader<byte>(buffer);
        while (reader.TryReadTo(out ReadOnlySequence<byte> line, (byte)'\n'))
            ParseLine(line, batch);
        if (final && !reader.End)
        {
            ParseLine(reader.UnreadSequence, batch);
            reader.AdvanceToEnd();
        }
        else if (reader.Remaining > MaxLineLength)
        {
            throw new SwanLabProtocolException($"Metric CSV line {_lineNumber + 1} is longer than {MaxLineLength} bytes.", _endpoint);
        }
        buffer = buffer.Slice(reader.Position);
    }

    private void ParseLine(ReadOnlySequence<byte> sequence, List<MetricPoint> batch)
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
            CheckHeader(line);
            return;
        }
        if (line.IsEmpty)
            return;

        ReadOnlySpan<byte> stepCell = default, valueCell = default, timestampCell = default;
        var column = 0;
        var rest = line;
        while (true)
        {
            var comma = rest.IndexOf((byte)',');
            var cell = Unquote(comma < 0 ? rest : rest[..comma]);
            if (column == 0) stepCell = cell;
            else if (column == _valueColumn) valueCell = cell;
            else if (column == _valueColumn + 1) timestampCell = cell;
            if (comma < 0)
                break;
            rest = rest[(comma + 1)..];
            column++;
        }
        if (column + 1 != _headerCells)
            throw new SwanLabProtocolException(
                $"Metric CSV line {_lineNumber} has {column + 1} of the {_headerCells} cells its header names (a row cut short?): '{Excerpt(line)}'.",
                _endpoint);

        if (!TryParseStep(stepCell, out var step))
            throw Malformed("step", stepCell);
        if (valueCell.IsEmpty)
            return;
        if (!MetricNumbers.TryParse(valueCell, out var value))
            throw Malformed("value", valueCell);
        long? timestamp = null;
        if (!timestampCell.IsEmpty)
        {
            if (!TryParseStep(timestampCell, out var ts))
                throw Malformed("timestamp", timestampCell);
            timestamp = ts;
        }
        batch.Add(new MetricPoint(step, value, timestamp));
    }

    /// <summary>
    /// Counts the header's cells (names may be quoted and hold commas) and checks the value column is not a
    /// timestamp column and is followed by its timestamp column, when there is one.
    /// </summary>
    private void CheckHeader(ReadOnlySpan<byte> line)
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
            else if (c == ',' && !quoted) { names.Add(cell.ToString()); cell.Clear(); }
            else cell.Append(c);
        }
        names.Add(cell.ToString());
        _headerCells = names.Count;
        string? problem = null;
        if (names.Count <= _valueColumn)
            problem = $"has {names.Count} column(s), no value column";
        else if (names[_valueColumn].Trim().EndsWith("_timestamp", StringComparison.Ordinal))
            problem = $"names a timestamp column ('{names[_valueColumn]}') where the value column should be";
        else if (names.Count > _valueColumn + 1 && !names[_valueColumn + 1].Trim().EndsWith("_timestamp", StringComparison.Ordinal))
            problem = $"names '{names[_valueColumn + 1]}' where the value's _timestamp column should be";
        if (problem is not null)
            throw new SwanLabProtocolException($"Metric CSV header '{Excerpt(line)}' {problem}.", _endpoint);
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
