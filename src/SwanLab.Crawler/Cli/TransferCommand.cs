using System.CommandLine;
using System.Diagnostics;
using System.Globalization;
using System.Threading.Channels;
using Spectre.Console;
using SwanLab.Crawler.Cli.Output;
using SwanLab.Client;
using SwanLab.Crawler.Configuration;
using SwanLab.Crawler.Crawl;
using SwanLab.Crawler.Import;
using SwanLab.Crawler.Source;

namespace SwanLab.Crawler.Cli;

/// <summary>
/// What `import` and `migrate` share: the selection, mapping and conflict options, and the run itself (sign in to
/// the target, import with live progress, summarise, pick the exit code). The commands differ only in the source.
/// </summary>
internal static class TransferCommand
{
    public const string FromKeyVariable = "SWANLAB_FROM_API_KEY";
    public const string ToKeyVariable = "SWANLAB_TO_API_KEY";

    /// <summary>Options of both commands (fresh per tree: System.CommandLine symbols remember their parents).</summary>
    internal sealed class SharedOptions
    {
        public readonly Option<string[]> Workspaces = new("--workspace") { Description = "Only this source workspace; repeatable.", HelpName = "NAME" };
        public readonly Option<string[]> Projects = new("--project") { Description = "Only this source project; repeatable. Example: --project alice/mnist", HelpName = "WS/PROJ" };
        public readonly Option<string[]> Runs = new("--run") { Description = "Only this source run; repeatable. Example: --run alice/mnist/h2k3x9", HelpName = "WS/PROJ/ID" };
        public readonly Option<string[]> States = new("--state") { Description = "Only runs in this state; repeatable. Example: --state FINISHED", HelpName = "STATE" };
        public readonly Option<string[]> ConfigFilters = new("--config") { Description = "Only runs whose config has KEY=VALUE; repeatable.", HelpName = "KEY=VALUE" };
        public readonly Option<string[]> MapWorkspace = new("--map-workspace")
        {
            Description = "Put the projects of source workspace FROM into target workspace TO (it must exist: the tool cannot create users or teams); repeatable. Example: --map-workspace alice=team-b",
            HelpName = "FROM=TO",
        };
        public readonly Option<string[]> MapProject = new("--map-project")
        {
            Description = "Put one source project into another target workspace/name (beats --map-workspace); repeatable. Example: --map-project alice/mnist=team-b/digits",
            HelpName = "WS/P=WS/P",
        };
        public readonly Option<string?> OnConflict = new("--on-conflict")
        {
            Description = "When a run's id is taken in another project (409), was deleted on the target (404 Disabled Resource), or the target run with that id is not this run: fail that run (default; the rest goes on), skip it, or new-id (import it under a new id, recorded in the ledger so re-imports reuse it).",
            HelpName = "fail|skip|new-id",
        };
        public readonly Option<int?> Concurrency = OptionValues.WholeNumber(new("--concurrency") { Description = "Runs imported at once (16).", HelpName = "N" });
        public readonly Option<bool> DryRun = new("--dry-run") { Description = "Sign in to both sides, list what would be imported, send nothing." };

        public IEnumerable<Option> All => [Workspaces, Projects, Runs, States, ConfigFilters, MapWorkspace, MapProject, OnConflict, Concurrency, DryRun];

        public TransferFlags Read(ParseResult parse) => new()
        {
            Workspaces = parse.GetValue(Workspaces) ?? [],
            Projects = parse.GetValue(Projects) ?? [],
            Runs = parse.GetValue(Runs) ?? [],
            States = parse.GetValue(States) ?? [],
            ConfigFilters = parse.GetValue(ConfigFilters) ?? [],
            MapWorkspace = parse.GetValue(MapWorkspace) ?? [],
            MapProject = parse.GetValue(MapProject) ?? [],
            OnConflict = parse.GetValue(OnConflict),
            Concurrency = parse.GetValue(Concurrency),
            DryRun = parse.GetValue(DryRun),
        };
    }

    /// <summary>What the user typed for the shared options.</summary>
    internal sealed record TransferFlags
    {
        public IReadOnlyList<string> Workspaces { get; init; } = [];
        public IReadOnlyList<string> Projects { get; init; } = [];
        public IReadOnlyList<string> Runs { get; init; } = [];
        public IReadOnlyList<string> States { get; init; } = [];
        public IReadOnlyList<string> ConfigFilters { get; init; } = [];
        public IReadOnlyList<string> MapWorkspace { get; init; } = [];
        public IReadOnlyList<string> MapProject { get; init; } = [];
        public string? OnConflict { get; init; }
        public int? Concurrency { get; init; }
        public bool DryRun { get; init; }
    }

    /// <summary>The import settings the shared flags describe; <see cref="ArgumentException"/> for a bad value.</summary>
    public static ImportSettings Resolve(TransferFlags flags, string stateDirectory)
    {
        var policy = (flags.OnConflict ?? "fail").Trim().ToLowerInvariant() switch
        {
            "fail" => ConflictPolicy.Fail,
            "skip" => ConflictPolicy.Skip,
            "new-id" => ConflictPolicy.NewId,
            var other => throw new ArgumentException($"--on-conflict '{other}' is not fail, skip or new-id"),
        };
        if (flags.Concurrency is < 1) throw new ArgumentException($"--concurrency {flags.Concurrency} must be at least 1");
        var config = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var filter in flags.ConfigFilters)
        {
            var eq = filter.IndexOf('=', StringComparison.Ordinal);
            if (eq <= 0) throw new ArgumentException($"--config '{filter}' is not KEY=VALUE");
            config[filter[..eq].Trim()] = filter[(eq + 1)..].Trim();
        }
        var states = flags.States.Select(s => s.Trim().ToUpperInvariant()).ToList();
        foreach (var state in states)
            if (!SettingsResolver.RunStates.Contains(state))
                throw new ArgumentException($"--state '{state}' is not one of {string.Join(", ", SettingsResolver.RunStates)}");
        var crawl = new CrawlSettings
        {
            OutputDirectory = stateDirectory,
            Workspaces = flags.Workspaces,
            Projects = flags.Projects,
            Runs = flags.Runs,
            Filter = new RunFilter(states, config),
            RunConcurrency = flags.Concurrency ?? 16,
            DryRun = flags.DryRun,
        };
        CrawlScopes.Build(crawl);
        return new ImportSettings
        {
            Crawl = crawl,
            StateDirectory = stateDirectory,
            Mapping = ImportMapping.Parse(flags.MapWorkspace, flags.MapProject),
            OnConflict = policy,
        };
    }

    /// <summary>
    /// The client environment of one side of a transfer: the real one without SWANLAB_API_KEY and SWANLAB_API_HOST,
    /// so a side without its own key flag or variable falls back only to the netrc entry naming its host.
    /// </summary>
    public static SwanLabEnvironment SideEnvironment(CliEnvironment env)
    {
        var variables = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var name in new[] { "SWANLAB_ROOT", "SWANLAB_SAVE_DIR" })
            if (env.GetVariable(name) is { Length: > 0 } value) variables[name] = value;
        return new SwanLabEnvironment(variables, Environment.GetFolderPath(Environment.SpecialFolder.UserProfile), Environment.CurrentDirectory);
    }

    /// <summary>Signs in to the target, imports, prints the summary (and the JSON result); the exit code.</summary>
    public static async Task<int> RunAsync(CommandOutput output, IImportBackend imports, IReadOnlyList<string?> keys,
        ImportSettings settings, ICrawlSource source, ConnectionSettings to, CancellationToken ct)
    {
        var command = output.Command;
        var secretList = keys.Where(k => !string.IsNullOrWhiteSpace(k)).Select(k => k!).ToList();
        var clock = Stopwatch.StartNew();
        var human = output.Human;
        output.Result["source"] = source.Identity.Host;
        output.Result["dryRun"] = settings.Crawl.DryRun;
        ConnectedTarget connected;
        try
        {
            connected = await imports.ConnectTargetAsync(to, new RequestLogger(output), ct);
        }
        catch (OperationCanceledException) when (ct.IsCancellationRequested)
        {
            return output.Interrupted();
        }
        catch (CrawlerAuthenticationException e)
        {
            return output.Fail(ExitCodes.AuthenticationError,
                $"target: {(e.NoApiKey ? $"no API key for {e.Host}." : e.Rejected ? $"the server at {e.Host} rejected the API key." : e.Detail)}",
                $"Check the target's key: --{(command == "import" ? "api-key" : "to-api-key")}, {ToKeyVariable}, or the ~/.swanlab/.netrc entry for that host.", e);
        }
        catch (ServerUnreachableException e)
        {
            return output.Fail(ExitCodes.FinishedWithFailures, $"could not reach the target server at {e.Host}: {e.Reason}",
                $"Check --{(command == "import" ? "host" : "to-host")} and your network. Nothing was sent.", e);
        }
        catch (NotASwanLabServerException e)
        {
            return output.Fail(ExitCodes.UsageError, $"target: {e.Host} is not a SwanLab API ({e.Answer}).",
                $"Check --{(command == "import" ? "host" : "to-host")}: give the address of the SwanLab server. Nothing was sent.", e);
        }
        catch (SettingsException e)
        {
            return output.Usage(e.Message);
        }
        catch (Exception e) when (e is not OutOfMemoryException)
        {
            return output.Fail(ExitCodes.FinishedWithFailures, $"could not sign in to the target at {to.DisplayHost}: {e.Message}",
                "Nothing was sent (--verbose shows the error in full).", e);
        }

        await using (connected)
        {
            var target = connected.Target;
            output.Result["target"] = target.Identity.Host;
            output.Result["user"] = target.Identity.Username;
            output.Log?.Info($"{command} from {source.Identity.Host} into {target.Identity.Host} as {target.Identity.Username}");
            human.MarkupLineInterpolated($"Importing from [blue]{source.Identity.Host}[/] into [blue]{target.Identity.Host}[/] as [green]{target.Identity.Username}[/].");
            ProgressReporter? reporter = null;
            try
            {
                if (settings.Crawl.DryRun)
                {
                    var plan = await ImportPlanner.PlanAsync(settings, source, target, ct);
                    ImportSummary.WritePlan(human, plan);
                    ImportJsonResults.AddPlan(output.Result, plan);
                    return output.Exit(ExitCodes.Complete);
                }
                var events = Channel.CreateBounded<CrawlEvent>(new BoundedChannelOptions(16_384) { FullMode = BoundedChannelFullMode.Wait, SingleReader = true });
                reporter = new ProgressReporter(output);
                var showing = reporter.RunAsync(events.Reader);
                ImportResult result;
                try
                {
                    result = await imports.ImportAsync(settings, source, connected, events.Writer, secretList, ct);
                }
                finally
                {
                    events.Writer.TryComplete();
                    await showing;
                }
                ImportSummary.WriteResult(human, result, clock.Elapsed, output.Secrets);
                ImportJsonResults.AddImport(output.Result, result, BothSides(reporter.Snapshot(), connected.Reader), clock.Elapsed, output.Secrets);
                if (output.Log is { } log)
                {
                    foreach (var f in result.Crawl.Failures)
                        log.Error($"failed {f.RunPath} ({f.ErrorKind}, {f.Attempts} attempts): {f.Error}");
                    foreach (var run in result.Verification?.Runs.Where(r => !r.Matched) ?? [])
                        foreach (var mismatch in run.Mismatches)
                            log.Error($"differs {run.SourcePath} -> {run.TargetPath}: {mismatch}");
                    log.Info(ImportSummary.OneLine(result, clock.Elapsed));
                    output.Result["log"] = log.FilePath;
                }
                if (result.Crawl.Cancelled) return output.Interrupted();
                return output.Exit(result.Complete ? ExitCodes.Complete : ExitCodes.FinishedWithFailures);
            }
            catch (OperationCanceledException) when (ct.IsCancellationRequested)
            {
                return output.Interrupted();
            }
            catch (CrawlerAuthenticationException e)
            {
                return output.Fail(ExitCodes.AuthenticationError, $"the server at {e.Host} rejected the API key mid-{command}: {e.Detail}",
                    "Check the key for that server, then run the same command again to resume.", e);
            }
            catch (CrawlAbortedException e)
            {
                return output.Fail(ExitCodes.FinishedWithFailures, $"the {command} could not go on at {e.Path} ({e.Kind}): {e.Message}",
                    "What finished is in the ledger; run the same command again to resume.", e);
            }
            catch (ArgumentException e)
            {
                return output.Usage(e.Message);
            }
            catch (Exception e) when (e is not OutOfMemoryException)
            {
                return output.Fail(ExitCodes.FinishedWithFailures, $"the {command} stopped: {e.Message}",
                    $"Target: {target.Identity.Host}. What finished is in the ledger; run the same command again to resume " +
                    "(--verbose shows the error in full).", e);
            }
        }
    }

    internal static string Count(long n) => n.ToString("N0", CultureInfo.InvariantCulture);

    /// <summary>
    /// The progress counts the source's requests (none for a backup folder); a transfer's requests are both sides':
    /// the target's uploads and read-back are added from its client (whose counters the reader shares).
    /// </summary>
    private static ProgressSnapshot BothSides(ProgressSnapshot progress, ICrawlSource targetReader)
    {
        if (targetReader is not IRequestStatsSource target) return progress;
        var (requests, retries, rateLimited) = target.RequestStats;
        return progress with
        {
            Requests = progress.Requests + requests,
            Retries = progress.Retries + retries,
            RateLimited = progress.RateLimited + rateLimited,
        };
    }
}
