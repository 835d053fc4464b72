using System.Text;

namespace SwanLab.Client;

/// <summary>
/// The C# answer to the DataFrame <c>run.metrics()</c> returns in SDK 0.7.8: an index column (<c>step</c>), one column
/// per key, outer-joined on the step and sorted by it. When an x-axis metric was asked for, it is the first column and
/// rows without an x value are dropped (as the SDK does). A missing value is null; NaN/±Infinity are kept.
/// </summary>
public sealed class MetricTable
{
    private readonly long[] _index;
    private readonly double?[][] _columns;
    private readonly Dictionary<string, int> _byName;

    internal MetricTable(string indexName, IReadOnlyList<string> columnNames, long[] index, double?[][] columns)
    {
        IndexName = indexName;
        ColumnNames = columnNames;
        _index = index;
        _columns = columns;
        _byName = new Dictionary<string, int>(StringComparer.Ordinal);
        for (var i = 0; i < columnNames.Count; i++)
            _byName[columnNames[i]] = i;
    }

    /// <summary>Name of the index column (<c>step</c>).</summary>
    public string IndexName { get; }

    /// <summary>Value column names in order (the x-axis metric first when one was given, then the keys as requested).</summary>
    public IReadOnlyList<string> ColumnNames { get; }

    /// <summary>Number of rows.</summary>
    public int RowCount => _index.Length;

    /// <summary>The index values (steps), ascending.</summary>
    public IReadOnlyList<long> Index => _index;

    /// <summary>One column's values aligned with <see cref="Index"/>; null where that key has no point at that step.</summary>
    /// <exception cref="KeyNotFoundException">No such column.</exception>
    public IReadOnlyList<double?> this[string column] =>
        _byName.TryGetValue(column, out var i) ? _columns[i] : throw new KeyNotFoundException($"The table has no column '{column}'.");

    /// <summary>True when the table has the column.</summary>
    public bool HasColumn(string column) => _byName.ContainsKey(column);

    /// <summary>
    /// Builds a table from per-key series (keys in the order given). <paramref name="xAxis"/>, when not null, must be one of
    /// <paramref name="keys"/>; it becomes the first column and rows without it are dropped. <paramref name="sample"/> keeps
    /// the first N rows (<c>DataFrame.head</c>).
    /// </summary>
    public static MetricTable Build(IReadOnlyList<string> keys, IReadOnlyList<IEnumerable<MetricPoint>> series, string? xAxis = null,
        int? sample = null)
    {
        ArgumentNullException.ThrowIfNull(keys);
        ArgumentNullException.ThrowIfNull(series);
        if (keys.Count != series.Count)
            throw new ArgumentException("One series per key is required.", nameof(series));
        if (sample is < 0)
            throw new ArgumentOutOfRangeException(nameof(sample), "sample must be zero or positive.");

        var order = Enumerable.Range(0, keys.Count).ToList();
        if (xAxis is not null)
        {
            var x = keys.ToList().IndexOf(xAxis);
            if (x < 0)
                throw new ArgumentException($"x axis '{xAxis}' is not one of the keys.", nameof(xAxis));
            order.Remove(x);
            order.Insert(0, x);
        }

        var rows = new SortedDictionary<long, double?[]>();
        for (var column = 0; column < order.Count; column++)
        {
            foreach (var point in series[order[column]])
            {
                if (!rows.TryGetValue(point.Step, out var row))
                    rows[point.Step] = row = new double?[order.Count];
                row[column] = point.Value;
            }
        }

        IEnumerable<KeyValuePair<long, double?[]>> selected = rows;
        if (xAxis is not null)
            selected = selected.Where(r => r.Value[0] is not null);
        if (sample is { } n)
            selected = selected.Take(n);
        var list = selected.ToList();

        var index = new long[list.Count];
        var columns = new double?[order.Count][];
        for (var c = 0; c < columns.Length; c++)
            columns[c] = new double?[list.Count];
        for (var r = 0; r < list.Count; r++)
        {
            index[r] = list[r].Key;
            for (var c = 0; c < columns.Length; c++)
                columns[c][r] = list[r].Value[c];
        }
        return new MetricTable("step", order.Select(i => keys[i]).ToList(), index, columns);
    }

    /// <summary>The table as CSV (header row, <c>\n</c> line ends, invariant shortest round-trip numbers, empty cell = no value).</summary>
    public string ToCsv()
    {
        var builder = new StringBuilder();
        using var writer = new StringWriter(builder, System.Globalization.CultureInfo.InvariantCulture) { NewLine = "\n" };
        WriteRows(writer);
        return builder.ToString();
    }

    /// <summary>Writes <see cref="ToCsv"/> to a writer.</summary>
    public async Task WriteCsvAsync(TextWriter writer, CancellationToken ct = default)
    {
        ArgumentNullException.ThrowIfNull(writer);
        var line = HeaderLine();
        for (var r = 0; r < _index.Length; r++)
        {
            AppendRow(line, r);
            if (line.Length > 32 * 1024)
            {
                ct.ThrowIfCancellationRequested();
                await writer.WriteAsync(line, ct).ConfigureAwait(false);
                line.Clear();
            }
        }
        await writer.WriteAsync(line, ct).ConfigureAwait(false);
        await writer.FlushAsync(ct).ConfigureAwait(false);
    }

    /// <summary>Writes <see cref="ToCsv"/> to a stream as UTF-8 without a byte-order mark (the stream stays open).</summary>
    public async Task WriteCsvAsync(Stream stream, CancellationToken ct = default)
    {
        ArgumentNullException.ThrowIfNull(stream);
        await using var writer = new StreamWriter(stream, new UTF8Encoding(false), 64 * 1024, leaveOpen: true) { NewLine = "\n" };
        await WriteCsvAsync(writer, ct).ConfigureAwait(false);
    }

    private void WriteRows(TextWriter writer)
    {
        var line = HeaderLine();
        for (var r = 0; r < _index.Length; r++)
            AppendRow(line, r);
        writer.Write(line);
    }

    private StringBuilder HeaderLine()
    {
        var line = new StringBuilder();
        line.Append(Escape(IndexName));
        foreach (var name in ColumnNames)
            line.Append(',').Append(Escape(name));
        return line.Append('\n');
    }

    private void AppendRow(StringBuilder line, int r)
    {
        line.Append(_index[r].ToString(System.Globalization.CultureInfo.InvariantCulture));
        for (var c = 0; c < _columns.Length; c++)
        {
            line.Append(',');
            if (_columns[c][r] is { } value)
                line.Append(MetricNumbers.Format(value));
        }
        line.Append('\n');
    }

    private static string Escape(string field) =>
        field.AsSpan().IndexOfAny(",\"\n\r") < 0 ? field : "\"" + field.Replace("\"", "\"\"", StringComparison.Ordinal) + "\"";

    /// <inheritdoc />
    public override string ToString() => $"MetricTable {RowCount} rows x [{IndexName}, {string.Join(", ", ColumnNames)}]";
}
