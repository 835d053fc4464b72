using System.Text.Json.Nodes;
using SwanLab.Crawler.Crawl;

namespace SwanLab.Crawler.Cli.Output;

/// <summary>The fields of the --json results, one method per kind of result, so every command spells them alike.</summary>
internal static class JsonResults
{
    public static void AddPlan(JsonObject result, PlanView plan)
    {
        result["workspaces"] = plan.Workspaces;
        result["projects"] = plan.Projects;
        result["runs"] = new JsonObject { ["total"] = plan.Runs, ["alreadyInBackup"] = plan.RunsToSkip };
        result["estimatedRequests"] = plan.EstimatedRequests;
        result["byProject"] = new JsonArray(plan.ByProject.Select(p => (JsonNode)new JsonObject
        {
            ["project"] = p.Project, ["runs"] = p.Runs, ["alreadyInBackup"] = p.RunsToSkip,
        }).ToArray());
    }

    public static void AddExport(JsonObject result, CrawlResult crawl, ProgressSnapshot? progress, TimeSpan elapsed,
        string folder, Redactor secrets)
    {
        result["complete"] = crawl.Complete;
        result["workspaces"] = crawl.Workspaces;
        result["projects"] = crawl.Projects;
        result["runs"] = new JsonObject
        {
            ["total"] = crawl.RunsTotal,
            ["exported"] = crawl.RunsDone,
            ["alreadyInBackup"] = crawl.RunsSkipped,
            ["failed"] = crawl.RunsFailed,
        };
        result["points"] = new JsonObject
        {
            ["writtenThisRun"] = progress?.PointsWritten,
            ["inBackup"] = crawl.Points,
        };
        result["bytesWrittenThisRun"] = progress?.Bytes;
        if (progress is not null)
            result["requests"] = new JsonObject
            {
                ["total"] = progress.Requests, ["retries"] = progress.Retries, ["rateLimited"] = progress.RateLimited,
            };
        if (progress is { Nodes.Count: > 0 } cluster)
            result["nodes"] = new JsonArray(cluster.Nodes.Select(n => (JsonNode)new JsonObject
            {
                ["address"] = n.Address, ["up"] = n.Up, ["runsInFlight"] = n.RunsInFlight, ["requestsPerSecond"] = n.RequestsPerSecond,
            }).ToArray());
        result["durationSeconds"] = Math.Round(elapsed.TotalSeconds, 3);
        result["errorsFile"] = Path.Combine(folder, Backup.BackupLayout.ErrorsFileName);
        result["failures"] = new JsonArray(crawl.Failures.Select(f => (JsonNode)new JsonObject
        {
            ["run"] = f.RunPath, ["kind"] = f.ErrorKind, ["attempts"] = f.Attempts, ["error"] = secrets.Redact(f.Error),
        }).ToArray());
    }
}
