using System.CommandLine;
using System.Text.Json.Nodes;
using SwanLab.Crawler.Cli.Output;
using SwanLab.Crawler.Configuration;

namespace SwanLab.Crawler.Cli;

/// <summary>`status` and `verify`: read-only views of a backup folder (they write nothing, not even a log).</summary>
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
        var modes = OutputOptions.AddTo(command);
        command.SetAction((parse, ct) => WithFolder(parse, new CommandOutput(env, "status", modes.Read(parse)), async (folder, output) =>
        {
            var status = await backend.ReadStatusAsync(folder, ct);
            Summaries.WriteStatus(output.Human, folder, status);
            output.Result["backup"] = folder;
            output.Result["complete"] = status.Complete;
            output.Result["done"] = status.Done;
            output.Result["failed"] = status.Failed;
            output.Result["left"] = status.Left;
            output.Result["leftRuns"] = new JsonArray(status.LeftRuns.Select(r => (JsonNode)JsonValue.Create(r)!).ToArray());
            output.Result["writer"] = status.Writer;
            output.Result["projects"] = new JsonArray(status.Rows.Select(r => (JsonNode)new JsonObject
            {
                ["workspace"] = r.Workspace, ["project"] = r.Project, ["done"] = r.Done, ["failed"] = r.Failed, ["left"] = r.Left,
            }).ToArray());
            output.Result["failures"] = new JsonArray(status.Failures.Select(f => (JsonNode)new JsonObject
            {
                ["run"] = f.RunPath, ["kind"] = f.Kind, ["attempts"] = f.Attempts, ["error"] = output.Secrets.Redact(f.Error),
            }).ToArray());
            return output.Exit(status.AllThere ? ExitCodes.Complete : ExitCodes.FinishedWithFailures);
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
        var modes = OutputOptions.AddTo(command);
        command.SetAction((parse, ct) => WithFolder(parse, new CommandOutput(env, "verify", modes.Read(parse)), async (folder, output) =>
        {
            var report = await backend.VerifyAsync(folder, ct);
            Summaries.WriteVerify(output.Human, folder, report);
            output.Result["backup"] = folder;
            output.Result["ok"] = report.Clean;
            output.Result["filesMatch"] = report.FilesMatch;
            output.Result["filesChecked"] = report.FilesChecked;
            output.Result["incomplete"] = new JsonArray(report.Incomplete.Select(r => (JsonNode)JsonValue.Create(r)!).ToArray());
            output.Result["problems"] = new JsonArray(report.Problems.Select(p => (JsonNode)new JsonObject
            {
                ["path"] = p.Path, ["problem"] = p.Problem,
            }).ToArray());
            return output.Exit(report.Clean ? ExitCodes.Complete : ExitCodes.FinishedWithFailures);
        }));
        return command;
    }

    static async Task<int> WithFolder(ParseResult parse, CommandOutput output, Func<string, CommandOutput, Task<int>> body)
    {
        string folder;
        try
        {
            folder = SettingsResolver.ResolveBackupFolder(parse.GetValue<string?>("--out"), parse.GetValue<string?>("--config-file"),
                output.Environment.GetVariable, output.Environment.ToolDirectory);
        }
        catch (SettingsException e)
        {
            return output.Usage(e.Message);
        }
        if (!Directory.Exists(folder))
            return output.Usage($"'{folder}' does not exist; give the --out folder of an export.");
        try
        {
            return await body(folder, output);
        }
        catch (NotABackupException e)
        {
            return output.Usage(e.Message);
        }
        catch (OperationCanceledException)
        {
            return output.Interrupted();
        }
    }
}
