using SwanLab.Crawler.Actors;
using SwanLab.Crawler.Backup;
using SwanLab.Crawler.Crawl;
using SwanLab.Crawler.Source;

namespace SwanLab.Crawler.Import;

/// <summary>What an import would do with one run.</summary>
public enum PlannedAction { Create, Resume, Skip, Conflict }

/// <summary>
/// One run of a dry run: what happens to it, what the target lacks (points, log lines, media per run), and the
/// upload requests that costs (experiment create, profile PUTs, metric batches, media steps, finish).
/// </summary>
public sealed record RunPlan(string SourcePath, string TargetPath, PlannedAction Action, long MissingPoints, long MissingLogLines,
    long MissingMedia, long Requests, string? Detail);

/// <summary>A dry run of an import or migrate.</summary>
public sealed record ImportPlan(IReadOnlyList<RunPlan> Runs)
{
    public long Requests => Runs.Sum(r => r.Requests);
    public int Count(PlannedAction action) => Runs.Count(r => r.Action == action);
}

/// <summary>
/// Plans an import without writing anything: reads the source (series streamed, not held) and, per run, the target's
/// run and resume summary, and the ledger when there is one. A 409 (id taken in another project) cannot be seen
/// without a write, so such a run is planned as a create and the plan says so.
/// </summary>
public static class ImportPlanner
{
    public static async Task<ImportPlan> PlanAsync(ImportSettings settings, ICrawlSource source, IImportTarget target, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(settings);
        ArgumentNullException.ThrowIfNull(source);
        ArgumentNullException.ThrowIfNull(target);
        var ledgerFile = Path.Combine(ImportRunner.StateFolder(settings.StateDirectory, target.Identity.Host), "ledger.jsonl");
        await using var ledger = await ImportLedger.OpenAsync(ledgerFile, ct).ConfigureAwait(false);
        var plans = new List<RunPlan>();
        foreach (var runPath in await RunPathsAsync(settings.Crawl, source, ct).ConfigureAwait(false))
            plans.Add(await PlanRunAsync(settings, source, target, ledger, runPath, ct).ConfigureAwait(false));
        return new ImportPlan(plans.OrderBy(p => p.SourcePath, StringComparer.Ordinal).ToList());
    }

    private static async Task<RunPlan> PlanRunAsync(ImportSettings settings, ICrawlSource source, IImportTarget target,
        ImportLedger ledger, string runPath, CancellationToken ct)
    {
        var run = await source.RunAsync(runPath, ct).ConfigureAwait(false);
        var (ws, project, _) = BackupLayout.SplitRunPath(runPath);
        var (targetWs, targetProject) = settings.Mapping.Project(ws, project);
        var cuid = ledger.NewId(runPath) ?? run.Cuid;
        var targetPath = $"{targetWs}/{targetProject}/{cuid}";
        var existing = await target.FindRunAsync(targetWs, targetProject, cuid, ct).ConfigureAwait(false);
        if (existing is not null && ServerDestination.Differs(run, existing) is { } difference)
            return new RunPlan(runPath, targetPath, PlannedAction.Conflict, 0, 0, 0, 0,
                $"{difference}; --on-conflict {settings.OnConflict.ToString().ToLowerInvariant()}");
        var summary = existing is null ? TargetSummary.Empty : await target.ResumeSummaryAsync(existing.Run, ct).ConfigureAwait(false);
        var batch = Math.Max(1, target.MaxRecordsPerRequest);
        long points = 0, requests = existing is null ? 1 + ProfileFields(run) : 0;
        foreach (var series in await source.SeriesAsync(run, ct).ConfigureAwait(false))
        {
            var there = summary.ScalarLastSteps.TryGetValue(series.Key, out var last) ? last : (long?)null;
            long missing = 0;
            await foreach (var chunk in source.StreamSeriesAsync(run, series, null, ct).ConfigureAwait(false))
                foreach (var point in chunk.Span)
                    if (there is not { } t || point.Step > t) missing++;
            points += missing;
            requests += (missing + batch - 1) / batch;
        }
        long logs = 0;
        if (settings.Crawl.IncludeLogs)
            await foreach (var line in source.LogsAsync(run, ct).ConfigureAwait(false))
                if (summary.LastLogEpoch is not { } e || line.Epoch > e) logs++;
        requests += (logs + batch - 1) / batch;
        long media = 0;
        var steps = new HashSet<(string, long)>();
        if (settings.Crawl.IncludeMedia)
            await foreach (var item in source.MediaAsync(run, ct).ConfigureAwait(false))
                if (!(summary.MediaLastSteps.TryGetValue(item.Key, out var l) && item.Step <= l))
                {
                    media++;
                    steps.Add((item.Key, item.Step));
                }
        requests += media + steps.Count; // one presigned PUT per file (object store) and one presign + record per step
        var action = existing is null ? PlannedAction.Create : points + logs + media == 0 ? PlannedAction.Skip : PlannedAction.Resume;
        if (action != PlannedAction.Skip && !string.Equals(run.State, "RUNNING", StringComparison.OrdinalIgnoreCase)) requests++;
        var detail = action switch
        {
            PlannedAction.Create => "new on the target (unless its id is taken in another project: the server says so only on create)",
            PlannedAction.Skip => ledger.Run(runPath) is null ? "already on the target in full" : "already on the target in full (ledger agrees)",
            _ => "the target has part of it",
        };
        return new RunPlan(runPath, targetPath, action, points, logs, media, requests, detail);
    }

    private static int ProfileFields(RunDetail run) =>
        run.Raw.ValueKind == System.Text.Json.JsonValueKind.Object && run.Raw.TryGetProperty("profile", out var profile)
        && profile.ValueKind == System.Text.Json.JsonValueKind.Object
            ? new[] { "config", "metadata", "requirements", "conda" }.Count(f => profile.TryGetProperty(f, out var v)
                && v.ValueKind is not (System.Text.Json.JsonValueKind.Null or System.Text.Json.JsonValueKind.Undefined)
                && !(v.ValueKind == System.Text.Json.JsonValueKind.String && v.GetString()!.Length == 0))
            : 0;

    private static async Task<List<string>> RunPathsAsync(CrawlSettings settings, ICrawlSource source, CancellationToken ct)
    {
        var scopes = CrawlScopes.Build(settings);
        var workspaces = new List<WorkspaceProtocol.WorkspaceScope>();
        if (scopes is null)
            await foreach (var w in source.WorkspacesAsync(ct).ConfigureAwait(false)) workspaces.Add(new(w.Username, w, null));
        else workspaces.AddRange(scopes);
        var paths = new List<string>();
        foreach (var workspace in workspaces)
        {
            var projects = workspace.Projects?.ToList();
            if (projects is null)
            {
                projects = [];
                await foreach (var p in source.ProjectsAsync(workspace.Username, ct).ConfigureAwait(false))
                    projects.Add(new ProjectProtocol.ProjectScope(p.Workspace, p.Name, p, null));
            }
            foreach (var project in projects)
            {
                if (project.RunIds is { } ids)
                {
                    foreach (var id in ids)
                    {
                        var run = await source.RunAsync($"{project.Path}/{id}", ct).ConfigureAwait(false);
                        if (settings.Filter.States.Count == 0 || settings.Filter.States.Contains(run.State, StringComparer.OrdinalIgnoreCase))
                            paths.Add(run.Path);
                    }
                    continue;
                }
                await foreach (var run in source.RunsAsync(project.Path, settings.Filter, ct).ConfigureAwait(false)) paths.Add(run.Path);
            }
        }
        return paths.Distinct(StringComparer.Ordinal).ToList();
    }
}
