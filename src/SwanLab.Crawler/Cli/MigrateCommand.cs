using System.CommandLine;
using Spectre.Console;
using SwanLab.Crawler.Configuration;

namespace SwanLab.Crawler.Cli;

/// <summary>`swanlab-crawler migrate --from-host A --to-host B --state-dir S`: server to server, streamed.</summary>
internal static class MigrateCommand
{
    public static Command Create(CliEnvironment env, ICrawlerBackend backend, IImportBackend imports)
    {
        var fromHost = new Option<string?>("--from-host") { Description = "Source SwanLab server (read).", HelpName = "URL" };
        var toHost = new Option<string?>("--to-host") { Description = "Target SwanLab server (written).", HelpName = "URL" };
        var fromKey = new Option<string?>("--from-api-key")
        {
            Description = $"Source API key. Default: {TransferCommand.FromKeyVariable}, then the ~/.swanlab/.netrc entry for --from-host (SWANLAB_API_KEY is not used: it would be sent to both).",
            HelpName = "KEY",
        };
        var toKey = new Option<string?>("--to-api-key")
        {
            Description = $"Target API key. Default: {TransferCommand.ToKeyVariable}, then the ~/.swanlab/.netrc entry for --to-host.",
            HelpName = "KEY",
        };
        var stateDir = new Option<string?>("--state-dir") { Description = "Folder for the migration's state (ledger and checkpoint per target host); created if missing.", HelpName = "DIR" };
        var fromRate = new Option<double?>("--from-rate-limit") { Description = "Requests per second to the source; 0 adapts (default).", HelpName = "REQ_PER_S" };
        var toRate = new Option<double?>("--to-rate-limit") { Description = "Requests per second to the target; 0 adapts (default).", HelpName = "REQ_PER_S" };
        var shared = new TransferCommand.SharedOptions();
        var command = new Command("migrate",
            "Copy runs from one SwanLab server to another, streamed (no local copy of the data), with the same guarantees as import.")
        {
            fromHost, toHost, fromKey, toKey, stateDir, fromRate, toRate,
        };
        foreach (var option in shared.All) command.Options.Add(option);
        command.SetAction((parse, ct) => RunAsync(env, backend, imports, new Sides(parse.GetValue(fromHost), parse.GetValue(toHost),
            parse.GetValue(fromKey), parse.GetValue(toKey), parse.GetValue(stateDir), parse.GetValue(fromRate), parse.GetValue(toRate)),
            shared.Read(parse), ct));
        return command;
    }

    sealed record Sides(string? FromHost, string? ToHost, string? FromKey, string? ToKey, string? StateDir, double? FromRate, double? ToRate);

    static async Task<int> RunAsync(CliEnvironment env, ICrawlerBackend backend, IImportBackend imports, Sides sides,
        TransferCommand.TransferFlags flags, CancellationToken ct)
    {
        var fromKey = sides.FromKey ?? env.GetVariable(TransferCommand.FromKeyVariable);
        var toKey = sides.ToKey ?? env.GetVariable(TransferCommand.ToKeyVariable);
        string?[] keys = [fromKey, toKey, env.GetVariable("SWANLAB_API_KEY")];
        var secrets = new Redactor(keys);
        if (string.IsNullOrWhiteSpace(sides.FromHost)) return Problems.Usage(env, "--from-host URL is required", "migrate");
        if (string.IsNullOrWhiteSpace(sides.ToHost)) return Problems.Usage(env, "--to-host URL is required", "migrate");
        if (string.IsNullOrWhiteSpace(sides.StateDir)) return Problems.Usage(env, "--state-dir DIR is required (where the migration keeps its ledger)", "migrate");
        if (sides.FromRate is < 0 || sides.ToRate is < 0) return Problems.Usage(env, "--from-rate-limit/--to-rate-limit must be 0 (adaptive) or more", "migrate");
        Import.ImportSettings settings;
        try
        {
            var state = Path.GetFullPath(sides.StateDir);
            if (File.Exists(state)) return Problems.Usage(env, $"--state-dir '{state}' is a file", "migrate");
            settings = TransferCommand.Resolve(flags, state, sourceKeepsCaptions: true);
        }
        catch (ArgumentException e)
        {
            return Problems.Usage(env, secrets.Redact(e.Message), "migrate");
        }
        var from = new ConnectionSettings
        {
            Host = sides.FromHost, ApiKey = fromKey, RequestsPerSecond = sides.FromRate is > 0 ? sides.FromRate : null,
            ClientEnvironment = TransferCommand.SideEnvironment(env),
        };
        var to = new ConnectionSettings
        {
            Host = sides.ToHost, ApiKey = toKey, RequestsPerSecond = sides.ToRate is > 0 ? sides.ToRate : null,
            ClientEnvironment = TransferCommand.SideEnvironment(env),
        };
        ConnectedSource source;
        try
        {
            source = await backend.ConnectAsync(from, ct);
        }
        catch (CrawlerAuthenticationException e)
        {
            env.Error.MarkupLineInterpolated($"[red]error:[/] source: {(e.Rejected ? $"the server at {e.Host} rejected the API key" : secrets.Redact(e.Detail))}");
            env.Error.WriteLine($"Check the source's key: --from-api-key, {TransferCommand.FromKeyVariable}, or the ~/.swanlab/.netrc entry for that host.");
            return ExitCodes.AuthenticationError;
        }
        catch (ServerUnreachableException e)
        {
            env.Error.MarkupLineInterpolated($"[red]error:[/] could not reach the source server at {e.Host}: {secrets.Redact(e.Reason)}");
            return ExitCodes.FinishedWithFailures;
        }
        catch (SettingsException e)
        {
            return Problems.Usage(env, secrets.Redact(e.Message), "migrate");
        }
        await using (source)
            return await TransferCommand.RunAsync("migrate", env, imports, keys, settings, source.Source, to, ct);
    }
}
