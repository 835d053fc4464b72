using System.CommandLine;
using SwanLab.Crawler.Backup;
using SwanLab.Crawler.Cli.Output;
using SwanLab.Crawler.Configuration;
using SwanLab.Crawler.Source;

namespace SwanLab.Crawler.Cli;

/// <summary>`swanlab-crawler import --from DIR --host B`: a backup folder into a server, through the export actors.</summary>
internal static class ImportCommand
{
    public static Command Create(CliEnvironment env, IImportBackend imports)
    {
        var from = new Option<string?>("--from") { Description = "Backup folder to import (written by export; checked against its manifest.jsonl as it is read).", HelpName = "DIR" };
        var host = new Option<string?>("--host") { Description = "Target SwanLab server. Default: SWANLAB_API_HOST.", HelpName = "URL" };
        var apiKey = new Option<string?>("--api-key")
        {
            Description = $"Target API key. Default: {TransferCommand.ToKeyVariable}, then SWANLAB_API_KEY, then the ~/.swanlab/.netrc entry for the host.",
            HelpName = "KEY",
        };
        var rateLimit = OptionValues.Number(new Option<double?>("--rate-limit", "--to-rate-limit") { Description = "Requests per second to the target; 0 adapts to its 429s (default).", HelpName = "REQ_PER_S" });
        var shared = new TransferCommand.SharedOptions();
        var command = new Command("import",
            "Import a backup folder into a SwanLab server: run ids, names, times, state, config, every point, logs and media. " +
            "Running it again uploads only what the target lacks; state per target host is kept in DIR/.swanlab-crawler/.")
        {
            from, host, apiKey, rateLimit,
        };
        foreach (var option in shared.All) command.Options.Add(option);
        var modes = OutputOptions.AddTo(command);
        command.SetAction((parse, ct) => RunAsync(env, imports, parse.GetValue(from), parse.GetValue(host), parse.GetValue(apiKey),
            parse.GetValue(rateLimit), shared.Read(parse), modes.Read(parse), ct));
        return command;
    }

    static async Task<int> RunAsync(CliEnvironment env, IImportBackend imports, string? from, string? host, string? apiKey,
        double? rateLimit, TransferCommand.TransferFlags flags, OutputMode mode, CancellationToken ct)
    {
        var key = apiKey ?? env.GetVariable(TransferCommand.ToKeyVariable);
        string?[] keys = [key, env.GetVariable("SWANLAB_API_KEY"), env.GetVariable(TransferCommand.ToKeyVariable)];
        var output = new CommandOutput(env, "import", mode) { Secrets = new Redactor(keys) };
        if (string.IsNullOrWhiteSpace(from)) return output.Usage("--from DIR is required (the backup folder to import)");
        if (rateLimit is < 0) return output.Usage($"--rate-limit {rateLimit} must be 0 (adaptive) or more");
        var folder = Path.GetFullPath(from);
        output.Result["backup"] = folder;
        BackupFolderSource source;
        Import.ImportSettings settings;
        try
        {
            source = await BackupFolderSource.OpenAsync(folder, ct);
            settings = TransferCommand.Resolve(flags, Path.Combine(folder, BackupLayout.StateFolderName));
        }
        catch (NotABackupFolderException e)
        {
            return output.Usage(e.Message);
        }
        catch (Exception e) when (e is ArgumentException or IOException or UnauthorizedAccessException)
        {
            return output.Usage(e.Message);
        }
        var to = new ConnectionSettings
        {
            Host = host ?? env.GetVariable("SWANLAB_API_HOST"),
            ApiKey = key,
            RequestsPerSecond = rateLimit is > 0 ? rateLimit : null,
        };
        if (settings.Crawl.DryRun)
            return await TransferCommand.RunAsync(output, imports, keys, settings, source, to, ct);
        // The folder is the import's state as much as export's output: one writer at a time, export or import.
        BackupLock folderLock;
        try
        {
            folderLock = BackupLock.Acquire(new BackupLayout(folder), "import");
        }
        catch (BackupInUseException e)
        {
            return output.Usage(e.Message);
        }
        using (folderLock)
        using (var log = new CrawlerLog(folder, output.Secrets))
        {
            output.Log = log;
            log.Info($"{CrawlerCli.ToolName} {VersionText.Current} import from {folder}");
            try
            {
                return await TransferCommand.RunAsync(output, imports, keys, settings, source, to, ct);
            }
            finally
            {
                output.Log = null;
            }
        }
    }
}
