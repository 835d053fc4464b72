using SwanLab.Crawler.Backup;
using SwanLab.Crawler.Cli;
using SwanLab.Emulator;

namespace SwanLab.Crawler.Tests.Cli;

/// <summary>The CLI in-process with its production wiring against a tiny in-process emulator.</summary>
public sealed class EmulatorCliSpecs : IAsyncLifetime, IDisposable
{
    const string WrongKey = "WrongKey0123456789abc";
    readonly CliHarness cli = new();
    EmulatorServer server = null!;

    public async Task InitializeAsync()
    {
        server = await EmulatorServer.StartAsync(new EmulatorOptions { Size = DatasetSize.Tiny });
        // Keep the client's retries short: these tests are about outcomes, not patience.
        cli.Environment["SWANLAB_CRAWLER_MAX_RETRIES"] = "1";
        cli.Environment["SWANLAB_CRAWLER_TIMEOUT"] = "5s";
    }

    public async Task DisposeAsync() => await server.DisposeAsync();

    public void Dispose() => cli.Dispose();

    string Host => server.BaseUrl.ToString().TrimEnd('/');
    string Out => Path.Combine(cli.WorkDirectory, "backup");

    [Fact]
    public async Task Should_exit_3_when_the_server_rejects_the_key_and_print_it_nowhere()
    {
        var outcome = await cli.RunAsync(new ProductionBackend(), "export", "--host", Host, "--api-key", WrongKey, "--out", Out);

        Assert.True(outcome.ExitCode == ExitCodes.AuthenticationError, outcome.ToString());
        Assert.Contains("rejected the API key", outcome.Error, StringComparison.Ordinal);
        Assert.Contains("SWANLAB_API_KEY", outcome.Error, StringComparison.Ordinal);
        Assert.DoesNotContain(WrongKey, outcome.All, StringComparison.Ordinal);
        Assert.False(Directory.Exists(Out) && Directory.EnumerateFiles(Out, "*", SearchOption.AllDirectories).Any());
    }

    [Fact]
    public async Task Should_exit_1_with_a_clear_message_when_the_host_is_unreachable()
    {
        var outcome = await cli.RunAsync(new ProductionBackend(), "export", "--host", "http://127.0.0.1:1", "--api-key", WrongKey, "--out", Out);

        Assert.True(outcome.ExitCode == ExitCodes.FinishedWithFailures, outcome.ToString());
        Assert.Contains("could not reach the SwanLab server at http://127.0.0.1:1", outcome.Error, StringComparison.Ordinal);
        Assert.Contains("SWANLAB_API_HOST", outcome.Error, StringComparison.Ordinal);
        Assert.DoesNotContain(WrongKey, outcome.All, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Should_export_verify_and_show_status_and_keep_the_key_out_of_every_file()
    {
        var export = await cli.RunAsync(new ProductionBackend(), "export", "--host", Host, "--api-key", server.ApiKey, "--out", Out);
        var verify = await cli.RunAsync(new ProductionBackend(), "verify", "--out", Out);
        var status = await cli.RunAsync(new ProductionBackend(), "status", "--out", Out);

        Assert.True(export.ExitCode == ExitCodes.Complete, export.ToString());
        Assert.Contains("Complete", export.Out, StringComparison.Ordinal);
        Assert.True(verify.ExitCode == ExitCodes.Complete, verify.ToString());
        Assert.True(status.ExitCode == ExitCodes.Complete, status.ToString());
        Assert.Contains("finished and is complete", status.Out, StringComparison.Ordinal);
        Assert.DoesNotContain(server.ApiKey, export.All + verify.All + status.All, StringComparison.Ordinal);
        foreach (var file in Directory.EnumerateFiles(Out, "*", SearchOption.AllDirectories))
            Assert.DoesNotContain(server.ApiKey, await File.ReadAllTextAsync(file), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Should_exit_1_from_verify_when_a_backed_up_file_changed()
    {
        var export = await cli.RunAsync(new ProductionBackend(), "export", "--host", Host, "--api-key", server.ApiKey, "--out", Out);
        Assert.True(export.ExitCode == ExitCodes.Complete, export.ToString());
        var series = Directory.EnumerateFiles(Out, "*.csv", SearchOption.AllDirectories).Order(StringComparer.Ordinal).First();
        await File.AppendAllTextAsync(series, "999,1.0,\n");

        var verify = await cli.RunAsync(new ProductionBackend(), "verify", "--out", Out);

        Assert.True(verify.ExitCode == ExitCodes.FinishedWithFailures, verify.ToString());
        Assert.Contains(Path.GetFileName(series), verify.Out, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Should_count_without_writing_on_a_dry_run()
    {
        var outcome = await cli.RunAsync(new ProductionBackend(), "export", "--host", Host, "--api-key", server.ApiKey, "--out", Out, "--dry-run");

        Assert.True(outcome.ExitCode == ExitCodes.Complete, outcome.ToString());
        Assert.Contains("Estimated requests", outcome.Out, StringComparison.Ordinal);
        Assert.Contains(server.Dataset.Runs.Count.ToString(System.Globalization.CultureInfo.InvariantCulture), outcome.Out, StringComparison.Ordinal);
        Assert.False(Directory.Exists(Out));
    }
}
