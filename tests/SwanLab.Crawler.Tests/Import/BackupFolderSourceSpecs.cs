using SwanLab.Client;
using SwanLab.Crawler.Backup;
using SwanLab.Crawler.Crawl;
using SwanLab.Crawler.Source;
using SwanLab.Crawler.Tests.Backup;
using SwanLab.Emulator;
using SwanLab.Emulator.Data;

namespace SwanLab.Crawler.Tests.Import;

/// <summary>
/// The backup folder as a source: exporting a backup folder through the same actors gives the same backup again, and
/// a damaged or unlisted file fails its run by name instead of being read.
/// </summary>
public sealed class BackupFolderSourceSpecs : IDisposable
{
    private static readonly CancellationToken None = CancellationToken.None;
    private readonly TempDir _dir = new();

    private CrawlSettings Settings(string name, SeriesFormat format = SeriesFormat.Csv) => new()
    {
        OutputDirectory = Path.Combine(_dir.Path, name),
        Format = format,
        RunConcurrency = 4,
        SeriesConcurrency = 8,
        ChannelCapacity = 64,
        MaxUnitAttempts = 2,
        UnitBackoffMin = TimeSpan.FromMilliseconds(5),
        UnitBackoffMax = TimeSpan.FromMilliseconds(20),
    };

    internal static async Task<CrawlResult> ExportEmulatorAsync(EmulatorServer server, CrawlSettings settings)
    {
        await using var api = await EmulatorClient.ConnectAsync(server);
        var result = await CrawlRunner.RunAsync(settings, new SwanLabClientSource(api), null, None);
        Assert.True(result.Complete, string.Join("; ", result.Failures.Select(f => $"{f.RunPath}: {f.Error}")));
        return result;
    }

    [Theory]
    [InlineData(SeriesFormat.Csv)]
    [InlineData(SeriesFormat.Parquet)]
    public async Task Should_give_back_the_same_backup_when_a_backup_folder_is_exported_again(SeriesFormat format)
    {
        await using var server = await EmulatorServer.StartAsync(new EmulatorOptions { Size = DatasetSize.Tiny }, None);
        var original = Settings("original", format);
        var exported = await ExportEmulatorAsync(server, original);

        var source = await BackupFolderSource.OpenAsync(original.OutputDirectory, None);
        var copy = Settings("copy", format);
        var result = await CrawlRunner.RunAsync(copy, source, null, None);

        Assert.True(result.Complete, string.Join("; ", result.Failures.Select(f => $"{f.RunPath}: {f.Error}")));
        Assert.Equal(exported.RunsDone, result.RunsDone);
        Assert.Equal(exported.Points, result.Points);
        Assert.Equal(BackupTree.Hashes(original.OutputDirectory), BackupTree.Hashes(copy.OutputDirectory));
    }

    [Fact]
    public async Task Should_fail_only_the_run_whose_series_file_was_changed_naming_the_file()
    {
        await using var server = await EmulatorServer.StartAsync(new EmulatorOptions { Size = DatasetSize.Tiny }, None);
        var original = Settings("original");
        await ExportEmulatorAsync(server, original);
        var layout = new BackupLayout(original.OutputDirectory);
        var manifest = await ManifestWriter.ReadAsync(layout, None);
        var damaged = manifest.First(f => f.RelativePath.EndsWith(".csv", StringComparison.Ordinal));
        var full = layout.FullPath(damaged.RelativePath);
        var bytes = await File.ReadAllBytesAsync(full);
        bytes[^2] = bytes[^2] == (byte)'1' ? (byte)'2' : (byte)'1';
        await File.WriteAllBytesAsync(full, bytes);

        var source = await BackupFolderSource.OpenAsync(original.OutputDirectory, None);
        var result = await CrawlRunner.RunAsync(Settings("copy"), source, null, None);

        var failure = Assert.Single(result.Failures);
        Assert.Equal("damaged", failure.ErrorKind);
        Assert.Contains(damaged.RelativePath, failure.Error, StringComparison.Ordinal);
        Assert.StartsWith(layout.RelativePath(layout.RunDirectory(failure.RunPath)) + "/", damaged.RelativePath, StringComparison.Ordinal);
        Assert.Equal(server.Dataset.Runs.Count - 1, result.RunsDone);
    }

    [Fact]
    public async Task Should_fail_a_run_whose_listed_file_is_missing_or_whose_file_the_manifest_does_not_list()
    {
        await using var server = await EmulatorServer.StartAsync(new EmulatorOptions { Size = DatasetSize.Tiny }, None);
        var original = Settings("original");
        await ExportEmulatorAsync(server, original);
        var layout = new BackupLayout(original.OutputDirectory);
        var manifest = (await ManifestWriter.ReadAsync(layout, None)).ToList();
        var logs = manifest.First(f => f.RelativePath.EndsWith("/logs.jsonl", StringComparison.Ordinal));
        File.Delete(layout.FullPath(logs.RelativePath));
        var index = manifest.Last(f => f.RelativePath.EndsWith("/metrics/index.json", StringComparison.Ordinal));
        Assert.NotEqual(Path.GetDirectoryName(Path.GetDirectoryName(index.RelativePath)), Path.GetDirectoryName(logs.RelativePath));
        manifest.Remove(index);
        await ManifestWriter.WriteAsync(layout, manifest, None);

        var source = await BackupFolderSource.OpenAsync(original.OutputDirectory, None);
        var result = await CrawlRunner.RunAsync(Settings("copy"), source, null, None);

        Assert.Equal(2, result.Failures.Count);
        Assert.Contains(result.Failures, f => f.ErrorKind == "damaged" && f.Error!.Contains($"'{logs.RelativePath}' is missing", StringComparison.Ordinal));
        Assert.Contains(result.Failures, f => f.ErrorKind == "damaged" && f.Error!.Contains($"'{index.RelativePath}' is not in manifest.jsonl", StringComparison.Ordinal));
    }

    [Fact]
    public async Task Should_apply_state_and_run_selections_to_a_backup_folder()
    {
        await using var server = await EmulatorServer.StartAsync(new EmulatorOptions { Size = DatasetSize.Tiny }, None);
        var original = Settings("original");
        await ExportEmulatorAsync(server, original);
        var finished = server.Dataset.Runs.Count(r => r.State == "FINISHED");
        Assert.InRange(finished, 1, server.Dataset.Runs.Count - 1);

        var source = await BackupFolderSource.OpenAsync(original.OutputDirectory, None);
        var result = await CrawlRunner.RunAsync(Settings("finished") with { Filter = new RunFilter(["finished"], new Dictionary<string, string>()) },
            source, null, None);

        Assert.True(result.Complete);
        Assert.Equal(finished, result.RunsDone);
    }

    public void Dispose() => _dir.Dispose();
}
