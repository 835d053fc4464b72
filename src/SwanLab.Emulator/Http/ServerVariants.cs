using Microsoft.AspNetCore.Http;

namespace SwanLab.Emulator.Http;

/// <summary>
/// Server variants where the SDK leaves room: optional read routes a server may lack
/// (<see cref="EmulatorFaults.AbsentRoutes"/>: they answer 404 Not Found with the text "No route", as a router answers
/// for a path it does not have, whatever the run), and the names of the log readings for flags and the faults endpoint.
/// </summary>
internal static class ServerVariants
{
    public static Func<HttpContext, RequestDelegate, Task> Middleware(Backend b) => (ctx, next) =>
    {
        var absent = b.Faults.AbsentRoutes;
        if (absent == EmulatorRoutes.None || Of(ctx.Request.Path) is not { } route || !absent.HasFlag(route))
        {
            return next(ctx);
        }

        b.Stats.CountRequest(ctx.Request.Method + " " + ctx.Request.Path + " (absent route)");
        ctx.Response.StatusCode = StatusCodes.Status404NotFound;
        Json.SetReason(ctx, "Not Found");
        ctx.Response.ContentType = "text/plain; charset=utf-8";
        return ctx.Response.WriteAsync("No route");
    };

    /// <summary>Which optional read a path belongs to, or null.</summary>
    public static EmulatorRoutes? Of(PathString path)
    {
        if (path.StartsWithSegments("/api/house/metrics/log", StringComparison.Ordinal))
        {
            return EmulatorRoutes.Logs;
        }

        if (path.StartsWithSegments("/api/house/metrics/media", StringComparison.Ordinal) ||
            path.StartsWithSegments("/api/house/metrics/f_media", StringComparison.Ordinal) ||
            path.StartsWithSegments("/api/resources/presigned/get", StringComparison.Ordinal))
        {
            return EmulatorRoutes.Media;
        }

        if (path.Equals("/api/house/metrics/summaries", StringComparison.Ordinal))
        {
            return EmulatorRoutes.Summaries;
        }

        return null;
    }

    /// <summary>Parses "logs", "media", "summaries" (any case).</summary>
    public static EmulatorRoutes Parse(string name) => name.Trim().ToLowerInvariant() switch
    {
        "logs" or "log" => EmulatorRoutes.Logs,
        "media" => EmulatorRoutes.Media,
        "summaries" or "summary" => EmulatorRoutes.Summaries,
        _ => throw new ArgumentException($"unknown route group '{name}' (logs, media or summaries)"),
    };

    public static IEnumerable<string> Names(EmulatorRoutes routes)
    {
        if (routes.HasFlag(EmulatorRoutes.Logs)) yield return "logs";
        if (routes.HasFlag(EmulatorRoutes.Media)) yield return "media";
        if (routes.HasFlag(EmulatorRoutes.Summaries)) yield return "summaries";
    }

    public static LogPagingReading ParsePaging(string text) => text.Trim().ToLowerInvariant() switch
    {
        "shard" => LogPagingReading.Shard,
        "offset" => LogPagingReading.Offset,
        "after-epoch" => LogPagingReading.AfterEpoch,
        _ => throw new ArgumentException($"unknown log paging '{text}' (shard, offset or after-epoch)"),
    };

    public static string Name(LogPagingReading paging) => paging switch
    {
        LogPagingReading.Offset => "offset",
        LogPagingReading.AfterEpoch => "after-epoch",
        _ => "shard",
    };

    public static LogLevelReading ParseLevels(string text) => text.Trim().ToLowerInvariant() switch
    {
        "exact" => LogLevelReading.Exact,
        "at-or-above" => LogLevelReading.AtOrAbove,
        "ignored" => LogLevelReading.Ignored,
        _ => throw new ArgumentException($"unknown log level filter '{text}' (exact, at-or-above or ignored)"),
    };

    public static string Name(LogLevelReading levels) => levels switch
    {
        LogLevelReading.AtOrAbove => "at-or-above",
        LogLevelReading.Ignored => "ignored",
        _ => "exact",
    };

    public static LogEpochReading ParseEpochs(string text) => text.Trim().ToLowerInvariant() switch
    {
        "per-run" => LogEpochReading.PerRun,
        "per-level" => LogEpochReading.PerLevel,
        _ => throw new ArgumentException($"unknown log epoch numbering '{text}' (per-run or per-level)"),
    };

    public static string Name(LogEpochReading epochs) => epochs == LogEpochReading.PerLevel ? "per-level" : "per-run";

    public static ResumeSummaryReading ParseResumeSummary(string text) => text.Trim().ToLowerInvariant() switch
    {
        "full" => ResumeSummaryReading.Full,
        "without-media" => ResumeSummaryReading.WithoutMedia,
        "absent" => ResumeSummaryReading.Absent,
        _ => throw new ArgumentException($"unknown resume summary '{text}' (full, without-media or absent)"),
    };

    public static string Name(ResumeSummaryReading summary) => summary switch
    {
        ResumeSummaryReading.WithoutMedia => "without-media",
        ResumeSummaryReading.Absent => "absent",
        _ => "full",
    };
}
