using Spectre.Console;
using SwanLab.Crawler.Configuration;
using SwanLab.Crawler.Import;
using SwanLab.Crawler.Source;

namespace SwanLab.Crawler.Cli;

/// <summary>
/// `verify --out DIR --against HOST`: reads every run of the backup back from a server and compares it (the same
/// check import runs at its end). Run ids and places come from DIR's import ledger for that host when there is one
/// (new ids, mappings), else each run is looked for at its own path.
/// </summary>
internal static class VerifyAgainstCommand
{
    public static async Task<int> RunAsync(CliEnvironment env, ICrawlerBackend backend, string folder, string host, string? apiKey,
        CancellationToken ct)
    {
        var key = apiKey ?? env.GetVariable(TransferCommand.ToKeyVariable);
        var secrets = new Redactor(key, env.GetVariable("SWANLAB_API_KEY"));
        BackupFolderSource source;
        try
        {
            source = await BackupFolderSource.OpenAsync(folder, ct);
        }
        catch (NotABackupFolderException e)
        {
            return Problems.Usage(env, secrets.Redact(e.Message), "verify");
        }
        ConnectedSource target;
        try
        {
            target = await backend.ConnectAsync(new ConnectionSettings { Host = host, ApiKey = key }, ct);
        }
        catch (CrawlerAuthenticationException e)
        {
            env.Error.MarkupLineInterpolated($"[red]error:[/] {(e.Rejected ? $"the server at {e.Host} rejected the API key" : secrets.Redact(e.Detail))}");
            return ExitCodes.AuthenticationError;
        }
        catch (ServerUnreachableException e)
        {
            env.Error.MarkupLineInterpolated($"[red]error:[/] could not reach the SwanLab server at {e.Host}: {secrets.Redact(e.Reason)}");
            return ExitCodes.FinishedWithFailures;
        }
        await using (target)
        {
            var ledgerFile = Path.Combine(ImportRunner.StateFolder(Path.Combine(folder, Backup.BackupLayout.StateFolderName), target.Source.Identity.Host), "ledger.jsonl");
            await using var ledger = await ImportLedger.OpenAsync(ledgerFile, ct);
            var pairs = new List<(string, string)>();
            await foreach (var workspace in source.WorkspacesAsync(ct))
                await foreach (var project in source.ProjectsAsync(workspace.Username, ct))
                    await foreach (var run in source.RunsAsync(project.Path, RunFilter.None, ct))
                    {
                        if (ledger.Run(run.Path) is { Conflict: not null }) continue;
                        pairs.Add((run.Path, ledger.Run(run.Path)?.Target?.Path ?? run.Path));
                    }
            var report = await ImportVerifier.VerifyAsync(source, target.Source, pairs, includeLogs: true, includeMedia: true, ct);
            env.Out.MarkupLineInterpolated($"Read back from {target.Source.Identity.Host}: {report.Runs.Count(r => r.Matched)} of {report.Runs.Count} run(s) match the backup ({TransferCommand.Count(report.Runs.Sum(r => r.PointsCompared))} points compared).");
            foreach (var run in report.Runs.Where(r => !r.Matched))
                foreach (var mismatch in run.Mismatches)
                    env.Out.MarkupLineInterpolated($"[red]differs[/] {run.SourcePath} -> {run.TargetPath}: {secrets.Redact(mismatch)}");
            return report.AllMatched ? ExitCodes.Complete : ExitCodes.FinishedWithFailures;
        }
    }
}
