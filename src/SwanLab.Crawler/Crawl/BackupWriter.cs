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
        var written = await index.WriteAsync(layout, runPath, ct);
        RemoveSeriesFilesNotIn(runPath, index);
        return written;
    }

    /// <summary>
    /// Once the new index is durable, series files it does not name are leftovers of an earlier export of the run (in
    /// another format, or a series the server no longer has); keeping them would make the folder differ from a fresh
    /// export and show duplicates next to the real files.
    /// </summary>
    private void RemoveSeriesFilesNotIn(string runPath, MetricsIndex index)
    {
        var directory = layout.MetricsDirectory(runPath);
        if (!Directory.Exists(directory)) return;
        var named = index.Series.Select(e => e.File).ToHashSet(StringComparer.Ordinal);
        var removed = false;
        foreach (var file in Directory.EnumerateFiles(directory))
        {
            var name = Path.GetFileName(file);
            if (named.Contains(name) || name.StartsWith(AtomicFile.TempPrefix, StringComparison.Ordinal)) continue;
            if (!Enum.GetValues<SeriesFormat>().Any(f => name.EndsWith(BackupLayout.SeriesExtension(f), StringComparison.Ordinal))) continue;
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

    public async Task FinishAsync(BackupSummary summary, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(summary);
        await ErrorsWriter.WriteAsync(layout, summary.Failures, ct);
        // The manifest reuses the sizes and hashes recorded as files were written and hashes the rest from disk.
        var written = new CheckpointEntry("", UnitStatus.Done, "", summary.Files, null, null, 0);
        var failedRuns = FailedRunFolders.Of(layout, summary.Failures.Select(f => f.RunPath));
        var files = (await ManifestWriter.BuildAsync(layout,
                new CheckpointState(new Dictionary<string, CheckpointEntry> { [""] = written }), ct))
            .Where(f => !FailedRunFolders.Contains(failedRuns, f.RelativePath))
            .ToList();
        await ManifestWriter.WriteAsync(layout, files, ct);
        var counts = new BackupCounts(summary.Workspaces, summary.Projects, summary.Runs, summary.Runs - summary.RunsFailed,
            summary.RunsFailed, summary.Points, files.Count);
        var unavailable = await UnavailableReadsAsync(summary, ct);
        await new BackupInfo(summary.Source.Host, summary.Source.Username, BackupInfo.CurrentToolVersion, summary.StartedUtc,
            summary.FinishedUtc, counts, summary.Format, summary.Sample, summary.Complete) { Unavailable = unavailable }.WriteAsync(layout, ct);
    }
}
