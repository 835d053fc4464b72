using System.CommandLine;
using Spectre.Console;
using SwanLab.Crawler.Cli.Output;
using SwanLab.Crawler.Configuration;
using SwanLab.Crawler.View;

namespace SwanLab.Crawler.Cli;

/// <summary>`swanlab-crawler view`: writes the offline HTML browser of a backup into DIR/view/.</summary>
internal static class ViewCommand
{
    public static Command Create(CliEnvironment env)
    {
        var outOption = new Option<string?>("--out", "-o")
        {
            Description = "Backup folder written by export. Default: SWANLAB_CRAWLER_OUT, then export.out in crawler.hocon (\"backup\").",
            HelpName = "DIR",
        };
        var configFile = new Option<string?>("--config-file")
        {
            Description = "Settings file (only export.out is read here); env SWANLAB_CRAWLER_CONFIG.",
            HelpName = "PATH",
        };
        var maxPoints = new Option<int>("--max-points")
        {
            Description = $"Most points drawn per series (LTTB down-sampled copy beside the page; the backup keeps every point). Default {ViewSite.DefaultMaxPoints}.",
            HelpName = "N",
            DefaultValueFactory = _ => ViewSite.DefaultMaxPoints,
        };
        var command = new Command("view",
            "Write a static site into DIR/view/ that browses the backup offline: open DIR/view/index.html in any browser " +
            "(no server, no network). Workspaces, projects, a searchable table of every run, per project a sortable runs " +
            "table and overlaid charts, per run config/metadata trees, requirements, logs, media and charts. Writes only " +
            "DIR/view/ (listed in DIR/view/manifest.jsonl, which verify accepts); the same backup gives the same bytes.")
        {
            outOption, configFile, maxPoints,
        };
        var modes = OutputOptions.AddTo(command);
        command.SetAction(async (parse, ct) =>
        {
            var output = new CommandOutput(env, "view", modes.Read(parse));
            string folder;
            try
            {
                folder = SettingsResolver.ResolveBackupFolder(parse.GetValue(outOption), parse.GetValue(configFile), env.GetVariable, env.ToolDirectory);
            }
            catch (SettingsException e)
            {
                return output.Usage(e.Message);
            }
            var points = parse.GetValue(maxPoints);
            if (points < 3) return output.Usage($"--max-points must be at least 3; got {points}.");
            return await WriteAsync(output, folder, points, ct);
        });
        return command;
    }

    /// <summary>Writes the site of <paramref name="folder"/>; also the last step of `export --view`.</summary>
    public static async Task<int> WriteAsync(CommandOutput output, string folder, int maxPoints, CancellationToken ct)
    {
        if (!Directory.Exists(folder))
            return output.Usage($"'{folder}' does not exist; give the --out folder of an export.");
        if (!File.Exists(Path.Combine(folder, Backup.BackupLayout.BackupInfoFileName))
            && !Directory.Exists(Path.Combine(folder, Backup.BackupLayout.StateFolderName)))
            return output.Usage($"'{folder}' is not a backup of {CrawlerCli.ToolName} (no backup.json); give the --out folder of an export.");
        try
        {
            var result = await ViewSite.WriteAsync(folder, maxPoints, ct);
            output.Human.MarkupLineInterpolated(
                $"Wrote the backup's site ({result.Workspaces} workspaces, {result.Projects} projects, {result.Runs} runs, {result.Files} files): open [blue]{result.IndexFile}[/] in a browser.");
            output.Result["backup"] = folder;
            output.Result["index"] = result.IndexFile;
            output.Result["runs"] = result.Runs;
            output.Result["files"] = result.Files;
            return output.Exit(ExitCodes.Complete);
        }
        catch (OperationCanceledException)
        {
            return output.Interrupted();
        }
        catch (Exception e) when (e is ViewFolderTakenException or FormatException or Backup.UnsafePathException)
        {
            return output.Fail(ExitCodes.FinishedWithFailures, $"the site was not written: {e.Message}", cause: e);
        }
    }
}
