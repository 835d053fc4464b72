using System.Diagnostics;
using SwanLab.Crawler.Backup;
using SwanLab.Crawler.Cli;
using SwanLab.Emulator;

namespace SwanLab.Crawler.Tests.Cli;

/// <summary>
/// The real process, sent SIGTERM mid-export (what `kill`, systemd and container runtimes send), stops cleanly:
/// exit 130, the checkpoint keeps what finished, and running the same export again completes a backup that verifies.
/// </summary>
public sealed class SignalSpecs(Xunit.Abstractions.ITestOutputHelper log) : IAsyncLifetime, IDisposable
{
    const int SigTerm = 15;
    readonly string work = Directory.CreateTempSubdirectory("swanlab-signal-").FullName;
    EmulatorServer server = null!;

    public async Task InitializeAsync() =>
        server = await EmulatorServer.StartAsync(new EmulatorOptions { Size = DatasetSize.Tiny, LatencyMs = 5 });

    public async Task DisposeAsync() => await server.DisposeAsync();

    public void Dispose()
    {
        try { Directory.Delete(work, recursive: true); }
        catch (IOException) { }
    }

    [Fact]
    public async Task Should_exit_130_on_SIGTERM_with_the_checkpoint_kept_and_resume_to_a_verified_backup()
    {
        var output = Path.Combine(work, "backup");
        using var process = CrawlerProcess.StartExport(server, output);
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        using (var started = new CancellationTokenSource(TimeSpan.FromSeconds(60)))
        {
            // Signal once a run is finished, so there is progress the checkpoint must keep...
            while (!process.HasExited && (CrawlerProcess.CheckpointLines(output) == 0 || await DoneRunsAsync(output) == 0))
                await Task.Delay(20, started.Token);
        }
        // ...and slow the server down so the rest of the export is still under way when the signal lands.
        server.Faults.LatencyMs = 300;
        Assert.False(process.HasExited, "the export ended before it could be signalled");

        var clock = Stopwatch.StartNew();
        CrawlerProcess.Signal(process, SigTerm);
        // A hang guard, not a speed assertion: a clean stop takes well under a second, a swallowed signal ~20 s.
        using (var guard = new CancellationTokenSource(TimeSpan.FromSeconds(15)))
        {
            try
            {
                await process.WaitForExitAsync(guard.Token);
            }
            catch (OperationCanceledException)
            {
                process.Kill(entireProcessTree: true);
                Assert.Fail("the export was still running 15 s after SIGTERM");
            }
        }
        log.WriteLine($"SIGTERM to exit: {clock.Elapsed.TotalSeconds:F2} s");
        var printed = await stdout + await stderr;

        Assert.True(process.ExitCode == ExitCodes.Interrupted, $"exit {process.ExitCode}\n{printed}");
        Assert.Contains("Interrupted", printed, StringComparison.Ordinal);
        Assert.DoesNotContain(server.ApiKey, printed, StringComparison.Ordinal);
        var kept = await DoneRunsAsync(output);
        Assert.True(kept > 0, "the checkpoint lost the runs finished before SIGTERM");

        server.Faults.LatencyMs = 0;
        var runDetailsBefore = server.Stats.Requests(RunDetailRoute);
        var (exit, resumed) = await CrawlerProcess.RunExportToEndAsync(server, output);
        Assert.True(exit == ExitCodes.Complete, resumed);
        Assert.True(server.Stats.Requests(RunDetailRoute) - runDetailsBefore <= server.Dataset.Runs.Count - kept + RunningRuns(),
            "the resume fetched again runs the checkpoint held as finished");
        var verify = await BackupVerifier.VerifyAsync(output, CancellationToken.None);
        Assert.True(verify.Ok, string.Join("\n", verify.Problems));
    }

    const string RunDetailRoute = "GET /api/project/{workspace}/{project}/runs/{id}";

    /// <summary>RUNNING runs are exported again on every resume, finished or not.</summary>
    int RunningRuns() => server.Dataset.Runs.Count(r => r.State == "RUNNING");

    static async Task<int> DoneRunsAsync(string output)
    {
        await using var store = new FileCheckpointStore(new BackupLayout(output));
        var state = await store.LoadAsync(CancellationToken.None);
        return state.Runs.Values.Count(e => e.RunPath.Split('/').Length == 3 && e.Status == UnitStatus.Done);
    }
}
