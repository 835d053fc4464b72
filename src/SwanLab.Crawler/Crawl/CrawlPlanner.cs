using SwanLab.Crawler.Backup;
using SwanLab.Crawler.Source;

namespace SwanLab.Crawler.Crawl;

/// <summary>What an export would do: --dry-run prints this.</summary>
public sealed record CrawlPlan(int Workspaces, int Projects, int Runs, int RunsToSkip, long EstimatedRequests,
    IReadOnlyList<PlannedProject> ProjectsPlanned);

/// <summary>One project of a plan: how many of its runs are selected and how many the checkpoint already holds.</summary>
public sealed record PlannedProject(string Path, int Runs, int RunsToSkip);

/// <summary>
/// The dry run: walks the same selection the crawl would (workspaces, projects, filtered runs) and counts. What a
/// run costs depends on what it holds (series keys, log lines, media files), which listings do not say, so it reads
/// runs of the selection, in a shuffled order fixed by the selection, the way an export would (detail, series keys and
/// last steps, logs, media listing), counting the requests that takes, adds the downloads an export would make
/// (one export, presign and download per batch of series, one download per media file), and scales the average to
/// every run to export, adding for the runs an export starts with (as many as it runs at once) what the first sampled
/// run cost more before the server's answers proved the shortcuts (read twice to know). It reads at least <see cref="MinSampledRuns"/> runs (or all) and stops once the average is
/// known to within 4% (or at <see cref="MaxSampledRuns"/>): accounts where a few runs carry most media need more.
/// Sources that do not count requests get a fixed per-run figure. Writes nothing.
/// </summary>
public static class CrawlPlanner
{
    /// <summary>Fewest and most runs read to learn what a run costs.</summary>
    internal const int MinSampledRuns = 16;
    internal const int MaxSampledRuns = 64;

    /// <summary>Sampling stops once the mean cost is known to within this fraction (95% confidence).</summary>
    private const double TargetPrecision = 0.04;

    /// <summary>
    /// Requests one run export costs at least, for sources that cannot count theirs: detail, series keys, last steps,
    /// one 16-key export chunk (export, presign, download), logs, media keys.
    /// </summary>
    internal static int RequestsPerRun(CrawlSettings settings) =>
        2 + 4 + (settings.IncludeLogs ? 1 : 0) + (settings.IncludeMedia ? 1 : 0);

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
        var toExport = new List<RunSummary>();
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
                        listed.Add(run.ToSummary());
                    }
                }
                var runs = (await RunSelection.SelectAsync(source, settings.Filter, listed, ct))
                    .DistinctBy(r => r.Path, StringComparer.Ordinal).ToList();
                // Counted from the checkpoint alone: the export also checks each such run's files and exports the
                // damaged ones again, which a dry run (reading nothing of the backup but the checkpoint) cannot know.
                var skip = runs.Count(r => ResumeRule.Judge(state, r, settings, out _) == ResumeVerdict.SkipIfIntact);
                toExport.AddRange(runs.Where(r => ResumeRule.Judge(state, r, settings, out _) != ResumeVerdict.SkipIfIntact));
                planned.Add(new PlannedProject(path, runs.Count, skip));
            }
        }

        var runsTotal = planned.Sum(p => p.Runs);
        var toSkip = planned.Sum(p => p.RunsToSkip);
        requests += await RunRequestsAsync(settings, source, toExport, ct);
        return new CrawlPlan(workspaces.Count, planned.Count, runsTotal, toSkip, requests,
            planned.OrderBy(p => p.Path, StringComparer.Ordinal).ToList());
    }

    /// <summary>What exporting <paramref name="runs"/> costs, from a sample of them read as an export reads them.</summary>
    private static async Task<long> RunRequestsAsync(CrawlSettings settings, ICrawlSource source, IReadOnlyList<RunSummary> runs,
        CancellationToken ct)
    {
        if (runs.Count == 0) return 0;
        if (source is not IRequestStatsSource counted) return (long)runs.Count * RequestsPerRun(settings);
        // A shuffled order (seeded by the selection, so the same account gives the same plan) instead of every n-th
        // run: listings are ordered, and an even stride can keep hitting (or missing) the runs with media.
        var order = Enumerable.Range(0, runs.Count).ToArray();
        new Random(runs.Count).Shuffle(order);
        var batch = Actors.RunExportActor.BatchSize(settings);
        var costs = new List<double>();
        double surcharge = 0;
        foreach (var run in order.Select(i => runs[i]))
        {
            if (costs.Count >= MaxSampledRuns || (costs.Count >= MinSampledRuns && PreciseEnough(costs, runs.Count))) break;
            var cost = await CostAsync(run);
            if (costs.Count == 0)
            {
                // The runs an export starts with are read before any has proven what the server's answers allow to skip
                // (the resume summary); read the first again, now proven, and the difference is what each of them costs more.
                var proven = await CostAsync(run);
                surcharge = Math.Max(0, cost - proven);
                cost = proven;
            }
            costs.Add(cost);
        }
        var starting = Math.Min(Math.Max(1, settings.RunConcurrency), runs.Count);
        return (long)Math.Round(costs.Average() * runs.Count + surcharge * starting);

        async Task<double> CostAsync(RunSummary run)
        {
            var before = counted.RequestStats.Requests;
            long downloads = 0;
            try
            {
                var detail = await source.RunAsync(run.Path, ct);
                var series = await source.SeriesAsync(detail, ct);
                downloads = (series.Count + batch - 1) / batch * 3; // export, presign, download per batch
                if (settings.IncludeLogs)
                    await foreach (var _ in source.LogsAsync(detail, ct)) { }
                if (settings.IncludeMedia)
                    await foreach (var _ in source.MediaAsync(detail, ct)) downloads++;
            }
            catch (Exception ex) when (ex is not (OperationCanceledException or SourceAuthenticationException))
            {
                // A run the sample cannot read costs what the export's attempt at it would: counted so far, or the floor.
                downloads = Math.Max(0, RequestsPerRun(settings) - (counted.RequestStats.Requests - before));
            }
            return counted.RequestStats.Requests - before + downloads;
        }
    }

    /// <summary>Whether the mean of <paramref name="costs"/>, sampled from <paramref name="population"/> runs, is known well enough.</summary>
    private static bool PreciseEnough(List<double> costs, int population)
    {
        var mean = costs.Average();
        if (mean <= 0) return true;
        var variance = costs.Sum(c => (c - mean) * (c - mean)) / (costs.Count - 1);
        var finite = Math.Max(0, 1 - ((double)costs.Count / population));
        return 1.96 * Math.Sqrt(variance / costs.Count * finite) <= TargetPrecision * mean;
    }
}
