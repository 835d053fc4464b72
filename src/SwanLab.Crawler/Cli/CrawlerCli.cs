using System.CommandLine;
using System.CommandLine.Help;
using System.CommandLine.Invocation;
using System.Text.Json.Nodes;
using Spectre.Console;
using SwanLab.Crawler.Cli.Output;

namespace SwanLab.Crawler.Cli;

/// <summary>
/// The `swanlab-crawler` command tree: export, status, verify. Parsing problems exit 2 (never System.CommandLine's
/// default 1, which scripts would read as "finished with failed runs").
/// </summary>
internal static class CrawlerCli
{
    public const string ToolName = "swanlab-crawler";

    public static RootCommand Build(CliEnvironment env, ICrawlerBackend backend)
    {
        var root = new RootCommand(
            "Back up everything a SwanLab account can read — workspaces, projects, runs, config, metrics, logs and media — " +
            "into a folder of plain files (metrics as CSV, JSON Lines or Parquet) that pandas reads. Re-running an export resumes it.")
        {
            ExportCommand.Create(env, backend),
            BackupCommands.CreateStatus(env, backend),
            BackupCommands.CreateVerify(env, backend),
            ImportCommand.Create(env, backend as IImportBackend ?? new ProductionImportBackend()),
            MigrateCommand.Create(env, backend, backend as IImportBackend ?? new ProductionImportBackend()),
            ViewCommand.Create(env),
        };
        // --version on every command, not only the root (each prints the same version and exits 0).
        foreach (var command in root.Subcommands)
            command.Options.Add(new VersionOption());
        foreach (var option in root.Options)
            if (option is HelpOption { Action: HelpAction standard } help)
                help.Action = new TeachingHelpAction(standard);
        return root;
    }

    public static async Task<int> RunAsync(string[] args, CliEnvironment env, ICrawlerBackend backend, CancellationToken ct)
    {
        var root = Build(env, backend);
        var parse = root.Parse(args);
        if (parse.Errors.Count > 0 && parse.Action is not HelpAction and not TeachingHelpAction)
            return ReportParseErrors(parse, args, env);
        var invocation = new InvocationConfiguration
        {
            Output = env.OutWriter,
            Error = env.ErrorWriter,
            // Ctrl+C/SIGTERM are handled by the caller (Program.cs) so the crawl can stop cleanly and exit 130.
            ProcessTerminationTimeout = null,
        };
        return await parse.InvokeAsync(invocation, ct);
    }

    static int ReportParseErrors(ParseResult parse, string[] args, CliEnvironment env)
    {
        var command = parse.CommandResult.Command;
        var name = command is RootCommand ? "" : command.Name;
        var messages = ParseErrors.Describe(parse, args);
        foreach (var message in messages)
            env.Error.MarkupLineInterpolated($"[red]error:[/] {message}");
        var hint = command is RootCommand ? $"{ToolName} --help" : $"{ToolName} {name} --help";
        env.Error.WriteLine($"See '{hint}' for usage and examples.");
        // A script that asked for JSON gets JSON, even when the command line itself is wrong.
        if (args.Contains(OutputOptions.JsonFlag, StringComparer.Ordinal))
        {
            var result = new JsonObject
            {
                ["command"] = name,
                ["error"] = new JsonObject { ["message"] = string.Join(" ", messages) },
                ["exitCode"] = ExitCodes.UsageError,
            };
            env.OutWriter.WriteLine(result.ToJsonString(new System.Text.Json.JsonSerializerOptions { WriteIndented = true }));
        }
        return ExitCodes.UsageError;
    }

    /// <summary>Prints the standard help, then the environment variables, exit codes and examples.</summary>
    sealed class TeachingHelpAction(HelpAction standard) : SynchronousCommandLineAction
    {
        public override int Invoke(ParseResult parseResult)
        {
            var result = standard.Invoke(parseResult);
            var output = parseResult.InvocationConfiguration.Output;
            output.Write(HelpText.Epilogue(parseResult.CommandResult.Command));
            return result;
        }
    }
}
