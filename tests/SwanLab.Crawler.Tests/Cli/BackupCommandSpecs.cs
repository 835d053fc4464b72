using SwanLab.Crawler.Cli;

namespace SwanLab.Crawler.Tests.Cli;

public sealed class BackupCommandSpecs : IDisposable
{
    readonly CliHarness cli = new();
    readonly FakeBackend backend = new();

    public void Dispose() => cli.Dispose();

    string ExistingFolder()
    {
        var folder = Path.Combine(cli.WorkDirectory, "backup");
        Directory.CreateDirectory(folder);
        return folder;
    }

    [Fact]
    public async Task Should_exit_0_when_verify_finds_every_file_intact()
    {
        backend.Verify = _ => new VerifyView(12, []);

        var outcome = await cli.RunAsync(backend, "verify", "--out", ExistingFolder());

        Assert.Equal(ExitCodes.Complete, outcome.ExitCode);
        Assert.Contains("all 12 files", outcome.Out, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Should_exit_1_and_list_each_mismatch_when_verify_finds_one()
    {
        backend.Verify = _ => new VerifyView(12,
        [
            new VerifyProblem("alice/mnist/a/metrics/loss.csv", "sha256 differs"),
            new VerifyProblem("alice/mnist/a/run.json", "missing"),
        ]);

        var outcome = await cli.RunAsync(backend, "verify", "--out", ExistingFolder());

        Assert.Equal(ExitCodes.FinishedWithFailures, outcome.ExitCode);
        Assert.Contains("alice/mnist/a/metrics/loss.csv", outcome.Out, StringComparison.Ordinal);
        Assert.Contains("missing", outcome.Out, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("verify")]
    [InlineData("status")]
    public async Task Should_exit_2_when_the_folder_is_not_a_backup(string command)
    {
        var outcome = await cli.RunAsync(backend, command, "--out", ExistingFolder());

        Assert.Equal(ExitCodes.UsageError, outcome.ExitCode);
        Assert.Contains("not a swanlab-crawler backup", outcome.Error, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("verify")]
    [InlineData("status")]
    public async Task Should_exit_2_when_the_folder_does_not_exist(string command)
    {
        var outcome = await cli.RunAsync(backend, command, "--out", Path.Combine(cli.WorkDirectory, "nowhere"));

        Assert.Equal(ExitCodes.UsageError, outcome.ExitCode);
        Assert.Contains("does not exist", outcome.Error, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Should_show_done_failed_and_left_per_project()
    {
        backend.Status = _ => new StatusView(false, 10, 1, 2,
            [new StatusRow("alice", "mnist", 7, 1, 2), new StatusRow("vision", "resnet", 3, 0, 0)],
            [new StatusFailure("alice/mnist/x", "ServerError", "500", 3)]);

        var outcome = await cli.RunAsync(backend, "status", "--out", ExistingFolder());

        // One run failed and two are left: not complete.
        Assert.Equal(ExitCodes.FinishedWithFailures, outcome.ExitCode);
        Assert.Contains("mnist", outcome.Out, StringComparison.Ordinal);
        Assert.Contains("resnet", outcome.Out, StringComparison.Ordinal);
        Assert.Contains("alice/mnist/x", outcome.Out, StringComparison.Ordinal);
        Assert.Contains("10", outcome.Out, StringComparison.Ordinal);
        Assert.Contains("resume", outcome.Out, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Should_take_the_folder_from_SWANLAB_CRAWLER_OUT_when_out_is_omitted()
    {
        var folder = ExistingFolder();
        cli.Environment["SWANLAB_CRAWLER_OUT"] = folder;
        string? seen = null;
        backend.Verify = f => { seen = f; return new VerifyView(0, []); };

        var outcome = await cli.RunAsync(backend, "verify");

        Assert.Equal(ExitCodes.Complete, outcome.ExitCode);
        Assert.Equal(folder, seen);
    }
}
