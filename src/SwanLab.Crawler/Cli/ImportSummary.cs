using Spectre.Console;
using SwanLab.Crawler.Import;

namespace SwanLab.Crawler.Cli;

/// <summary>The end-of-import table, the list of runs that did not make it, and a dry run's plan.</summary>
internal static class ImportSummary
{
    public static void WritePlan(IAnsiConsole console, ImportPlan plan)
    {
        var table = new Table().AddColumns("source run", "target run", "plan", "missing points", "missing logs", "missing media", "requests", "why");
        foreach (var run in plan.Runs)
            table.AddRow(Markup.Escape(run.SourcePath), Markup.Escape(run.TargetPath), run.Action.ToString().ToLowerInvariant(),
                TransferCommand.Count(run.MissingPoints), TransferCommand.Count(run.MissingLogLines), TransferCommand.Count(run.MissingMedia),
                TransferCommand.Count(run.Requests), Markup.Escape(run.Detail ?? ""));
        console.Write(table);
        console.MarkupLineInterpolated(
            $"Dry run: {plan.Count(PlannedAction.Create)} to create, {plan.Count(PlannedAction.Resume)} to resume, {plan.Count(PlannedAction.Skip)} to skip (already identical), {plan.Count(PlannedAction.Conflict)} in conflict; about {TransferCommand.Count(plan.Requests)} upload requests. Nothing was sent.");
    }

    public static void WriteResult(IAnsiConsole console, ImportResult result, TimeSpan elapsed, Redactor secrets)
    {
        var crawl = result.Crawl;
        var counts = result.Counts;
        var table = new Table().AddColumns("", "");
        table.AddRow("runs imported", $"{crawl.RunsDone + crawl.RunsSkipped} of {crawl.RunsTotal} ({crawl.RunsSkipped} already complete on the target)");
        table.AddRow("runs created / resumed", $"{counts.RunsCreated} / {counts.RunsResumed}");
        table.AddRow("runs failed", crawl.RunsFailed.ToString(System.Globalization.CultureInfo.InvariantCulture));
        table.AddRow("uploaded", $"{TransferCommand.Count(counts.PointsUploaded)} points, {TransferCommand.Count(counts.LogLinesUploaded)} log lines, {TransferCommand.Count(counts.MediaUploaded)} media files");
        table.AddRow("time", elapsed.ToString(@"hh\:mm\:ss", System.Globalization.CultureInfo.InvariantCulture));
        table.AddRow("state", Markup.Escape(result.StateFolder));
        console.Write(table);
        foreach (var run in result.Runs.Where(r => r.Conflict is not null))
            console.MarkupLineInterpolated($"[yellow]skipped[/] {run.SourcePath}: {run.Conflict}");
        foreach (var group in result.Runs.Where(r => r.Target is not null).SelectMany(r => r.NotCarried.Select(n => (n, r.SourcePath)))
                     .GroupBy(x => x.n).OrderBy(g => g.Key, StringComparer.Ordinal))
            console.MarkupLineInterpolated($"not carried by the protocol, {group.Count()} run(s): {group.Key}");
        foreach (var failure in crawl.Failures)
            console.MarkupLineInterpolated($"[red]failed[/] {failure.RunPath} ({failure.ErrorKind}): {secrets.Redact(failure.Error)}");
        if (result.Verification is { } check)
        {
            console.MarkupLineInterpolated($"Read back from the target: {check.Runs.Count(r => r.Matched)} of {check.Runs.Count} run(s) match the source ({TransferCommand.Count(check.Runs.Sum(r => r.PointsCompared))} points compared).");
            foreach (var run in check.Runs.Where(r => !r.Matched))
                foreach (var mismatch in run.Mismatches)
                    console.MarkupLineInterpolated($"[red]differs[/] {run.SourcePath} -> {run.TargetPath}: {secrets.Redact(mismatch)}");
        }
        else
        {
            console.MarkupLine("[yellow]The target was not read back[/] (no reader for it), so nothing is verified.");
        }
        console.MarkupLine(result.Complete
            ? "Every selected run is on the target and reads back equal to the source."
            : "[red]Not everything was imported and verified.[/] Run the same command again to resume; it uploads only what the target lacks.");
    }

    /// <summary>The outcome in one line, for crawler.log.</summary>
    public static string OneLine(ImportResult result, TimeSpan elapsed)
    {
        var crawl = result.Crawl;
        var counts = result.Counts;
        var check = result.Verification is { } v ? $"{v.Runs.Count(r => r.Matched)} of {v.Runs.Count} read back equal" : "not read back";
        return string.Create(System.Globalization.CultureInfo.InvariantCulture,
            $"{(crawl.Cancelled ? "interrupted" : result.Complete ? "complete" : "incomplete")}: {crawl.RunsTotal} run(s) " +
            $"({crawl.RunsDone} imported, {crawl.RunsSkipped} already on the target, {crawl.RunsFailed} failed), " +
            $"{counts.PointsUploaded:N0} points, {counts.LogLinesUploaded:N0} log lines, {counts.MediaUploaded:N0} media files uploaded, " +
            $"{check}, {ProgressReporter.Clock(elapsed)}");
    }
}
