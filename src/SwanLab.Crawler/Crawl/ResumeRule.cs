using System.Diagnostics.CodeAnalysis;
using SwanLab.Crawler.Backup;
using SwanLab.Crawler.Source;

namespace SwanLab.Crawler.Crawl;

/// <summary>When resuming may skip a run without fetching anything of it.</summary>
public static class ResumeRule
{
    /// <summary>Done in the checkpoint, same fingerprint (state|finishedAt), and not still RUNNING.</summary>
    public static bool IsUnchanged(CheckpointState state, RunSummary run, [NotNullWhen(true)] out CheckpointEntry? entry) =>
        state.Runs.TryGetValue(run.Path, out entry)
        && entry.Status == UnitStatus.Done
        && string.Equals(entry.Fingerprint, run.Fingerprint, StringComparison.Ordinal)
        && !string.Equals(run.State, "RUNNING", StringComparison.OrdinalIgnoreCase);
}
