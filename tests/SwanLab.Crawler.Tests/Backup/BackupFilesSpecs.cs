using System.Text;
using System.Text.Json;
using SwanLab.Crawler.Backup;
using SwanLab.Crawler.Source;

namespace SwanLab.Crawler.Tests.Backup;

public class BackupFilesSpecs : IDisposable
{
    private readonly TempDir _dir = new();
    private readonly BackupLayout _layout;

    public BackupFilesSpecs() => _layout = new BackupLayout(_dir.Path);

    public void Dispose() => _dir.Dispose();

    [Fact]
    public async Task Should_write_a_sorted_manifest_of_every_content_file_and_nothing_private()
    {
        var state = await SmallBackup.WriteAsync(_layout, ["alice/demo/r2", "alice/demo/r1"]);
        await using (var store = new FileCheckpointStore(_layout))
            await store.RecordAsync(state.Runs["alice/demo/r1"], CancellationToken.None);
        await SmallBackup.FinishAsync(_layout, state);

        var lines = await File.ReadAllLinesAsync(_layout.ManifestFile);
        var paths = lines.Select(l => JsonDocument.Parse(l).RootElement.GetProperty("path").GetString()).ToList();
        Assert.Equal(
        [
            "alice/demo/r1/metrics/index.json", "alice/demo/r1/metrics/train%2Floss.csv", "alice/demo/r1/run.json",
            "alice/demo/r2/metrics/index.json", "alice/demo/r2/metrics/train%2Floss.csv", "alice/demo/r2/run.json",
            "alice/workspace.json", "errors.jsonl",
        ], paths);
        Assert.StartsWith("{\"bytes\":", lines[0], StringComparison.Ordinal);
    }

    [Fact]
    public async Task Should_write_byte_identical_manifests_for_the_same_content()
    {
        var first = await SmallBackup.WriteAsync(_layout, ["alice/demo/r1", "alice/demo/r2"]);
        await ManifestWriter.WriteAsync(_layout, first, CancellationToken.None);
        var a = await File.ReadAllBytesAsync(_layout.ManifestFile);

        using var other = new TempDir();
        var otherLayout = new BackupLayout(other.Path);
        var second = await SmallBackup.WriteAsync(otherLayout, ["alice/demo/r2", "alice/demo/r1"]);
        await ManifestWriter.WriteAsync(otherLayout, second, CancellationToken.None);
        Assert.Equal(a, await File.ReadAllBytesAsync(otherLayout.ManifestFile));
    }

    [Fact]
    public async Task Should_write_errors_sorted_with_kind_attempts_and_last_error()
    {
        var state = new CheckpointState(new Dictionary<string, CheckpointEntry>
        {
            ["b/p/r"] = new("b/p/r", UnitStatus.Failed, "", [], "timeout", "gave up after 30 s", 3),
            ["a/p/r"] = new("a/p/r", UnitStatus.Failed, "", [], "http", "HTTP 500 \"boom\"", 2),
            ["a/p/ok"] = new("a/p/ok", UnitStatus.Done, "", [], null, null, 1),
        });
        await ErrorsWriter.WriteAsync(_layout, state, CancellationToken.None);
        Assert.Equal(
            "{\"attempts\":2,\"error\":\"HTTP 500 \\\"boom\\\"\",\"kind\":\"http\",\"path\":\"a/p/r\"}\n"
            + "{\"attempts\":3,\"error\":\"gave up after 30 s\",\"kind\":\"timeout\",\"path\":\"b/p/r\"}\n",
            await File.ReadAllTextAsync(_layout.ErrorsFile));
        var read = await ErrorsWriter.ReadAsync(_layout, CancellationToken.None);
        Assert.Equal(new FailedUnit("a/p/r", "http", 2, "HTTP 500 \"boom\""), read[0]);
    }

    [Fact]
    public async Task Should_round_trip_backup_json()
    {
        var info = new BackupInfo
        {
            Source = new BackupSource("https://swanlab.example", "alice"),
            OtherSources = [new BackupSource("https://other.example", "bob")],
            ToolVersion = "0.1.0",
            StartedUtc = new DateTimeOffset(2026, 1, 2, 3, 4, 5, 6, TimeSpan.Zero),
            FinishedUtc = new DateTimeOffset(2026, 1, 2, 4, 0, 0, TimeSpan.Zero),
            Counts = new BackupCounts(1, 2, 10, 9, 1, 12345, 40) { RunsWithoutLogs = 2, RunsWithoutMedia = 3 },
            Series = [new SeriesVariant(SeriesFormat.Csv, null, 6), new SeriesVariant(SeriesFormat.Jsonl, 500, 3)],
            Selections = [BackupSelection.Create([], ["alice/mnist"], [], ["FINISHED"], [KeyValuePair.Create("config.lr", "0.1")])],
            Complete = false,
        };
        await info.WriteAsync(_layout, CancellationToken.None);
        var text = await File.ReadAllTextAsync(_layout.BackupInfoFile);
        Assert.Contains("\"format\": \"swanlab-backup\"", text, StringComparison.Ordinal);
        Assert.Contains("\"startedAt\": \"2026-01-02T03:04:05.006Z\"", text, StringComparison.Ordinal);
        Assert.Contains("\"resolution\": \"sampled\"", text, StringComparison.Ordinal);
        var read = await BackupInfo.ReadAsync(_layout, CancellationToken.None);
        Assert.Equal(info.ToJson().ToJsonString(), read!.ToJson().ToJsonString());
    }

    [Fact]
    public async Task Should_round_trip_metrics_index_sorted_by_key()
    {
        var index = new MetricsIndex(SeriesFormat.Csv, null,
        [
            new MetricsIndexEntry("z", "z.csv", 2, 0, 1, 2, 1, 30, "ab"),
            new MetricsIndexEntry("train/loss", "train%2Floss.csv", 0, null, null, null, null, 21, "cd"),
        ]);
        var written = await index.WriteAsync(_layout, "a/p/r", CancellationToken.None);
        Assert.Equal("a/p/r/metrics/index.json", written.RelativePath);
        var read = await MetricsIndex.ReadAsync(_layout.FullPath(written.RelativePath), CancellationToken.None);
        Assert.Equal(index.Series.OrderBy(s => s.Key, StringComparer.Ordinal), read.Series);
        Assert.Equal((SeriesFormat.Csv, (int?)null), (read.Format, read.Sample));
    }
}

