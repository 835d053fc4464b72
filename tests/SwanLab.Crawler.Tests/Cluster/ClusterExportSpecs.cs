using System.Diagnostics;
using SwanLab.Crawler.Backup;
using SwanLab.Crawler.Cluster;
using SwanLab.Crawler.Crawl;
using SwanLab.Crawler.Source;
using SwanLab.Crawler.Tests.Backup;
using SwanLab.Emulator;
using Xunit.Abstractions;

namespace SwanLab.Crawler.Tests.Cluster;

/// <summary>
/// Three crawl cluster nodes in this process (separate actor systems over loopback) export the emulator's demo
/// dataset into one folder; the backup must be the one a single process writes, file for file (backup.json aside:
/// its startedAt/finishedAt are the export's own times), also when a node, or the coordinator's node, stops
/// abruptly mid-crawl.
/// </summary>
public sealed class ClusterExportSpecs(ITestOutputHelper log) : IDisposable
{
    private readonly string _root = Directory.CreateTempSubdirectory("swanlab-cluster-").FullName;
    private static readonly TimeSpan Guard = TimeSpan.FromSeconds(90);

    private CrawlSettings Settings(string dir) => new()
    {
        OutputDirectory = Path.Combine(_root, dir),
        RunConcurrency = 2,
        SeriesConcurrency = 8,
        ChannelCapacity = 256,
        MaxUnitAttempts = 5,
        UnitBackoffMin = TimeSpan.FromMilliseconds(5),
        UnitBackoffMax = TimeSpan.FromMilliseconds(50),
    };

    private static async Task<CrawlResult> SingleNodeAsync(EmulatorServer server, CrawlSettings settings)
    {
        await using var api = await ClusterNodes.ClientAsync(server);
        return await CrawlRunner.RunAsync(settings, new SwanLabClientSource(api), null, CancellationToken.None);
    }

    [Fact]
    public async Task Should_export_the_demo_dataset_on_three_nodes_into_the_backup_one_process_writes()
    {
        await using var server = await EmulatorServer.StartAsync(new EmulatorOptions { Size = DatasetSize.Demo });
        var single = Settings("single");
        var reference = await SingleNodeAsync(server, single);
        Assert.True(reference.Complete);

        var clustered = Settings("cluster");
        var clock = Stopwatch.StartNew();
        await using var nodes = await ClusterNodes.StartAsync(server, clustered, 3);
        var results = await Task.WhenAll(nodes.Runs).WaitAsync(Guard);
        log.WriteLine($"3-node crawl: {clock.Elapsed}");

        Assert.All(results, r => Assert.True(r.Complete && r.RunsDone == reference.RunsDone && r.Points == reference.Points,
            $"{r.RunsDone} runs, {r.Points} points, complete {r.Complete}"));
        await AssertSameBackupAsync(single.OutputDirectory, clustered.OutputDirectory);
    }

    [Fact]
    public async Task Should_complete_the_same_backup_when_a_node_stops_abruptly_mid_crawl() =>
        await SurviveAsync(coordinator: false);

    [Fact]
    public async Task Should_complete_the_same_backup_when_the_coordinators_node_stops_abruptly_mid_crawl() =>
        await SurviveAsync(coordinator: true);

    [Fact]
    public async Task Should_complete_the_same_backup_when_a_node_is_interrupted_and_leaves_mid_crawl() =>
        await SurviveAsync(coordinator: false, interrupt: true);

    private async Task SurviveAsync(bool coordinator, bool interrupt = false)
    {
        // Latency stretches the crawl so the stop lands in its middle.
        await using var server = await EmulatorServer.StartAsync(new EmulatorOptions { Size = DatasetSize.Demo, LatencyMs = 15 });
        var single = Settings("single");
        var reference = await SingleNodeAsync(server, single);
        Assert.True(reference.Complete);

        var clustered = Settings("cluster");
        var clock = Stopwatch.StartNew();
        await using var nodes = await ClusterNodes.StartAsync(server, clustered, 3);
        var checkpoint = new BackupLayout(clustered.OutputDirectory).CheckpointFile;
        // Mid-crawl: some runs are recorded (after the workspace and project units), most are not.
        var midCrawl = server.Dataset.Projects.Count + server.Dataset.Workspaces.Count + 8;
        while (Lines(checkpoint) < midCrawl && clock.Elapsed < Guard) await Task.Delay(20);
        if (!coordinator && !interrupt)
        {
            // The coordinator holds the folder: a one-process export of it is refused while the cluster runs.
            await Assert.ThrowsAsync<BackupInUseException>(() => SingleNodeAsync(server, clustered));
        }
        var oldest = nodes.OldestNode();
        var victim = coordinator ? oldest : (oldest + 1) % 3;
        log.WriteLine($"stopping node {victim} (coordinator on {oldest}) at {clock.Elapsed}, checkpoint lines {Lines(checkpoint)}");
        var linesAtStop = Lines(checkpoint);
        var stoppedAt = clock.Elapsed;
        if (interrupt) nodes.Interrupt(victim);
        else await nodes.StopAbruptlyAsync(victim);
        if (coordinator)
        {
            // Nothing is recorded between the coordinator's death and its successor's first record.
            while (Lines(checkpoint) == linesAtStop && clock.Elapsed < Guard) await Task.Delay(20);
            log.WriteLine($"first record after the coordinator stopped: {clock.Elapsed - stoppedAt} later");
        }

        var survivors = Enumerable.Range(0, 3).Where(n => n != victim).Select(n => nodes.Runs[n]).ToList();
        var results = await Task.WhenAll(survivors).WaitAsync(Guard);
        log.WriteLine($"survivors done at {clock.Elapsed}");
        if (interrupt) Assert.True((await nodes.Runs[victim]).Cancelled);
        else await Assert.ThrowsAsync<ClusterNodeLeftException>(() => nodes.Runs[victim]);
        Assert.All(results, r => Assert.True(r.Complete && r.RunsFailed == 0,
            $"{r.RunsDone} done + {r.RunsSkipped} skipped, {r.RunsFailed} failed: {string.Join("; ", r.Failures.Select(f => f.Error))}"));
        await AssertSameBackupAsync(single.OutputDirectory, clustered.OutputDirectory);
    }

    private static async Task AssertSameBackupAsync(string single, string clustered)
    {
        Assert.Equal(BackupTree.Hashes(single), BackupTree.Hashes(clustered));
        var report = await BackupVerifier.VerifyAsync(clustered, CancellationToken.None);
        Assert.True(report.Ok, string.Join("; ", report.Problems));
        Assert.DoesNotContain(Directory.EnumerateFiles(clustered, "*", SearchOption.AllDirectories),
            f => AtomicFile.IsTempName(Path.GetFileName(f)));
    }

    private static int Lines(string file)
    {
        if (!File.Exists(file)) return 0;
        using var stream = new FileStream(file, FileMode.Open, FileAccess.Read, FileShare.ReadWrite | FileShare.Delete);
        using var reader = new StreamReader(stream);
        return reader.ReadToEnd().Count(c => c == '\n');
    }

    public void Dispose()
    {
        try { Directory.Delete(_root, recursive: true); }
        catch (IOException) { }
    }
}
