namespace SwanLab.Crawler.Cli.Output;

/// <summary>Client retries and 429s: into the log, and on stderr under --verbose.</summary>
internal sealed class RequestLogger(CommandOutput output) : IRequestObserver
{
    public void OnRetry(SwanLab.Client.SwanLabRetryEvent retry)
    {
        var line = string.Create(System.Globalization.CultureInfo.InvariantCulture,
            $"retry {retry.Attempt + 1} of {retry.Endpoint} in {retry.Delay.TotalSeconds:0.0} s: {retry.Reason}");
        output.Log?.Warn(line);
        output.Detail(line);
    }

    public void OnRateLimited(SwanLab.Client.SwanLabRateLimitedEvent limited)
    {
        var line = $"429 on {limited.Endpoint}" + (limited.RetryAfter is { } wait
            ? string.Create(System.Globalization.CultureInfo.InvariantCulture, $" (Retry-After {wait.TotalSeconds:0.0} s)")
            : " (no Retry-After)");
        output.Log?.Warn(line);
        output.Detail(line);
    }
}
