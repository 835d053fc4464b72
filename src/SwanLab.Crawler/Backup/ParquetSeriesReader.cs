using System.Buffers.Binary;
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
        await using var file = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read, bufferSize: 1 << 16,
            FileOptions.Asynchronous | FileOptions.SequentialScan);
        await CheckFooterAsync(path, file, ct).ConfigureAwait(false);
        await using var stream = new EndCheckedStream(file);
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

    // The sink writes at most ParquetSeriesSink.DefaultRowGroupRows (64 Ki) rows per group; 16 times that leaves room
    // for a later, larger setting while a damaged footer still cannot make verify allocate more than ~32 MiB a group.
    private const long MaxRowGroupRows = 1 << 20;

    private sealed record Fields(DataField Step, DataField Value, DataField Timestamp);

    private sealed record RowGroup(long[] Steps, double[] Values, long?[] Timestamps);

    /// <summary>
    /// Checks the frame (magic at both ends, footer length inside the file) and that the footer is one well-formed
    /// Thrift struct ending exactly where the length says. Parquet.Net's Thrift reader takes the end of its input for
    /// 0xFF bytes and can spin forever on a footer that runs past its end, so damaged footers must never reach it.
    /// </summary>
    private static async Task CheckFooterAsync(string path, FileStream file, CancellationToken ct)
    {
        const int frame = 4 + 4 + 4; // "PAR1" ... footer length (int32 LE) "PAR1"
        var length = file.Length;
        if (length < frame) throw Bad(path, $"{length} bytes is too short for a Parquet file");
        var head = new byte[4];
        await file.ReadExactlyAsync(head, ct).ConfigureAwait(false);
        var tail = new byte[8];
        file.Seek(-8, SeekOrigin.End);
        await file.ReadExactlyAsync(tail, ct).ConfigureAwait(false);
        if (!head.AsSpan().SequenceEqual("PAR1"u8) || !tail.AsSpan(4).SequenceEqual("PAR1"u8))
            throw Bad(path, "not a Parquet file (no PAR1 magic at both ends)");
        var footerLength = BinaryPrimitives.ReadInt32LittleEndian(tail);
        if (footerLength <= 0 || footerLength > length - frame)
            throw Bad(path, $"footer length {footerLength} does not fit a {length}-byte file");
        var footer = new byte[footerLength];
        file.Seek(length - 8 - footerLength, SeekOrigin.Begin);
        await file.ReadExactlyAsync(footer, ct).ConfigureAwait(false);
        if (!ThriftCompactCheck.IsOneStruct(footer)) throw Bad(path, "the footer is damaged");
        file.Seek(0, SeekOrigin.Begin);
    }

    private static async Task<(ParquetReader, Fields)> OpenAsync(string path, Stream stream, CancellationToken ct)
    {
        ParquetReader reader;
        try { reader = await ParquetReader.CreateAsync(stream, ParquetSeriesSchema.Options(), leaveStreamOpen: true, ct).ConfigureAwait(false); }
        catch (Exception e) when (IsDecodeFailure(e)) { throw Bad(path, $"not a readable Parquet file ({e.Message})"); }

        IReadOnlyList<Field> fields;
        try { fields = reader.Schema.Fields; } // decoded from the footer on first use
        catch (Exception e) when (IsDecodeFailure(e))
        {
            await reader.DisposeAsync().ConfigureAwait(false);
            throw Bad(path, $"the schema cannot be decoded ({e.Message})");
        }
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

/// <summary>
/// Read-only pass-through that fails a single-byte read at the end of the file instead of returning -1: Parquet.Net
/// reads page headers byte by byte and would take -1 for 0xFF, which can make it loop forever on a damaged file.
/// </summary>
internal sealed class EndCheckedStream(Stream inner) : Stream
{
    public override int ReadByte() => inner.ReadByte() is var b and >= 0 ? b : throw new EndOfStreamException("Read past the end of the file.");
    public override int Read(byte[] buffer, int offset, int count) => inner.Read(buffer, offset, count);
    public override int Read(Span<byte> buffer) => inner.Read(buffer);
    public override ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default) =>
        inner.ReadAsync(buffer, cancellationToken);
    public override Task<int> ReadAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) =>
        inner.ReadAsync(buffer, offset, count, cancellationToken);
    public override long Seek(long offset, SeekOrigin origin) => inner.Seek(offset, origin);
    public override bool CanRead => true;
    public override bool CanSeek => true;
    public override bool CanWrite => false;
    public override long Length => inner.Length;
    public override long Position { get => inner.Position; set => inner.Position = value; }
    public override void Flush() { }
    public override void SetLength(long value) => throw new NotSupportedException();
    public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();
}

/// <summary>
/// Walks Thrift compact-protocol bytes without building anything, checking every length and count against the bytes
/// that are left, so that a damaged Parquet footer is refused before the Parquet library parses it.
/// </summary>
internal static class ThriftCompactCheck
{
    private const int MaxDepth = 64;

    /// <summary>True when <paramref name="bytes"/> hold exactly one well-formed struct and nothing after it.</summary>
    public static bool IsOneStruct(ReadOnlySpan<byte> bytes)
    {
        var pos = 0;
        return SkipStruct(bytes, ref pos, 0) && pos == bytes.Length;
    }

    private static bool SkipStruct(ReadOnlySpan<byte> b, ref int pos, int depth)
    {
        if (depth > MaxDepth) return false;
        while (true)
        {
            if (pos >= b.Length) return false;
            var header = b[pos++];
            if (header == 0) return true; // field stop
            // A zero id delta means the field id follows as a zigzag varint.
            if (header >> 4 == 0 && !ReadVarint(b, ref pos, out _)) return false;
            if (!SkipValue(b, ref pos, header & 0x0F, depth, inCollection: false)) return false;
        }
    }

    private static bool SkipValue(ReadOnlySpan<byte> b, ref int pos, int type, int depth, bool inCollection)
    {
        switch (type)
        {
            case 1 or 2: // booleans: carried by the field header in a struct, one byte each in a collection
                return !inCollection || Skip(b, ref pos, 1);
            case 3: return Skip(b, ref pos, 1);
            case 4 or 5 or 6: return ReadVarint(b, ref pos, out _);
            case 7: return Skip(b, ref pos, 8);
            case 8: return ReadVarint(b, ref pos, out var length) && Skip(b, ref pos, length);
            case 9 or 10:
            {
                if (pos >= b.Length) return false;
                var header = b[pos++];
                ulong size = (ulong)(header >> 4);
                if (size == 15 && !ReadVarint(b, ref pos, out size)) return false;
                // Every element takes at least one byte, so a count beyond the bytes left is damage, not a big list.
                if (size > (ulong)(b.Length - pos) || depth >= MaxDepth) return false;
                for (ulong i = 0; i < size; i++)
                    if (!SkipValue(b, ref pos, header & 0x0F, depth + 1, inCollection: true)) return false;
                return true;
            }
            case 11:
            {
                if (!ReadVarint(b, ref pos, out var size)) return false;
                if (size == 0) return true;
                if (pos >= b.Length || size > (ulong)(b.Length - pos) / 2 || depth >= MaxDepth) return false;
                var types = b[pos++];
                for (ulong i = 0; i < size; i++)
                    if (!SkipValue(b, ref pos, types >> 4, depth + 1, true) || !SkipValue(b, ref pos, types & 0x0F, depth + 1, true))
                        return false;
                return true;
            }
            case 12: return SkipStruct(b, ref pos, depth + 1);
            case 13: return Skip(b, ref pos, 16);
            default: return false;
        }
    }

    private static bool Skip(ReadOnlySpan<byte> b, ref int pos, ulong count)
    {
        if (count > (ulong)(b.Length - pos)) return false;
        pos += (int)count;
        return true;
    }

    private static bool ReadVarint(ReadOnlySpan<byte> b, ref int pos, out ulong value)
    {
        value = 0;
        for (var shift = 0; shift < 64; shift += 7)
        {
            if (pos >= b.Length) return false;
            var next = b[pos++];
            value |= (ulong)(next & 0x7F) << shift;
            if ((next & 0x80) == 0) return true;
        }
        return false;
    }
}
