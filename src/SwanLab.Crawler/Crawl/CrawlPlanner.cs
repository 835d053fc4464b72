using SwanLab.Crawler.Backup;
using SwanLab.Crawler.Source;

namespace SwanLab.Crawler.Crawl;

/// <summary>What an export would do: --dry-run prints this.</summary>
public sealed record CrawlPlan(int Workspaces, int Projects, int Runs, int RunsToSkip, long EstimatedRequests,
    IReadOnlyList<PlannedProject> ProjectsPlanned);

/// <summary>One project of a plan: how many of its runs are selected and how many the checkpoint already holds.</summary>
public sealed record PlannedProject(string Path, int Runs, int RunsToSkip);

/// <summary>
/// The dry run: walks the same selection the crawl would (workspaces, projects, filtered runs) and counts.
/// Reads only listings, never run details or series, and writes nothing.
/// </summary>
public static class CrawlPlanner
{
    /// <summary>
    /// Requests one run export costs at least: detail, series keys, one 16-key export chunk (export, presign,
    /// download) plus the value query, logs, media listing and presign. Runs with more than 16 series cost more.
    /// </summary>
    internal static int RequestsPerRun(CrawlSettings settings) =>
        2 + 4 + (settings.IncludeLogs ? 1 : 0) + (settings.IncludeMedia ? 2 : 0);

    private const int PageSize = 100;

    public static async Task<CrawlPlan> PlanAsync(CrawlSettings settings, ICrawlSource source, CancellationToken ct,
        ICheckpointStore? checkpoint = null)
    {
        ArgumentNullException.ThrowIfNull(settings);
        ArgumentNullException.ThrowIfNull(source);
        var state = checkpoint is null || settings.Restart
            ? new CheckpointState(new Dictionary<string, CheckpointEntry>())
            : await checkpoint.LoadAsync(ct);

        var scopes = CrawlScopes.Build(settings);
        await SelectionCheck.EnsureExistsAsync(settings, source, ct);
        long requests = 0;
        if (scopes is null)
        {
            requests++;
            var listed = new List<Actors.WorkspaceProtocol.WorkspaceScope>();
            await foreach (var workspace in source.WorkspacesAsync(ct))
                listed.Add(new Actors.WorkspaceProtocol.WorkspaceScope(workspace.Username, workspace, null));
            scopes = listed;
        }

        var planned = new List<PlannedProject>();
        var workspaces = scopes.DistinctBy(w => w.Username, StringComparer.Ordinal).ToList();
        foreach (var workspace in workspaces)
        {
            var projects = new List<(string Path, IReadOnlyList<string>? RunIds)>();
            if (workspace.Projects is { } scoped)
            {
                projects.AddRange(scoped.Select(p => (p.Path, p.RunIds)));
                requests += scoped.Count; // project lookups
            }
            else
            {
                await foreach (var project in source.ProjectsAsync(workspace.Username, ct)) projects.Add((project.Path, null));
                requests += Math.Max(1, (projects.Count + PageSize - 1) / PageSize);
            }

            foreach (var (path, runIds) in projects.DistinctBy(p => p.Path, StringComparer.Ordinal))
            {
                var listed = new List<RunSummary>();
                if (runIds is null)
                {
                    requests++;
                    await foreach (var run in source.RunsAsync(path, settings.Filter, ct)) listed.Add(run);
                }
                else
                {
                    foreach (var id in runIds)
                    {
                        requests++;
                        var run = await source.RunAsync($"{path}/{id}", ct);
                        listed.Add(new RunSummary(run.Path, run.Cuid, run.Name, run.State, run.FinishedAt, run.Raw));
                    }
                }
                var runs = (await RunSelection.SelectAsync(source, settings.Filter, listed, ct))
                    .DistinctBy(r => r.Path, StringComparer.Ordinal).ToList();
                // Counted from the checkpoint alone: the export also checks each such run's files and exports the
                // damaged ones again, which a dry run (reading nothing of the backup but the checkpoint) cannot know.
                var skip = runs.Count(r => ResumeRule.Judge(state, r, settings, out _) == ResumeVerdict.SkipIfIntact);
                planned.Add(new PlannedProject(path, runs.Count, skip));
            }
        }

        var runsTotal = planned.Sum(p => p.Runs);
        var toSkip = planned.Sum(p => p.RunsToSkip);
        requests += (long)(runsTotal - toSkip) * RequestsPerRun(settings);
        return new CrawlPlan(workspaces.Count, planned.Count, runsTotal, toSkip, requests,
            planned.OrderBy(p => p.Path, StringComparer.Ordinal).ToList());
    }
}
