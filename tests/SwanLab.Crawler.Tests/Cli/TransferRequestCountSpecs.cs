using System.Text.Json;
using SwanLab.Crawler.Cli;
using SwanLab.Emulator;

namespace SwanLab.Crawler.Tests.Cli;

/// <summary>import --json counts the requests it made: the target's uploads and read-back (a backup folder makes none).</summary>
public sealed class TransferRequestCountSpecs : IDisposable
{
    readonly CliHarness cli = new();

    [Fact]
    public async Task Should_report_the_requests_sent_to_the_target_in_the_json_result_of_an_import()
    {
        await using var source = await EmulatorServer.StartAsync(new EmulatorOptions { Size = DatasetSize.Tiny });
        await using var target = await EmulatorServer.StartAsync(new EmulatorOptions { Size = DatasetSize.Empty });
        var backup = Path.Combine(cli.WorkDirectory, "backup");
        var export = await cli.RunAsync(new ProductionBackend(), "export", "--out", backup, "--host", Url(source), "--api-key", source.ApiKey, "--quiet");
        Assert.True(export.ExitCode == ExitCodes.Complete, export.ToString());

        var import = await cli.RunAsync(new ProductionBackend(), "import", "--from", backup, "--host", Url(target), "--api-key", target.ApiKey, "--json");

        Assert.True(import.ExitCode == ExitCodes.Complete, import.ToString());
        using var json = JsonDocument.Parse(import.Out);
        var requests = json.RootElement.GetProperty("requests").GetProperty("total").GetInt64();
        Assert.Equal(target.Stats.Snapshot().TotalRequests, requests);
    }

    static string Url(EmulatorServer emulator) => emulator.BaseUrl.ToString().TrimEnd('/');

    public void Dispose() => cli.Dispose();
}
