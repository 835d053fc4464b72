using SwanLab.Crawler.Backup;
using SwanLab.Crawler.Cli;
using SwanLab.Emulator;
using SwanLab.Emulator.Http;

namespace SwanLab.Crawler.Tests.Cli;

/// <summary>
/// verify and status exit 0 only when everything selected is in the backup and matches: a backup with failed or left
/// runs is exit 1 with the list, even when every file it has hashes fine (so `verify && echo intact` cannot lie).
/// </summary>
public sealed class CompletenessSpecs : IAsyncLifetime, IDisposable
{
    readonly CliHarness cli = new();
    EmulatorServer server = null!;

    public async Task InitializeAsync()
    {
        server = await EmulatorServer.StartAsync(new EmulatorOptions { Size = DatasetSize.Tiny });
        cli.Environment["SWANLAB_CRAWLER_MAX_RETRIES"] = "1";
        cli.Environment["SWANLAB_CRAWLER_TIMEOUT"] = "5s";
        cli.WriteToolConfig("""
            swanlab-crawler.supervision { max-unit-attempts = 1, unit-backoff-min = 10ms, unit-backoff-max = 10ms }
            swanlab-crawler.http { backoff-base = 10ms, backoff-max = 10ms }
            """);
    }

    public async Task DisposeAsync() => await server.DisposeAsync();

    public void Dispose() => cli.Dispose();

    string Out => Path.Combine(cli.WorkDirectory, "backup");

    Task<CliOutcome> ExportAsync(CancellationToken ct = default) =>
        cli.RunAsync(new ProductionBackend(), ct,
            "export", "--host", server.BaseUrl.ToString().TrimEnd('/'), "--api-key", server.ApiKey, "--out", Out, "--concurrency", "1");

    [Fact]
    public async Task Should_exit_1_from_verify_and_status_listing_the_failed_run_although_every_file_matches()
    {
        var broken = server.Dataset.Runs.First(r => r.State == "FINISHED");
        var brokenPath = $"{broken.Project.Path}/{broken.Cuid}";
        server.Faults.MalformedTargets = [new MalformedTarget(broken.Cuid, MalformedKind.Json)];
        var export = await ExportAsync();
        Assert.True(export.ExitCode == ExitCodes.FinishedWithFailures, export.ToString());

        var verify = await cli.RunAsync(new ProductionBackend(), "verify", "--out", Out);
        var status = await cli.RunAsync(new ProductionBackend(), "status", "--out", Out);

        Assert.True(verify.ExitCode == ExitCodes.FinishedWithFailures, verify.ToString());
        Assert.Contains("files in", verify.Out, StringComparison.Ordinal);
        Assert.Contains("match manifest.jsonl", verify.Out, StringComparison.Ordinal);
        Assert.Contains($"failed: {brokenPath}", verify.Out, StringComparison.Ordinal);
        Assert.Contains("complete: false", verify.Out, StringComparison.Ordinal);
        Assert.DoesNotContain("OK", verify.Out, StringComparison.Ordinal);
        Assert.True(status.ExitCode == ExitCodes.FinishedWithFailures, status.ToString());
        Assert.Contains(brokenPath, status.Out, StringComparison.Ordinal);

        // Once the run is exported, both pass.
        server.Faults.MalformedTargets = [];
        Assert.Equal(ExitCodes.Complete, (await ExportAsync()).ExitCode);
        Assert.Equal(ExitCodes.Complete, (await cli.RunAsync(new ProductionBackend(), "verify", "--out", Out)).ExitCode);
        Assert.Equal(ExitCodes.Complete, (await cli.RunAsync(new ProductionBackend(), "status", "--out", Out)).ExitCode);
    }

    [Fact]
    public async Task Should_exit_1_from_status_and_verify_listing_the_runs_an_interrupted_export_left()
    {
        // A complete backup of one project first, so verify has a manifest; then an export of everything, stopped
        // once its first run is in.
        var first = server.Dataset.Projects.First(p => p.Runs.Count > 0);
        var scoped = await cli.RunAsync(new ProductionBackend(),
            "export", "--host", server.BaseUrl.ToString().TrimEnd('/'), "--api-key", server.ApiKey, "--out", Out, "--project", first.Path);
        Assert.True(scoped.ExitCode == ExitCodes.Complete, scoped.ToString());
        server.Faults.LatencyMs = 20;
        var linesBefore = CrawlerProcess.CheckpointLines(Out);
        using var stop = new CancellationTokenSource();
        var interrupted = ExportAsync(stop.Token);
        // Project entries are checkpointed too (the first project's again, as it is re-listed), so wait for what the
        // spec is about: runs the export found and has not finished.
        while (!interrupted.IsCompleted && (CrawlerProcess.CheckpointLines(Out) <= linesBefore
                                            || (await BackupStatusReader.ReadAsync(Out, CancellationToken.None)).LeftRuns.Count == 0))
            await Task.Delay(10);
        await stop.CancelAsync();
        Assert.Equal(ExitCodes.Interrupted, (await interrupted).ExitCode);
        server.Faults.LatencyMs = 0;
        var report = await BackupStatusReader.ReadAsync(Out, CancellationToken.None);
        Assert.NotEmpty(report.LeftRuns);

        var status = await cli.RunAsync(new ProductionBackend(), "status", "--out", Out);
        var verify = await cli.RunAsync(new ProductionBackend(), "verify", "--out", Out);

        Assert.True(status.ExitCode == ExitCodes.FinishedWithFailures, status.ToString());
        Assert.Contains("Runs left", status.Out, StringComparison.Ordinal);
        Assert.Contains(report.LeftRuns[0], status.Out, StringComparison.Ordinal);
        Assert.True(verify.ExitCode == ExitCodes.FinishedWithFailures, verify.ToString());
        Assert.Contains($"left: {report.LeftRuns[0]}", verify.Out, StringComparison.Ordinal);
    }
}
