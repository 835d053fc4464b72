using System.Security.Cryptography;
using SwanLab.Client;
using SwanLab.Crawler.Backup;
using SwanLab.Crawler.Crawl;
using SwanLab.Crawler.Source;
using SwanLab.Crawler.Tests.Backup;
using SwanLab.Emulator;

namespace SwanLab.Crawler.Tests.EndToEnd;

/// <summary>A full export in the Parquet series format from the in-process emulator, and a resume of it.</summary>
public sealed class ParquetExportSpecs : IDisposable
{
    private readonly string _root = Path.Combine(Path.GetTempPath(), "swanlab-e2e-parquet-" + Guid.NewGuid().ToString("N"));
    private static readonly CancellationToken None = CancellationToken.None;

    private CrawlSettings Settings(string dir) => new()
    {
        OutputDirectory = Path.Combine(_root, dir),
        Format = SeriesFormat.Parquet,
        RunConcurrency = 4,
        SeriesConcurrency = 8,
        ChannelCapacity = 64,
        MaxUnitAttempts = 5,
        UnitBackoffMin = TimeSpan.FromMilliseconds(5),
        UnitBackoffMax = TimeSpan.FromMilliseconds(50),
    };

    private static Task<SwanLabApi> ConnectAsync(EmulatorServer server) => EmulatorClient.ConnectAsync(server, maxRetries: 8);

    [Fact]
    public async Task Should_export_every_point_the_emulator_has_into_parquet_files_that_verify_and_resume()
    {
        var settings = Settings("parquet");
        await using var server = await EmulatorServer.StartAsync(new EmulatorOptions { Size = DatasetSize.Tiny }, None);
        await using var api = await ConnectAsync(server);

        var result = await CrawlRunner.RunAsync(settings, new SwanLabClientSource(api), null, None);

        var data = server.Dataset;
        Assert.True(result.Complete, string.Join("; ", result.Failures.Select(f => $"{f.RunPath}: {f.Error}")));
        Assert.Equal(data.Runs.Count, result.RunsDone);
        Assert.Equal(data.Runs.Sum(r => data.DataOwner(r).Scalars.Sum(s => (long)s.Count)), result.Points);
        var layout = new BackupLayout(settings.OutputDirectory);
        var manifest = (await ManifestWriter.ReadAsync(layout, None)).ToDictionary(f => f.RelativePath, StringComparer.Ordinal);
        var seriesFiles = 0;
        foreach (var run in data.Runs)
        {
            var path = $"{run.Project.Workspace.Username}/{run.Project.Name}/{run.Cuid}";
            var index = await MetricsIndex.ReadAsync(layout.MetricsIndexFile(path), None);
            Assert.Equal(SeriesFormat.Parquet, index.Format);
            var owner = data.DataOwner(run);
            Assert.Equal(owner.Scalars.Select(s => s.Key).Order(StringComparer.Ordinal), index.Series.Select(s => s.Key));
            foreach (var series in owner.Scalars)
            {
                var entry = index.Series.Single(s => s.Key == series.Key);
                Assert.EndsWith(".parquet", entry.File, StringComparison.Ordinal);
                var file = Path.Combine(layout.MetricsDirectory(path), entry.File);
                var written = new List<SeriesPoint>();
                await foreach (var point in SeriesFileReader.ReadAsync(file, None)) written.Add(point);
                var expected = series.Points().Select(p => new SeriesPoint(p.Step, p.Value, p.Timestamp)).ToList();
                Assert.Equal(expected, written);
                Assert.Equal((expected.Count, expected.Count == 0 ? null : (long?)expected[^1].Step), (entry.Points, entry.LastStep));

                var listed = manifest[layout.RelativePath(file)];
                Assert.Equal(Convert.ToHexStringLower(SHA256.HashData(await File.ReadAllBytesAsync(file))), listed.Sha256);
                seriesFiles++;
            }
        }
        Assert.True(seriesFiles > 0);
        Assert.Empty(Directory.EnumerateFiles(settings.OutputDirectory, "*.csv", SearchOption.AllDirectories));
        Assert.Equal(SeriesFormat.Parquet, (await BackupInfo.ReadAsync(layout, None))!.SeriesFormat);
        var report = await BackupVerifier.VerifyAsync(settings.OutputDirectory, None);
        Assert.True(report.Ok, string.Join("; ", report.Problems));
        Assert.Equal(seriesFiles, report.SeriesChecked);

        // Resume into the same folder: finished runs are not fetched again and the backup does not change.
        var before = BackupTree.Hashes(settings.OutputDirectory);
        var again = await CrawlRunner.RunAsync(settings, new SwanLabClientSource(api), null, None);
        Assert.True(again.Complete);
        Assert.Equal(data.Runs.Count(r => !string.Equals(r.State, "RUNNING", StringComparison.OrdinalIgnoreCase)), again.RunsSkipped);
        Assert.Equal(result.Points, again.Points);
        Assert.Equal(before, BackupTree.Hashes(settings.OutputDirectory));
        Assert.True((await BackupVerifier.VerifyAsync(settings.OutputDirectory, None)).Ok);
    }

    public void Dispose()
    {
        try { Directory.Delete(_root, recursive: true); } catch (IOException) { }
    }
}
