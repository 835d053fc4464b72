using System.CommandLine;
using System.CommandLine.Help;
using System.CommandLine.Invocation;
using Spectre.Console;

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
            "into a folder of plain files (CSV/JSON Lines) that pandas reads. Re-running an export resumes it.")
        {
            ExportCommand.Create(env, backend),
            BackupCommands.CreateStatus(env, backend),
            BackupCommands.CreateVerify(env, backend),
            ViewCommand.Create(env),
        };
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
        {
            foreach (var error in parse.Errors)
                env.Error.MarkupLineInterpolated($"[red]error:[/] {error.Message}");
            var command = parse.CommandResult.Command;
            var hint = command is RootCommand ? $"{ToolName} --help" : $"{ToolName} {command.Name} --help";
            env.Error.WriteLine($"See '{hint}' for usage and examples.");
            return ExitCodes.UsageError;
        }
        var invocation = new InvocationConfiguration
        {
            Output = env.OutWriter,
            Error = env.ErrorWriter,
            // Ctrl+C/SIGTERM are handled by the caller (Program.cs) so the crawl can stop cleanly and exit 130.
            ProcessTerminationTimeout = null,
        };
        return await parse.InvokeAsync(invocation, ct);
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
