using Spectre.Console;
using SwanLab.Crawler.Cli.Output;
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
    public static async Task<int> RunAsync(CommandOutput output, ICrawlerBackend backend, string folder, string host, string? apiKey,
        CancellationToken ct)
    {
        var env = output.Environment;
        var key = apiKey ?? env.GetVariable(TransferCommand.ToKeyVariable);
        output.Secrets = new Redactor(key, env.GetVariable("SWANLAB_API_KEY"), env.GetVariable(TransferCommand.ToKeyVariable));
        output.Result["backup"] = folder;
        output.Result["against"] = host;
        BackupFolderSource source;
        try
        {
            source = await BackupFolderSource.OpenAsync(folder, ct);
        }
        catch (NotABackupFolderException e)
        {
            return output.Usage(e.Message);
        }
        ConnectedSource target;
        try
        {
            target = await backend.ConnectAsync(new ConnectionSettings { Host = host, ApiKey = key }, new RequestLogger(output), ct);
        }
        catch (CrawlerAuthenticationException e)
        {
            return output.Fail(ExitCodes.AuthenticationError,
                e.NoApiKey ? $"no API key for {e.Host}." : e.Rejected ? $"the server at {e.Host} rejected the API key." : e.Detail,
                $"Give the key of the --against server: --api-key, {TransferCommand.ToKeyVariable}, SWANLAB_API_KEY, or the ~/.swanlab/.netrc entry for that host.", e);
        }
        catch (ServerUnreachableException e)
        {
            return output.Fail(ExitCodes.FinishedWithFailures, $"could not reach the SwanLab server at {e.Host}: {e.Reason}",
                "Check --against and your network.", e);
        }
        catch (NotASwanLabServerException e)
        {
            return output.Fail(ExitCodes.UsageError, $"{e.Host} is not a SwanLab API ({e.Answer}).",
                "Check --against: give the address of the SwanLab server the backup was imported into.", e);
        }
        catch (SettingsException e)
        {
            return output.Usage(e.Message);
        }
        await using (target)
        {
            output.Result["target"] = target.Source.Identity.Host;
            var ledgerFile = Path.Combine(ImportRunner.StateFolder(Path.Combine(folder, Backup.BackupLayout.StateFolderName), target.Source.Identity.Host), "ledger.jsonl");
            try
            {
                // Read only: the ledger is opened for reading and nothing is written into the backup folder.
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
                output.Human.MarkupLineInterpolated($"Read back from {target.Source.Identity.Host}: {report.Runs.Count(r => r.Matched)} of {report.Runs.Count} run(s) match the backup ({TransferCommand.Count(report.Runs.Sum(r => r.PointsCompared))} points compared).");
                foreach (var run in report.Runs.Where(r => !r.Matched))
                    foreach (var mismatch in run.Mismatches)
                        output.Human.MarkupLineInterpolated($"[red]differs[/] {run.SourcePath} -> {run.TargetPath}: {output.Secrets.Redact(mismatch)}");
                output.Result["ok"] = report.AllMatched;
                ImportJsonResults.AddVerification(output.Result, report, output.Secrets);
                return output.Exit(report.AllMatched ? ExitCodes.Complete : ExitCodes.FinishedWithFailures);
            }
            catch (OperationCanceledException) when (ct.IsCancellationRequested)
            {
                return output.Interrupted();
            }
            catch (CrawlerAuthenticationException e)
            {
                return output.Fail(ExitCodes.AuthenticationError, $"the server at {e.Host} rejected the API key: {e.Detail}", null, e);
            }
            catch (Exception e) when (e is not OutOfMemoryException and not NotABackupException)
            {
                return output.Fail(ExitCodes.FinishedWithFailures, $"the read-back check stopped: {e.Message}",
                    $"Server: {target.Source.Identity.Host} (--verbose shows the error in full).", e);
            }
        }
    }
}
