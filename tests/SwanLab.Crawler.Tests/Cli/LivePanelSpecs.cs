using Spectre.Console;
using SwanLab.Crawler.Cli;
using SwanLab.Crawler.Crawl;

namespace SwanLab.Crawler.Tests.Cli;

/// <summary>The live panel on a terminal, interrupted: a clean last frame, then the stop notice below it.</summary>
public sealed class LivePanelSpecs : IDisposable
{
    readonly CliHarness cli = new();

    public void Dispose() => cli.Dispose();

    [Fact]
    public async Task Should_print_the_stop_notice_below_the_finished_panel_and_not_on_stderr()
    {
        var stdout = new StringWriter();
        var stderr = new StringWriter();
        var env = new CliEnvironment
        {
            Out = AnsiConsole.Create(new AnsiConsoleSettings
            {
                Out = new AnsiConsoleOutput(stdout),
                Ansi = AnsiSupport.Yes,
                ColorSystem = ColorSystemSupport.NoColors,
                Interactive = InteractionSupport.Yes,
            }),
            OutWriter = stdout,
            Error = AnsiConsole.Create(new AnsiConsoleSettings { Out = new AnsiConsoleOutput(stderr), Ansi = AnsiSupport.No }),
            ErrorWriter = stderr,
            GetVariable = cli.Variable,
            ToolDirectory = cli.ToolDirectory,
            Interactive = true,
        };
        using var interrupt = new CancellationTokenSource();
        var backend = new FakeBackend
        {
            Run = async (_, events, ct) =>
            {
                await events.WriteAsync(new CrawlEvent.Discovered(1, 1, 3), ct);
                await events.WriteAsync(new CrawlEvent.RunStarted("alice/mnist/a"), ct);
                await events.WriteAsync(new CrawlEvent.PointsWritten(10, "alice/mnist/a"), ct);
                // What Program.cs does on Ctrl+C.
                env.StopNotice.Announce(stderr);
                await interrupt.CancelAsync();
                return new CrawlResult(1, 1, 3, 0, 0, 0, 0, Complete: false, Cancelled: true, []);
            },
        };

        var code = await CrawlerCli.RunAsync(["export", "--out", Path.Combine(cli.WorkDirectory, "b")], env, backend, interrupt.Token);

        var text = stdout.ToString();
        Assert.Equal(ExitCodes.Interrupted, code);
        Assert.DoesNotContain("Stopping", stderr.ToString(), StringComparison.Ordinal);
        var stop = text.IndexOf(StopNotice.Text, StringComparison.Ordinal);
        Assert.True(stop > 0, text);
        Assert.Equal(stop, text.LastIndexOf(StopNotice.Text, StringComparison.Ordinal));
        var panel = text[..stop];
        // The last frame is whole (its bottom border after its last row), and nothing of the panel follows the notice.
        Assert.True(panel.LastIndexOf("╰─", StringComparison.Ordinal) > panel.LastIndexOf("Requests", StringComparison.Ordinal), text);
        Assert.DoesNotContain("swanlab-crawler export", text[stop..], StringComparison.Ordinal);
        Assert.True(text.IndexOf("Export summary", StringComparison.Ordinal) > stop, text);
    }
}
