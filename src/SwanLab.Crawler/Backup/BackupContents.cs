namespace SwanLab.Crawler.Backup;

/// <summary>
/// What the backup holds, derived from the checkpoint alone (never from what happens to be on disk): the files the
/// manifest lists and the units that failed. A file is part of the backup only when a unit recorded writing it.
/// </summary>
public static class BackupContents
{
    /// <summary>"workspace/project/run-id" (runs) as opposed to "workspace" and "workspace/project".</summary>
    public static bool IsRun(string unitPath)
    {
        ArgumentNullException.ThrowIfNull(unitPath);
        return unitPath.Count(c => c == '/') == 2;
    }

    /// <summary>
    /// Failed units: the checkpoint's (from any export into the folder) with this export's on top (a failure whose
    /// record could not be written, a crashed workspace), sorted by path.
    /// </summary>
    public static IReadOnlyList<CheckpointEntry> Failures(CheckpointState checkpoint, IEnumerable<CheckpointEntry> thisExport)
    {
        ArgumentNullException.ThrowIfNull(checkpoint);
        ArgumentNullException.ThrowIfNull(thisExport);
        var failures = checkpoint.Runs.Values.Where(e => e.Status == UnitStatus.Failed)
            .ToDictionary(e => e.RunPath, StringComparer.Ordinal);
        foreach (var failure in thisExport) failures[failure.RunPath] = failure;
        return failures.Values.OrderBy(e => e.RunPath, StringComparer.Ordinal).ToList();
    }

    /// <summary>
    /// Every file recorded by a unit that is part of the backup, sorted by path: Done units' files, and the files a
    /// workspace or project recorded before its listing failed. A failed run contributes nothing (what it fetched
    /// before failing is not trusted).
    /// </summary>
    public static IReadOnlyList<WrittenFile> Files(CheckpointState checkpoint, IReadOnlyList<CheckpointEntry> failures)
    {
        ArgumentNullException.ThrowIfNull(checkpoint);
        ArgumentNullException.ThrowIfNull(failures);
        var failedRuns = failures.Where(f => IsRun(f.RunPath)).Select(f => f.RunPath).ToHashSet(StringComparer.Ordinal);
        var files = new SortedDictionary<string, WrittenFile>(StringComparer.Ordinal);
        foreach (var entry in checkpoint.Runs.Values.OrderBy(e => e.RunPath, StringComparer.Ordinal))
        {
            if (IsRun(entry.RunPath) && (entry.Status != UnitStatus.Done || failedRuns.Contains(entry.RunPath))) continue;
            foreach (var file in entry.Files) files.TryAdd(file.RelativePath, file);
        }
        return files.Values.ToList();
    }
}
