using System.Diagnostics;
using System.Text;
using SwanLab.Crawler.Backup;
using SwanLab.Crawler.Cli;
using SwanLab.Emulator;

namespace SwanLab.Crawler.Tests.Cli;

/// <summary>
/// One folder, one writer: a second export into a folder in use exits 2 at once naming the holder; a killed export's
/// lock is taken over; status and verify take no lock and tell a running writer from a dead or reused pid.
/// </summary>
public sealed class ConcurrentExportSpecs(Xunit.Abstractions.ITestOutputHelper log) : IAsyncLifetime, IDisposable
{
    readonly CliHarness cli = new();
    EmulatorServer server = null!;

    public async Task InitializeAsync() =>
        server = await EmulatorServer.StartAsync(new EmulatorOptions { Size = DatasetSize.Tiny });

    public async Task DisposeAsync() => await server.DisposeAsync();

    public void Dispose() => cli.Dispose();

    string Out => Path.Combine(cli.WorkDirectory, "backup");
    string OwnerFile => Path.Combine(Out, BackupLayout.StateFolderName, BackupLock.OwnerFileName);

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task Should_refuse_a_second_export_at_once_while_the_first_runs_and_leave_the_first_intact(bool osLocksDisabled)
    {
        // With the OS lock disabled (as on file systems without locks) the owner record alone must keep them apart.
        var environment = osLocksDisabled ? new Dictionary<string, string> { ["DOTNET_SYSTEM_IO_DISABLEFILELOCKING"] = "1" } : null;
        // Slow while the second export starts, so the first is certainly still running; full speed afterwards.
        server.Faults.LatencyMs = 500;
        using var first = CrawlerProcess.StartExport(server, Out, environment);
        var firstOutput = Drain(first);
        await WaitUntilAsync(first, () => File.Exists(OwnerFile));

        var status = await cli.RunAsync(new ProductionBackend(), "status", "--out", Out);
        var verifyWhileRunning = await cli.RunAsync(new ProductionBackend(), "verify", "--out", Out);
        var second = await CrawlerProcess.RunExportToEndAsync(server, Out, environment);
        var firstStillRunning = !first.HasExited;
        server.Faults.LatencyMs = 0;
        await first.WaitForExitAsync(new CancellationTokenSource(TimeSpan.FromSeconds(60)).Token);
        log.WriteLine(second.Output);

        Assert.True(firstStillRunning, "the first export ended before the second one started: the spec proved nothing");
        Assert.True(second.ExitCode == ExitCodes.UsageError, second.Output);
        Assert.Contains($"is in use by pid {first.Id} since", second.Output, StringComparison.Ordinal);
        Assert.Contains("export on host", second.Output, StringComparison.Ordinal);
        Assert.DoesNotContain("Signed in", second.Output, StringComparison.Ordinal);
        Assert.True(status.ExitCode == ExitCodes.FinishedWithFailures, status.ToString());
        Assert.Contains($"writing into {Out} right now: pid {first.Id}", status.Out, StringComparison.Ordinal);
        Assert.NotEqual(ExitCodes.Complete, verifyWhileRunning.ExitCode);
        Assert.Contains($"writing into it right now (pid {first.Id}", verifyWhileRunning.All, StringComparison.Ordinal);
        Assert.True(first.ExitCode == ExitCodes.Complete, firstOutput.ToString());
        Assert.False(File.Exists(OwnerFile), "the lock record outlived its export");
        var report = await BackupStatusReader.ReadAsync(Out, CancellationToken.None);
        Assert.Equal(0, report.SkippedCheckpointLines);
        var verify = await cli.RunAsync(new ProductionBackend(), "verify", "--out", Out);
        Assert.True(verify.ExitCode == ExitCodes.Complete, verify.ToString());
    }

    [Fact]
    public async Task Should_take_over_the_lock_of_an_export_killed_with_SIGKILL()
    {
        server.Faults.LatencyMs = 20;
        using (var killed = CrawlerProcess.StartExport(server, Out))
        {
            Drain(killed);
            await WaitUntilAsync(killed, () => File.Exists(OwnerFile) && CrawlerProcess.CheckpointLines(Out) > 0);
            killed.Kill(entireProcessTree: true);
            await killed.WaitForExitAsync();
        }
        server.Faults.LatencyMs = 0;
        Assert.True(File.Exists(OwnerFile), "a SIGKILLed export leaves its record behind");
        var stale = BackupLock.ReadOwner(new BackupLayout(Out));
        Assert.NotNull(stale);
        Assert.False(stale.IsRunning());

        var status = await cli.RunAsync(new ProductionBackend(), "status", "--out", Out);
        var resumed = await CrawlerProcess.RunExportToEndAsync(server, Out);

        Assert.DoesNotContain("right now", status.Out, StringComparison.Ordinal);
        Assert.True(resumed.ExitCode == ExitCodes.Complete, resumed.Output);
        Assert.False(File.Exists(OwnerFile));
        var verify = await cli.RunAsync(new ProductionBackend(), "verify", "--out", Out);
        Assert.True(verify.ExitCode == ExitCodes.Complete, verify.ToString());
    }

    [Fact]
    public async Task Should_count_a_lock_record_as_running_only_while_its_pid_is_the_process_that_wrote_it()
    {
        server.Faults.LatencyMs = 0;
        var export = await cli.RunAsync(new ProductionBackend(),
            "export", "--host", server.BaseUrl.ToString().TrimEnd('/'), "--api-key", server.ApiKey, "--out", Out);
        Assert.True(export.ExitCode == ExitCodes.Complete, export.ToString());
        using var other = Process.Start(new ProcessStartInfo("sleep", "30") { UseShellExecute = false })!;
        try
        {
            var started = new DateTimeOffset(other.StartTime.ToUniversalTime(), TimeSpan.Zero);
            var holder = new LockOwner(other.Id, Environment.MachineName, "export", DateTimeOffset.UtcNow, started, "a1b2");

            await File.WriteAllBytesAsync(OwnerFile, holder.ToBytes());
            var whileHeld = await cli.RunAsync(new ProductionBackend(), "status", "--out", Out);
            // The same pid, but the record was written by a process that started an hour earlier: the pid was reused.
            await File.WriteAllBytesAsync(OwnerFile, (holder with { ProcessStartedUtc = started.AddHours(-1) }).ToBytes());
            var reused = await cli.RunAsync(new ProductionBackend(), "status", "--out", Out);
            var verifyReused = await cli.RunAsync(new ProductionBackend(), "verify", "--out", Out);

            Assert.True(whileHeld.ExitCode == ExitCodes.FinishedWithFailures, whileHeld.ToString());
            Assert.Contains($"pid {other.Id}", whileHeld.Out, StringComparison.Ordinal);
            Assert.True(reused.ExitCode == ExitCodes.Complete, reused.ToString());
            Assert.True(verifyReused.ExitCode == ExitCodes.Complete, verifyReused.ToString());
        }
        finally
        {
            other.Kill();
            await other.WaitForExitAsync();
        }
    }

    [Fact]
    public async Task Should_take_over_from_a_record_of_another_host_when_the_OS_lock_is_free()
    {
        // A backup on a shared drive whose exporting machine died: its record cannot be checked from here, but nobody
        // holds the OS lock, so the next export takes the folder instead of being refused for ever.
        Directory.CreateDirectory(Path.GetDirectoryName(OwnerFile)!);
        var elsewhere = new LockOwner(4242, "another-machine", "export", DateTimeOffset.UtcNow.AddHours(-3), null, "c3d4");
        await File.WriteAllBytesAsync(OwnerFile, elsewhere.ToBytes());

        var status = await cli.RunAsync(new ProductionBackend(), "status", "--out", Out);
        var export = await cli.RunAsync(new ProductionBackend(),
            "export", "--host", server.BaseUrl.ToString().TrimEnd('/'), "--api-key", server.ApiKey, "--out", Out);

        Assert.Contains("another-machine", status.Out, StringComparison.Ordinal);
        Assert.True(export.ExitCode == ExitCodes.Complete, export.ToString());
        Assert.False(File.Exists(OwnerFile));
    }

    static StringBuilder Drain(Process process)
    {
        var output = new StringBuilder();
        process.OutputDataReceived += (_, e) => { lock (output) output.AppendLine(e.Data); };
        process.ErrorDataReceived += (_, e) => { lock (output) output.AppendLine(e.Data); };
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        return output;
    }

    static async Task WaitUntilAsync(Process process, Func<bool> condition)
    {
        using var guard = new CancellationTokenSource(TimeSpan.FromSeconds(60));
        while (!condition())
        {
            Assert.False(process.HasExited, $"the export ended (exit {(process.HasExited ? process.ExitCode : 0)}) before the spec could act");
            await Task.Delay(10, guard.Token);
        }
    }
}
