using System.CommandLine;
using System.Text;
using SwanLab.Crawler.Configuration;

namespace SwanLab.Crawler.Cli;

/// <summary>The parts of --help that teach: examples, settings precedence, environment variables, exit codes.</summary>
internal static class HelpText
{
    public static readonly IReadOnlyList<(int Code, string Meaning)> ExitCodeMeanings =
    [
        (ExitCodes.Complete,
            "complete: everything selected is in the backup (status/verify: the last export finished complete, no run " +
            "failed or is left, no export is running, and for verify every file matches)"),
        (ExitCodes.FinishedWithFailures,
            "not everything is in the backup: some runs failed (listed in DIR/errors.jsonl), or the server could not " +
            "be reached; running the same export again resumes (status/verify: runs failed or left, complete: false, " +
            "an export still running, or for verify a file that does not match the manifest; all listed)"),
        (ExitCodes.UsageError,
            "usage or config error: bad flag, bad crawler.hocon or SWANLAB_* value, a --workspace/--project/--run the " +
            "server does not have, DIR is not a backup (status/verify), DIR holds other files (export without " +
            "--allow-non-empty), DIR holds a backup of another host or user (export without --allow-other-source), DIR is " +
            "in use by another export, --host is not a SwanLab API (or https:// was assumed for a host that speaks plain " +
            "http://)"),
        (ExitCodes.AuthenticationError, "authentication error: no API key was found, or the server rejected it"),
        (ExitCodes.Interrupted, "interrupted (Ctrl+C or SIGTERM): the checkpoint is intact; run the same command again to resume"),
    ];

    public static string Epilogue(Command command)
    {
        var text = new StringBuilder();
        var examples = command.Name switch
        {
            "export" => ExportExamples,
            "status" => ["swanlab-crawler status --out backup", "swanlab-crawler status --out backup --json"],
            "verify" => VerifyExamples,
            "import" => ImportExamples,
            "migrate" => MigrateExamples,
            "view" => ["swanlab-crawler view --out backup && xdg-open backup/view/index.html", "swanlab-crawler export --out backup --view"],
            _ => ExportExamples.Take(3).Concat(["swanlab-crawler status --out backup", "swanlab-crawler verify --out backup"]).ToArray(),
        };
        text.AppendLine("Examples:");
        foreach (var example in examples)
            text.Append("  ").AppendLine(example);
        text.AppendLine();

        if (command.Name == "export")
        {
            // Not under "Examples:": those run as printed, and a node waiting for its seeds runs until they come.
            text.AppendLine("Cluster mode (one crawl on several processes: the same command and folder on every node):");
            foreach (var line in ClusterExamples(command.Name))
                text.Append("  ").AppendLine(line);
            text.AppendLine();
        }

        if (command is RootCommand || command.Name == "export")
        {
            text.AppendLine("Settings (lowest to highest precedence):");
            text.AppendLine("  config/crawler.hocon next to the tool (or --config-file / SWANLAB_CRAWLER_CONFIG)");
            text.AppendLine("  < SWANLAB_* environment variables < command-line flags.");
            text.AppendLine("  API key: --api-key > SWANLAB_API_KEY > ~/.swanlab/.netrc (written by `swanlab login`). It is never printed or saved.");
            text.AppendLine();
            text.AppendLine("Environment variables:");
            var width = EnvironmentSettings.Variables.Max(v => v.Name.Length) + 2;
            foreach (var (name, meaning) in EnvironmentSettings.Variables)
                text.Append("  ").Append(name.PadRight(width)).AppendLine(meaning);
            text.AppendLine();
        }

        text.AppendLine("Exit codes:");
        foreach (var (code, meaning) in ExitCodeMeanings)
            text.Append("  ").Append(code.ToString(System.Globalization.CultureInfo.InvariantCulture).PadRight(5)).AppendLine(meaning);
        text.AppendLine();
        return text.ToString();
    }

    static readonly string[] ExportExamples = Align(
    [
        ("swanlab-crawler export --demo --out backup", "try it: built-in demo server, no account"),
        ("swanlab-crawler export --out backup", "everything your account can read"),
        ("swanlab-crawler export --out backup --project alice/mnist-baseline --state FINISHED", ""),
        ("swanlab-crawler export --out metrics --format jsonl --sample 500 --no-media --no-logs", ""),
        ("swanlab-crawler export --out backup --host https://swanlab.example.com --rate-limit 10", ""),
        ("swanlab-crawler export --out backup --dry-run", "counts and estimated requests, writes nothing"),
        ("swanlab-crawler export --out backup --json --quiet", "for scripts: one JSON result on stdout"),
        ("swanlab-crawler export --out backup --restart", "forget the checkpoint and start over"),
    ]);

    static readonly string[] VerifyExamples = Align(
    [
        ("swanlab-crawler verify --out backup && echo backup intact", ""),
        ("swanlab-crawler verify --out backup --against https://swanlab.example.com", "after an import: read every run back and compare"),
    ]);

    static readonly string[] ImportExamples = Align(
    [
        ("swanlab-crawler import --from backup --host https://swanlab.example.com --dry-run", "what would be sent; sends nothing"),
        ("swanlab-crawler import --from backup --host https://swanlab.example.com", "run again to resume: only what is missing is sent"),
        ("swanlab-crawler import --from backup --host https://swanlab.example.com --json --quiet", "for scripts: one JSON result on stdout"),
    ]);

    static readonly string[] MigrateExamples = Align(
    [
        ("swanlab-crawler migrate --from-host https://a.example.com --to-host https://b.example.com --state-dir migration --dry-run", ""),
        ("swanlab-crawler migrate --from-host https://a.example.com --to-host https://b.example.com --state-dir migration", "keys: SWANLAB_FROM_API_KEY, SWANLAB_TO_API_KEY"),
    ]);

    static string[] ClusterExamples(string command) => Align(
    [
        ($"swanlab-crawler {command} --out /shared/backup --cluster-host 10.0.0.1 --cluster-port 4053", "the first node (forms the cluster)"),
        ($"swanlab-crawler {command} --out /shared/backup --cluster-host 10.0.0.2 --seed-node 10.0.0.1:4053", "every other node"),
        ($"swanlab-crawler {command} --demo --out backup --nodes 3", "three nodes on this machine"),
    ]);

    static string[] Align((string Command, string Comment)[] lines)
    {
        var width = lines.Where(l => l.Comment.Length > 0).Max(l => l.Command.Length) + 2;
        return lines.Select(l => l.Comment.Length == 0 ? l.Command : $"{l.Command.PadRight(width)}# {l.Comment}").ToArray();
    }
}
