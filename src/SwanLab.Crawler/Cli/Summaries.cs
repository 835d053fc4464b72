using System.Globalization;
using Spectre.Console;
using SwanLab.Crawler.Backup;
using SwanLab.Crawler.Cli.Output;
using SwanLab.Crawler.Crawl;

namespace SwanLab.Crawler.Cli;

/// <summary>End-of-command tables. Failures are always listed, never only counted: silent truncation is the worst bug.</summary>
internal static class Summaries
{
    const int FailuresShown = 20;

    public static void WritePlan(IAnsiConsole console, PlanView plan, CrawlSettings settings)
    {
        var table = new Table().Border(TableBorder.Rounded).Title("Dry run: what export would fetch")
            .AddColumn(Right("Workspaces")).AddColumn(Right("Projects")).AddColumn(Right("Runs"))
            .AddColumn(Right("Already in backup")).AddColumn(Right("Estimated requests"));
        table.AddRow(N(plan.Workspaces), N(plan.Projects), N(plan.Runs), N(plan.RunsToSkip), N(plan.EstimatedRequests));
        console.Write(table);
        if (plan.ByProject.Count > 0)
        {
            var projects = new Table().Border(TableBorder.Simple).AddColumn("Project")
                .AddColumn(new TableColumn("Runs").RightAligned()).AddColumn(new TableColumn("Already in backup").RightAligned());
            foreach (var row in plan.ByProject)
                projects.AddRow(Markup.Escape(row.Project), N(row.Runs), N(row.RunsToSkip));
            console.Write(projects);
        }
        console.MarkupLineInterpolated($"Nothing was written. Without --dry-run the backup goes to {settings.OutputDirectory}.");
    }

    public static void WriteResult(IAnsiConsole console, CrawlResult result, ProgressSnapshot? progress, TimeSpan elapsed,
        string outputDirectory, Redactor secrets)
    {
        var table = new Table().Border(TableBorder.Rounded).Title("Export summary")
            .AddColumn("").AddColumn(new TableColumn("").RightAligned());
        table.ShowHeaders = false;
        table.AddRow("Workspaces", N(result.Workspaces));
        table.AddRow("Projects", N(result.Projects));
        table.AddRow("Runs", N(result.RunsTotal));
        table.AddRow("  exported", N(result.RunsDone));
        table.AddRow("  already in backup (skipped)", N(result.RunsSkipped));
        table.AddRow(result.RunsFailed > 0 ? "[red]  failed[/]" : "  failed", N(result.RunsFailed));
        // Two counts, two labels: what this command wrote, and what the backup now holds (skipped runs included).
        if (progress is not null)
        {
            table.AddRow("Points written this run", N(progress.PointsWritten));
            table.AddRow("Bytes written this run", $"{Plural.Bytes(progress.Bytes)} ({ProgressReporter.MegabytesPerSecond(progress)})");
        }
        table.AddRow("Points in backup", N(result.Points));
        if (progress is not null)
            table.AddRow("Requests", string.Create(CultureInfo.InvariantCulture,
                $"{progress.Requests:N0} ({progress.Retries:N0} retries, {progress.RateLimited:N0} x 429)"));
        table.AddRow("Duration", ProgressReporter.Clock(elapsed));
        table.AddRow("Backup", Markup.Escape(outputDirectory));
        console.Write(table);

        if (result.Unavailable.Count > 0)
        {
            var unavailable = new Table().Border(TableBorder.Simple)
                .Title("Not offered by this server (not failures; recorded in backup.json)")
                .AddColumn("Read").AddColumn("Server's answer");
            foreach (var u in result.Unavailable)
                unavailable.AddRow(Markup.Escape(u.Capability), Markup.Escape(secrets.Redact(u.Answer)));
            console.Write(unavailable);
        }

        // A workspace or project that could not be listed is not a run: it gets its own table.
        foreach (var (title, column, group) in new[]
                 {
                     ("Failed runs", "Run", result.Failures.Where(f => IsRun(f.RunPath)).ToList()),
                     ("Failed workspaces and projects", "Workspace or project", result.Failures.Where(f => !IsRun(f.RunPath)).ToList()),
                 })
        {
            if (group.Count == 0) continue;
            var failures = new Table().Border(TableBorder.Simple).Title(title)
                .AddColumn(column).AddColumn("Kind").AddColumn("Attempts").AddColumn("Last error");
            foreach (var f in group.Take(FailuresShown))
                failures.AddRow(Markup.Escape(f.RunPath), Markup.Escape(f.ErrorKind ?? "?"), N(f.Attempts),
                    Markup.Escape(secrets.Redact(f.Error)));
            console.Write(failures);
            if (group.Count > FailuresShown)
                console.WriteLine($"... and {group.Count - FailuresShown} more.");
        }

        var errorsFile = Path.Combine(outputDirectory, "errors.jsonl");
        if (result.Cancelled)
            console.MarkupLineInterpolated($"[yellow]Stopped before the end:[/] {result.RunsDone + result.RunsSkipped} of {Plural.Of(result.RunsTotal, "run")} {(result.RunsDone + result.RunsSkipped == 1 ? "is" : "are")} in the backup.");
        else if (result.RunsFailed > 0)
            console.MarkupLineInterpolated($"[red]Incomplete:[/] {result.RunsFailed} of {Plural.Of(result.RunsTotal, "run")} failed; {(result.RunsFailed == 1 ? "it is" : "they are")} listed in {errorsFile}. Run the same command again to retry {(result.RunsFailed == 1 ? "it" : "them")}.");
        else if (!result.Complete)
            console.MarkupLineInterpolated($"[red]Incomplete:[/] the backup is not complete; see {errorsFile}.");
        else
            console.MarkupLineInterpolated($"[green]Complete:[/] {AllRunsInBackup(result.RunsTotal)}{WithoutUnavailable(result)}. Check it any time with `{CrawlerCli.ToolName} verify --out {outputDirectory}`.");
    }

    static string AllRunsInBackup(int runs) => runs switch
    {
        0 => "no run matched the selection, so nothing is missing from the backup",
        1 => "the 1 run is in the backup",
        _ => $"all {Plural.Of(runs, "run")} are in the backup",
    };

    /// <summary>The outcome in one line, for the log.</summary>
    public static string OneLine(CrawlResult result, ProgressSnapshot? progress, TimeSpan elapsed) =>
        string.Create(CultureInfo.InvariantCulture,
            $"{(result.Cancelled ? "interrupted" : result.Complete ? "complete" : "incomplete")}: {Plural.Of(result.RunsTotal, "run")} " +
            $"({result.RunsDone} exported, {result.RunsSkipped} already in backup, {result.RunsFailed} failed), " +
            $"{(progress?.PointsWritten ?? 0):N0} points and {Plural.Bytes(progress?.Bytes ?? 0)} written this run, {result.Points:N0} points in backup, " +
            $"{(progress?.Requests ?? 0):N0} requests ({progress?.Retries ?? 0} retries, {progress?.RateLimited ?? 0} x 429), {ProgressReporter.Clock(elapsed)}");

    public static void WriteStatus(IAnsiConsole console, string folder, StatusView status)
    {
        var table = new Table().Border(TableBorder.Rounded).Title($"Checkpoint of {Markup.Escape(folder)}")
            .AddColumn("Workspace").AddColumn("Project")
            .AddColumn(new TableColumn("Done").RightAligned())
            .AddColumn(new TableColumn("Failed").RightAligned())
            .AddColumn(new TableColumn("Left").RightAligned());
        foreach (var row in status.Rows)
            table.AddRow(Markup.Escape(row.Workspace), Markup.Escape(row.Project), N(row.Done),
                row.Failed > 0 ? $"[red]{N(row.Failed)}[/]" : N(row.Failed), row.Left is { } left ? N(left) : "?");
        table.AddRow("[bold]Total[/]", "", N(status.Done), status.Failed > 0 ? $"[red]{N(status.Failed)}[/]" : N(status.Failed),
            status.Left is { } totalLeft ? N(totalLeft) : "?");
        console.Write(table);

        if (status.Failures.Count > 0)
        {
            var failures = new Table().Border(TableBorder.Simple).Title("Failed runs")
                .AddColumn("Run").AddColumn("Kind").AddColumn("Attempts").AddColumn("Last error");
            foreach (var f in status.Failures.Take(FailuresShown))
                failures.AddRow(Markup.Escape(f.RunPath), Markup.Escape(f.Kind), N(f.Attempts), Markup.Escape(f.Error));
            console.Write(failures);
            if (status.Failures.Count > FailuresShown)
                console.WriteLine($"... and {status.Failures.Count - FailuresShown} more (see errors.jsonl).");
        }
        if (status.LeftRuns.Count > 0)
        {
            console.WriteLine("Runs left (found on the server, not exported yet):");
            WriteList(console, status.LeftRuns);
        }
        if (status.Writer is { } writer)
            console.WriteLine($"An export is writing into {folder} right now: {writer}. These counts are changing.");
        else if (status.Complete is null && status.Done == 0 && status.Failed == 0)
        {
            console.WriteLine("No run has finished yet: the last export stopped before its first run was done. " +
                              "Run export again with the same --out to continue.");
            return;
        }
        console.WriteLine(status switch
        {
            { AllThere: true } => "The last export finished and is complete.",
            { Writer: not null } => "The backup is not complete until that export finishes.",
            { Complete: null } => "The last export has not finished (or was interrupted): run export again with the same --out to resume.",
            _ => "The backup is not complete: run export again with the same --out to resume.",
        });
    }

    static void WriteList(IAnsiConsole console, IReadOnlyList<string> lines)
    {
        foreach (var line in lines.Take(FailuresShown))
            console.WriteLine("  " + line);
        if (lines.Count > FailuresShown)
            console.WriteLine($"  ... and {lines.Count - FailuresShown} more.");
    }

    public static void WriteVerify(IAnsiConsole console, string folder, VerifyView report)
    {
        foreach (var extra in report.Extras)
            console.MarkupLineInterpolated($"[yellow]extra:[/] {extra.Path}: not part of the backup (the manifest does not list it); left alone.");
        if (report.Clean)
        {
            console.MarkupLineInterpolated($"[green]OK:[/] {FilesIn(report.FilesChecked)} {folder} {Match(report.FilesChecked)} manifest.jsonl and the backup is complete.");
            return;
        }
        if (report.FilesMatch)
        {
            console.MarkupLineInterpolated($"{Capitalised(FilesIn(report.FilesChecked))} {folder} {Match(report.FilesChecked)} manifest.jsonl.");
        }
        else
        {
            var table = new Table().Border(TableBorder.Rounded).Title("Files that do not match the manifest")
                .AddColumn("File").AddColumn("Problem");
            foreach (var p in report.Problems)
                table.AddRow(Markup.Escape(p.Path), Markup.Escape(p.Problem));
            console.Write(table);
            console.MarkupLineInterpolated($"[red]{Plural.Of(report.Problems.Count, "problem")}[/] in {Plural.Of(report.FilesChecked, "file")} checked. Re-export the affected runs (export --out {folder}) or restore them from another copy.");
        }
        if (report.Incomplete.Count > 0)
        {
            console.MarkupLine("[red]Not complete:[/] the backup does not hold everything that was selected:");
            WriteList(console, report.Incomplete);
            console.MarkupLineInterpolated($"Run export again with the same --out ({folder}) to finish it; `status` shows the details.");
        }
    }

    /// <summary>"all 12 files in", "the 1 file in".</summary>
    static string FilesIn(int files) => files == 1 ? "the 1 file in" : $"all {Plural.Of(files, "file")} in";

    static string Match(int files) => files == 1 ? "matches" : "match";

    static string Capitalised(string text) => char.ToUpperInvariant(text[0]) + text[1..];

    static string WithoutUnavailable(CrawlResult result) => result.Unavailable.Count == 0
        ? ""
        : $", with everything the server offers (it has no {string.Join(", ", result.Unavailable.Select(u => u.Capability))})";

    /// <summary>Failure paths are "workspace", "workspace/project" or "workspace/project/run-id".</summary>
    static bool IsRun(string unitPath) => unitPath.Count(c => c == '/') == 2;

    static TableColumn Right(string header) => new TableColumn(header).RightAligned();

    static string N(long value) => value.ToString("N0", CultureInfo.InvariantCulture);
}
