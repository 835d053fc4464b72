using SwanLab.Client;
using SwanLab.Crawler.Crawl;
using SwanLab.Crawler.Import;
using SwanLab.Crawler.Source;
using SwanLab.Crawler.Tests.Backup;
using SwanLab.Crawler.Tests.Import;
using SwanLab.Emulator;
using SwanLab.Emulator.Data;

namespace SwanLab.Crawler.Tests.EndToEnd;

/// <summary>
/// Import and migrate against real HTTP: the emulator as source and as an empty target, SwanLab.Client's uploader as
/// the write side. Export A, import into empty B, export B: the same series, logs and media byte for byte; a second
/// import creates nothing and stores nothing (the target's own counters); migrate A -> B under faults on both sides.
/// </summary>
public sealed class ImportRoundTripSpecs : IDisposable
{
    static readonly CancellationToken None = CancellationToken.None;
    readonly TempDir dir = new();

    static CrawlSettings Crawl(string output) => new()
    {
        OutputDirectory = output,
        RunConcurrency = 4,
        SeriesConcurrency = 8,
        ChannelCapacity = 64,
        MaxUnitAttempts = 5,
        UnitBackoffMin = TimeSpan.FromMilliseconds(5),
        UnitBackoffMax = TimeSpan.FromMilliseconds(50),
    };

    static Task<SwanLabApi> ConnectAsync(EmulatorServer server, double? rate = null) =>
        EmulatorClient.ConnectAsync(server, maxRetries: 10,
            rate is { } r ? SwanLab.Client.RateLimiting.RequestPacer.Fixed(r) : SwanLab.Client.RateLimiting.RequestPacer.Adaptive(200));

    async Task<ImportResult> ImportAsync(ICrawlSource source, EmulatorServer target, string state)
    {
        await using var api = await ConnectAsync(target);
        var settings = new ImportSettings { Crawl = Crawl(state), StateDirectory = state };
        return await ImportRunner.RunAsync(settings, source, new SwanLabClientTarget(api), null, None, null, new SwanLabClientSource(api));
    }

    static string Failures(ImportResult r) =>
        string.Join("; ", r.Crawl.Failures.Select(f => $"{f.RunPath}: {f.Error}")
            .Concat(r.Verification?.Runs.SelectMany(v => v.Mismatches.Select(m => $"{v.SourcePath}: {m}")) ?? []));

    /// <summary>Series, index, logs, media files and media.jsonl (captions, kinds, object paths): what must come back byte for byte (host objects aside).</summary>
    static SortedDictionary<string, string> Data(string root) =>
        new(BackupTree.Hashes(root).Where(f => f.Key.Contains("/metrics/", StringComparison.Ordinal)
            || f.Key.EndsWith("/logs.jsonl", StringComparison.Ordinal) || f.Key.Contains("/media/", StringComparison.Ordinal)
            || f.Key.EndsWith("/media.jsonl", StringComparison.Ordinal))
            .ToDictionary(f => f.Key, f => f.Value), StringComparer.Ordinal);

    [Fact]
    public async Task Should_export_the_same_data_from_an_empty_server_after_importing_a_backup_into_it_and_import_nothing_twice()
    {
        await using var a = await EmulatorServer.StartAsync(new EmulatorOptions { Size = DatasetSize.Tiny }, None);
        await using var b = await EmulatorServer.StartAsync(new EmulatorOptions { Size = DatasetSize.Empty }, None);
        var backupA = Path.Combine(dir.Path, "a");
        await BackupFolderSourceSpecs.ExportEmulatorAsync(a, Crawl(backupA));

        var first = await ImportAsync(await BackupFolderSource.OpenAsync(backupA, None), b, Path.Combine(backupA, ".swanlab-crawler"));
        Assert.True(first.Complete, Failures(first));
        var afterFirst = b.Stats.Snapshot().Writes;
        var second = await ImportAsync(await BackupFolderSource.OpenAsync(backupA, None), b, Path.Combine(backupA, ".swanlab-crawler"));
        var afterSecond = b.Stats.Snapshot().Writes;
        var backupB = Path.Combine(dir.Path, "b");
        await BackupFolderSourceSpecs.ExportEmulatorAsync(b, Crawl(backupB));

        Assert.True(second.Complete, Failures(second));
        Assert.Equal(a.Dataset.Runs.Count, afterFirst.ExperimentsCreated);
        Assert.Equal((0L, 0L, 0L), (afterFirst.DuplicateSteps, afterFirst.DuplicateLogLines, afterFirst.DuplicateMediaSteps));
        Assert.Equal((afterFirst.ExperimentsCreated, afterFirst.PointsStored, afterFirst.MetricRequests, afterFirst.MediaFilesUploaded),
            (afterSecond.ExperimentsCreated, afterSecond.PointsStored, afterSecond.MetricRequests, afterSecond.MediaFilesUploaded));
        Assert.Equal(0L, afterSecond.DuplicateSteps);
        // The second import touches nothing, RUNNING runs included: no experiment create (not even a 200), no upload.
        Assert.Equal(0L, afterSecond.ExperimentsResumed);
        Assert.Equal((0L, 0L, 0L, 0L, 0L), (second.Counts.RunsCreated, second.Counts.RunsResumed, second.Counts.PointsUploaded,
            second.Counts.LogLinesUploaded, second.Counts.MediaUploaded));
        Assert.Equal(Data(backupA), Data(backupB));
        Assert.Contains(Data(backupA), f => f.Key.EndsWith("/media.jsonl", StringComparison.Ordinal));
        Assert.Contains(a.Dataset.Runs.SelectMany(r => r.Media).SelectMany(m => m.Steps).SelectMany(s => s.Items), i => i.Caption is not null);
        Assert.DoesNotContain(first.Runs.SelectMany(r => r.NotCarried), n => n.Contains("caption", StringComparison.Ordinal));
        Assert.Equal(BackupTree.Hashes(backupA).Keys.Where(k => !k.StartsWith("manifest", StringComparison.Ordinal)),
            BackupTree.Hashes(backupB).Keys.Where(k => !k.StartsWith("manifest", StringComparison.Ordinal)));
    }

    [Fact]
    public async Task Should_carry_media_captions_from_a_backup_and_report_their_loss_from_one_written_before_media_jsonl()
    {
        await using var a = await EmulatorServer.StartAsync(new EmulatorOptions { Size = DatasetSize.Tiny }, None);
        await using var withIndex = await EmulatorServer.StartAsync(new EmulatorOptions { Size = DatasetSize.Empty }, None);
        await using var withoutIndex = await EmulatorServer.StartAsync(new EmulatorOptions { Size = DatasetSize.Empty }, None);
        var backup = Path.Combine(dir.Path, "a");
        await BackupFolderSourceSpecs.ExportEmulatorAsync(a, Crawl(backup));
        var old = Path.Combine(dir.Path, "old");
        CopyFolder(backup, old);
        // What an export before media.jsonl wrote: the same backup without those files and their manifest lines.
        foreach (var index in Directory.EnumerateFiles(old, "media.jsonl", SearchOption.AllDirectories)) File.Delete(index);
        var manifest = Path.Combine(old, "manifest.jsonl");
        await File.WriteAllLinesAsync(manifest, (await File.ReadAllLinesAsync(manifest)).Where(l => !l.Contains("/media.jsonl\"", StringComparison.Ordinal)));

        var carried = await ImportAsync(await BackupFolderSource.OpenAsync(backup, None), withIndex, Path.Combine(backup, ".swanlab-crawler"));
        var lost = await ImportAsync(await BackupFolderSource.OpenAsync(old, None), withoutIndex, Path.Combine(old, ".swanlab-crawler"));

        // Distinct: a cloned run is imported as a normal run holding its root's media, so the target has them twice.
        static List<string?> Captions(EmulatorServer server) =>
            server.Dataset.Runs.SelectMany(r => r.Media).SelectMany(m => m.Steps).SelectMany(s => s.Items).Select(i => i.Caption)
                .Where(c => c is not null).Distinct().Order(StringComparer.Ordinal).ToList();
        static List<string> Paths(EmulatorServer server) =>
            server.Dataset.Runs.SelectMany(r => r.Media).SelectMany(m => m.Steps).SelectMany(s => s.Items).Select(i => i.Path).Distinct().Order(StringComparer.Ordinal).ToList();
        Assert.True(carried.Complete, Failures(carried));
        Assert.True(lost.Complete, Failures(lost));
        Assert.NotEmpty(Captions(a));
        Assert.Equal(Captions(a), Captions(withIndex));
        Assert.Equal(Paths(a), Paths(withIndex));
        Assert.Empty(Captions(withoutIndex));
        Assert.DoesNotContain(carried.Runs.SelectMany(r => r.NotCarried), n => n.Contains("caption", StringComparison.Ordinal));
        var runsWithMedia = lost.Runs.Where(r => r.Media.Count > 0).ToList();
        Assert.NotEmpty(runsWithMedia);
        Assert.All(runsWithMedia, r => Assert.Contains(r.NotCarried, n => n.StartsWith("media captions", StringComparison.Ordinal)));
        Assert.All(lost.Runs.Where(r => r.Media.Count == 0), r => Assert.DoesNotContain(r.NotCarried, n => n.Contains("caption", StringComparison.Ordinal)));
    }

    static void CopyFolder(string from, string to)
    {
        foreach (var file in Directory.EnumerateFiles(from, "*", SearchOption.AllDirectories))
        {
            var relative = Path.GetRelativePath(from, file);
            if (relative.StartsWith(".swanlab-crawler", StringComparison.Ordinal)) continue;
            Directory.CreateDirectory(Path.GetDirectoryName(Path.Combine(to, relative))!);
            File.Copy(file, Path.Combine(to, relative));
        }
    }

    [Fact]
    public async Task Should_migrate_a_server_into_an_empty_one_under_5xx_and_429_on_both_sides()
    {
        await using var a = await EmulatorServer.StartAsync(new EmulatorOptions { Size = DatasetSize.Tiny, PointsPerKey = 30, FailRate = 0.1, RateLimit = 20 }, None);
        await using var b = await EmulatorServer.StartAsync(new EmulatorOptions { Size = DatasetSize.Empty, FailRate = 0.1, RateLimit = 20 }, None);
        await using var source = await ConnectAsync(a);

        var result = await ImportAsync(new SwanLabClientSource(source), b, Path.Combine(dir.Path, "state"));

        Assert.True(result.Complete, Failures(result));
        var writes = b.Stats.Snapshot().Writes;
        Assert.Equal(a.Dataset.Runs.Count, writes.ExperimentsCreated);
        Assert.Equal((0L, 0L, 0L), (writes.DuplicateSteps, writes.DuplicateLogLines, writes.DuplicateMediaSteps));
        Assert.All(result.Verification!.Runs, r => Assert.True(r.Matched, string.Join("; ", r.Mismatches)));
        Assert.True(a.Stats.Snapshot().InjectedFailures > 0 && b.Stats.Snapshot().InjectedFailures > 0);
        Assert.True(a.Stats.Snapshot().RateLimited > 0 && b.Stats.Snapshot().RateLimited > 0,
            $"429s: source {a.Stats.Snapshot().RateLimited}, target {b.Stats.Snapshot().RateLimited}");
    }

    public void Dispose() => dir.Dispose();
}
