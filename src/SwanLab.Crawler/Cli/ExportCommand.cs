using System.CommandLine;
using System.Diagnostics;
using System.Threading.Channels;
using Spectre.Console;
using SwanLab.Crawler.Cli.Output;
using SwanLab.Crawler.Configuration;
using SwanLab.Crawler.Crawl;

namespace SwanLab.Crawler.Cli;

/// <summary>`swanlab-crawler export`: resolve settings, sign in, crawl with live progress, summarise, pick the exit code.</summary>
internal static class ExportCommand
{
    /// <summary>The options of one command tree (fresh per tree: System.CommandLine symbols remember their parents).</summary>
    sealed class Options
    {
    public readonly Option<string?> Out = new("--out", "-o")
    {
        Description = "Backup folder; created if missing. Exporting into it again resumes; a non-empty folder that is not a backup is refused (see --allow-non-empty), and one another export is writing into is refused. Default: export.out in crawler.hocon (\"backup\"); env SWANLAB_CRAWLER_OUT.",
        HelpName = "DIR",
    };
    public readonly Option<string?> Host = new("--host")
    {
        Description = "SwanLab server, e.g. https://swanlab.example.com. Default: SWANLAB_API_HOST, the ~/.swanlab/.netrc machine, https://api.swanlab.cn.",
        HelpName = "URL",
    };
    public readonly Option<string?> ApiKey = new("--api-key")
    {
        Description = "API key. Default: SWANLAB_API_KEY, then ~/.swanlab/.netrc (`swanlab login`). Prefer the variable: flags show up in shell history.",
        HelpName = "KEY",
    };
    public readonly Option<string[]> Workspaces = new("--workspace")
    {
        Description = "Only this workspace (a username or team); repeatable. Example: --workspace alice --workspace vision-team",
        HelpName = "NAME",
    };
    public readonly Option<string[]> Projects = new("--project")
    {
        Description = "Only this project; repeatable. Example: --project alice/mnist-baseline",
        HelpName = "WS/PROJ",
    };
    public readonly Option<string[]> Runs = new("--run")
    {
        Description = "Only this run; repeatable. Example: --run alice/mnist-baseline/h2k3x9",
        HelpName = "WS/PROJ/ID",
    };
    public readonly Option<string[]> States = new("--state")
    {
        Description = "Only runs in this state (RUNNING, FINISHED, CRASHED, ABORTED, OFFLINE); repeatable. Example: --state FINISHED",
        HelpName = "STATE",
    };
    public readonly Option<string[]> ConfigFilters = new("--config")
    {
        Description = "Only runs whose config has KEY=VALUE (the SDK's filter; nested keys with dots); repeatable. Example: --config optimizer.lr=0.01",
        HelpName = "KEY=VALUE",
    };
    public readonly Option<string?> Format = new("--format")
    {
        Description = "Series file format: csv (step,value,timestamp), jsonl, or parquet (columns step, value, timestamp; for pandas.read_parquet). Default: export.format (csv); env SWANLAB_CRAWLER_FORMAT.",
        HelpName = "csv|jsonl|parquet",
    };
    public readonly Option<int?> Sample = OptionValues.WholeNumber(new("--sample")
    {
        Description = "Export at most N points per series (LTTB-downsampled, server-side where available) instead of full resolution; the manifest records it. Example: --sample 500",
        HelpName = "N",
    });
    public readonly Option<int?> Concurrency = OptionValues.WholeNumber(new("--concurrency")
    {
        Description = "Runs exported at once. Default: concurrency.runs (16); env SWANLAB_CRAWLER_CONCURRENCY.",
        HelpName = "N",
    });
    public readonly Option<double?> RateLimit = OptionValues.Number(new("--rate-limit")
    {
        Description = "Requests per second for the whole crawl; 0 adapts to the server (slows down on 429). Default: rate-limit.requests-per-second (0); env SWANLAB_CRAWLER_RATE_LIMIT.",
        HelpName = "REQ_PER_S",
    });
    public readonly Option<bool> NoLogs = new("--no-logs") { Description = "Skip console logs (logs.jsonl)." };
    public readonly Option<bool> NoMedia = new("--no-media") { Description = "Skip media files (images, audio, text)." };
    public readonly Option<bool> DryRun = new("--dry-run")
    {
        Description = "Count workspaces, projects and runs and estimate the requests an export would make; write nothing.",
    };
    public readonly Option<bool> Restart = new("--restart")
    {
        Description = "Ignore the checkpoint in DIR and export everything again (default: resume, skipping finished runs).",
    };
    public readonly Option<bool> AllowNonEmpty = new("--allow-non-empty")
    {
        Description = "Export into a DIR that already holds files and is not a backup (refused otherwise, exit 2). " +
                      "Those files are left alone: never listed in the manifest, never deleted.",
    };
    public readonly Option<bool> Refetch = new("--refetch")
    {
        Description = "Export the selected runs again even if DIR holds them; the rest of the checkpoint is kept. Needs --workspace, --project or --run. Example: --refetch --run alice/mnist/h2k3x9",
    };
    public readonly Option<bool> VerifyExisting = new("--verify-existing")
    {
        Description = "Before skipping a run DIR holds, re-hash its files (default: check they exist with their sizes; runs `verify` reported are always re-hashed). Default: export.verify-existing (off); env SWANLAB_CRAWLER_VERIFY_EXISTING.",
    };
    public readonly Option<bool> AllowOtherSource = new("--allow-other-source")
    {
        Description = "Export into DIR even though it holds a backup of another server or user (default: refuse, exit 2).",
    };
    public readonly Option<bool> View = new("--view")
    {
        Description = "At the end, write the offline HTML browser of the backup into DIR/view/ (as `view --out DIR` does).",
    };
    public readonly Option<bool> Demo = new("--demo")
    {
        Description = "Start a built-in demo SwanLab server in this process and export from it; no account needed.",
    };
    public readonly Option<string?> ConfigFile = new("--config-file")
    {
        Description = "Settings file to use instead of config/crawler.hocon next to the tool; env SWANLAB_CRAWLER_CONFIG.",
        HelpName = "PATH",
    };

    public readonly ClusterOptions Cluster = new();
    /// <summary>A node that --nodes started reads from its parent's demo server (not for users: hidden).</summary>
    public readonly Option<string?> DemoServer = new(LocalNodes.LocalNodeArguments.DemoServerFlag) { Hidden = true, Description = "The demo server of the node that started this one." };

    public IReadOnlyList<Option> All =>
    [
        Out, Host, ApiKey, Workspaces, Projects, Runs, States, ConfigFilters, Format, Sample, Concurrency, RateLimit,
        NoLogs, NoMedia, DryRun, Restart, Refetch, VerifyExisting, AllowOtherSource, AllowNonEmpty, View, Demo, ConfigFile,
        .. Cluster.All, DemoServer,
    ];
    }

    public static Command Create(CliEnvironment env, ICrawlerBackend backend)
    {
        var command = new Command("export",
            "Export workspaces, projects and runs (config, metadata, metrics as CSV, JSON Lines or Parquet, logs, media) into DIR. " +
            "Finished runs already in DIR are skipped, so an interrupted export resumes where it stopped.");
        var options = new Options();
        foreach (var option in options.All)
            command.Options.Add(option);
        // Shell completion ([suggest] directive) offers the values; parsing still checks them with a plain message.
        options.Format.CompletionSources.Add("csv", "jsonl", "parquet");
        options.States.CompletionSources.Add([.. SettingsResolver.RunStates]);
        var modes = OutputOptions.AddTo(command);
        command.SetAction(async (parse, ct) =>
        {
            var code = await RunAsync(ReadFlags(parse, options), modes.Read(parse), env, backend, ct);
            return parse.GetValue(options.View) && !parse.GetValue(options.DryRun) ? await WriteViewAsync(parse, options, modes.Read(parse), env, code, ct) : code;
        });
        return command;
    }

    /// <summary>`export --view`: the site of whatever the export left (also a partial one), unless it stopped on a usage error.</summary>
    static async Task<int> WriteViewAsync(ParseResult parse, Options o, OutputMode mode, CliEnvironment env, int code, CancellationToken ct)
    {
        if (code is not (ExitCodes.Complete or ExitCodes.FinishedWithFailures) || ct.IsCancellationRequested) return code;
        string folder;
        try { folder = SettingsResolver.ResolveBackupFolder(parse.GetValue(o.Out), parse.GetValue(o.ConfigFile), env.GetVariable, env.ToolDirectory); }
        catch (SettingsException) { return code; }
        // Under --json the export's result is the one JSON document on stdout; the site's step then only reports failures.
        var output = new Output.CommandOutput(env, "view", mode.Json ? mode with { Json = false, Verbosity = Output.Verbosity.Quiet } : mode);
        var viewCode = await ViewCommand.WriteAsync(output, folder, View.ViewSite.DefaultMaxPoints, ct);
        return Math.Max(code, viewCode);
    }

    static ExportFlags ReadFlags(ParseResult parse, Options o) => new()
    {
        Out = parse.GetValue(o.Out),
        Host = parse.GetValue(o.Host),
        ApiKey = parse.GetValue(o.ApiKey),
        Workspaces = parse.GetValue(o.Workspaces) ?? [],
        Projects = parse.GetValue(o.Projects) ?? [],
        Runs = parse.GetValue(o.Runs) ?? [],
        States = parse.GetValue(o.States) ?? [],
        ConfigFilters = parse.GetValue(o.ConfigFilters) ?? [],
        Format = parse.GetValue(o.Format),
        Sample = parse.GetValue(o.Sample),
        Concurrency = parse.GetValue(o.Concurrency),
        RateLimit = parse.GetValue(o.RateLimit),
        NoLogs = parse.GetValue(o.NoLogs),
        NoMedia = parse.GetValue(o.NoMedia),
        DryRun = parse.GetValue(o.DryRun),
        Restart = parse.GetValue(o.Restart),
        AllowNonEmpty = parse.GetValue(o.AllowNonEmpty),
        Refetch = parse.GetValue(o.Refetch),
        VerifyExisting = parse.GetValue(o.VerifyExisting),
        AllowOtherSource = parse.GetValue(o.AllowOtherSource),
        Demo = parse.GetValue(o.Demo),
        ConfigFile = parse.GetValue(o.ConfigFile),
        Cluster = o.Cluster.Read(parse),
        Nodes = o.Cluster.ReadNodes(parse),
        DemoServer = parse.GetValue(o.DemoServer),
        CommandLine = parse.Tokens.Select(t => t.Value).ToList(),
    };

    public static async Task<int> RunAsync(ExportFlags flags, OutputMode mode, CliEnvironment env, ICrawlerBackend backend,
        CancellationToken ct)
    {
        var output = new CommandOutput(env, "export", mode)
        {
            Secrets = new Redactor(flags.ApiKey, env.GetVariable("SWANLAB_API_KEY")),
        };
        ExportSettings settings;
        int[] nodePorts = [];
        try
        {
            (flags, nodePorts) = LocalCluster(flags);
            settings = SettingsResolver.ResolveExport(flags, env.GetVariable, env.ToolDirectory);
        }
        catch (Exception e) when (e is SettingsException or ArgumentException)
        {
            return output.Usage(e.Message);
        }
        try
        {
            using var log = settings.Crawl.DryRun ? null : new CrawlerLog(settings.Crawl.OutputDirectory, output.Secrets);
            output.Log = log;
            return await ExportAsync(settings, output, backend, ct, nodePorts.Length > 1 ? (flags, nodePorts) : null);
        }
        finally
        {
            output.Log = null;
        }
    }

    /// <summary>
    /// <c>--nodes N</c> (N &gt; 1): this process is the seed of a cluster on 127.0.0.1 at the first of N consecutive free
    /// ports; the other N-1 get the rest once this one has signed in.
    /// </summary>
    static (ExportFlags Flags, int[] Ports) LocalCluster(ExportFlags flags)
    {
        if (flags.Nodes is not { } nodes) return (flags, []);
        if (nodes is < 1 or > MaxLocalNodes)
            throw new SettingsException($"--nodes {nodes}: give 1 to {MaxLocalNodes} processes on this machine.");
        if (nodes == 1 || flags.DryRun) return (flags, []);
        if (flags.Cluster.Host is not null || flags.Cluster.SeedNodes.Count > 0)
            throw new SettingsException("--nodes starts every node on 127.0.0.1, seeded by this one: leave out --cluster-host and --seed-node (--cluster-port chooses the first port).");
        var ports = LocalNodes.LocalNodeProcesses.FreeConsecutivePorts(nodes, flags.Cluster.Port is > 0 ? flags.Cluster.Port : null);
        var self = LocalNodes.LocalNodeArguments.LoopbackHost;
        return (flags with { Cluster = new ClusterFlags(self, ports[0], [$"{self}:{ports[0]}"]) }, ports);
    }

    const int MaxLocalNodes = 32;

    /// <summary>How long --nodes children may take to end after this process's crawl ended, and again once told to stop.</summary>
    internal static TimeSpan LocalNodeGrace { get; set; } = TimeSpan.FromSeconds(10);

    static async Task<int> ExportAsync(ExportSettings settings, CommandOutput output, ICrawlerBackend backend, CancellationToken ct,
        (ExportFlags Flags, int[] Ports)? localNodes)
    {
        var clock = Stopwatch.StartNew();
        var human = output.Human;
        var host = settings.Connection.DisplayHost;
        output.Result["backup"] = settings.Crawl.OutputDirectory;
        output.Result["dryRun"] = settings.Crawl.DryRun;
        output.Log?.Info($"{CrawlerCli.ToolName} {VersionText.Current} export into {settings.Crawl.OutputDirectory} " +
                         $"({Describe(settings.Crawl)}); settings from {settings.ConfigOrigin}");
        ProgressReporter? reporter = null;
        try
        {
            // Refuse someone else's folder, or one an export is writing into, before starting or signing in to anything.
            // A cluster node leaves that to the coordinator: another node of the same crawl may hold the folder already.
            if (!settings.Crawl.DryRun && settings.Crawl.Cluster is null) CrawlRunner.CheckOutputFolder(settings.Crawl);
            await using var demo = settings.Demo ? await backend.StartDemoAsync(ct) : null;
            var connection = settings.Connection;
            if (demo is not null)
            {
                output.Secrets = output.Secrets.With(demo.ApiKey);
                connection = connection with { Host = demo.Host, ApiKey = demo.ApiKey, HttpsAssumed = false };
                host = demo.Host;
                human.MarkupLineInterpolated($"Demo server started at [blue]{demo.Host}[/] (it stops when the export ends).");
            }

            await using var source = await backend.ConnectAsync(connection, new RequestLogger(output), ct);
            var identity = source.Source.Identity;
            host = identity.Host;
            output.Result["host"] = identity.Host;
            output.Result["user"] = identity.Username;
            output.Log?.Info($"signed in to {identity.Host} as {identity.Username}");
            human.MarkupLineInterpolated($"Signed in to [blue]{identity.Host}[/] as [green]{identity.Username}[/].");

            if (settings.Crawl.DryRun)
            {
                var plan = await backend.PlanAsync(settings.Crawl, source.Source, ct);
                Summaries.WritePlan(human, plan, settings.Crawl);
                JsonResults.AddPlan(output.Result, plan);
                return output.Exit(ExitCodes.Complete);
            }

            await using var children = localNodes is { } local
                ? StartLocalNodes(local.Flags, local.Ports, settings, demo, output)
                : null;
            human.MarkupLineInterpolated($"Exporting into [blue]{settings.Crawl.OutputDirectory}[/] ({Describe(settings.Crawl)}).");
            var events = Channel.CreateBounded<CrawlEvent>(new BoundedChannelOptions(16_384)
            {
                FullMode = BoundedChannelFullMode.Wait,
                SingleReader = true,
            });
            reporter = new ProgressReporter(output);
            var showing = reporter.RunAsync(events.Reader);
            CrawlResult result;
            try
            {
                result = await backend.RunAsync(settings.Crawl, source.Source, events.Writer, ct);
            }
            finally
            {
                events.Writer.TryComplete();
                await showing;
            }

            return Finish(output, result, reporter.Snapshot(), clock.Elapsed, settings.Crawl.OutputDirectory);
        }
        catch (OperationCanceledException) when (ct.IsCancellationRequested)
        {
            return output.Interrupted();
        }
        catch (CrawlerAuthenticationException e) when (e.NoApiKey)
        {
            return output.Fail(ExitCodes.AuthenticationError, $"no API key for {e.Host}.",
                "Give one with --api-key KEY, set SWANLAB_API_KEY, or run `swanlab login` (it writes ~/.swanlab/.netrc).", e);
        }
        catch (CrawlerAuthenticationException e) when (e.Rejected)
        {
            return output.Fail(ExitCodes.AuthenticationError, $"the server at {e.Host} rejected the API key.",
                "Check --api-key or SWANLAB_API_KEY, or run `swanlab login` to refresh ~/.swanlab/.netrc. " +
                "Is --host (SWANLAB_API_HOST) the server the key belongs to?", e);
        }
        catch (CrawlerAuthenticationException e)
        {
            return output.Fail(ExitCodes.AuthenticationError, e.Detail,
                "Check --api-key or SWANLAB_API_KEY, or run `swanlab login` to refresh ~/.swanlab/.netrc.", e);
        }
        catch (NotASwanLabServerException e)
        {
            return output.Fail(ExitCodes.UsageError, $"{e.Host} is not a SwanLab API ({e.Answer}).",
                "Check --host (or SWANLAB_API_HOST): give the address of your SwanLab server, the one `swanlab login --host` " +
                "uses, e.g. --host https://swanlab.example.com. Nothing was exported.", e);
        }
        catch (ServerUnreachableException e) when (e.HttpsAssumed)
        {
            var plain = "http://" + e.Host[(e.Host.IndexOf("://", StringComparison.Ordinal) + 3)..];
            return output.Fail(ExitCodes.UsageError,
                $"could not open an https connection to {e.Host}; the host was given without http:// or https://, so https:// was assumed.",
                $"If the server speaks plain HTTP, give --host {plain}. Nothing was exported.", e);
        }
        catch (ServerUnreachableException e)
        {
            return output.Fail(ExitCodes.FinishedWithFailures, $"could not reach the SwanLab server at {e.Host}: {e.Reason}",
                "Check --host / SWANLAB_API_HOST and your network. Nothing more was exported; " +
                "run the same command again when the server is reachable to resume.", e);
        }
        catch (CrawlAbortedException e)
        {
            Finish(output, e.Partial, reporter?.Snapshot(), clock.Elapsed, settings.Crawl.OutputDirectory, exit: false);
            return output.Fail(ExitCodes.FinishedWithFailures, $"the export could not go on at {e.Path} ({e.Kind}): {e.Message}",
                "What finished is in the checkpoint; run the same command again to resume.", e);
        }
        catch (Exception e) when (e is ArgumentException or Backup.UnsafePathException or Backup.BackupInUseException
                                       or Backup.FolderNotABackupException or OtherSourceException)
        {
            return output.Usage(e.Message);
        }
        catch (SettingsException e)
        {
            return output.Usage(e.Message);
        }
        catch (Exception e) when (e is not OutOfMemoryException)
        {
            return output.Fail(ExitCodes.FinishedWithFailures, $"the export stopped: {e.Message}",
                $"Server: {host}. What finished is in the checkpoint; run the same command again to resume " +
                "(--verbose shows the error in full).", e);
        }
    }

    static LocalNodes.LocalNodeProcesses StartLocalNodes(ExportFlags flags, int[] ports, ExportSettings settings, DemoServer? demo,
        CommandOutput output)
    {
        var lines = ports.Skip(1)
            .Select(port => LocalNodes.LocalNodeArguments.ForChild(flags.CommandLine, port, ports[0], demo?.Host))
            .ToList();
        var folder = new Backup.BackupLayout(settings.Crawl.OutputDirectory).StateDirectory;
        var children = LocalNodes.LocalNodeProcesses.Start(lines,
            folder, LocalNodes.LocalNodeArguments.ChildEnvironment(demo?.ApiKey ?? flags.ApiKey), LocalNodeGrace);
        output.Human.MarkupLineInterpolated(
            $"Started {lines.Count} more nodes on 127.0.0.1:{ports[1]}-{ports[^1]} (seed 127.0.0.1:{ports[0]}); their output is in [blue]{folder}[/]/node-<i>.log.");
        output.Log?.Info($"--nodes {ports.Length}: this node 127.0.0.1:{ports[0]}, children (pids {string.Join(", ", children.ProcessIds)}) on ports {ports[1]}-{ports[^1]}");
        output.Result["localNodes"] = ports.Length;
        return children;
    }

    /// <summary>Summary table, JSON result, log line and exit code of a crawl that ran (to its end or not).</summary>
    static int Finish(CommandOutput output, CrawlResult result, ProgressSnapshot? progress, TimeSpan elapsed, string folder,
        bool exit = true)
    {
        Summaries.WriteResult(output.Human, result, progress, elapsed, folder, output.Secrets);
        JsonResults.AddExport(output.Result, result, progress, elapsed, folder, output.Secrets);
        if (output.Log is { } log)
        {
            foreach (var f in result.Failures)
                log.Error($"failed {f.RunPath} ({f.ErrorKind}, {f.Attempts} attempts): {f.Error}");
            log.Info(Summaries.OneLine(result, progress, elapsed));
            output.Result["log"] = log.FilePath;
        }
        if (!exit)
            return ExitCodes.FinishedWithFailures;
        if (result.Cancelled)
            return output.Interrupted();
        return output.Exit(result.RunsFailed > 0 || !result.Complete ? ExitCodes.FinishedWithFailures : ExitCodes.Complete);
    }

    static string Describe(CrawlSettings s) =>
        string.Join(", ", new[]
        {
            s.Format.ToString().ToLowerInvariant(),
            s.Sample is { } n ? $"at most {n} points per series" : "full resolution",
            $"{s.RunConcurrency} runs at once",
            s.IncludeLogs ? null : "no logs",
            s.IncludeMedia ? null : "no media",
            s.Restart ? "restarting from scratch" : null,
            s.Refetch ? "fetching the selected runs again" : null,
            s.VerifyExisting ? "re-hashing runs already there" : null,
        }.Where(part => part is not null));
}
