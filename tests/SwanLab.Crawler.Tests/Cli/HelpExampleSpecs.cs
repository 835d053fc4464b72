using SwanLab.Crawler.Cli;
using SwanLab.Emulator;

namespace SwanLab.Crawler.Tests.Cli;

/// <summary>
/// Every example printed by --help (of the root and of each command) runs as printed against an in-process emulator,
/// adapted only where an example needs an account: --host/--api-key point at the emulator, and relative --out folders
/// go under a temporary folder (the --demo example's under a folder of its own: it is another server).
/// </summary>
public sealed class HelpExampleSpecs(Xunit.Abstractions.ITestOutputHelper log) : IAsyncLifetime, IDisposable
{
    readonly CliHarness cli = new();
    EmulatorServer server = null!;

    public async Task InitializeAsync() => server = await EmulatorServer.StartAsync(new EmulatorOptions { Size = DatasetSize.Tiny });

    public async Task DisposeAsync() => await server.DisposeAsync();

    public void Dispose() => cli.Dispose();

    [Fact]
    public async Task Should_run_every_help_example_as_printed()
    {
        var examples = new List<string>();
        foreach (var command in new[] { "", "export", "status", "verify" })
        {
            var help = await cli.RunAsync(new FakeBackend(), command.Length == 0 ? ["--help"] : [command, "--help"]);
            examples.AddRange(Examples(help.Out));
        }
        var ordered = examples.Distinct(StringComparer.Ordinal)
            .OrderBy(e => e.Contains(" export ", StringComparison.Ordinal) ? 0 : 1) // exports first: status/verify read their backup
            .ToList();
        Assert.True(ordered.Count >= 10, string.Join("\n", ordered));

        foreach (var example in ordered)
        {
            var args = Adapt(example.Split(' ', StringSplitOptions.RemoveEmptyEntries));
            var clock = System.Diagnostics.Stopwatch.StartNew();
            var outcome = await cli.RunAsync(new ProductionBackend(), args);
            log.WriteLine($"{clock.Elapsed.TotalSeconds:F1} s  {example}");
            Assert.True(outcome.ExitCode == ExitCodes.Complete, $"{example}\n{outcome}");
        }
    }

    /// <summary>The lines under "Examples:", without their "# comment" and without a shell "&amp;&amp; ..." tail.</summary>
    static IEnumerable<string> Examples(string help)
    {
        var lines = help.Split('\n');
        var start = Array.FindIndex(lines, l => l.TrimEnd() == "Examples:");
        Assert.True(start >= 0, help);
        foreach (var line in lines.Skip(start + 1).TakeWhile(l => l.Trim().Length > 0))
        {
            var text = line.Split('#')[0].Split("&&")[0].Trim();
            Assert.StartsWith(CrawlerCli.ToolName + " ", text, StringComparison.Ordinal);
            yield return text;
        }
    }

    string[] Adapt(string[] tokens)
    {
        var args = tokens.Skip(1).ToList();
        // The demo is another server than the emulator: its backup lives apart, as a second source would be refused.
        var root = args.Contains("--demo") ? Path.Combine(cli.WorkDirectory, "demo") : cli.WorkDirectory;
        for (var i = 0; i < args.Count - 1; i++)
        {
            if (args[i] is "--out" or "-o" && !Path.IsPathRooted(args[i + 1]))
                args[i + 1] = Path.Combine(root, args[i + 1]);
            if (args[i] == "--host")
                args[i + 1] = server.BaseUrl.ToString().TrimEnd('/');
        }
        if (args[0] == "export" && !args.Contains("--demo"))
        {
            if (!args.Contains("--host"))
                args.AddRange(["--host", server.BaseUrl.ToString().TrimEnd('/')]);
            args.AddRange(["--api-key", server.ApiKey]);
        }
        return [.. args];
    }
}
