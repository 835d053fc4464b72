using System.Diagnostics;
using System.Text.Json.Nodes;
using SwanLab.Crawler.Backup;
using SwanLab.Crawler.Cli;
using SwanLab.Emulator;

namespace SwanLab.Crawler.Tests.Cli;

/// <summary>
/// The real `swanlab-crawler` process, SIGKILLed mid-export several times and resumed each time, must end with the
/// same backup an uninterrupted export writes, and must not fetch again what it had finished before a kill.
/// </summary>
public sealed class CrashSafetySpecs(Xunit.Abstractions.ITestOutputHelper log) : IAsyncLifetime, IDisposable
{
    const string RunDetailRoute = "GET /api/project/{workspace}/{project}/runs/{id}";
    const int Kills = 3;
    readonly string work = Directory.CreateTempSubdirectory("swanlab-crash-").FullName;
    EmulatorServer server = null!;

    public async Task InitializeAsync() =>
        // A little latency so the export lasts long enough to be killed in the middle.
        server = await EmulatorServer.StartAsync(new EmulatorOptions { Size = DatasetSize.Tiny, LatencyMs = 2 });

    public async Task DisposeAsync() => await server.DisposeAsync();

    public void Dispose()
    {
        try { Directory.Delete(work, recursive: true); }
        catch (IOException) { }
    }

    [Fact]
    public async Task Should_resume_after_repeated_SIGKILLs_into_a_byte_identical_backup_without_refetching_finished_runs()
    {
        var reference = Path.Combine(work, "reference");
        var crashed = Path.Combine(work, "crashed");
        var clock = Stopwatch.StartNew();
        var (referenceExit, referenceOutput) = await RunToEndAsync(reference);
        log.WriteLine($"reference export: {clock.Elapsed}");
        Assert.True(referenceExit == ExitCodes.Complete, referenceOutput);
        var runCount = (int)server.Stats.Requests(RunDetailRoute);
        Assert.True(runCount > 0);

        var random = new Random(20261128);
        var killsMidExport = 0;
        for (var attempt = 0; attempt < Kills; attempt++)
        {
            var skippable = await SkippableRunsAsync(crashed);
            var fetchedBefore = server.Stats.Requests(RunDetailRoute);
            using var process = Start(crashed);
            // Drain output so a full pipe can never stall the child.
            process.BeginOutputReadLine();
            process.BeginErrorReadLine();
            // Kill once this attempt has made progress (a new checkpoint line), plus a random extra moment.
            var linesAtStart = CheckpointLines(crashed);
            while (!process.HasExited && CheckpointLines(crashed) <= linesAtStart)
                await Task.Delay(20);
            await Task.Delay(random.Next(0, 150));
            if (!process.HasExited)
            {
                process.Kill(entireProcessTree: true);
                killsMidExport++;
            }
            await process.WaitForExitAsync();
            log.WriteLine($"attempt {attempt}: killed={process.ExitCode != 0} at {clock.Elapsed}, checkpoint lines {CheckpointLines(crashed)}");

            var fetched = server.Stats.Requests(RunDetailRoute) - fetchedBefore;
            Assert.True(fetched <= runCount - skippable,
                $"attempt {attempt}: fetched {fetched} run details, but only {runCount - skippable} runs were not finished before it");
        }

        var skippableAtEnd = await SkippableRunsAsync(crashed);
        var fetchedBeforeFinal = server.Stats.Requests(RunDetailRoute);
        var (finalExit, finalOutput) = await RunToEndAsync(crashed);

        log.WriteLine($"final resume done at {clock.Elapsed}");
        Assert.True(finalExit == ExitCodes.Complete, finalOutput);
        Assert.True(killsMidExport > 0, "no kill landed before the export finished");
        // The last resume fetches exactly the runs the checkpoint did not hold as finished, each once.
        Assert.Equal(runCount - skippableAtEnd, server.Stats.Requests(RunDetailRoute) - fetchedBeforeFinal);
        AssertSameBackup(reference, crashed);
        var verify = await BackupVerifier.VerifyAsync(crashed, CancellationToken.None);
        Assert.True(verify.Ok, string.Join("\n", verify.Problems));
    }

    Task<(int ExitCode, string Output)> RunToEndAsync(string output) => CrawlerProcess.RunExportToEndAsync(server, output);

    Process Start(string output) => CrawlerProcess.StartExport(server, output);

    static int CheckpointLines(string output) => CrawlerProcess.CheckpointLines(output);

    /// <summary>Runs a resume may skip: done in the checkpoint and not RUNNING (those are always exported again).</summary>
    static async Task<int> SkippableRunsAsync(string output)
    {
        if (!Directory.Exists(output))
            return 0;
        await using var store = new FileCheckpointStore(new BackupLayout(output));
        var state = await store.LoadAsync(CancellationToken.None);
        return state.Runs.Values.Count(e => e.RunPath.Split('/').Length == 3 && e.Status == UnitStatus.Done
                                             && !e.Fingerprint.StartsWith("RUNNING|", StringComparison.Ordinal));
    }

    static void AssertSameBackup(string expected, string actual)
    {
        var expectedFiles = BackupFiles(expected);
        var actualFiles = BackupFiles(actual);
        Assert.Equal(expectedFiles, actualFiles);
        foreach (var relative in expectedFiles)
        {
            var a = File.ReadAllBytes(Path.Combine(expected, relative));
            var b = File.ReadAllBytes(Path.Combine(actual, relative));
            if (relative == BackupLayout.BackupInfoFileName)
                Assert.Equal(WithoutTimestamps(a), WithoutTimestamps(b));
            else
                Assert.True(a.AsSpan().SequenceEqual(b), $"{relative} differs");
        }
    }

    /// <summary>Every file but the private checkpoint folder, as sorted relative paths.</summary>
    static List<string> BackupFiles(string root) =>
        Directory.EnumerateFiles(root, "*", SearchOption.AllDirectories)
            .Select(f => Path.GetRelativePath(root, f))
            .Where(f => !f.StartsWith(BackupLayout.StateFolderName + Path.DirectorySeparatorChar, StringComparison.Ordinal))
            .Order(StringComparer.Ordinal)
            .ToList();

    static string WithoutTimestamps(byte[] json)
    {
        var node = JsonNode.Parse(json)!.AsObject();
        node.Remove("startedAt");
        node.Remove("finishedAt");
        return node.ToJsonString();
    }
}
