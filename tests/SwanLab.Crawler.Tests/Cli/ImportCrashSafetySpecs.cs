using System.Diagnostics;
using SwanLab.Crawler.Cli;
using SwanLab.Crawler.Crawl;
using SwanLab.Crawler.Tests.Backup;
using SwanLab.Crawler.Tests.Import;
using SwanLab.Emulator;

namespace SwanLab.Crawler.Tests.Cli;

/// <summary>
/// The real `swanlab-crawler import` process, SIGKILLed three times mid-import and run again each time, leaves the
/// target exactly as one clean import does, and the target never received a step, log line or media step twice.
/// </summary>
public sealed class ImportCrashSafetySpecs(Xunit.Abstractions.ITestOutputHelper log) : IDisposable
{
    const int Kills = 3;
    readonly TempDir dir = new();

    static Process Start(EmulatorServer target, string backup)
    {
        var info = new ProcessStartInfo(Environment.GetEnvironmentVariable("DOTNET_HOST_PATH") is { Length: > 0 } h && File.Exists(h) ? h : "dotnet")
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        foreach (var name in info.Environment.Keys.Where(k => k.StartsWith("SWANLAB_", StringComparison.Ordinal)).ToList())
            info.Environment.Remove(name);
        info.Environment["DOTNET_CLI_TELEMETRY_OPTOUT"] = "1";
        foreach (var arg in new[]
                 {
                     Path.Combine(AppContext.BaseDirectory, "swanlab-crawler.dll"), "import", "--from", backup,
                     "--host", target.BaseUrl.ToString().TrimEnd('/'), "--api-key", target.ApiKey, "--concurrency", "2", "--rate-limit", "2000",
                 })
            info.ArgumentList.Add(arg);
        return Process.Start(info) ?? throw new InvalidOperationException("could not start swanlab-crawler");
    }

    static async Task<(int ExitCode, string Output)> RunToEndAsync(EmulatorServer target, string backup)
    {
        using var process = Start(target, backup);
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(120));
        await process.WaitForExitAsync(timeout.Token);
        return (process.ExitCode, await stdout + await stderr);
    }

    static int LedgerLines(string backup)
    {
        var root = Path.Combine(backup, ".swanlab-crawler", "import");
        if (!Directory.Exists(root)) return 0;
        return Directory.EnumerateFiles(root, "ledger.jsonl", SearchOption.AllDirectories).Sum(f =>
        {
            using var stream = new FileStream(f, FileMode.Open, FileAccess.Read, FileShare.ReadWrite | FileShare.Delete);
            using var reader = new StreamReader(stream);
            return reader.ReadToEnd().Count(c => c == '\n');
        });
    }

    static SortedDictionary<string, string> Data(string root) =>
        new(BackupTree.Hashes(root).Where(f => f.Key.Contains("/metrics/", StringComparison.Ordinal)
            || f.Key.EndsWith("/logs.jsonl", StringComparison.Ordinal) || f.Key.Contains("/media/", StringComparison.Ordinal))
            .ToDictionary(f => f.Key, f => f.Value), StringComparer.Ordinal);

    static CrawlSettings Export(string output) => new() { OutputDirectory = output, RunConcurrency = 4 };

    [Fact]
    public async Task Should_leave_the_target_as_a_clean_import_does_after_three_SIGKILLs_with_no_duplicate_received()
    {
        await using var source = await EmulatorServer.StartAsync(new EmulatorOptions { Size = DatasetSize.Tiny });
        await using var clean = await EmulatorServer.StartAsync(new EmulatorOptions { Size = DatasetSize.Empty });
        await using var crashed = await EmulatorServer.StartAsync(new EmulatorOptions { Size = DatasetSize.Empty, LatencyMs = 3 });
        var backupForClean = Path.Combine(dir.Path, "clean");
        var backupForCrashed = Path.Combine(dir.Path, "crashed");
        await BackupFolderSourceSpecs.ExportEmulatorAsync(source, Export(backupForClean));
        await BackupFolderSourceSpecs.ExportEmulatorAsync(source, Export(backupForCrashed));

        var (cleanExit, cleanOutput) = await RunToEndAsync(clean, backupForClean);
        Assert.True(cleanExit == ExitCodes.Complete, cleanOutput);

        var random = new Random(20261204);
        var killed = 0;
        for (var attempt = 0; attempt < Kills; attempt++)
        {
            using var process = Start(crashed, backupForCrashed);
            process.BeginOutputReadLine();
            process.BeginErrorReadLine();
            var linesAtStart = LedgerLines(backupForCrashed);
            while (!process.HasExited && LedgerLines(backupForCrashed) <= linesAtStart)
                await Task.Delay(10);
            await Task.Delay(random.Next(0, 60));
            if (!process.HasExited)
            {
                process.Kill(entireProcessTree: true);
                killed++;
            }
            await process.WaitForExitAsync();
            log.WriteLine($"attempt {attempt}: exit {process.ExitCode}, ledger lines {LedgerLines(backupForCrashed)}, points stored {crashed.Stats.Snapshot().Writes.PointsStored}");
        }
        var (finalExit, finalOutput) = await RunToEndAsync(crashed, backupForCrashed);

        Assert.True(finalExit == ExitCodes.Complete, finalOutput);
        Assert.True(killed > 0, "no kill landed before the import finished");
        var writes = crashed.Stats.Snapshot().Writes;
        var reference = clean.Stats.Snapshot().Writes;
        Assert.Equal((0L, 0L, 0L), (writes.DuplicateSteps, writes.DuplicateLogLines, writes.DuplicateMediaSteps));
        Assert.Equal((reference.ExperimentsCreated, reference.PointsStored, reference.LogLinesStored, reference.MediaStepsStored),
            (writes.ExperimentsCreated, writes.PointsStored, writes.LogLinesStored, writes.MediaStepsStored));
        var exportClean = Path.Combine(dir.Path, "export-clean");
        var exportCrashed = Path.Combine(dir.Path, "export-crashed");
        await BackupFolderSourceSpecs.ExportEmulatorAsync(clean, Export(exportClean));
        await BackupFolderSourceSpecs.ExportEmulatorAsync(crashed, Export(exportCrashed));
        Assert.Equal(Data(exportClean), Data(exportCrashed));
    }

    public void Dispose() => dir.Dispose();
}
