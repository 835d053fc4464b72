using SwanLab.Crawler.Backup;
using SwanLab.Crawler.Cli;
using SwanLab.Crawler.Crawl;
using SwanLab.Emulator;

namespace SwanLab.Crawler.Tests.Cli;

/// <summary>
/// A selection the server does not have is a usage error (exit 2) naming it: a script that retries on exit 1 would
/// otherwise loop for ever on a typo.
/// </summary>
public sealed class SelectionNotFoundSpecs : IAsyncLifetime, IDisposable
{
    readonly CliHarness cli = new();
    EmulatorServer server = null!;

    public async Task InitializeAsync()
    {
        server = await EmulatorServer.StartAsync(new EmulatorOptions { Size = DatasetSize.Tiny });
        cli.Environment["SWANLAB_CRAWLER_MAX_RETRIES"] = "1";
        cli.Environment["SWANLAB_CRAWLER_TIMEOUT"] = "5s";
    }

    public async Task DisposeAsync() => await server.DisposeAsync();

    public void Dispose() => cli.Dispose();

    string Out => Path.Combine(cli.WorkDirectory, "backup");

    string ExistingRunPath()
    {
        var run = server.Dataset.Runs[0];
        return $"{run.Project.Path}/{run.Cuid}";
    }

    [Theory]
    [InlineData("--project", "nonexistent/proj", "no such workspace 'nonexistent'")]
    [InlineData("--project", "alice/no-such-project", "no such project")]
    [InlineData("--workspace", "bob", "no such workspace")]
    public async Task Should_exit_2_naming_a_workspace_or_project_that_does_not_exist(string flag, string value, string reason)
    {
        var outcome = await ExportAsync(flag, value);

        AssertUsageError(outcome, $"{flag} {value}", reason);
    }

    [Fact]
    public async Task Should_exit_2_naming_a_run_id_that_does_not_exist()
    {
        var existing = ExistingRunPath();
        var wrong = existing[..existing.LastIndexOf('/')] + "/wrongid123";

        var outcome = await ExportAsync("--run", wrong, "--run", existing);

        AssertUsageError(outcome, $"--run {wrong}", "no such run 'wrongid123'");
        Assert.DoesNotContain(existing, outcome.Error, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Should_exit_2_on_a_dry_run_of_a_selection_that_does_not_exist()
    {
        var outcome = await ExportAsync("--project", "nonexistent/proj", "--dry-run");

        AssertUsageError(outcome, "--project nonexistent/proj", "no such workspace");
    }

    [Fact]
    public async Task Should_list_a_failed_project_apart_from_failed_runs_in_the_summary()
    {
        var backend = new FakeBackend
        {
            Run = (_, _, _) => Task.FromResult(new CrawlResult(1, 2, 1, 0, 0, 1, 0, Complete: false, Cancelled: false,
            [
                new CheckpointEntry("alice/broken-project", UnitStatus.Failed, "", [], "server", "listing failed", 3),
                new CheckpointEntry("alice/mnist/run1", UnitStatus.Failed, "", [], "server", "detail failed", 3),
            ])),
        };

        var outcome = await cli.RunAsync(backend, "export", "--out", Out, "--api-key", "Secret0123456789abcde");

        Assert.Equal(ExitCodes.FinishedWithFailures, outcome.ExitCode);
        var runsTable = outcome.Out.IndexOf("Failed runs", StringComparison.Ordinal);
        var unitsTable = outcome.Out.IndexOf("Failed workspaces and projects", StringComparison.Ordinal);
        Assert.True(runsTable >= 0 && unitsTable > runsTable, outcome.ToString());
        Assert.Contains("alice/mnist/run1", outcome.Out[runsTable..unitsTable], StringComparison.Ordinal);
        Assert.DoesNotContain("alice/broken-project", outcome.Out[runsTable..unitsTable], StringComparison.Ordinal);
        Assert.Contains("alice/broken-project", outcome.Out[unitsTable..], StringComparison.Ordinal);
    }

    Task<CliOutcome> ExportAsync(params string[] selection) =>
        cli.RunAsync(new ProductionBackend(),
            ["export", "--host", server.BaseUrl.ToString().TrimEnd('/'), "--api-key", server.ApiKey, "--out", Out, .. selection]);

    void AssertUsageError(CliOutcome outcome, string selection, string reason)
    {
        Assert.True(outcome.ExitCode == ExitCodes.UsageError, outcome.ToString());
        Assert.Contains(selection, outcome.Error, StringComparison.Ordinal);
        Assert.Contains(reason, outcome.Error, StringComparison.Ordinal);
        Assert.DoesNotContain("resume", outcome.All, StringComparison.OrdinalIgnoreCase);
        Assert.DoesNotContain("again", outcome.All, StringComparison.OrdinalIgnoreCase);
        Assert.False(Directory.Exists(Out), "nothing may be written for a selection that does not exist");
    }
}
