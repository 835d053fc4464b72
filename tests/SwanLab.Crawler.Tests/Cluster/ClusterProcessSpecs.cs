using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using SwanLab.Crawler.Backup;
using SwanLab.Crawler.Cli;
using SwanLab.Crawler.Tests.Backup;
using SwanLab.Crawler.Tests.Cli;
using SwanLab.Emulator;
using Xunit.Abstractions;

namespace SwanLab.Crawler.Tests.Cluster;

/// <summary>
/// Three real `swanlab-crawler export` processes on 127.0.0.1 form one cluster against one emulator; one is killed
/// with SIGKILL mid-crawl: one that does not hold the coordinator, or the one that does (the first seed, the oldest
/// member). The two left must finish with exit 0 and the backup a single process writes, `verify` must pass, and the
/// runs fetched again are at most those the dead node had in flight.
/// </summary>
public sealed class ClusterProcessSpecs(ITestOutputHelper log) : IAsyncLifetime, IDisposable
{
    const string RunDetailRoute = "GET /api/project/{workspace}/{project}/runs/{id}";
    const int Concurrency = 2;
    readonly string work = Directory.CreateTempSubdirectory("swanlab-cluster-proc-").FullName;
    EmulatorServer server = null!;

    public async Task InitializeAsync() =>
        // Latency so the crawl lasts long enough to kill a node in its middle.
        server = await EmulatorServer.StartAsync(new EmulatorOptions { Size = DatasetSize.Demo, LatencyMs = 15 });

    public async Task DisposeAsync() => await server.DisposeAsync();

    public void Dispose()
    {
        try { Directory.Delete(work, recursive: true); }
        catch (IOException) { }
    }

    [Fact]
    public Task Should_finish_the_backup_one_process_writes_when_a_node_is_killed_with_SIGKILL_mid_crawl() =>
        KillMidCrawlAsync(victimIndex: 2);

    /// <summary>The next oldest node starts a new coordinator, which goes on from the checkpoint the dead one wrote.</summary>
    [Fact]
    public Task Should_finish_the_backup_one_process_writes_when_the_coordinators_node_is_killed_with_SIGKILL_mid_crawl() =>
        KillMidCrawlAsync(victimIndex: 0);

    async Task KillMidCrawlAsync(int victimIndex)
    {
        var reference = Path.Combine(work, "reference");
        var referenceClock = Stopwatch.StartNew();
        var (referenceExit, referenceOutput) = await CrawlerProcess.RunToEndAsync(ExportArgs(reference));
        Assert.True(referenceExit == ExitCodes.Complete, referenceOutput);
        var runs = server.Stats.Requests(RunDetailRoute);
        log.WriteLine($"one-process export: {referenceClock.Elapsed}");

        var clustered = Path.Combine(work, "cluster");
        var ports = Enumerable.Range(0, 3).Select(_ => FreePort()).ToArray();
        var seeds = ports.SelectMany(p => new[] { "--seed-node", $"127.0.0.1:{p}" }).ToArray();
        var before = server.Stats.Requests(RunDetailRoute);
        var readsBefore = server.Stats.Snapshot().RunReads;
        var clock = Stopwatch.StartNew();
        var nodes = ports.Select(p => CrawlerProcess.Start(
            [.. ExportArgs(clustered), "--cluster-host", "127.0.0.1", "--cluster-port", $"{p}", .. seeds])).ToList();
        var outputs = nodes.Select(n => (Out: n.StandardOutput.ReadToEndAsync(), Err: n.StandardError.ReadToEndAsync())).ToList();
        try
        {
            // Mid-crawl: some runs are in the checkpoint (after the workspace and project units). Node 0 is the first
            // seed, the oldest member: the coordinator.
            var midCrawl = server.Dataset.Projects.Count + server.Dataset.Workspaces.Count + 8;
            while (CrawlerProcess.CheckpointLines(clustered) < midCrawl && clock.Elapsed < TimeSpan.FromSeconds(60))
                await Task.Delay(20);
            // The coordinator holds the folder's lock: lock.json names its process.
            var coordinatorPid = BackupLock.ReadOwner(new BackupLayout(clustered))?.Pid;
            Assert.Equal(nodes[0].Id, coordinatorPid);
            log.WriteLine($"SIGKILL node {victimIndex} at {clock.Elapsed}, checkpoint lines {CrawlerProcess.CheckpointLines(clustered)}");
            nodes[victimIndex].Kill();
            using var guard = new CancellationTokenSource(TimeSpan.FromSeconds(90));
            foreach (var node in nodes) await node.WaitForExitAsync(guard.Token);
            log.WriteLine($"survivors exited at {clock.Elapsed}");
            var survivors = Enumerable.Range(0, nodes.Count).Where(i => i != victimIndex).ToList();
            foreach (var line in (await outputs[survivors[0]].Out).Split('\n').Where(l => l.Contains("runs ", StringComparison.Ordinal) || l.Contains("WARN", StringComparison.Ordinal)))
                log.WriteLine($"node {survivors[0]}: {line}");
            foreach (var i in survivors)
                Assert.True(nodes[i].ExitCode == ExitCodes.Complete, $"node {i}: {await outputs[i].Out}{await outputs[i].Err}");
        }
        finally
        {
            foreach (var node in nodes.Where(n => !n.HasExited)) node.Kill();
            foreach (var node in nodes) node.Dispose();
        }

        Assert.Equal(BackupTree.Hashes(reference), BackupTree.Hashes(clustered));
        var (verifyExit, verifyOutput) = await CrawlerProcess.RunToEndAsync(["verify", "--out", clustered]);
        Assert.True(verifyExit == ExitCodes.Complete, verifyOutput);
        // Each run is exported once (its detail and metrics read once), except those in flight on the dead node:
        // exported twice, at most as many as the run gate admits at once (Concurrency per node).
        var fetched = server.Stats.Requests(RunDetailRoute) - before;
        var readsAfter = server.Stats.Snapshot().RunReads;
        var exports = readsAfter.ToDictionary(r => r.Key,
            r => r.Value.Detail - (readsBefore.TryGetValue(r.Key, out var b) ? b.Detail : 0));
        var twice = exports.Where(e => e.Value > 1).Select(e => e.Key).ToList();
        log.WriteLine($"run details fetched: {fetched} for {runs} runs; exported again: {string.Join(", ", twice)}");
        Assert.Equal(runs, exports.Count(e => e.Value >= 1));
        Assert.All(exports, e => Assert.InRange(e.Value, 1, 2));
        Assert.InRange(twice.Count, 0, 3 * Concurrency);
    }

    string[] ExportArgs(string output) =>
        ["export", "--host", server.BaseUrl.ToString().TrimEnd('/'), "--api-key", server.ApiKey, "--out", output,
         "--concurrency", $"{Concurrency}", "--rate-limit", "2000"];

    static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }
}
