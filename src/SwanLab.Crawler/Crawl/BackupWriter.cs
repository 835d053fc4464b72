using SwanLab.Crawler.Backup;
using SwanLab.Crawler.Source;

namespace SwanLab.Crawler.Crawl;

/// <summary>
/// <see cref="IBackupWriter"/> over the storage layer: paths from <see cref="BackupLayout"/> (safe names, never
/// outside the root), every file through <see cref="AtomicFile"/> (temp + fsync + rename), JSON in
/// <see cref="CanonicalJson"/> form, series through the CSV/JSONL/Parquet sinks. Stateless between calls.
/// </summary>
public sealed class BackupWriter(BackupLayout layout, SeriesFormat format, int? sample) : IBackupWriter
{
    public Task<WrittenFile> WriteWorkspaceAsync(WorkspaceInfo workspace, CancellationToken ct) =>
        AtomicFile.WriteAllBytesAsync(layout, layout.WorkspaceFile(workspace.Username), CanonicalJson.Serialize(workspace.Raw), ct);

    public Task<WrittenFile> WriteProjectAsync(ProjectInfo project, CancellationToken ct) =>
        AtomicFile.WriteAllBytesAsync(layout, layout.ProjectFile(project.Workspace, project.Name), CanonicalJson.Serialize(project.Raw), ct);

    public Task<WrittenFile> WriteRunAsync(RunDetail run, CancellationToken ct) =>
        AtomicFile.WriteAllBytesAsync(layout, layout.RunFile(run.Path), CanonicalJson.Serialize(run.Raw), ct);

    public ISeriesSink OpenSeries(string runPath, string key, SeriesFormat seriesFormat) =>
        SeriesSinks.Create(layout, runPath, key, seriesFormat);

    public Task<WrittenFile> WriteSeriesIndexAsync(string runPath, IReadOnlyList<SeriesIndexEntry> series, CancellationToken ct)
    {
        var index = new MetricsIndex(format, sample,
            series.Select(s => MetricsIndexEntry.From(new SeriesInfo(s.Key, s.ExpectedPoints, s.ExpectedLastStep), s.File)).ToList());
        return index.WriteAsync(layout, runPath, ct);
    }

    public async Task<WrittenFile?> WriteLogsAsync(string runPath, IAsyncEnumerable<LogLine> lines, CancellationToken ct)
    {
        var any = false;
        var file = await AtomicFile.WriteAsync(layout, layout.LogsFile(runPath), async (stream, c) =>
        {
            await foreach (var line in lines.WithCancellation(c))
            {
                any = true;
                await stream.WriteAsync(CanonicalJson.SerializeLine(line.Raw), c);
                await stream.WriteAsync("\n"u8.ToArray(), c);
            }
        }, ct);
        if (any) return file;
        // No lines: no logs.jsonl (an empty file would claim the server sent one).
        File.Delete(layout.LogsFile(runPath));
        return null;
    }

    public async Task<string?> FindDamageAsync(IReadOnlyList<WrittenFile> files, bool rehash, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(files);
        foreach (var file in files)
        {
            try
            {
                var full = layout.FullPath(file.RelativePath);
                var info = new FileInfo(full);
                if (!info.Exists) return $"{file.RelativePath} is missing";
                if (info.Length != file.Bytes) return $"{file.RelativePath} holds {info.Length} bytes, {file.Bytes} were written";
                if (!rehash) continue;
                var actual = await ManifestWriter.HashFileAsync(file.RelativePath, full, ct);
                if (!string.Equals(actual.Sha256, file.Sha256, StringComparison.OrdinalIgnoreCase))
                    return $"{file.RelativePath} changed since it was written (sha256 {actual.Sha256}, written {file.Sha256})";
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                return $"{file.RelativePath} cannot be read: {e.Message}";
            }
        }
        return null;
    }

    public Task RemoveFilesAsync(IReadOnlyList<string> relativePaths, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(relativePaths);
        var touched = new HashSet<string>(StringComparer.Ordinal);
        foreach (var relative in relativePaths)
        {
            ct.ThrowIfCancellationRequested();
            var full = layout.FullPath(relative);
            if (!File.Exists(full)) continue;
            File.Delete(full);
            touched.Add(Path.GetDirectoryName(full)!);
        }
        foreach (var directory in touched) RemoveEmptyFolders(directory);
        return Task.CompletedTask;
    }

    /// <summary>A folder emptied by removing our own files (media/&lt;key&gt;/ of a key the server dropped) goes too.</summary>
    private void RemoveEmptyFolders(string directory)
    {
        var current = directory;
        while (current.Length > layout.Root.Length && Directory.Exists(current) && !Directory.EnumerateFileSystemEntries(current).Any())
        {
            Directory.Delete(current);
            current = Path.GetDirectoryName(current)!;
        }
        if (Directory.Exists(current)) AtomicFile.FsyncDirectory(current);
    }

    public Task RecordDiscoveryAsync(IReadOnlyList<string> runPaths, CancellationToken ct) =>
        new DiscoveryLog(layout).RecordAsync(runPaths, ct);

    public Task<WrittenFile> WriteMediaAsync(string runPath, MediaItem item, Func<Stream, CancellationToken, Task> download,
        CancellationToken ct) =>
        AtomicFile.WriteAsync(layout, layout.MediaFile(runPath, item.Key, item.Step, item.ServerPath),
            async (stream, c) => await download(stream, c), ct);

    public async Task<WrittenFile?> WriteMediaIndexAsync(string runPath, IReadOnlyList<MediaItem> items, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(items);
        // No media: no media.jsonl (an empty file would claim the server listed some); one an earlier export
        // recorded goes with the run's other stale files.
        if (items.Count == 0) return null;
        var file = layout.MediaIndexFile(runPath);
        var runDirectory = layout.RunDirectory(runPath);
        var lines = new List<byte>();
        foreach (var item in items.OrderBy(i => i.Key, StringComparer.Ordinal).ThenBy(i => i.Step).ThenBy(i => i.ServerPath, StringComparer.Ordinal))
        {
            var line = new System.Text.Json.Nodes.JsonObject
            {
                ["caption"] = item.Caption,
                ["file"] = Path.GetRelativePath(runDirectory, layout.MediaFile(runPath, item.Key, item.Step, item.ServerPath)).Replace('\\', '/'),
                ["key"] = item.Key,
                ["kind"] = item.Kind,
                ["path"] = item.ServerPath,
                ["step"] = item.Step,
            };
            lines.AddRange(CanonicalJson.SerializeLine(line));
            lines.Add((byte)'\n');
        }
        return await AtomicFile.WriteAllBytesAsync(layout, file, lines.ToArray(), ct);
    }

    /// <summary>
    /// This export's unavailable reads plus the earlier backup.json's: a resumed export that skipped every run asked
    /// the server nothing, yet its runs still lack what the server did not offer then. An earlier entry goes only when
    /// this export found the read offered.
    /// </summary>
    private async Task<IReadOnlyList<UnavailableRead>> UnavailableReadsAsync(BackupSummary summary, CancellationToken ct)
    {
        var merged = summary.Unavailable.ToDictionary(u => u.Capability, StringComparer.Ordinal);
        BackupInfo? previous = null;
        try
        {
            previous = await BackupInfo.ReadAsync(layout, ct);
        }
        catch (Exception ex) when (ex is FormatException or IOException or UnauthorizedAccessException)
        {
            // An unreadable earlier backup.json is replaced below; only its record of unavailable reads is lost.
        }
        foreach (var earlier in previous?.Unavailable ?? [])
        {
            if (!summary.Offered.Contains(earlier.Capability, StringComparer.Ordinal))
                merged.TryAdd(earlier.Capability, earlier);
        }
        return merged.Values.OrderBy(u => u.Capability, StringComparer.Ordinal).ToList();
    }

    /// <summary>
    /// errors.jsonl, manifest.jsonl and (last) backup.json, all from the checkpoint's records: the manifest lists the
    /// files units recorded (as recorded, so damage since shows up in verify), never whatever else is on disk.
    /// </summary>
    public async Task FinishAsync(BackupSummary summary, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(summary);
        var errors = await ErrorsWriter.WriteAsync(layout, summary.Failures, ct);
        var files = summary.Files.Where(f => f.RelativePath != errors.RelativePath).Append(errors)
            .OrderBy(f => f.RelativePath, StringComparer.Ordinal).ToList();
        await ManifestWriter.WriteAsync(layout, files, ct);
        // The earlier backup.json is read before it is replaced: its unavailable reads carry over (see UnavailableReadsAsync).
        var info = await BackupDescription.DescribeAsync(layout, summary, files, ct) with { Unavailable = await UnavailableReadsAsync(summary, ct) };
        await SuspectUnits.WriteAsync(layout, summary.RemainingSuspects, ct);
        await info.WriteAsync(layout, ct);
    }
}
