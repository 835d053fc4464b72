using System.Text.Json;
using System.Text.Json.Nodes;

namespace SwanLab.Crawler.Backup;

/// <summary>
/// The checkpoint as an append-only JSON Lines file in the backup's private state folder
/// (<see cref="BackupLayout.CheckpointFile"/>). Each <see cref="RecordAsync"/> appends one line and fsyncs before it
/// returns; <see cref="LoadAsync"/> keeps the latest line per unit path and ignores a line torn by a crash mid-append.
/// </summary>
/// <remarks>
/// Unit paths: "workspace/project/run-id" for runs; the same store also accepts "workspace" and "workspace/project"
/// for the workspace.json / project.json units, so they too survive a resume. Keyed by path only, so a shared store
/// (for a cluster) can replace this one. Only entries are written: no settings, no credentials. Error texts pass
/// through <see cref="Redact"/> with any secrets given to the constructor, as a second line of defence.
/// Line format 2 adds a run's <see cref="RunContent"/> (<c>"content": {"format","sample","logs","media","points"}</c>);
/// lines of format 1 still load, with no content, which makes a resume export such a run again (what it holds is
/// unknown). A tool that only knows format 1 skips format-2 lines, i.e. exports those runs again: never the wrong way.
/// <see cref="LoadAsync"/> also reads the units the last verify reported (<see cref="SuspectUnits"/>).
/// </remarks>
public sealed class FileCheckpointStore : ICheckpointStore, IAsyncDisposable
{
    private const int FormatVersion = 2;
    private const int OldestReadableVersion = 1;

    private readonly string _path;
    private readonly BackupLayout _layout;
    private readonly IReadOnlyList<string> _secrets;
    private readonly SemaphoreSlim _gate = new(1, 1);
    private FileStream? _append;

    public FileCheckpointStore(BackupLayout layout, IEnumerable<string>? secrets = null)
    {
        ArgumentNullException.ThrowIfNull(layout);
        _path = layout.CheckpointFile;
        _layout = layout;
        _secrets = (secrets ?? []).Where(s => !string.IsNullOrEmpty(s)).ToArray();
    }

    /// <summary>Lines <see cref="LoadAsync"/> could not read (a torn final line after a crash, normally 0 or 1).</summary>
    public int SkippedLines { get; private set; }

    public async Task<CheckpointState> LoadAsync(CancellationToken ct)
    {
        await _gate.WaitAsync(ct).ConfigureAwait(false);
        try
        {
            var runs = new Dictionary<string, CheckpointEntry>(StringComparer.Ordinal);
            SkippedLines = 0;
            var suspects = await SuspectUnits.ReadAsync(_layout, ct).ConfigureAwait(false);
            if (!File.Exists(_path)) return new CheckpointState(runs) { Suspects = suspects };
            using var reader = new StreamReader(new FileStream(_path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite | FileShare.Delete));
            while (await reader.ReadLineAsync(ct).ConfigureAwait(false) is { } line)
            {
                if (line.Length == 0) continue;
                if (TryParse(line) is { } entry) runs[entry.RunPath] = entry;
                else SkippedLines++;
            }
            return new CheckpointState(runs) { Suspects = suspects };
        }
        finally { _gate.Release(); }
    }

    public async Task RecordAsync(CheckpointEntry entry, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(entry);
        var line = CanonicalJson.SerializeLine(ToJson(entry));
        await _gate.WaitAsync(ct).ConfigureAwait(false);
        try
        {
            var stream = await OpenForAppendAsync(ct).ConfigureAwait(false);
            var bytes = new byte[line.Length + 1];
            line.CopyTo(bytes, 0);
            bytes[^1] = (byte)'\n';
            // One write of the whole line: a crash tears at most this line, which LoadAsync then skips.
            await stream.WriteAsync(bytes, ct).ConfigureAwait(false);
            stream.Flush(flushToDisk: true);
        }
        finally { _gate.Release(); }
    }

    public async Task ResetAsync(CancellationToken ct)
    {
        await _gate.WaitAsync(ct).ConfigureAwait(false);
        try
        {
            if (_append is not null)
            {
                await _append.DisposeAsync().ConfigureAwait(false);
                _append = null;
            }
            // The discovery log is crawl state too: a restart re-discovers.
            var discovery = Path.Combine(Path.GetDirectoryName(_path)!, DiscoveryLog.FileName);
            if (File.Exists(discovery)) File.Delete(discovery);
            await SuspectUnits.WriteAsync(_layout, [], ct).ConfigureAwait(false);
            if (File.Exists(_path))
            {
                File.Delete(_path);
                AtomicFile.FsyncDirectory(Path.GetDirectoryName(_path)!);
            }
        }
        finally { _gate.Release(); }
    }

    public async ValueTask DisposeAsync()
    {
        if (_append is not null) await _append.DisposeAsync().ConfigureAwait(false);
        _append = null;
        _gate.Dispose();
    }

    /// <summary>Replaces every secret in <paramref name="text"/> by <c>***</c>.</summary>
    public string? Redact(string? text)
    {
        if (text is null) return null;
        foreach (var secret in _secrets) text = text.Replace(secret, "***", StringComparison.Ordinal);
        return text;
    }

    private async Task<FileStream> OpenForAppendAsync(CancellationToken ct)
    {
        if (_append is not null) return _append;
        var directory = Path.GetDirectoryName(_path)!;
        Directory.CreateDirectory(directory);
        var existed = File.Exists(_path);
        var stream = new FileStream(_path, FileMode.OpenOrCreate, FileAccess.ReadWrite, FileShare.Read);
        if (stream.Length > 0)
        {
            // A crash may have torn the last line; start ours on a fresh line so only the torn one is lost.
            stream.Seek(-1, SeekOrigin.End);
            var last = new byte[1];
            await stream.ReadExactlyAsync(last, ct).ConfigureAwait(false);
            if (last[0] != (byte)'\n') stream.Write("\n"u8);
        }
        stream.Seek(0, SeekOrigin.End);
        if (!existed)
        {
            stream.Flush(flushToDisk: true);
            AtomicFile.FsyncDirectory(directory);
        }
        _append = stream;
        return stream;
    }

    private JsonObject ToJson(CheckpointEntry entry)
    {
        var files = new JsonArray();
        foreach (var f in entry.Files.OrderBy(f => f.RelativePath, StringComparer.Ordinal))
            files.Add(new JsonObject { ["path"] = f.RelativePath, ["bytes"] = f.Bytes, ["sha256"] = f.Sha256 });
        return new JsonObject
        {
            ["v"] = FormatVersion,
            ["path"] = entry.RunPath,
            ["status"] = entry.Status == UnitStatus.Done ? "done" : "failed",
            ["fingerprint"] = entry.Fingerprint,
            ["files"] = files,
            ["errorKind"] = Redact(entry.ErrorKind),
            ["error"] = Redact(entry.Error),
            ["attempts"] = entry.Attempts,
            ["content"] = entry.Content is { } c
                ? new JsonObject
                {
                    ["format"] = c.Format.Name(), ["sample"] = c.Sample, ["logs"] = c.Logs, ["media"] = c.Media,
                    ["points"] = c.Points,
                }
                : null,
        };
    }

    private static CheckpointEntry? TryParse(string line)
    {
        try
        {
            using var doc = JsonDocument.Parse(line);
            var root = doc.RootElement;
            var version = root.GetProperty("v").GetInt32();
            if (version is < OldestReadableVersion or > FormatVersion) return null;
            var status = root.GetProperty("status").GetString() switch
            {
                "done" => UnitStatus.Done,
                "failed" => UnitStatus.Failed,
                _ => (UnitStatus?)null,
            };
            if (status is null) return null;
            var files = new List<WrittenFile>();
            foreach (var f in root.GetProperty("files").EnumerateArray())
                files.Add(new WrittenFile(f.GetProperty("path").GetString()!, f.GetProperty("bytes").GetInt64(),
                    f.GetProperty("sha256").GetString()!));
            return new CheckpointEntry(
                root.GetProperty("path").GetString()!,
                status.Value,
                root.GetProperty("fingerprint").GetString()!,
                files,
                root.GetProperty("errorKind").GetString(),
                root.GetProperty("error").GetString(),
                root.GetProperty("attempts").GetInt32()) { Content = ParseContent(root) };
        }
        catch (Exception e) when (e is JsonException or KeyNotFoundException or InvalidOperationException or FormatException)
        {
            return null;
        }
    }

    private static RunContent? ParseContent(JsonElement root)
    {
        if (!root.TryGetProperty("content", out var c) || c.ValueKind != JsonValueKind.Object) return null;
        if (!SeriesFormatNames.TryParse(c.GetProperty("format").GetString(), out var format)) return null;
        var sample = c.GetProperty("sample");
        return new RunContent(format, sample.ValueKind == JsonValueKind.Null ? null : sample.GetInt32(),
            c.GetProperty("logs").GetBoolean(), c.GetProperty("media").GetBoolean(), c.GetProperty("points").GetInt64());
    }
}
