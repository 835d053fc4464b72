using System.Text;
using SwanLab.Crawler.Backup;
using SwanLab.Crawler.Source;

namespace SwanLab.Crawler.Tests.Backup;

/// <summary>A tiny backup on disk (one workspace, a few runs with one series each, one failed run) and its checkpoint.</summary>
internal static class SmallBackup
{
    public static async Task<CheckpointState> WriteAsync(BackupLayout layout, string[] runOrder, int points = 1)
    {
        var runs = new Dictionary<string, CheckpointEntry>
        {
            ["alice"] = new("alice", UnitStatus.Done, "",
                [await AtomicFile.WriteAllBytesAsync(layout, layout.WorkspaceFile("alice"), "{}\n"u8.ToArray(), CancellationToken.None)],
                null, null, 1),
        };
        foreach (var run in runOrder)
        {
            var files = new List<WrittenFile>
            {
                await AtomicFile.WriteAllBytesAsync(layout, layout.RunFile(run), Encoding.UTF8.GetBytes($"{{\"run\":\"{run}\"}}\n"), CancellationToken.None),
            };
            SeriesFileInfo info;
            await using (var sink = SeriesSinks.Create(layout, run, "train/loss", SeriesFormat.Csv))
            {
                for (var i = 0; i < points; i++) await sink.WriteAsync(new SeriesPoint(i, 1.5 + i, null), CancellationToken.None);
                info = await sink.CompleteAsync(CancellationToken.None);
            }
            files.Add(new WrittenFile(info.RelativePath, info.Bytes, info.Sha256));
            var index = new MetricsIndex(SeriesFormat.Csv, null,
                [MetricsIndexEntry.From(new SeriesInfo("train/loss", points, points - 1), info)]);
            files.Add(await index.WriteAsync(layout, run, CancellationToken.None));
            runs[run] = new CheckpointEntry(run, UnitStatus.Done, "FINISHED|x", files, null, null, 1);
        }
        runs["alice/demo/bad"] = new CheckpointEntry("alice/demo/bad", UnitStatus.Failed, "CRASHED|", [], "http", "500 twice", 3);
        return new CheckpointState(runs);
    }

    /// <summary>errors.jsonl and manifest.jsonl as an export ends: the manifest lists what the checkpoint records plus errors.jsonl.</summary>
    public static async Task FinishAsync(BackupLayout layout, CheckpointState state)
    {
        var failures = BackupContents.Failures(state, []);
        var errors = await ErrorsWriter.WriteAsync(layout, failures, CancellationToken.None);
        await ManifestWriter.WriteAsync(layout, BackupContents.Files(state, failures).Append(errors), CancellationToken.None);
    }
}
