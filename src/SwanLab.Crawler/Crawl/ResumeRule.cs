using SwanLab.Crawler.Backup;
using SwanLab.Crawler.Source;

namespace SwanLab.Crawler.Crawl;

/// <summary>Why a resume exports a run again, or that it may skip it once its files check out.</summary>
public enum ResumeVerdict
{
    /// <summary>Done, unchanged, holding at least what the settings ask for: skip it if its files match the record.</summary>
    SkipIfIntact,
    NotExported,
    Failed,
    Running,
    ChangedOnServer,
    /// <summary>Recorded before the checkpoint said what a run holds: unknown, so exported again.</summary>
    ContentUnknown,
    /// <summary>Another series format or sample size than asked for.</summary>
    OtherSeriesForm,
    /// <summary>Exported without logs or media that the settings now ask for.</summary>
    HoldsLess,
    /// <summary>--refetch.</summary>
    Refetch,
}

/// <summary>When resuming may skip a run without fetching anything of it.</summary>
public static class ResumeRule
{
    /// <summary>
    /// A run may be skipped when the checkpoint holds it Done with the same fingerprint (state|finishedAt), it is not
    /// RUNNING (unless its source vouches for its content: <see cref="RunSummary.ContentFingerprint"/>), it was written in the series format and sample size asked for now, and it holds logs and media if
    /// they are asked for (holding more than asked is fine: --no-logs keeps the logs a run already has), and no
    /// --refetch. Even then its files are checked against the record first (<see cref="RehashFiles"/>).
    /// </summary>
    public static ResumeVerdict Judge(CheckpointState state, RunSummary run, CrawlSettings settings, out CheckpointEntry? entry)
    {
        ArgumentNullException.ThrowIfNull(state);
        ArgumentNullException.ThrowIfNull(run);
        ArgumentNullException.ThrowIfNull(settings);
        if (!state.Runs.TryGetValue(run.Path, out entry)) return ResumeVerdict.NotExported;
        if (settings.Refetch) return ResumeVerdict.Refetch;
        if (entry.Status != UnitStatus.Done) return ResumeVerdict.Failed;
        if (string.Equals(run.State, "RUNNING", StringComparison.OrdinalIgnoreCase) && run.ContentFingerprint is null) return ResumeVerdict.Running;
        if (!string.Equals(entry.Fingerprint, run.Fingerprint, StringComparison.Ordinal)) return ResumeVerdict.ChangedOnServer;
        if (entry.Content is not { } content) return ResumeVerdict.ContentUnknown;
        if (content.Format != settings.Format || content.Sample != settings.Sample) return ResumeVerdict.OtherSeriesForm;
        if ((settings.IncludeLogs && !content.Logs) || (settings.IncludeMedia && !content.Media)) return ResumeVerdict.HoldsLess;
        return ResumeVerdict.SkipIfIntact;
    }

    /// <summary>Whether a skippable run's files are re-hashed (--verify-existing, or verify reported it) or only sized.</summary>
    public static bool RehashFiles(CheckpointState state, string runPath, CrawlSettings settings)
    {
        ArgumentNullException.ThrowIfNull(state);
        ArgumentNullException.ThrowIfNull(settings);
        return settings.VerifyExisting || state.Suspects.Contains(runPath);
    }

    /// <summary>What a run exported now with <paramref name="settings"/> holds.</summary>
    public static RunContent ContentOf(CrawlSettings settings, long points)
    {
        ArgumentNullException.ThrowIfNull(settings);
        return new RunContent(settings.Format, settings.Sample, settings.IncludeLogs, settings.IncludeMedia, points);
    }
}
