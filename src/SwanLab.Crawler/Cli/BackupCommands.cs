using System.CommandLine;
using SwanLab.Crawler.Configuration;

namespace SwanLab.Crawler.Cli;

/// <summary>`status` and `verify`: read-only views of a backup folder.</summary>
internal static class BackupCommands
{
    static Option<string?> NewOut() => new("--out", "-o")
    {
        Description = "Backup folder written by export. Default: SWANLAB_CRAWLER_OUT, then export.out in crawler.hocon (\"backup\").",
        HelpName = "DIR",
    };
    static Option<string?> NewConfigFile() => new("--config-file")
    {
        Description = "Settings file (only export.out is read here); env SWANLAB_CRAWLER_CONFIG.",
        HelpName = "PATH",
    };

    public static Command CreateStatus(CliEnvironment env, ICrawlerBackend backend)
    {
        var command = new Command("status",
            "Show what the backup's checkpoint holds: runs done, failed and left, by workspace and project, and list the " +
            "failed and left runs. Reads only DIR (no lock, no server; safe while an export runs). Exits 0 only when the " +
            "last export finished complete with no run failed or left and none is running, 1 otherwise, 2 when DIR is not a backup.")
        {
            NewOut(), NewConfigFile(),
        };
        command.SetAction((parse, ct) => WithFolder(parse, env, "status", async folder =>
        {
            var status = await backend.ReadStatusAsync(folder, ct);
            Summaries.WriteStatus(env.Out, folder, status);
            return status.AllThere ? ExitCodes.Complete : ExitCodes.FinishedWithFailures;
        }));
        return command;
    }

    public static Command CreateVerify(CliEnvironment env, ICrawlerBackend backend)
    {
        var command = new Command("verify",
            "Re-hash every file in the backup against manifest.jsonl (size and sha256), check each series' point count " +
            "and last step, and check the backup is complete. Exits 0 only when every file matches and nothing selected " +
            "is missing; 1 on any mismatch or when the backup is not complete (failed or left runs, complete: false in " +
            "backup.json, an export still running), with the list; 2 when DIR is not a backup. Reads only (no lock).")
        {
            NewOut(), NewConfigFile(),
        };
        command.SetAction((parse, ct) => WithFolder(parse, env, "verify", async folder =>
        {
            var report = await backend.VerifyAsync(folder, ct);
            Summaries.WriteVerify(env.Out, folder, report);
            return report.Clean ? ExitCodes.Complete : ExitCodes.FinishedWithFailures;
        }));
        return command;
    }

    static async Task<int> WithFolder(ParseResult parse, CliEnvironment env, string name, Func<string, Task<int>> body)
    {
        string folder;
        try
        {
            folder = SettingsResolver.ResolveBackupFolder(parse.GetValue<string?>("--out"), parse.GetValue<string?>("--config-file"),
                env.GetVariable, env.ToolDirectory);
        }
        catch (SettingsException e)
        {
            return Problems.Usage(env, e.Message, name);
        }
        if (!Directory.Exists(folder))
            return Problems.Usage(env, $"'{folder}' does not exist; give the --out folder of an export.", name);
        try
        {
            return await body(folder);
        }
        catch (NotABackupException e)
        {
            return Problems.Usage(env, e.Message, name);
        }
        catch (OperationCanceledException)
        {
            return Problems.Interrupted(env);
        }
    }
}
