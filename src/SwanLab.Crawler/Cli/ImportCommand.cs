using System.CommandLine;
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
        var rateLimit = new Option<double?>("--rate-limit", "--to-rate-limit") { Description = "Requests per second to the target; 0 adapts to its 429s (default).", HelpName = "REQ_PER_S" };
        var shared = new TransferCommand.SharedOptions();
        var command = new Command("import",
            "Import a backup folder into a SwanLab server: run ids, names, times, state, config, every point, logs and media. " +
            "Running it again uploads only what the target lacks; state per target host is kept in DIR/.swanlab-crawler/.")
        {
            from, host, apiKey, rateLimit,
        };
        foreach (var option in shared.All) command.Options.Add(option);
        command.SetAction((parse, ct) => RunAsync(env, imports, parse.GetValue(from), parse.GetValue(host), parse.GetValue(apiKey),
            parse.GetValue(rateLimit), shared.Read(parse), ct));
        return command;
    }

    static async Task<int> RunAsync(CliEnvironment env, IImportBackend imports, string? from, string? host, string? apiKey,
        double? rateLimit, TransferCommand.TransferFlags flags, CancellationToken ct)
    {
        var key = apiKey ?? env.GetVariable(TransferCommand.ToKeyVariable);
        string?[] keys = [key, env.GetVariable("SWANLAB_API_KEY"), env.GetVariable(TransferCommand.ToKeyVariable)];
        var secrets = new Redactor(keys);
        if (string.IsNullOrWhiteSpace(from)) return Problems.Usage(env, "--from DIR is required (the backup folder to import)", "import");
        if (rateLimit is < 0) return Problems.Usage(env, $"--rate-limit {rateLimit} must be 0 (adaptive) or more", "import");
        BackupFolderSource source;
        Import.ImportSettings settings;
        try
        {
            source = await BackupFolderSource.OpenAsync(Path.GetFullPath(from), ct);
            settings = TransferCommand.Resolve(flags, Path.Combine(Path.GetFullPath(from), Backup.BackupLayout.StateFolderName), sourceKeepsCaptions: false);
        }
        catch (NotABackupFolderException e)
        {
            return Problems.Usage(env, secrets.Redact(e.Message), "import");
        }
        catch (Exception e) when (e is ArgumentException or IOException or UnauthorizedAccessException)
        {
            return Problems.Usage(env, secrets.Redact(e.Message), "import");
        }
        var to = new ConnectionSettings
        {
            Host = host ?? env.GetVariable("SWANLAB_API_HOST"),
            ApiKey = key,
            RequestsPerSecond = rateLimit is > 0 ? rateLimit : null,
        };
        return await TransferCommand.RunAsync("import", env, imports, keys, settings, source, to, ct);
    }
}
