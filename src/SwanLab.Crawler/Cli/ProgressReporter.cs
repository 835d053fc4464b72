using System.Diagnostics;
using System.Globalization;
using System.Threading.Channels;
using Spectre.Console;
using Spectre.Console.Rendering;
using SwanLab.Crawler.Crawl;

namespace SwanLab.Crawler.Cli;

/// <summary>
/// Drains the crawl's event channel and shows progress: a live Spectre table on a terminal, a plain line every
/// few seconds otherwise (CI logs, files). Reading never waits on rendering, so a slow console cannot slow the crawl.
/// </summary>
internal sealed class ProgressReporter(IAnsiConsole console, bool live, TimeSpan plainInterval, Func<string, string> redact)
{
    readonly ProgressTracker tracker = new();
    readonly Stopwatch clock = Stopwatch.StartNew();
    readonly Lock gate = new();

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
        if (live)
            await RenderLiveAsync(drain);
        else
            await RenderPlainAsync(drain);
        await drain;
    }

    async Task DrainAsync(ChannelReader<CrawlEvent> events)
    {
        await foreach (var e in events.ReadAllAsync())
        {
            var applied = e is CrawlEvent.RunFailed raw ? raw with { Error = redact(raw.Error) } : e;
            lock (gate) tracker.Apply(applied, clock.Elapsed);
            if (!live && applied is CrawlEvent.RunFailed f)
                console.MarkupLineInterpolated($"[red]failed[/] {f.RunPath} ({f.ErrorKind}, {f.Attempts} attempts): {f.Error}");
        }
    }

    async Task RenderPlainAsync(Task drain)
    {
        while (!drain.IsCompleted)
        {
            await Task.WhenAny(drain, Task.Delay(plainInterval));
            console.WriteLine(PlainLine(Snapshot()));
        }
    }

    async Task RenderLiveAsync(Task drain)
    {
        await console.Live(LiveView(Snapshot(), []))
            .AutoClear(false)
            .Overflow(VerticalOverflow.Ellipsis)
            .StartAsync(async ctx =>
            {
                while (!drain.IsCompleted)
                {
                    await Task.WhenAny(drain, Task.Delay(TimeSpan.FromMilliseconds(250)));
                    ctx.UpdateTarget(LiveView(Snapshot(), Failures));
                }
            });
    }

    /// <summary>One log-friendly line, e.g. "[00:01:05] runs 12/40 (3 skipped, 1 failed) | 123,456 points | ...".</summary>
    public static string PlainLine(ProgressSnapshot s) => string.Create(CultureInfo.InvariantCulture,
        $"[{Clock(s.Elapsed)}] runs {s.RunsSettled}/{s.RunsTotal} ({s.RunsDone} exported, {s.RunsSkipped} already in backup, {s.RunsFailed} failed) | {s.Points:N0} points | {s.RequestsPerSecond:0.0} req/s | {s.Retries} retries | {s.RateLimited} x 429 | ETA {(s.Eta is { } eta ? Clock(eta) : "--:--:--")}");

    static IRenderable LiveView(ProgressSnapshot s, IReadOnlyList<CrawlEvent.RunFailed> failures)
    {
        var fraction = s.RunsTotal == 0 ? 0 : (double)s.RunsSettled / s.RunsTotal;
        const int width = 30;
        var filled = (int)Math.Round(fraction * width);
        var bar = new string('█', filled) + new string('░', width - filled);

        var grid = new Grid().AddColumn(new GridColumn().NoWrap()).AddColumn();
        grid.AddRow(new Text("Runs"), new Markup(string.Create(CultureInfo.InvariantCulture,
            $"[green]{bar}[/] {s.RunsSettled}/{s.RunsTotal}  ({s.RunsDone} exported, {s.RunsSkipped} already in backup, [{(s.RunsFailed > 0 ? "red" : "grey")}]{s.RunsFailed} failed[/], {s.RunsInFlight} in flight)")));
        grid.AddRow(new Text("Scope"), new Text(string.Create(CultureInfo.InvariantCulture, $"{s.Workspaces} workspaces, {s.Projects} projects")));
        grid.AddRow(new Text("Points"), new Text(s.Points.ToString("N0", CultureInfo.InvariantCulture)));
        grid.AddRow(new Text("Requests"), new Text(string.Create(CultureInfo.InvariantCulture,
            $"{s.Requests:N0} ({s.RequestsPerSecond:0.0}/s), {s.Retries} retries, {s.RateLimited} x 429")));
        grid.AddRow(new Text("Time"), new Text(string.Create(CultureInfo.InvariantCulture,
            $"{Clock(s.Elapsed)} elapsed, ETA {(s.Eta is { } eta ? Clock(eta) : "estimating...")}")));
        foreach (var f in failures.TakeLast(5))
            grid.AddRow(new Markup("[red]failed[/]"), new Text($"{f.RunPath}: {f.ErrorKind}: {f.Error}"));
        return new Panel(grid).Header("swanlab-crawler export").Border(BoxBorder.Rounded);
    }

    public static string Clock(TimeSpan t) =>
        string.Create(CultureInfo.InvariantCulture, $"{(int)t.TotalHours:00}:{t.Minutes:00}:{t.Seconds:00}");
}
