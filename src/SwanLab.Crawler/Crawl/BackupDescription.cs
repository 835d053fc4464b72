using SwanLab.Crawler.Backup;

namespace SwanLab.Crawler.Crawl;

/// <summary>
/// Builds backup.json for the whole backup from the checkpoint (every export since the folder was started or last
/// --restart), the discovery log (runs ever selected) and the recorded scope (sources, selections).
/// </summary>
public static class BackupDescription
{
    public static async Task<BackupInfo> DescribeAsync(BackupLayout layout, BackupSummary summary,
        IReadOnlyList<WrittenFile> manifest, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(layout);
        ArgumentNullException.ThrowIfNull(summary);
        ArgumentNullException.ThrowIfNull(manifest);
        var failedRuns = summary.Failures.Select(f => f.RunPath).Where(BackupContents.IsRun).ToHashSet(StringComparer.Ordinal);
        var done = summary.Checkpoint.Runs.Values
            .Where(e => BackupContents.IsRun(e.RunPath) && e.Status == UnitStatus.Done && !failedRuns.Contains(e.RunPath))
            .ToList();
        var discovered = await new DiscoveryLog(layout).ReadAsync(ct);
        var units = summary.Checkpoint.Runs.Keys.Concat(discovered).Concat(summary.Failures.Select(f => f.RunPath))
            .ToHashSet(StringComparer.Ordinal);
        var runs = units.Count(BackupContents.IsRun);

        var contents = new List<RunContent>();
        foreach (var entry in done)
            if ((entry.Content ?? await ContentFromIndexAsync(layout, entry.RunPath, ct)) is { } content) contents.Add(content);
        var series = contents
            .GroupBy(c => (c.Format, c.Sample))
            .Select(g => new SeriesVariant(g.Key.Format, g.Key.Sample, g.Count()))
            .OrderBy(v => v.Format).ThenBy(v => v.Sample is null ? 0 : 1).ThenBy(v => v.Sample)
            .ToList();
        var counts = new BackupCounts(
            units.Select(u => u.Split('/')[0]).Distinct(StringComparer.Ordinal).Count(),
            units.Where(u => u.Contains('/', StringComparison.Ordinal)).Select(ProjectOf).Distinct(StringComparer.Ordinal).Count(),
            runs, done.Count, failedRuns.Count, contents.Sum(c => c.Points), manifest.Count)
        {
            RunsWithoutLogs = done.Count(e => e.Content is { Logs: false }),
            RunsWithoutMedia = done.Count(e => e.Content is { Media: false }),
        };

        var complete = summary.Complete && summary.Failures.Count == 0 && counts.RunsLeft == 0 && AllOnDisk(layout, manifest);
        var scope = await ReadScopeAsync(layout, ct) ?? new BackupScope([summary.Source], []);
        return new BackupInfo
        {
            Source = scope.Sources.Count > 0 ? scope.Sources[0] : summary.Source,
            OtherSources = scope.Sources.Skip(1).OrderBy(s => s.Host, StringComparer.Ordinal).ThenBy(s => s.User, StringComparer.Ordinal).ToList(),
            StartedUtc = summary.StartedUtc,
            FinishedUtc = summary.FinishedUtc,
            Counts = counts,
            Series = series,
            Selections = scope.Selections,
            Complete = complete,
        };
    }

    /// <summary>
    /// As an export starts: a backup.json that says complete is rewritten to say not complete, since the export is
    /// about to change files; the export's end writes the real description. An interrupted export so never leaves
    /// "complete": true behind over files it half replaced.
    /// </summary>
    public static async Task MarkUnfinishedAsync(BackupLayout layout, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(layout);
        BackupInfo? info;
        try { info = await BackupInfo.ReadAsync(layout, ct); }
        catch (FormatException) { return; }
        if (info is { Complete: true }) await (info with { Complete = false }).WriteAsync(layout, ct);
    }

    /// <summary>Complete means every recorded file is there with its size (a re-hash is verify's job).</summary>
    private static bool AllOnDisk(BackupLayout layout, IReadOnlyList<WrittenFile> files) =>
        files.All(f =>
        {
            var info = new FileInfo(layout.FullPath(f.RelativePath));
            return info.Exists && info.Length == f.Bytes;
        });

    /// <summary>
    /// An entry recorded before runs carried their content: what its own index.json says (logs/media unknown, so not
    /// counted as missing); null when that cannot be read either (the run then counts in no series entry).
    /// </summary>
    private static async Task<RunContent?> ContentFromIndexAsync(BackupLayout layout, string runPath, CancellationToken ct)
    {
        try
        {
            var index = await MetricsIndex.ReadAsync(layout.MetricsIndexFile(runPath), ct);
            return new RunContent(index.Format, index.Sample, Logs: true, Media: true, index.Series.Sum(s => s.Points));
        }
        catch (Exception e) when (e is IOException or FormatException or UnauthorizedAccessException)
        {
            return null;
        }
    }

    private static async Task<BackupScope?> ReadScopeAsync(BackupLayout layout, CancellationToken ct)
    {
        try { return await BackupScope.ReadAsync(layout, ct); }
        catch (FormatException) { return null; }
    }

    private static string ProjectOf(string unit)
    {
        var parts = unit.Split('/');
        return parts[0] + "/" + parts[1];
    }
}

/// <summary>How a crawl's source is named in backup.json and compared with the folder's earlier exports.</summary>
public static class BackupSources
{
    public static BackupSource Of(Source.SourceIdentity identity, CrawlSettings settings)
    {
        ArgumentNullException.ThrowIfNull(identity);
        ArgumentNullException.ThrowIfNull(settings);
        return new BackupSource(settings.DemoSource ? BackupSource.DemoHost : identity.Host.TrimEnd('/'), identity.Username);
    }
}
