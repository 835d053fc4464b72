namespace SwanLab.Crawler.Cli;

/// <summary>Exit codes scripts can rely on (documented in README.md).</summary>
public static class ExitCodes
{
    /// <summary>Everything asked for is in the backup.</summary>
    public const int Complete = 0;
    /// <summary>Finished, but some units failed; they are listed in errors.jsonl.</summary>
    public const int FinishedWithFailures = 1;
    /// <summary>Bad flags, bad config, or a backup folder that cannot be used.</summary>
    public const int UsageError = 2;
    /// <summary>The server rejected the credentials.</summary>
    public const int AuthenticationError = 3;
    /// <summary>Interrupted (Ctrl+C/SIGTERM); running export again resumes.</summary>
    public const int Interrupted = 130;
}
