using System.Collections.Concurrent;
using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using SwanLab.Crawler.Backup;
using SwanLab.Crawler.Crawl;
using SwanLab.Crawler.Source;

namespace SwanLab.Crawler.Tests.Actors;

/// <summary>
/// A plain stand-in for the real backup writer: real files under a temp folder, written temp-then-rename,
/// so specs can check what is on disk and when. Not the backup format (that is Backup/'s).
/// </summary>
public sealed class TestBackupWriter(string root, ConcurrencyTracker? runs = null) : IBackupWriter
{
    public string Root { get; } = root;
    public bool Finished { get; private set; }
    public BackupSummary? Summary { get; private set; }
    /// <summary>Runs whose run.json write fails this many more times.</summary>
    public ConcurrentDictionary<string, int> FailRunJson { get; } = new();

    private static string Escape(string name) => Uri.EscapeDataString(name);

    private string RunDir(string runPath) => Path.Combine(runPath.Split('/').Select(Escape).ToArray());

    public Task<WrittenFile> WriteWorkspaceAsync(WorkspaceInfo workspace, CancellationToken ct) =>
        WriteAsync(Path.Combine(Escape(workspace.Username), "workspace.json"), workspace.Raw.GetRawText(), ct);

    public Task<WrittenFile> WriteProjectAsync(ProjectInfo project, CancellationToken ct) =>
        WriteAsync(Path.Combine(Escape(project.Workspace), Escape(project.Name), "project.json"), project.Raw.GetRawText(), ct);

    public Task<WrittenFile> WriteRunAsync(RunDetail run, CancellationToken ct)
    {
        if (FailRunJson.TryGetValue(run.Path, out var left) && left > 0)
        {
            FailRunJson[run.Path] = left - 1;
            throw new IOException("disk full (scripted)");
        }
        return WriteAsync(Path.Combine(RunDir(run.Path), "run.json"), run.Raw.GetRawText(), ct);
    }

    public ISeriesSink OpenSeries(string runPath, string key, SeriesFormat format) =>
        new TestSeriesSink(Root, Path.Combine(RunDir(runPath), "metrics", Escape(key) + ".csv"));

    public async Task<WrittenFile> WriteSeriesIndexAsync(string runPath, IReadOnlyList<SeriesIndexEntry> series, CancellationToken ct)
    {
        var json = JsonSerializer.Serialize(series.Select(s => new { s.Key, s.File.RelativePath, s.File.Points, s.File.LastStep }));
        var file = await WriteAsync(Path.Combine(RunDir(runPath), "metrics", "index.json"), json, ct);
        runs?.Leave(runPath);
        return file;
    }

    public async Task<WrittenFile?> WriteLogsAsync(string runPath, IAsyncEnumerable<LogLine> lines, CancellationToken ct)
    {
        var text = new StringBuilder();
        await foreach (var line in lines.WithCancellation(ct)) text.Append(line.Raw.GetRawText()).Append('\n');
        return text.Length == 0 ? null : await WriteAsync(Path.Combine(RunDir(runPath), "logs.jsonl"), text.ToString(), ct);
    }

    public ConcurrentQueue<string> Discovered { get; } = new();

    public Task<string?> FindDamageAsync(IReadOnlyList<WrittenFile> files, bool rehash, CancellationToken ct)
    {
        foreach (var file in files)
        {
            var full = Path.Combine(Root, file.RelativePath);
            if (!File.Exists(full)) return Task.FromResult<string?>($"{file.RelativePath} is missing");
            var onDisk = DescribeOnDisk(Root, file.RelativePath);
            if (onDisk.Bytes != file.Bytes || (rehash && onDisk.Sha256 != file.Sha256))
                return Task.FromResult<string?>($"{file.RelativePath} changed");
        }
        return Task.FromResult<string?>(null);
    }

    public ConcurrentQueue<string> Removed { get; } = new();

    public Task RemoveFilesAsync(IReadOnlyList<string> relativePaths, CancellationToken ct)
    {
        foreach (var relative in relativePaths)
        {
            Removed.Enqueue(relative);
            File.Delete(Path.Combine(Root, relative));
        }
        return Task.CompletedTask;
    }

    public Task RecordDiscoveryAsync(IReadOnlyList<string> runPaths, CancellationToken ct)
    {
        foreach (var path in runPaths) Discovered.Enqueue(path);
        return Task.CompletedTask;
    }

    public async Task<WrittenFile> WriteMediaAsync(string runPath, MediaItem item, Func<Stream, CancellationToken, Task> download, CancellationToken ct)
    {
        var relative = Path.Combine(RunDir(runPath), "media", Escape(item.Key), item.Step.ToString(CultureInfo.InvariantCulture) + ".bin");
        var full = Path.Combine(Root, relative);
        Directory.CreateDirectory(Path.GetDirectoryName(full)!);
        var temp = full + ".tmp";
        try
        {
            await using (var stream = File.Create(temp)) await download(stream, ct);
            File.Move(temp, full, overwrite: true);
        }
        finally
        {
            File.Delete(temp);
        }
        return Describe(relative);
    }

    public Task FinishAsync(BackupSummary summary, CancellationToken ct)
    {
        Summary = summary;
        Finished = true;
        return Task.CompletedTask;
    }

    private async Task<WrittenFile> WriteAsync(string relative, string text, CancellationToken ct)
    {
        var full = Path.Combine(Root, relative);
        Directory.CreateDirectory(Path.GetDirectoryName(full)!);
        var temp = full + ".tmp";
        try
        {
            await File.WriteAllTextAsync(temp, text, ct);
            File.Move(temp, full, overwrite: true);
        }
        finally
        {
            File.Delete(temp);
        }
        return Describe(relative);
    }

    private WrittenFile Describe(string relative)
    {
        var bytes = File.ReadAllBytes(Path.Combine(Root, relative));
        return new WrittenFile(relative.Replace('\\', '/'), bytes.Length, Convert.ToHexStringLower(SHA256.HashData(bytes)));
    }

    public static WrittenFile DescribeOnDisk(string root, string relative)
    {
        var bytes = File.ReadAllBytes(Path.Combine(root, relative));
        return new WrittenFile(relative, bytes.Length, Convert.ToHexStringLower(SHA256.HashData(bytes)));
    }
}

public sealed class TestSeriesSink : ISeriesSink
{
    private readonly string _root;
    private readonly string _relative;
    private readonly string _temp;
    private readonly StreamWriter _writer;
    private long _points;
    private long? _first, _last;
    private bool _completed;

    public TestSeriesSink(string root, string relative)
    {
        _root = root;
        _relative = relative;
        var full = Path.Combine(root, relative);
        Directory.CreateDirectory(Path.GetDirectoryName(full)!);
        _temp = full + ".tmp";
        _writer = new StreamWriter(File.Create(_temp));
        _writer.Write("step,value,timestamp\n");
    }

    public async ValueTask WriteAsync(SeriesPoint point, CancellationToken ct)
    {
        await _writer.WriteAsync(string.Create(CultureInfo.InvariantCulture, $"{point.Step},{point.Value:R},{point.TimestampMs}\n"));
        _points++;
        _first ??= point.Step;
        _last = point.Step;
    }

    public async Task<SeriesFileInfo> CompleteAsync(CancellationToken ct)
    {
        await _writer.FlushAsync(ct);
        await _writer.DisposeAsync();
        File.Move(_temp, Path.Combine(_root, _relative), overwrite: true);
        _completed = true;
        var file = TestBackupWriter.DescribeOnDisk(_root, _relative);
        return new SeriesFileInfo(file.RelativePath.Replace('\\', '/'), _points, _first, _last, file.Bytes, file.Sha256);
    }

    public async ValueTask DisposeAsync()
    {
        if (_completed) return;
        await _writer.DisposeAsync();
        File.Delete(_temp);
    }
}

/// <summary>
/// Checkpoint in memory that checks, at the moment a Done entry is recorded, that each file it lists is on disk
/// with exactly the recorded size and hash: the checkpoint-after-write rule.
/// </summary>
public sealed class VerifyingCheckpointStore(string root) : ICheckpointStore
{
    private readonly ConcurrentDictionary<string, CheckpointEntry> _latest = new();
    public ConcurrentQueue<CheckpointEntry> Recorded { get; } = new();
    public ConcurrentQueue<string> Violations { get; } = new();
    public int Resets { get; private set; }

    public Task<CheckpointState> LoadAsync(CancellationToken ct) =>
        Task.FromResult(new CheckpointState(new Dictionary<string, CheckpointEntry>(_latest)));

    public Task RecordAsync(CheckpointEntry entry, CancellationToken ct)
    {
        if (entry.Status == UnitStatus.Done)
        {
            if (entry.Files.Count == 0) Violations.Enqueue($"{entry.RunPath}: Done without files");
            foreach (var file in entry.Files)
            {
                var full = Path.Combine(root, file.RelativePath);
                if (!File.Exists(full)) Violations.Enqueue($"{entry.RunPath}: {file.RelativePath} missing");
                else if (TestBackupWriter.DescribeOnDisk(root, file.RelativePath) is var onDisk
                         && (onDisk.Bytes != file.Bytes || onDisk.Sha256 != file.Sha256))
                    Violations.Enqueue($"{entry.RunPath}: {file.RelativePath} differs from what was recorded");
            }
        }
        _latest[entry.RunPath] = entry;
        Recorded.Enqueue(entry);
        return Task.CompletedTask;
    }

    public Task ResetAsync(CancellationToken ct)
    {
        _latest.Clear();
        Resets++;
        return Task.CompletedTask;
    }
}
