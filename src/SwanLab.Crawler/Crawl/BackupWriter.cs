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

    public async Task<WrittenFile> WriteSeriesIndexAsync(string runPath, IReadOnlyList<SeriesIndexEntry> series, CancellationToken ct)
    {
        var index = new MetricsIndex(format, sample,
            series.Select(s => MetricsIndexEntry.From(new SeriesInfo(s.Key, s.ExpectedPoints, s.ExpectedLastStep), s.File)).ToList());
        var previous = await PreviousSeriesFilesAsync(runPath, ct);
        var written = await index.WriteAsync(layout, runPath, ct);
        RemoveSeriesFilesNotIn(runPath, index, previous);
        return written;
    }

    /// <summary>The series files the run's current index.json names (this tool wrote them); empty when there is none.</summary>
    private async Task<IReadOnlyList<string>> PreviousSeriesFilesAsync(string runPath, CancellationToken ct)
    {
        try
        {
            var old = await MetricsIndex.ReadAsync(layout.MetricsIndexFile(runPath), ct);
            return old.Series.Select(e => e.File).ToList();
        }
        catch (Exception ex) when (ex is IOException or FormatException or UnauthorizedAccessException)
        {
            return [];
        }
    }

    /// <summary>
    /// Once the new index is durable, series files the previous index named and the new one does not are leftovers
    /// of an earlier export of the run (in another format, or a series the server no longer has); keeping them would
    /// make the folder differ from a fresh export. Only files an index of this tool named are removed: a file
    /// someone else put into metrics/ is never deleted.
    /// </summary>
    private void RemoveSeriesFilesNotIn(string runPath, MetricsIndex index, IReadOnlyList<string> previous)
    {
        var directory = layout.MetricsDirectory(runPath);
        if (!Directory.Exists(directory)) return;
        var named = index.Series.Select(e => e.File).ToHashSet(StringComparer.Ordinal);
        var removed = false;
        foreach (var name in previous.Distinct(StringComparer.Ordinal))
        {
            if (named.Contains(name) || name.Contains('/') || name.Contains('\\') || name is "" or "." or "..") continue;
            var file = Path.Combine(directory, name);
            if (!File.Exists(file)) continue;
            File.Delete(file);
            removed = true;
        }
        if (removed) AtomicFile.FsyncDirectory(directory);
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

    public async Task<long?> CountPointsAsync(string runPath, CancellationToken ct)
    {
        try
        {
            var index = await MetricsIndex.ReadAsync(layout.MetricsIndexFile(runPath), ct);
            // Exported in another format or resolution: export it again as asked, or backup.json would misdescribe it.
            if (index.Format != format || index.Sample != sample) return null;
            return index.Series.Sum(s => s.Points);
        }
        catch (Exception ex) when (ex is IOException or FormatException or UnauthorizedAccessException)
        {
            return null;
        }
    }

    public Task RecordDiscoveryAsync(IReadOnlyList<string> runPaths, CancellationToken ct) =>
        new DiscoveryLog(layout).RecordAsync(runPaths, ct);

    public Task<WrittenFile> WriteMediaAsync(string runPath, MediaItem item, Func<Stream, CancellationToken, Task> download,
        CancellationToken ct) =>
        AtomicFile.WriteAsync(layout, layout.MediaFile(runPath, item.Key, item.Step, item.ServerPath),
            async (stream, c) => await download(stream, c), ct);

    public async Task FinishAsync(BackupSummary summary, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(summary);
        await ErrorsWriter.WriteAsync(layout, summary.Failures, ct);
        // The manifest reuses the sizes and hashes recorded as files were written and hashes the rest from disk.
        var written = new CheckpointEntry("", UnitStatus.Done, "", summary.Files, null, null, 0);
        var failedRuns = FailedRunFolders.Of(layout, summary.Failures.Select(f => f.RunPath));
        var foreign = BackupFolder.ForeignFiles(layout);
        var files = (await ManifestWriter.BuildAsync(layout,
                new CheckpointState(new Dictionary<string, CheckpointEntry> { [""] = written }), ct))
            .Where(f => !FailedRunFolders.Contains(failedRuns, f.RelativePath) && !foreign.Contains(f.RelativePath))
            .ToList();
        await ManifestWriter.WriteAsync(layout, files, ct);
        var counts = new BackupCounts(summary.Workspaces, summary.Projects, summary.Runs, summary.Runs - summary.RunsFailed,
            summary.RunsFailed, summary.Points, files.Count);
        await new BackupInfo(summary.Source.Host, summary.Source.Username, BackupInfo.CurrentToolVersion, summary.StartedUtc,
            summary.FinishedUtc, counts, summary.Format, summary.Sample, summary.Complete).WriteAsync(layout, ct);
    }
}
