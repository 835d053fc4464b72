using System.Collections.Concurrent;

namespace SwanLab.Crawler.Backup;

/// <summary>What can be wrong with a backup.</summary>
public enum VerifyProblemKind
{
    /// <summary>The manifest lists a file that is not on disk.</summary>
    Missing,
    /// <summary>A file's size or sha256 differs from the manifest.</summary>
    Changed,
    /// <summary>
    /// A file on disk that the manifest does not list: not written by this tool, so not part of the backup; listed,
    /// left alone, and not a failure (<see cref="VerifyReport.Ok"/> ignores it).
    /// </summary>
    Extra,
    /// <summary>A manifest or index entry names a path outside the backup or not in canonical form.</summary>
    UnsafePath,
    /// <summary>A metrics/index.json or series file cannot be read.</summary>
    Malformed,
    /// <summary>A series file does not hold what its index.json says (point count, first or last step).</summary>
    SeriesMismatch,
    /// <summary>A series holds fewer points, or ends earlier, than the server reported for it.</summary>
    SeriesIncomplete,
}

/// <summary>One problem, with the backup-relative path it concerns.</summary>
public sealed record VerifyProblem(VerifyProblemKind Kind, string Path, string Detail)
{
    public override string ToString() => $"{Kind}: {Path}: {Detail}";
}

/// <summary>
/// Outcome of <see cref="BackupVerifier.VerifyAsync"/>. <see cref="Ok"/>: every file the manifest lists matches it
/// (files that are not part of the backup, <see cref="VerifyProblemKind.Extra"/>, are reported, not failed);
/// <see cref="Complete"/>: nothing selected is missing from the backup. <c>verify</c> passes only when both hold.
/// </summary>
public sealed record VerifyReport(string Root, BackupInfo? Info, int FilesChecked, long BytesChecked, int SeriesChecked,
    IReadOnlyList<VerifyProblem> Problems)
{
    /// <summary>Every file in the manifest is there and matches.</summary>
    public bool Ok => Problems.All(p => p.Kind == VerifyProblemKind.Extra);

    /// <summary>Files on disk the manifest does not list (not the tool's; never adopted, never deleted).</summary>
    public IReadOnlyList<VerifyProblem> Extras => Problems.Where(p => p.Kind == VerifyProblemKind.Extra).ToList();

    /// <summary>
    /// Why the backup is not complete, one line each (failed units, runs left, backup.json's <c>complete</c>, an export
    /// still running); empty when it is.
    /// </summary>
    public IReadOnlyList<string> Incomplete { get; init; } = [];

    public bool Complete => Incomplete.Count == 0;

    /// <summary>What <c>verify</c> exits 0 on.</summary>
    public bool Passed => Ok && Complete;
}

/// <summary>The folder is not a backup (no manifest.jsonl, or no backup.json and no checkpoint for status).</summary>
public sealed class NotABackupException(string message) : IOException(message);

/// <summary>
/// Checks a backup against itself: every file in manifest.jsonl re-hashed (missing / changed), every content file on
/// disk listed (extra), and every series checked against its run's metrics/index.json and what the server reported
/// (silent truncation is the failure this exists to catch). Then whether it is complete: backup.json present and
/// <c>complete</c>, errors.jsonl empty, no run failed or left in the checkpoint, no export writing right now.
/// Reads only: takes no lock and writes nothing, so it cannot disturb a running export (whose changes it may then
/// report, which is why a running export makes the backup count as not complete).
/// </summary>
public static class BackupVerifier
{
    public static async Task<VerifyReport> VerifyAsync(string root, CancellationToken ct)
    {
        var layout = new BackupLayout(root);
        if (!File.Exists(layout.ManifestFile))
            throw new NotABackupException(BackupLock.RunningWriter(layout) is { } writer
                ? $"'{layout.Root}' has no {BackupLayout.ManifestFileName} yet: an export is writing into it right now ({writer.Describe()}); verify again when it has finished."
                : File.Exists(layout.CheckpointFile)
                ? $"'{layout.Root}' holds an unfinished export (no {BackupLayout.ManifestFileName} yet); run export again to finish it."
                : $"'{layout.Root}' is not a SwanLab backup: it has no {BackupLayout.ManifestFileName}.");

        var problems = new ConcurrentBag<VerifyProblem>();
        BackupInfo? info = null;
        try { info = await BackupInfo.ReadAsync(layout, ct).ConfigureAwait(false); }
        catch (FormatException e) { problems.Add(new(VerifyProblemKind.Malformed, BackupLayout.BackupInfoFileName, e.Message)); }

        IReadOnlyList<WrittenFile> manifest;
        try { manifest = await ManifestWriter.ReadAsync(layout, ct).ConfigureAwait(false); }
        catch (FormatException e)
        {
            problems.Add(new(VerifyProblemKind.Malformed, BackupLayout.ManifestFileName, e.Message));
            return Report(layout, info, 0, 0, 0, problems);
        }

        var listed = new Dictionary<string, WrittenFile>(StringComparer.Ordinal);
        var safe = new List<(WrittenFile File, string Full)>();
        foreach (var file in manifest)
        {
            if (!listed.TryAdd(file.RelativePath, file))
            {
                problems.Add(new(VerifyProblemKind.Malformed, file.RelativePath, "listed twice in the manifest"));
                continue;
            }
            string full;
            try { full = layout.FullPath(file.RelativePath); }
            catch (UnsafePathException e)
            {
                problems.Add(new(VerifyProblemKind.UnsafePath, file.RelativePath, e.Message));
                continue;
            }
            safe.Add((file, full));
        }

        long bytes = 0;
        var checkedFiles = 0;
        await Parallel.ForEachAsync(safe, new ParallelOptions { CancellationToken = ct, MaxDegreeOfParallelism = Environment.ProcessorCount },
            async (item, c) =>
            {
                WrittenFile actual;
                try
                {
                    actual = await ManifestWriter.HashFileAsync(item.File.RelativePath, item.Full, c).ConfigureAwait(false);
                }
                catch (Exception e) when (e is FileNotFoundException or DirectoryNotFoundException)
                {
                    // Also when a running export replaces or removes the file between listing and hashing.
                    problems.Add(new(VerifyProblemKind.Missing, item.File.RelativePath, "listed in the manifest, not on disk"));
                    return;
                }
                Interlocked.Add(ref bytes, actual.Bytes);
                Interlocked.Increment(ref checkedFiles);
                if (actual.Bytes != item.File.Bytes)
                    problems.Add(new(VerifyProblemKind.Changed, item.File.RelativePath, $"{actual.Bytes} bytes, manifest says {item.File.Bytes}"));
                else if (!string.Equals(actual.Sha256, item.File.Sha256, StringComparison.OrdinalIgnoreCase))
                    problems.Add(new(VerifyProblemKind.Changed, item.File.RelativePath, $"sha256 {actual.Sha256}, manifest says {item.File.Sha256}"));
            }).ConfigureAwait(false);

        IReadOnlyList<string> failedRuns = [];
        try { failedRuns = FailedRunFolders.Of(layout, (await ErrorsWriter.ReadAsync(layout, ct).ConfigureAwait(false)).Select(f => f.Path)); }
        catch (Exception e) when (e is System.Text.Json.JsonException or KeyNotFoundException or InvalidOperationException or UnsafePathException)
        {
            problems.Add(new(VerifyProblemKind.Malformed, BackupLayout.ErrorsFileName, e.Message));
        }
        foreach (var full in ManifestWriter.EnumerateContentFiles(layout))
        {
            var relative = layout.RelativePath(full);
            if (!listed.ContainsKey(relative) && !FailedRunFolders.Contains(failedRuns, relative))
                problems.Add(new(VerifyProblemKind.Extra, relative, "on disk, not in the manifest"));
        }

        var series = 0;
        var indexes = safe.Where(f => f.File.RelativePath.EndsWith(
            "/" + BackupLayout.MetricsFolderName + "/" + BackupLayout.MetricsIndexFileName, StringComparison.Ordinal) && File.Exists(f.Full));
        await Parallel.ForEachAsync(indexes, new ParallelOptions { CancellationToken = ct, MaxDegreeOfParallelism = Environment.ProcessorCount },
            async (index, c) =>
            {
                var n = await CheckSeriesAsync(layout, index.File.RelativePath, index.Full, problems, c).ConfigureAwait(false);
                Interlocked.Add(ref series, n);
            }).ConfigureAwait(false);

        var report = Report(layout, info, checkedFiles, bytes, series, problems) with
        {
            Incomplete = await IncompleteAsync(layout, info, problems.Any(p => p.Path == BackupLayout.BackupInfoFileName), ct)
                .ConfigureAwait(false),
        };
        await SuspectUnits.RecordAsync(layout, report, ct).ConfigureAwait(false);
        return report;
    }

    /// <summary>One line per reason the backup is not complete, failures and left runs listed by path.</summary>
    private static async Task<IReadOnlyList<string>> IncompleteAsync(BackupLayout layout, BackupInfo? info, bool infoMalformed,
        CancellationToken ct)
    {
        var reasons = new List<string>();
        if (BackupLock.RunningWriter(layout) is { } writer)
            reasons.Add($"an export is writing into the folder right now: {writer.Describe()}; verify again when it has finished");
        if (info is null && !infoMalformed)
            reasons.Add($"no {BackupLayout.BackupInfoFileName}: the last export did not finish");
        else if (info is { Complete: false })
            reasons.Add($"{BackupLayout.BackupInfoFileName} says the backup is not complete (complete: false)");

        var failed = new SortedDictionary<string, string>(StringComparer.Ordinal);
        try
        {
            foreach (var f in await ErrorsWriter.ReadAsync(layout, ct).ConfigureAwait(false))
                failed[f.Path] = $"{f.Kind}: {f.Error}";
        }
        catch (Exception e) when (e is System.Text.Json.JsonException or KeyNotFoundException or InvalidOperationException)
        {
            // Already reported as a Malformed problem.
        }
        IReadOnlyList<string> left = [];
        if (File.Exists(layout.CheckpointFile))
        {
            var status = await BackupStatusReader.ReadAsync(layout.Root, ct).ConfigureAwait(false);
            foreach (var f in status.Failures)
                failed.TryAdd(f.RunPath, $"{f.ErrorKind ?? "unknown"}: {f.Error}");
            left = status.LeftRuns;
            if (status.LeftRuns.Count == 0 && status.Left is > 0)
                reasons.Add($"{status.Left} run(s) of the last export are not in the backup yet");
        }
        reasons.AddRange(failed.Select(f => $"failed: {f.Key} ({f.Value})"));
        reasons.AddRange(left.Select(path => $"left: {path} (found on the server, not exported yet)"));
        return reasons;
    }

    private static async Task<int> CheckSeriesAsync(BackupLayout layout, string indexRelative, string indexFull,
        ConcurrentBag<VerifyProblem> problems, CancellationToken ct)
    {
        MetricsIndex index;
        try { index = await MetricsIndex.ReadAsync(indexFull, ct).ConfigureAwait(false); }
        catch (Exception e) when (e is FileNotFoundException or DirectoryNotFoundException)
        {
            problems.Add(new(VerifyProblemKind.Missing, indexRelative, "listed in the manifest, not on disk"));
            return 0;
        }
        catch (FormatException e)
        {
            problems.Add(new(VerifyProblemKind.Malformed, indexRelative, e.Message));
            return 0;
        }

        var folder = indexRelative[..indexRelative.LastIndexOf('/')];
        var checkedSeries = 0;
        foreach (var entry in index.Series)
        {
            var relative = folder + "/" + entry.File;
            if (entry.File.Contains('/') || entry.File.Contains('\\') || entry.File is "" or "." or ".."
                || BackupLayout.IsPrivate(entry.File))
            {
                problems.Add(new(VerifyProblemKind.UnsafePath, indexRelative, $"series '{entry.Key}' names the file '{entry.File}'"));
                continue;
            }
            var full = layout.FullPath(relative);
            if (!File.Exists(full))
            {
                problems.Add(new(VerifyProblemKind.Missing, relative, $"series '{entry.Key}' is in {BackupLayout.MetricsIndexFileName}, its file is not on disk"));
                continue;
            }
            long points = 0;
            long? first = null, last = null;
            try
            {
                await foreach (var p in SeriesFileReader.ReadAsync(full, ct).ConfigureAwait(false))
                {
                    points++;
                    first ??= p.Step;
                    last = p.Step;
                }
            }
            catch (FormatException e)
            {
                problems.Add(new(VerifyProblemKind.Malformed, relative, e.Message));
                continue;
            }
            catch (Exception e) when (e is FileNotFoundException or DirectoryNotFoundException)
            {
                problems.Add(new(VerifyProblemKind.Missing, relative, $"series '{entry.Key}' is in {BackupLayout.MetricsIndexFileName}, its file is not on disk"));
                continue;
            }
            checkedSeries++;
            if (points != entry.Points || first != entry.FirstStep || last != entry.LastStep)
                problems.Add(new(VerifyProblemKind.SeriesMismatch, relative,
                    $"holds {points} points, steps {Show(first)}..{Show(last)}; index says {entry.Points} points, steps {Show(entry.FirstStep)}..{Show(entry.LastStep)}"));
            // LTTB keeps the first and last point, so even a sampled series must reach the server's last step.
            if (entry.ExpectedLastStep is { } expectedLast && last != expectedLast)
                problems.Add(new(VerifyProblemKind.SeriesIncomplete, relative, $"last step {Show(last)}, the server reported {expectedLast}"));
            if (entry.ExpectedPoints is { } expected)
            {
                var wrong = index.Sample is { } sample
                    ? points > sample || points > expected || (expected > 0 && points == 0)
                    : points != expected;
                if (wrong)
                    problems.Add(new(VerifyProblemKind.SeriesIncomplete, relative,
                        index.Sample is null
                            ? $"{points} points, the server reported {expected}"
                            : $"{points} points sampled (at most {index.Sample}) from the server's {expected}"));
            }
        }
        return checkedSeries;
    }

    private static string Show(long? step) => step?.ToString(System.Globalization.CultureInfo.InvariantCulture) ?? "none";

    private static VerifyReport Report(BackupLayout layout, BackupInfo? info, int files, long bytes, int series,
        IEnumerable<VerifyProblem> problems) =>
        new(layout.Root, info, files, bytes, series,
            problems.OrderBy(p => p.Path, StringComparer.Ordinal).ThenBy(p => p.Kind).ThenBy(p => p.Detail, StringComparer.Ordinal).ToList());
}
