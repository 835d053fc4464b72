using SwanLab.Crawler.Backup;
using Source = SwanLab.Crawler.Source;

namespace SwanLab.Crawler.Tests.Backup;

public class BackupVerifierSpecs : IDisposable
{
    private readonly TempDir _dir = new();
    private readonly BackupLayout _layout;

    public BackupVerifierSpecs() => _layout = new BackupLayout(_dir.Path);

    public void Dispose() => _dir.Dispose();

    private async Task FinishedBackupAsync(int points = 5)
    {
        var state = await SmallBackup.WriteAsync(_layout, ["alice/demo/r1", "alice/demo/r2"], points);
        await SmallBackup.FinishAsync(_layout, state);
        await BackupTree.Info("http://127.0.0.1", "alice", new BackupCounts(1, 1, 3, 2, 1, points * 2, 7), SeriesFormat.Csv, null, false)
            .WriteAsync(_layout, CancellationToken.None);
    }

    private string Series(string run) => _layout.SeriesFile(run, "train/loss", SeriesFormat.Csv);

    [Fact]
    public async Task Should_pass_an_untouched_backup()
    {
        await FinishedBackupAsync();
        var report = await BackupVerifier.VerifyAsync(_layout.Root, CancellationToken.None);
        Assert.Empty(report.Problems);
        Assert.Equal(8, report.FilesChecked); // workspace.json, errors.jsonl, 2 x (run.json, series, index.json)
        Assert.Equal(2, report.SeriesChecked);
        Assert.NotNull(report.Info);
    }

    [Fact]
    public async Task Should_detect_a_flipped_byte()
    {
        await FinishedBackupAsync();
        var path = _layout.RunFile("alice/demo/r1");
        var bytes = await File.ReadAllBytesAsync(path);
        bytes[3] ^= 0x01;
        await File.WriteAllBytesAsync(path, bytes);
        var report = await BackupVerifier.VerifyAsync(_layout.Root, CancellationToken.None);
        var problem = Assert.Single(report.Problems);
        Assert.Equal((VerifyProblemKind.Changed, "alice/demo/r1/run.json"), (problem.Kind, problem.Path));
    }

    [Fact]
    public async Task Should_detect_a_missing_file_and_an_extra_one()
    {
        await FinishedBackupAsync();
        File.Delete(_layout.RunFile("alice/demo/r2"));
        await File.WriteAllTextAsync(Path.Combine(_layout.Root, "alice", "stray.txt"), "x");
        await File.WriteAllTextAsync(Path.Combine(_layout.Root, "alice", AtomicFile.NewTempName()), "x");
        var report = await BackupVerifier.VerifyAsync(_layout.Root, CancellationToken.None);
        Assert.Equal(
            [(VerifyProblemKind.Missing, "alice/demo/r2/run.json"), (VerifyProblemKind.Extra, "alice/stray.txt")],
            report.Problems.Select(p => (p.Kind, p.Path)).OrderBy(p => p.Path, StringComparer.Ordinal));
    }

    [Fact]
    public async Task Should_detect_a_truncated_series_even_when_the_manifest_agrees_with_it()
    {
        await FinishedBackupAsync();
        // A series cut short before it was hashed: the manifest matches the file, the index does not.
        var path = Series("alice/demo/r1");
        var lines = await File.ReadAllLinesAsync(path);
        await File.WriteAllTextAsync(path, string.Join("\n", lines[..^2]) + "\n");
        var state = await SmallBackupStateFromDiskAsync();
        await ManifestWriter.WriteAsync(_layout, state, CancellationToken.None);

        var report = await BackupVerifier.VerifyAsync(_layout.Root, CancellationToken.None);
        Assert.Contains(report.Problems, p => p.Kind == VerifyProblemKind.SeriesMismatch);
        Assert.Contains(report.Problems, p => p.Kind == VerifyProblemKind.SeriesIncomplete);
        Assert.All(report.Problems, p => Assert.Equal("alice/demo/r1/metrics/train%2Floss.csv", p.Path));
    }

    [Fact]
    public async Task Should_detect_a_series_shorter_than_the_server_reported()
    {
        await FinishedBackupAsync();
        var index = await MetricsIndex.ReadAsync(_layout.MetricsIndexFile("alice/demo/r2"), CancellationToken.None);
        var entry = index.Series[0];
        await (index with { Series = [entry with { ExpectedPoints = 9, ExpectedLastStep = 8 }] })
            .WriteAsync(_layout, "alice/demo/r2", CancellationToken.None);
        await ManifestWriter.WriteAsync(_layout, await SmallBackupStateFromDiskAsync(), CancellationToken.None);

        var report = await BackupVerifier.VerifyAsync(_layout.Root, CancellationToken.None);
        Assert.Equal(2, report.Problems.Count);
        Assert.All(report.Problems, p => Assert.Equal(VerifyProblemKind.SeriesIncomplete, p.Kind));
        Assert.Contains(report.Problems, p => p.Detail.Contains("5 points, the server reported 9", StringComparison.Ordinal));
    }

    [Fact]
    public async Task Should_flag_manifest_paths_that_leave_the_backup()
    {
        await FinishedBackupAsync();
        await File.AppendAllTextAsync(_layout.ManifestFile, "{\"bytes\":1,\"path\":\"../escape\",\"sha256\":\"00\"}\n");
        var report = await BackupVerifier.VerifyAsync(_layout.Root, CancellationToken.None);
        Assert.Equal(VerifyProblemKind.UnsafePath, Assert.Single(report.Problems).Kind);
    }

    [Fact]
    public async Task Should_verify_series_whose_keys_are_long_unicode_or_hostile()
    {
        const string run = "alice/..";
        string[] keys = [new string('k', 300) + "/loss", "训练/损失 🚀", "..", "Loss", "loss", "con"];
        var entries = new List<MetricsIndexEntry>();
        var files = new List<WrittenFile>();
        foreach (var key in keys)
        {
            await using var sink = SeriesSinks.Create(_layout, run + "/r1", key, SeriesFormat.Jsonl);
            await sink.WriteAsync(new Source.SeriesPoint(3, double.NaN, null), CancellationToken.None);
            var info = await sink.CompleteAsync(CancellationToken.None);
            entries.Add(MetricsIndexEntry.From(new Source.SeriesInfo(key, 1, 3), info));
            files.Add(new WrittenFile(info.RelativePath, info.Bytes, info.Sha256));
        }
        files.Add(await new MetricsIndex(SeriesFormat.Jsonl, null, entries).WriteAsync(_layout, run + "/r1", CancellationToken.None));
        var state = new CheckpointState(new Dictionary<string, CheckpointEntry>
        {
            [run + "/r1"] = new(run + "/r1", UnitStatus.Done, "F|", files, null, null, 1),
        });
        await SmallBackup.FinishAsync(_layout, state);

        var report = await BackupVerifier.VerifyAsync(_layout.Root, CancellationToken.None);
        Assert.Empty(report.Problems);
        Assert.Equal(keys.Length, report.SeriesChecked);
        Assert.Equal(keys.Length, Directory.GetFiles(_layout.MetricsDirectory(run + "/r1"), "*.jsonl").Length);
        var index = await MetricsIndex.ReadAsync(_layout.MetricsIndexFile(run + "/r1"), CancellationToken.None);
        Assert.Equal(keys.Order(StringComparer.Ordinal), index.Series.Select(s => s.Key));
    }

    [Fact]
    public async Task Should_refuse_a_folder_that_is_not_a_backup() =>
        await Assert.ThrowsAsync<NotABackupException>(() => BackupVerifier.VerifyAsync(_layout.Root, CancellationToken.None));

    /// <summary>Treats whatever is on disk now as written (re-hashing everything), as after an undetected bad write.</summary>
    private Task<CheckpointState> SmallBackupStateFromDiskAsync() => BackupTree.RecordEverythingOnDiskAsync(_layout);
}
