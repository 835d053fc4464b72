using System.CommandLine;
using SwanLab.Crawler.Backup;
using SwanLab.Crawler.Cli.Output;
using SwanLab.Crawler.Configuration;

namespace SwanLab.Crawler.Cli;

/// <summary>`swanlab-crawler migrate --from-host A --to-host B --state-dir S`: server to server, streamed.</summary>
internal static class MigrateCommand
{
    public static Command Create(CliEnvironment env, ICrawlerBackend backend, IImportBackend imports)
    {
        var fromHost = new Option<string?>("--from-host") { Description = "Source SwanLab server (read).", HelpName = "URL" };
        var toHost = new Option<string?>("--to-host") { Description = "Target SwanLab server (written).", HelpName = "URL" };
        var fromKey = new Option<string?>("--from-api-key")
        {
            Description = $"Source API key. Default: {TransferCommand.FromKeyVariable}, then the ~/.swanlab/.netrc entry for --from-host (SWANLAB_API_KEY is not used: it would be sent to both).",
            HelpName = "KEY",
        };
        var toKey = new Option<string?>("--to-api-key")
        {
            Description = $"Target API key. Default: {TransferCommand.ToKeyVariable}, then the ~/.swanlab/.netrc entry for --to-host.",
            HelpName = "KEY",
        };
        var stateDir = new Option<string?>("--state-dir") { Description = "Folder for the migration's state (ledger and checkpoint per target host); created if missing.", HelpName = "DIR" };
        var fromRate = OptionValues.Number(new Option<double?>("--from-rate-limit") { Description = "Requests per second to the source; 0 adapts (default).", HelpName = "REQ_PER_S" });
        var toRate = OptionValues.Number(new Option<double?>("--to-rate-limit") { Description = "Requests per second to the target; 0 adapts (default).", HelpName = "REQ_PER_S" });
        var shared = new TransferCommand.SharedOptions();
        var cluster = new ClusterOptions();
        var command = new Command("migrate",
            "Copy runs from one SwanLab server to another, streamed (no local copy of the data), with the same guarantees as import.")
        {
            fromHost, toHost, fromKey, toKey, stateDir, fromRate, toRate,
        };
        foreach (var option in shared.All) command.Options.Add(option);
        foreach (var option in cluster.All.Where(o => o != cluster.Nodes)) command.Options.Add(option);
        var modes = OutputOptions.AddTo(command);
        command.SetAction((parse, ct) => RunAsync(env, backend, imports, new Sides(parse.GetValue(fromHost), parse.GetValue(toHost),
            parse.GetValue(fromKey), parse.GetValue(toKey), parse.GetValue(stateDir), parse.GetValue(fromRate), parse.GetValue(toRate)),
            shared.Read(parse), cluster.Read(parse), modes.Read(parse), ct));
        return command;
    }

    sealed record Sides(string? FromHost, string? ToHost, string? FromKey, string? ToKey, string? StateDir, double? FromRate, double? ToRate);

    static async Task<int> RunAsync(CliEnvironment env, ICrawlerBackend backend, IImportBackend imports, Sides sides,
        TransferCommand.TransferFlags flags, ClusterFlags clusterFlags, OutputMode mode, CancellationToken ct)
    {
        var fromKey = sides.FromKey ?? env.GetVariable(TransferCommand.FromKeyVariable);
        var toKey = sides.ToKey ?? env.GetVariable(TransferCommand.ToKeyVariable);
        string?[] keys = [fromKey, toKey, env.GetVariable("SWANLAB_API_KEY")];
        var output = new CommandOutput(env, "migrate", mode) { Secrets = new Redactor(keys) };
        if (string.IsNullOrWhiteSpace(sides.FromHost)) return output.Usage("--from-host URL is required");
        if (string.IsNullOrWhiteSpace(sides.ToHost)) return output.Usage("--to-host URL is required");
        if (string.IsNullOrWhiteSpace(sides.StateDir)) return output.Usage("--state-dir DIR is required (where the migration keeps its ledger)");
        if (sides.FromRate is < 0 || sides.ToRate is < 0) return output.Usage("--from-rate-limit/--to-rate-limit must be 0 (adaptive) or more");
        Import.ImportSettings settings;
        string state;
        try
        {
            state = Path.GetFullPath(sides.StateDir);
            if (File.Exists(state)) return output.Usage($"--state-dir '{state}' is a file");
            settings = TransferCommand.Resolve(flags, state);
            var below = SettingsResolver.LoadBelowFlags(null, env.GetVariable, env.ToolDirectory).Layer;
            var cluster = ClusterSettingsResolver.Resolve(new SettingsLayer
            {
                ClusterHost = clusterFlags.Host, ClusterPort = clusterFlags.Port,
                ClusterSeedNodes = clusterFlags.SeedNodes.Count > 0 ? clusterFlags.SeedNodes : null,
            }.Over(below));
            // The cluster engine runs exports only: every node would migrate everything on its own.
            if (cluster is not null)
                return output.Usage("migrate does not run in cluster mode yet (only export does): leave out --cluster-host, --cluster-port and --seed-node (and cluster.* / SWANLAB_CRAWLER_CLUSTER_*) and run it as one process.");
        }
        catch (Exception e) when (e is ArgumentException or SettingsException)
        {
            return output.Usage(e.Message);
        }
        output.Result["stateDir"] = state;
        if (settings.Crawl.DryRun)
            return await MigrateAsync(output, backend, imports, keys, settings, sides, ct);
        // One migration per state folder at a time: two would write the same ledger.
        BackupLock stateLock;
        try
        {
            Directory.CreateDirectory(state);
            stateLock = BackupLock.Acquire(new BackupLayout(state), "migrate");
        }
        catch (BackupInUseException e)
        {
            return output.Usage(e.Message);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return output.Usage($"--state-dir '{state}' cannot be used: {e.Message}");
        }
        using (stateLock)
        using (var log = new CrawlerLog(state, output.Secrets))
        {
            output.Log = log;
            log.Info($"{CrawlerCli.ToolName} {VersionText.Current} migrate from {sides.FromHost} to {sides.ToHost}, state in {state}");
            try
            {
                return await MigrateAsync(output, backend, imports, keys, settings, sides, ct);
            }
            finally
            {
                output.Log = null;
            }
        }
    }

    static async Task<int> MigrateAsync(CommandOutput output, ICrawlerBackend backend, IImportBackend imports, string?[] keys,
        Import.ImportSettings settings, Sides sides, CancellationToken ct)
    {
        var env = output.Environment;
        var from = new ConnectionSettings
        {
            Host = sides.FromHost, ApiKey = keys[0], RequestsPerSecond = sides.FromRate is > 0 ? sides.FromRate : null,
            ClientEnvironment = TransferCommand.SideEnvironment(env),
        };
        var to = new ConnectionSettings
        {
            Host = sides.ToHost, ApiKey = keys[1], RequestsPerSecond = sides.ToRate is > 0 ? sides.ToRate : null,
            ClientEnvironment = TransferCommand.SideEnvironment(env),
        };
        ConnectedSource source;
        try
        {
            source = await backend.ConnectAsync(from, new RequestLogger(output), ct);
        }
        catch (OperationCanceledException) when (ct.IsCancellationRequested)
        {
            return output.Interrupted();
        }
        catch (CrawlerAuthenticationException e)
        {
            return output.Fail(ExitCodes.AuthenticationError,
                $"source: {(e.NoApiKey ? $"no API key for {e.Host}." : e.Rejected ? $"the server at {e.Host} rejected the API key." : e.Detail)}",
                $"Check the source's key: --from-api-key, {TransferCommand.FromKeyVariable}, or the ~/.swanlab/.netrc entry for that host.", e);
        }
        catch (ServerUnreachableException e)
        {
            return output.Fail(ExitCodes.FinishedWithFailures, $"could not reach the source server at {e.Host}: {e.Reason}",
                "Check --from-host and your network. Nothing was sent.", e);
        }
        catch (NotASwanLabServerException e)
        {
            return output.Fail(ExitCodes.UsageError, $"source: {e.Host} is not a SwanLab API ({e.Answer}).",
                "Check --from-host: give the address of the SwanLab server. Nothing was sent.", e);
        }
        catch (SettingsException e)
        {
            return output.Usage(e.Message);
        }
        await using (source)
            return await TransferCommand.RunAsync(output, imports, keys, settings, source.Source, to, ct);
    }
}
