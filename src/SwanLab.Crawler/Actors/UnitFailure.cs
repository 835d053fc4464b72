using System.Net.Http;
using System.Text.Json;
using SwanLab.Client;
using SwanLab.Crawler.Source;

namespace SwanLab.Crawler.Actors;

/// <summary>
/// Why a unit (workspace listing, project listing, run export, series) failed, in the words errors.jsonl uses.
/// Fatal failures stop the whole crawl because retrying them cannot help (the key was rejected).
/// </summary>
public sealed record UnitFailure(string Kind, string Message, bool Fatal)
{
    /// <summary>Whether another attempt could succeed: something that does not exist or is not ours will not appear.</summary>
    public bool Retryable => !Fatal && Kind is not ("not-found" or "forbidden" or "damaged" or "conflict" or "target" or "node-settings");

    public static UnitFailure From(Exception exception)
    {
        var ex = exception is AggregateException { InnerExceptions.Count: 1 } agg ? agg.InnerExceptions[0] : exception;
        return ex switch
        {
            SourceAuthenticationException or SwanLabAuthenticationException => new("auth", ex.Message, Fatal: true),
            SwanLabNotFoundException => new("not-found", ex.Message, false),
            SwanLabForbiddenException => new("forbidden", ex.Message, false),
            SwanLabRateLimitedException => new("rate-limited", ex.Message, false),
            SwanLabServerException => new("server", ex.Message, false),
            SwanLabProtocolException => new("malformed", ex.Message, false),
            SwanLabConnectionException => new("connection", ex.Message, false),
            SwanLabLogsIncompleteException => new("truncated", ex.Message, false),
            SwanLabNotSupportedException => new("not-supported", ex.Message, false),
            SwanLabException => new("swanlab", ex.Message, false),
            SeriesIncompleteException => new("truncated", ex.Message, false),
            BackupFileDamagedException => new("damaged", ex.Message, false),
            BackupEntryNotFoundException => new("not-found", ex.Message, false),
            Import.ImportConflictException => new("conflict", ex.Message, false),
            Import.ImportTargetException => new("target", ex.Message, false),
            OperationCanceledException => new("cancelled", ex.Message, false),
            TimeoutException => new("timeout", ex.Message, false),
            HttpRequestException => new("http", ex.Message, false),
            JsonException or FormatException => new("malformed", ex.Message, false),
            IOException or UnauthorizedAccessException => new("io", ex.Message, false),
            _ => new(ex.GetType().Name, ex.Message, false),
        };
    }
}

/// <summary>Exponential backoff between attempts of one unit, clamped to [min, max].</summary>
public static class UnitBackoff
{
    /// <param name="failedAttempts">How many attempts have failed so far (1 after the first failure).</param>
    public static TimeSpan Delay(int failedAttempts, TimeSpan min, TimeSpan max)
    {
        var exponent = Math.Clamp(failedAttempts - 1, 0, 30);
        var ticks = Math.Min(max.Ticks, (double)min.Ticks * Math.Pow(2, exponent));
        return TimeSpan.FromTicks((long)Math.Max(min.Ticks, ticks));
    }
}

/// <summary>Actor names from SwanLab paths: escaped so any project or run name is a valid, unique name.</summary>
public static class ActorNames
{
    public static string For(string prefix, string path, int attempt = 0) =>
        attempt == 0 ? $"{prefix}~{Uri.EscapeDataString(path)}" : $"{prefix}~{Uri.EscapeDataString(path)}~{attempt}";
}
