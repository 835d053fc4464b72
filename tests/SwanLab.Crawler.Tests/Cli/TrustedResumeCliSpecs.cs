using SwanLab.Crawler.Backup;
using SwanLab.Crawler.Cli;
using SwanLab.Crawler.Configuration;
using SwanLab.Emulator;

namespace SwanLab.Crawler.Tests.Cli;

/// <summary>The flags and exit codes of issue 9 cases 1, 2 and 6, through the CLI with its production wiring.</summary>
public sealed class TrustedResumeCliSpecs : IAsyncLifetime, IDisposable
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

    Task<CliOutcome> ExportAsync(EmulatorServer from, params string[] more) =>
        cli.RunAsync(new ProductionBackend(), ["export", "--host", from.BaseUrl.ToString().TrimEnd('/'), "--api-key", from.ApiKey, "--out", Out, .. more]);

    [Fact]
    public async Task Should_exit_2_before_writing_anything_when_the_folder_holds_another_servers_backup()
    {
        var first = await ExportAsync(server);
        Assert.True(first.ExitCode == ExitCodes.Complete, first.ToString());
        var tree = Backup.BackupTree.Hashes(Out);
        await using var other = await EmulatorServer.StartAsync(new EmulatorOptions { Size = DatasetSize.Tiny });

        var refused = await ExportAsync(other);

        Assert.True(refused.ExitCode == ExitCodes.UsageError, refused.ToString());
        Assert.Contains("--allow-other-source", refused.Error, StringComparison.Ordinal);
        Assert.Equal(tree, Backup.BackupTree.Hashes(Out));
        var allowed = await ExportAsync(other, "--allow-other-source");
        Assert.True(allowed.ExitCode == ExitCodes.Complete, allowed.ToString());
    }

    [Fact]
    public async Task Should_list_an_extra_file_but_exit_0_from_verify_after_export_repaired_the_backup()
    {
        Assert.Equal(ExitCodes.Complete, (await ExportAsync(server)).ExitCode);
        var media = Directory.EnumerateFiles(Out, "*", SearchOption.AllDirectories)
            .First(f => f.Contains(Path.DirectorySeparatorChar + BackupLayout.MediaFolderName + Path.DirectorySeparatorChar, StringComparison.Ordinal));
        File.Delete(media);
        await File.WriteAllTextAsync(Path.Combine(Out, "alice", "extra.txt"), "x");

        var broken = await cli.RunAsync(new ProductionBackend(), "verify", "--out", Out);
        var repaired = await ExportAsync(server);
        var verify = await cli.RunAsync(new ProductionBackend(), "verify", "--out", Out);

        Assert.True(broken.ExitCode == ExitCodes.FinishedWithFailures, broken.ToString());
        Assert.True(repaired.ExitCode == ExitCodes.Complete, repaired.ToString());
        Assert.True(verify.ExitCode == ExitCodes.Complete, verify.ToString());
        Assert.Contains("alice/extra.txt", verify.Out, StringComparison.Ordinal);
        Assert.True(File.Exists(media));
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task Should_refuse_refetch_without_a_selection_or_with_restart(bool restart)
    {
        string[] args = restart ? ["--refetch", "--restart", "--run", "alice/mnist-baseline/x"] : ["--refetch"];
        var outcome = await ExportAsync(server, args);

        Assert.True(outcome.ExitCode == ExitCodes.UsageError, outcome.ToString());
        Assert.Contains("--refetch", outcome.Error, StringComparison.Ordinal);
        Assert.False(Directory.Exists(Out));
    }

    [Fact]
    public void Should_bind_verify_existing_from_the_flag_the_variable_and_the_file()
    {
        Assert.False(cli.Resolve(new ExportFlags { Out = Out }).Crawl.VerifyExisting);
        Assert.True(cli.Resolve(new ExportFlags { Out = Out, VerifyExisting = true }).Crawl.VerifyExisting);
        cli.Environment["SWANLAB_CRAWLER_VERIFY_EXISTING"] = "on";
        Assert.True(cli.Resolve(new ExportFlags { Out = Out }).Crawl.VerifyExisting);
        cli.Environment.Remove("SWANLAB_CRAWLER_VERIFY_EXISTING");
        cli.WriteToolConfig("swanlab-crawler.export.verify-existing = yes");
        Assert.True(cli.Resolve(new ExportFlags { Out = Out }).Crawl.VerifyExisting);
    }
}
