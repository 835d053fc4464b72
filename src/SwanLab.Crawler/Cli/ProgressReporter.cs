using System.Diagnostics;
using System.Globalization;
using System.Threading.Channels;
using Spectre.Console;
using Spectre.Console.Rendering;
using SwanLab.Crawler.Cli.Output;
using SwanLab.Crawler.Crawl;

namespace SwanLab.Crawler.Cli;

/// <summary>
/// Drains the crawl's event channel and shows progress: a live Spectre panel on a terminal, a plain line every
/// few seconds otherwise (CI logs, files, --json on stderr), nothing under --quiet. Reading never waits on rendering,
/// so a slow console cannot slow the crawl. On Ctrl+C the panel is drawn one last time and the stop notice is printed
/// below it, never into it.
/// </summary>
internal sealed class ProgressReporter(CommandOutput output)
{
    readonly ProgressTracker tracker = new();
    readonly Stopwatch clock = Stopwatch.StartNew();
    readonly Lock gate = new();
    readonly TaskCompletionSource stopRequested = new(TaskCreationOptions.RunContinuationsAsynchronously);

    public IReadOnlyList<CrawlEvent.RunFailed> Failures
    {
        get { lock (gate) return [.. tracker.Failures]; }
    }

    public ProgressSnapshot Snapshot()
    {
        lock (gate) return tracker.Snapshot(clock.Elapsed);
    }

    /// <summary>Returns when the writer side completes; the caller completes it after the crawl ends.</summary>
    public async Task RunAsync(ChannelReader<CrawlEvent> events)
    {
        var drain = DrainAsync(events);
        if (output.Live)
        {
            using (output.Environment.StopNotice.Redirect(() => stopRequested.TrySetResult()))
                await RenderLiveAsync(drain);
            if (stopRequested.Task.IsCompleted)
                output.Human.MarkupLine($"[yellow]{StopNotice.Text}[/]");
        }
        else if (!output.Mode.Quiet)
        {
            await RenderPlainAsync(drain);
        }
        await drain;
    }

    async Task DrainAsync(ChannelReader<CrawlEvent> events)
    {
        await foreach (var e in events.ReadAllAsync())
        {
            var applied = e is CrawlEvent.RunFailed raw ? raw with { Error = output.Secrets.Redact(raw.Error) } : e;
            lock (gate) tracker.Apply(applied, clock.Elapsed);
            if (applied is CrawlEvent.RunFailed f)
            {
                output.Log?.Error($"run {f.RunPath} failed ({f.ErrorKind}, {f.Attempts} attempts): {f.Error}");
                if (!output.Live)
                    output.Human.MarkupLineInterpolated($"[red]failed[/] {f.RunPath} ({f.ErrorKind}, {f.Attempts} attempts): {f.Error}");
            }
        }
    }

    async Task RenderPlainAsync(Task drain)
    {
        while (!drain.IsCompleted)
        {
            await Task.WhenAny(drain, Task.Delay(output.PlainProgressInterval));
            output.Human.WriteLine(PlainLine(Snapshot()));
        }
    }

    async Task RenderLiveAsync(Task drain)
    {
        await output.Human.Live(LiveView(Snapshot(), []))
            .AutoClear(false)
            .Overflow(VerticalOverflow.Ellipsis)
            .StartAsync(async ctx =>
            {
                // Stop drawing as soon as Ctrl+C lands: the last frame is complete, the notice goes below it.
                while (!drain.IsCompleted && !stopRequested.Task.IsCompleted)
                {
                    await Task.WhenAny(drain, stopRequested.Task, Task.Delay(TimeSpan.FromMilliseconds(250)));
                    ctx.UpdateTarget(LiveView(Snapshot(), Failures));
                }
                ctx.UpdateTarget(LiveView(Snapshot(), Failures));
                ctx.Refresh();
            });
    }

    /// <summary>One log-friendly line, e.g. "[00:01:05] runs 12/40 (3 skipped, 1 failed) | 123,456 points written | ...".</summary>
    public static string PlainLine(ProgressSnapshot s) => PlainCounters(s) + PlainNodes(s);

    static string PlainCounters(ProgressSnapshot s) => string.Create(CultureInfo.InvariantCulture,
        $"[{Clock(s.Elapsed)}] runs {s.RunsSettled}/{s.RunsTotal} ({s.RunsDone} exported, {s.RunsSkipped} already in backup, {s.RunsFailed} failed) | {s.PointsWritten:N0} points written (+{s.PointsInFlight:N0} streaming) | {Plural.Bytes(s.Bytes)} ({MegabytesPerSecond(s)}) | {s.RequestsPerSecond:0.0} req/s | {s.Retries} retries | {s.RateLimited} x 429 | ETA {(s.Eta is { } eta ? Clock(eta) : "--:--:--")}");

    /// <summary>" | nodes 3/3 up, 57.0 req/s: 127.0.0.1:4053 4 runs 19.0 req/s, ..." for a cluster crawl; empty otherwise.</summary>
    static string PlainNodes(ProgressSnapshot s) => s.Nodes.Count == 0 ? "" : string.Create(CultureInfo.InvariantCulture,
        $" | nodes {s.Nodes.Count(n => n.Up)}/{s.Nodes.Count} up, {s.Nodes.Where(n => n.Up).Sum(n => n.RequestsPerSecond):0.0} req/s: ") +
        string.Join(", ", s.Nodes.Select(n => string.Create(CultureInfo.InvariantCulture,
            $"{NodeName(n.Address)}{(n.Up ? "" : " (down)")} {Plural.Of(n.RunsInFlight, "run")} {n.RequestsPerSecond:0.0} req/s")));

    /// <summary>"akka.tcp://swanlab-crawler@10.0.0.1:4053" as "10.0.0.1:4053".</summary>
    public static string NodeName(string address) => address[(address.LastIndexOf('@') + 1)..];

    static Table NodesTable(IReadOnlyList<NodeStatus> nodes)
    {
        var table = new Table().Border(TableBorder.Minimal)
            .AddColumn("Node").AddColumn("State").AddColumn(new TableColumn("Runs in flight").RightAligned())
            .AddColumn(new TableColumn("Requests/s").RightAligned());
        foreach (var n in nodes)
            table.AddRow(new Text(NodeName(n.Address)), new Markup(n.Up ? "[green]up[/]" : "[red]down[/]"),
                new Text(n.RunsInFlight.ToString(CultureInfo.InvariantCulture)),
                new Text(n.RequestsPerSecond.ToString("0.0", CultureInfo.InvariantCulture)));
        table.AddRow(new Markup("[bold]cluster[/]"), new Text($"{nodes.Count(n => n.Up)}/{nodes.Count} up"),
            new Text(nodes.Where(n => n.Up).Sum(n => n.RunsInFlight).ToString(CultureInfo.InvariantCulture)),
            new Text(nodes.Where(n => n.Up).Sum(n => n.RequestsPerSecond).ToString("0.0", CultureInfo.InvariantCulture)));
        return table;
    }

    static IRenderable LiveView(ProgressSnapshot s, IReadOnlyList<CrawlEvent.RunFailed> failures)
    {
        var fraction = s.RunsTotal == 0 ? 0 : (double)s.RunsSettled / s.RunsTotal;
        const int width = 30;
        var filled = (int)Math.Round(fraction * width);
        var bar = new string('█', filled) + new string('░', width - filled);

        var grid = new Grid().AddColumn(new GridColumn().NoWrap()).AddColumn();
        grid.AddRow(new Text("Runs"), new Markup(string.Create(CultureInfo.InvariantCulture,
            $"[green]{bar}[/] {s.RunsSettled}/{s.RunsTotal}  ({s.RunsDone} exported, {s.RunsSkipped} already in backup, [{(s.RunsFailed > 0 ? "red" : "grey")}]{s.RunsFailed} failed[/], {s.RunsInFlight} in flight)")));
        grid.AddRow(new Text("Scope"), new Text($"{Plural.Of(s.Workspaces, "workspace")}, {Plural.Of(s.Projects, "project")}"));
        // Durable points and points still streaming apart: an interrupted or failed attempt's files are deleted, so
        // only the first number is what the summary will call "points written this run".
        grid.AddRow(new Text("Points written"), new Text(string.Create(CultureInfo.InvariantCulture,
            $"{s.PointsWritten:N0} in finished runs, {s.PointsInFlight:N0} streaming")));
        grid.AddRow(new Text("Bytes written"), new Text($"{Plural.Bytes(s.Bytes)} ({MegabytesPerSecond(s)})"));
        grid.AddRow(new Text("Requests"), new Text(string.Create(CultureInfo.InvariantCulture,
            $"{s.Requests:N0} ({s.RequestsPerSecond:0.0}/s), {s.Retries} retries, {s.RateLimited} x 429")));
        grid.AddRow(new Text("Time"), new Text(string.Create(CultureInfo.InvariantCulture,
            $"{Clock(s.Elapsed)} elapsed, ETA {(s.Eta is { } eta ? Clock(eta) : "estimating...")}")));
        if (s.Nodes.Count > 0)
            grid.AddRow(new Text("Nodes"), NodesTable(s.Nodes));
        foreach (var f in failures.TakeLast(5))
            grid.AddRow(new Markup("[red]failed[/]"), new Text($"{f.RunPath}: {f.ErrorKind}: {f.Error}"));
        return new Panel(grid).Header("swanlab-crawler export").Border(BoxBorder.Rounded);
    }

    public static string MegabytesPerSecond(ProgressSnapshot s) =>
        string.Create(CultureInfo.InvariantCulture, $"{s.BytesPerSecond / 1e6:0.0} MB/s");

    public static string Clock(TimeSpan t) =>
        string.Create(CultureInfo.InvariantCulture, $"{(int)t.TotalHours:00}:{t.Minutes:00}:{t.Seconds:00}");
}
