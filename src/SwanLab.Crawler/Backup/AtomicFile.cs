using System.Runtime.InteropServices;
using System.Security.Cryptography;

namespace SwanLab.Crawler.Backup;

/// <summary>
/// Writes files so that a crash never leaves a half file that looks whole: the bytes go to a temp file in the same
/// folder, are flushed and fsynced, then renamed over the target (atomic on one file system), then the folder is
/// fsynced so the rename itself survives a power cut. Size and sha256 are computed from the bytes as they are written.
/// </summary>
public static class AtomicFile
{
    /// <summary>
    /// Temp files are named this prefix + 32 lower-case hex digits (<see cref="NewTempName"/>), a name only this tool
    /// makes, so <see cref="SweepTempFiles"/> removes what a crash left and nothing else: a user's <c>.tmp-draft</c>
    /// is content, not ours.
    /// </summary>
    public const string TempPrefix = ".swanlab-crawler-tmp-";

    /// <summary>What versions before the rename called their temp files (".tmp-" + 32 hex), still recognised.</summary>
    private const string LegacyTempPrefix = ".tmp-";

    private const int TempSuffixLength = 32;

    /// <summary>A fresh temp file name (no folder).</summary>
    public static string NewTempName() => TempPrefix + Guid.NewGuid().ToString("N");

    /// <summary>True only for names <see cref="NewTempName"/> makes (or the previous version made).</summary>
    public static bool IsTempName(string fileName)
    {
        ArgumentNullException.ThrowIfNull(fileName);
        var suffix = fileName.StartsWith(TempPrefix, StringComparison.Ordinal) ? fileName.AsSpan(TempPrefix.Length)
            : fileName.StartsWith(LegacyTempPrefix, StringComparison.Ordinal) ? fileName.AsSpan(LegacyTempPrefix.Length)
            : [];
        if (suffix.Length != TempSuffixLength) return false;
        foreach (var c in suffix)
            if (!char.IsAsciiDigit(c) && c is not (>= 'a' and <= 'f')) return false;
        return true;
    }

    /// <summary>Writes a whole file produced by <paramref name="write"/>; if it throws, the target is untouched.</summary>
    public static async Task<WrittenFile> WriteAsync(BackupLayout layout, string fullPath,
        Func<Stream, CancellationToken, ValueTask> write, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(write);
        await using var writer = AtomicFileWriter.Create(layout, fullPath);
        await write(writer.Stream, ct).ConfigureAwait(false);
        return await writer.CommitAsync(ct).ConfigureAwait(false);
    }

    public static Task<WrittenFile> WriteAllBytesAsync(BackupLayout layout, string fullPath, ReadOnlyMemory<byte> bytes,
        CancellationToken ct) =>
        WriteAsync(layout, fullPath, (s, c) => s.WriteAsync(bytes, c), ct);

    /// <summary>
    /// Deletes every leftover temp file of this tool under <paramref name="root"/> (see <see cref="IsTempName"/>);
    /// returns how many. Call it only while holding the folder's <see cref="BackupLock"/>: the temp files of a running
    /// export look exactly like leftovers.
    /// </summary>
    public static int SweepTempFiles(string root)
    {
        if (!Directory.Exists(root)) return 0;
        var removed = 0;
        foreach (var file in Directory.EnumerateFiles(root, "*", SearchOption.AllDirectories))
        {
            if (!IsTempName(Path.GetFileName(file))) continue;
            File.Delete(file);
            removed++;
        }
        return removed;
    }

    /// <summary>Makes a rename or create in <paramref name="directory"/> durable (Linux/macOS; a no-op elsewhere).</summary>
    public static void FsyncDirectory(string directory)
    {
        if (!(OperatingSystem.IsLinux() || OperatingSystem.IsMacOS())) return;
        var fd = Native.open(directory, 0 /* O_RDONLY */);
        if (fd < 0) return; // Durability of the folder entry is best effort; the data itself is already fsynced.
        try { _ = Native.fsync(fd); }
        finally { _ = Native.close(fd); }
    }

    private static class Native
    {
#pragma warning disable SYSLIB1054 // Plain DllImport keeps the project free of AllowUnsafeBlocks.
        [DllImport("libc", SetLastError = true)]
        internal static extern int open([MarshalAs(UnmanagedType.LPUTF8Str)] string path, int flags);

        [DllImport("libc", SetLastError = true)]
        internal static extern int fsync(int fd);

        [DllImport("libc", SetLastError = true)]
        internal static extern int close(int fd);
#pragma warning restore SYSLIB1054
    }
}

/// <summary>
/// One file being written atomically. Write to <see cref="Stream"/> (buffered, hashed, counted), then
/// <see cref="CommitAsync"/>; disposing without committing deletes the temp file.
/// </summary>
public sealed class AtomicFileWriter : IAsyncDisposable, IDisposable
{
    private const int BufferSize = 1 << 16;

    private readonly string _relativePath;
    private readonly string _targetPath;
    private readonly string _tempPath;
    private readonly FileStream _file;
    private readonly HashingStream _hashing;
    private readonly BufferedStream _buffered;
    private bool _committed;
    private bool _disposed;

    private AtomicFileWriter(string relativePath, string targetPath)
    {
        _relativePath = relativePath;
        _targetPath = targetPath;
        var directory = Path.GetDirectoryName(targetPath)!;
        Directory.CreateDirectory(directory);
        _tempPath = Path.Combine(directory, AtomicFile.NewTempName());
        _file = new FileStream(_tempPath, new FileStreamOptions
        {
            Mode = FileMode.CreateNew, Access = FileAccess.Write, Share = FileShare.None, BufferSize = 0,
        });
        _hashing = new HashingStream(_file);
        _buffered = new BufferedStream(_hashing, BufferSize);
    }

    /// <summary>Opens a temp file beside <paramref name="fullPath"/>, which must lie inside the backup.</summary>
    public static AtomicFileWriter Create(BackupLayout layout, string fullPath)
    {
        ArgumentNullException.ThrowIfNull(layout);
        var relative = layout.RelativePath(fullPath); // throws for paths outside the backup
        return new AtomicFileWriter(relative, Path.GetFullPath(fullPath));
    }

    /// <summary>Buffered stream into the temp file.</summary>
    public Stream Stream => _buffered;

    /// <summary>Bytes written so far (what reached the hash, i.e. excluding the unflushed buffer).</summary>
    public long BytesHashed => _hashing.Bytes;

    /// <summary>Flush, fsync, rename over the target, fsync the folder; returns size and sha256 of what is on disk.</summary>
    public async Task<WrittenFile> CommitAsync(CancellationToken ct)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        if (_committed) throw new InvalidOperationException("Already committed.");
        ct.ThrowIfCancellationRequested();
        await _buffered.FlushAsync(ct).ConfigureAwait(false);
        _file.Flush(flushToDisk: true);
        var result = new WrittenFile(_relativePath, _hashing.Bytes, _hashing.HashHex());
        await _file.DisposeAsync().ConfigureAwait(false);
        File.Move(_tempPath, _targetPath, overwrite: true);
        _committed = true;
        AtomicFile.FsyncDirectory(Path.GetDirectoryName(_targetPath)!);
        return result;
    }

    public async ValueTask DisposeAsync()
    {
        if (_disposed) return;
        _disposed = true;
        if (!_committed)
        {
            // The buffer may hold bytes we no longer want; drop the temp file whatever its state.
            try { await _file.DisposeAsync().ConfigureAwait(false); } catch (IOException) { }
            TryDelete(_tempPath);
        }
        _hashing.DisposeHash();
    }

    public void Dispose()
    {
        if (_disposed) return;
        _disposed = true;
        if (!_committed)
        {
            try { _file.Dispose(); } catch (IOException) { }
            TryDelete(_tempPath);
        }
        _hashing.DisposeHash();
    }

    private static void TryDelete(string path)
    {
        try { File.Delete(path); }
        catch (IOException) { /* a leftover temp file is removed by the next startup sweep */ }
        catch (UnauthorizedAccessException) { }
    }

    /// <summary>Pass-through write stream that hashes and counts every byte on its way to the file.</summary>
    private sealed class HashingStream(Stream inner) : Stream
    {
        private readonly IncrementalHash _hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);

        public long Bytes { get; private set; }

        public string HashHex() => Convert.ToHexStringLower(_hash.GetCurrentHash());

        public void DisposeHash() => _hash.Dispose();

        public override void Write(ReadOnlySpan<byte> buffer)
        {
            _hash.AppendData(buffer);
            inner.Write(buffer);
            Bytes += buffer.Length;
        }

        public override void Write(byte[] buffer, int offset, int count) => Write(buffer.AsSpan(offset, count));

        public override async ValueTask WriteAsync(ReadOnlyMemory<byte> buffer, CancellationToken cancellationToken = default)
        {
            _hash.AppendData(buffer.Span);
            await inner.WriteAsync(buffer, cancellationToken).ConfigureAwait(false);
            Bytes += buffer.Length;
        }

        public override Task WriteAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) =>
            WriteAsync(buffer.AsMemory(offset, count), cancellationToken).AsTask();

        public override void Flush() => inner.Flush();
        public override Task FlushAsync(CancellationToken cancellationToken) => inner.FlushAsync(cancellationToken);
        public override bool CanRead => false;
        public override bool CanSeek => false;
        public override bool CanWrite => true;
        public override long Length => Bytes;
        public override long Position { get => Bytes; set => throw new NotSupportedException(); }
        public override int Read(byte[] buffer, int offset, int count) => throw new NotSupportedException();
        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();
        public override void SetLength(long value) => throw new NotSupportedException();
    }
}
