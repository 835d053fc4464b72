using System.Text.Json.Nodes;
using SwanLab.Crawler.Crawl;
using SwanLab.Crawler.Import;

namespace SwanLab.Crawler.Cli.Output;

/// <summary>The --json results of import and migrate (and verify --against), spelled like export's.</summary>
internal static class ImportJsonResults
{
    public static void AddPlan(JsonObject result, ImportPlan plan)
    {
        result["runs"] = new JsonObject
        {
            ["total"] = plan.Runs.Count,
            ["toCreate"] = plan.Count(PlannedAction.Create),
            ["toResume"] = plan.Count(PlannedAction.Resume),
            ["alreadyOnTarget"] = plan.Count(PlannedAction.Skip),
            ["inConflict"] = plan.Count(PlannedAction.Conflict),
        };
        result["estimatedRequests"] = plan.Requests;
        result["plan"] = new JsonArray(plan.Runs.Select(r => (JsonNode)new JsonObject
        {
            ["source"] = r.SourcePath,
            ["target"] = r.TargetPath,
            ["action"] = r.Action.ToString().ToLowerInvariant(),
            ["missingPoints"] = r.MissingPoints,
            ["missingLogLines"] = r.MissingLogLines,
            ["missingMedia"] = r.MissingMedia,
            ["requests"] = r.Requests,
            ["detail"] = r.Detail,
        }).ToArray());
    }

    public static void AddImport(JsonObject result, ImportResult import, ProgressSnapshot? progress, TimeSpan elapsed, Redactor secrets)
    {
        var crawl = import.Crawl;
        var counts = import.Counts;
        result["complete"] = import.Complete;
        result["runs"] = new JsonObject
        {
            ["total"] = crawl.RunsTotal,
            ["imported"] = crawl.RunsDone,
            ["alreadyOnTarget"] = crawl.RunsSkipped,
            ["failed"] = crawl.RunsFailed,
            ["created"] = counts.RunsCreated,
            ["resumed"] = counts.RunsResumed,
            ["skippedForConflict"] = import.Runs.Count(r => r.Conflict is not null),
        };
        result["uploaded"] = new JsonObject
        {
            ["points"] = counts.PointsUploaded,
            ["logLines"] = counts.LogLinesUploaded,
            ["media"] = counts.MediaUploaded,
        };
        if (progress is not null)
            result["requests"] = new JsonObject
            {
                ["total"] = progress.Requests, ["retries"] = progress.Retries, ["rateLimited"] = progress.RateLimited,
            };
        result["durationSeconds"] = Math.Round(elapsed.TotalSeconds, 3);
        result["stateFolder"] = import.StateFolder;
        result["failures"] = new JsonArray(crawl.Failures.Select(f => (JsonNode)new JsonObject
        {
            ["run"] = f.RunPath, ["kind"] = f.ErrorKind, ["attempts"] = f.Attempts, ["error"] = secrets.Redact(f.Error),
        }).ToArray());
        result["conflicts"] = new JsonArray(import.Runs.Where(r => r.Conflict is not null).Select(r => (JsonNode)new JsonObject
        {
            ["run"] = r.SourcePath, ["conflict"] = secrets.Redact(r.Conflict!),
        }).ToArray());
        result["notCarried"] = new JsonArray(import.Runs.Where(r => r.Target is not null)
            .SelectMany(r => r.NotCarried).Distinct(StringComparer.Ordinal).Order(StringComparer.Ordinal)
            .Select(n => (JsonNode)JsonValue.Create(n)!).ToArray());
        if (import.Verification is { } check)
            AddVerification(result, check, secrets);
        else
            result["verification"] = null;
    }

    /// <summary>The read-back check: "verification" with counts and every mismatch.</summary>
    public static void AddVerification(JsonObject result, VerifyReport check, Redactor secrets)
    {
        result["verification"] = new JsonObject
        {
            ["runsChecked"] = check.Runs.Count,
            ["runsMatched"] = check.Runs.Count(r => r.Matched),
            ["pointsCompared"] = check.Runs.Sum(r => r.PointsCompared),
            ["allMatched"] = check.AllMatched,
        };
        result["mismatches"] = new JsonArray(check.Runs.Where(r => !r.Matched).SelectMany(r => r.Mismatches.Select(m => (JsonNode)new JsonObject
        {
            ["source"] = r.SourcePath, ["target"] = r.TargetPath, ["mismatch"] = secrets.Redact(m),
        })).ToArray());
    }
}
