using System.Security.Cryptography;
using System.Threading.Channels;
using SwanLab.Client;
using SwanLab.Client.RateLimiting;
using SwanLab.Crawler.Backup;
using SwanLab.Crawler.Configuration;
using SwanLab.Crawler.Crawl;
using SwanLab.Crawler.Source;
using SwanLab.Emulator;

namespace SwanLab.Crawler.Cli;

/// <summary>
/// Wires the CLI to SwanLab.Client (one client, one shared request budget), the actor crawl, the emulator for
/// --demo and the storage team's backup readers, and turns their typed failures into the CLI's.
/// </summary>
internal sealed class ProductionBackend : ICrawlerBackend
{
    // Keys this process has handed to the client; passed to the checkpoint so it can refuse to store them.
    readonly List<string> secrets = [];
    // Each signed-in source's request budget and the rate the user gave it (null: adaptive), for a cluster node's share.
    readonly System.Runtime.CompilerServices.ConditionalWeakTable<ICrawlSource, SourceBudget> budgets = new();

    sealed record SourceBudget(RequestPacer Pacer, double? Rate);

    public async Task<DemoServer> StartDemoAsync(CancellationToken ct)
    {
        // Its own key each time, so a demo never teaches anyone a fixed key (21 letters/digits like a real one).
        var key = RandomNumberGenerator.GetString("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789", 21);
        var server = await EmulatorServer.StartAsync(new EmulatorOptions { Size = DatasetSize.Demo, ApiKey = key }, ct);
        return new DemoServer(server.BaseUrl.ToString().TrimEnd('/'), server.ApiKey, server);
    }

    public async Task<ConnectedSource> ConnectAsync(ConnectionSettings connection, IRequestObserver? observer, CancellationToken ct)
    {
        if (connection.ApiKey is { } explicitKey)
            secrets.Add(explicitKey);
        var client = await ClientConnector.ConnectAsync(connection, observer, ct);
        var source = new SwanLabClientSource(client.Api);
        budgets.AddOrUpdate(source, new SourceBudget(client.Pacer, connection.RequestsPerSecond));
        return new ConnectedSource(source, client);
    }

    public async Task<PlanView> PlanAsync(CrawlSettings settings, ICrawlSource source, CancellationToken ct)
    {
        // Read an existing checkpoint (never create one) so the plan can say what a resume would skip.
        var layout = new BackupLayout(settings.OutputDirectory);
        CrawlPlan plan;
        if (File.Exists(layout.CheckpointFile))
        {
            await using var checkpoint = new FileCheckpointStore(layout);
            plan = await Translate(source.Identity.Host, () => CrawlPlanner.PlanAsync(settings, source, ct, checkpoint));
        }
        else
        {
            plan = await Translate(source.Identity.Host, () => CrawlPlanner.PlanAsync(settings, source, ct));
        }
        return new PlanView(plan.Workspaces, plan.Projects, plan.Runs, plan.RunsToSkip, plan.EstimatedRequests,
            plan.ProjectsPlanned.Select(p => new PlanRow(p.Path, p.Runs, p.RunsToSkip)).ToList());
    }

    public Task<CrawlResult> RunAsync(CrawlSettings settings, ICrawlSource source, ChannelWriter<CrawlEvent> events, CancellationToken ct) =>
        Translate(source.Identity.Host, () => settings.Cluster is null
            ? CrawlRunner.RunAsync(settings, source, events, ct, secrets)
            : Cluster.ClusterCrawlRunner.RunAsync(settings, source, events, Cluster.ClusterTimings.Default, ct, secrets,
                configure: akka => ClusterEdges(akka, source), started: null));

    /// <summary>What a cluster node runs beside the engine: its share of the request budget, its line in the nodes table.</summary>
    void ClusterEdges(Akka.Hosting.AkkaConfigurationBuilder akka, ICrawlSource source)
    {
        if (budgets.TryGetValue(source, out var budget))
            Cluster.Budget.ClusterBudgetHosting.AddClusterBudget(akka, new Cluster.Budget.PacerBudget(budget.Pacer), budget.Rate);
        var counted = source as IRequestStatsSource;
        Cluster.NodeStats.NodeStatsHosting.AddNodeStats(akka, () => counted?.RequestStats.Requests ?? 0);
    }

    public async Task<StatusView> ReadStatusAsync(string backupFolder, CancellationToken ct)
    {
        try
        {
            var report = await BackupStatusReader.ReadAsync(backupFolder, ct);
            var rows = report.Workspaces
                .SelectMany(w => w.Projects.Select(p => new StatusRow(w.Workspace, ProjectName(p.Project), p.Done, p.Failed, p.Left)))
                .ToList();
            var failures = report.Failures
                .Select(f => new StatusFailure(f.RunPath, f.ErrorKind ?? "?", f.Error ?? "", f.Attempts))
                .ToList();
            return new StatusView(report.Info?.Complete, report.Done, report.Failed, report.Left, rows, failures)
            {
                LeftRuns = report.LeftRuns,
                Writer = report.Writer?.Describe(),
            };
        }
        catch (Backup.NotABackupException e)
        {
            throw new NotABackupException(backupFolder, e.Message);
        }
    }

    public async Task<VerifyView> VerifyAsync(string backupFolder, CancellationToken ct)
    {
        try
        {
            var report = await BackupVerifier.VerifyAsync(backupFolder, ct);
            return new VerifyView(report.FilesChecked,
                report.Problems.Where(p => p.Kind != Backup.VerifyProblemKind.Extra)
                    .Select(p => new VerifyProblem(p.Path, $"{p.Kind}: {p.Detail}")).ToList())
            {
                Incomplete = report.Incomplete,
                Extras = report.Extras.Select(p => new VerifyProblem(p.Path, $"{p.Kind}: {p.Detail}")).ToList(),
            };
        }
        catch (Backup.NotABackupException e)
        {
            throw new NotABackupException(backupFolder, e.Message);
        }
    }

    /// <summary>A rejected key can also surface mid-crawl (a session renewal); it is still exit 3.</summary>
    static async Task<T> Translate<T>(string host, Func<Task<T>> work)
    {
        try
        {
            return await work();
        }
        catch (SourceAuthenticationException e)
        {
            throw new CrawlerAuthenticationException(host, rejected: true, e.Message, e);
        }
        catch (SwanLabAuthenticationException e)
        {
            throw new CrawlerAuthenticationException(host, rejected: true, e.Message, e);
        }
    }

    static string ProjectName(string projectPath) => projectPath[(projectPath.IndexOf('/', StringComparison.Ordinal) + 1)..];
}
