using SwanLab.Crawler.Backup;
using SwanLab.Crawler.Source;

namespace SwanLab.Crawler.Tests.Backup;

/// <summary><see cref="BackupVerifier"/> over a backup whose series are Parquet files.</summary>
public sealed class ParquetVerifySpecs : IDisposable
{
    private const string Run = "alice/demo/r1";
    private const string SeriesPath = "alice/demo/r1/metrics/train%2Floss.parquet";
    private static readonly CancellationToken None = CancellationToken.None;
    private readonly TempDir _dir = new();
    private readonly BackupLayout _layout;

    public ParquetVerifySpecs() => _layout = new BackupLayout(_dir.Path);

    public void Dispose() => _dir.Dispose();

    /// <summary>One run with one Parquet series of <paramref name="points"/> points (steps 0..n-1), as the crawl writes it.</summary>
    private async Task BackupAsync(int points, long serverPoints, long serverLastStep, int rowGroupRows = ParquetSeriesSink.DefaultRowGroupRows)
    {
        var path = _layout.SeriesFile(Run, "train/loss", SeriesFormat.Parquet);
        SeriesFileInfo info;
        await using (var sink = new ParquetSeriesSink(AtomicFileWriter.Create(_layout, path), rowGroupRows))
        {
            for (var i = 0; i < points; i++)
                await sink.WriteAsync(new SeriesPoint(i, i % 10 == 0 ? double.NaN : i / 3.0, 1_700_000_000_000 + i), None);
            info = await sink.CompleteAsync(None);
        }
        await new MetricsIndex(SeriesFormat.Parquet, null,
            [MetricsIndexEntry.From(new SeriesInfo("train/loss", serverPoints, serverLastStep), info)]).WriteAsync(_layout, Run, None);
        await AtomicFile.WriteAllBytesAsync(_layout, _layout.RunFile(Run), "{}\n"u8.ToArray(), None);
        await ErrorsWriter.WriteAsync(_layout, new CheckpointState(new Dictionary<string, CheckpointEntry>()), None);
        await ManifestWriter.WriteAsync(_layout, await BackupTree.RecordEverythingOnDiskAsync(_layout), None);
        await BackupTree.Info("http://127.0.0.1", "alice", new BackupCounts(1, 1, 1, 1, 0, points, 4), SeriesFormat.Parquet, null, true)
            .WriteAsync(_layout, None);
    }

    [Fact]
    public async Task Should_pass_an_untouched_parquet_backup_and_check_its_series()
    {
        await BackupAsync(points: 2500, serverPoints: 2500, serverLastStep: 2499, rowGroupRows: 1000);

        var report = await BackupVerifier.VerifyAsync(_layout.Root, None);

        Assert.True(report.Ok, string.Join("\n", report.Problems));
        Assert.Equal(1, report.SeriesChecked);
        Assert.Equal(SeriesFormat.Parquet, report.Info!.SeriesFormat);
        var manifest = await ManifestWriter.ReadAsync(_layout, None);
        Assert.Contains(manifest, f => f.RelativePath == SeriesPath && f.Sha256.Length == 64);
    }

    [Fact]
    public async Task Should_catch_a_parquet_series_shorter_than_the_server_reported_even_when_file_index_and_manifest_agree()
    {
        // What a silently truncated download would leave: a whole, valid file with fewer points than the server has.
        await BackupAsync(points: 1800, serverPoints: 2500, serverLastStep: 2499, rowGroupRows: 1000);

        var report = await BackupVerifier.VerifyAsync(_layout.Root, None);

        Assert.Equal(2, report.Problems.Count);
        Assert.All(report.Problems, p => Assert.Equal((VerifyProblemKind.SeriesIncomplete, SeriesPath), (p.Kind, p.Path)));
        Assert.Contains(report.Problems, p => p.Detail == "1800 points, the server reported 2500");
        Assert.Contains(report.Problems, p => p.Detail == "last step 1799, the server reported 2499");
    }

    [Fact]
    public async Task Should_report_a_cut_parquet_file_as_changed_and_malformed()
    {
        await BackupAsync(points: 500, serverPoints: 500, serverLastStep: 499);
        var full = _layout.FullPath(SeriesPath);
        var bytes = await File.ReadAllBytesAsync(full);
        await File.WriteAllBytesAsync(full, bytes[..(bytes.Length / 2)]);

        var report = await BackupVerifier.VerifyAsync(_layout.Root, None);

        Assert.Equal([VerifyProblemKind.Changed, VerifyProblemKind.Malformed], report.Problems.Select(p => p.Kind).Order());
        Assert.All(report.Problems, p => Assert.Equal(SeriesPath, p.Path));
    }

    [Fact]
    public async Task Should_report_a_parquet_file_swapped_for_a_shorter_one_even_with_a_rewritten_manifest()
    {
        await BackupAsync(points: 500, serverPoints: 500, serverLastStep: 499);
        // Someone (or a bug) replaces the file with a valid shorter series and re-hashes the manifest: the index still
        // says 500 points, so verify must not take the manifest's word for it.
        var full = _layout.FullPath(SeriesPath);
        File.Delete(full);
        await using (var sink = SeriesSinks.Create(_layout, Run, "train/loss", SeriesFormat.Parquet))
        {
            for (var i = 0; i < 300; i++) await sink.WriteAsync(new SeriesPoint(i, i, null), None);
            await sink.CompleteAsync(None);
        }
        await ManifestWriter.WriteAsync(_layout, await BackupTree.RecordEverythingOnDiskAsync(_layout), None);

        var report = await BackupVerifier.VerifyAsync(_layout.Root, None);

        Assert.Contains(report.Problems, p => p.Kind == VerifyProblemKind.SeriesMismatch
            && p.Detail.StartsWith("holds 300 points, steps 0..299; index says 500 points", StringComparison.Ordinal));
        Assert.Contains(report.Problems, p => p.Kind == VerifyProblemKind.SeriesIncomplete);
        Assert.DoesNotContain(report.Problems, p => p.Kind == VerifyProblemKind.Changed);
    }
}
