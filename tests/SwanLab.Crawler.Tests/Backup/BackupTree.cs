using System.Security.Cryptography;
using SwanLab.Crawler.Backup;

namespace SwanLab.Crawler.Tests.Backup;

/// <summary>What two backups are compared by: the bytes of every file that must be identical between them.</summary>
internal static class BackupTree
{
    /// <summary>Relative path -> sha256 of every file except backup.json (timestamps) and the private state folder.</summary>
    public static SortedDictionary<string, string> Hashes(string root)
    {
        var tree = new SortedDictionary<string, string>(StringComparer.Ordinal);
        foreach (var file in Directory.EnumerateFiles(root, "*", SearchOption.AllDirectories))
        {
            var relative = Path.GetRelativePath(root, file).Replace('\\', '/');
            if (relative == BackupLayout.BackupInfoFileName || BackupLayout.IsPrivate(relative)) continue;
            tree[relative] = Convert.ToHexStringLower(SHA256.HashData(File.ReadAllBytes(file)));
        }
        return tree;
    }

    /// <summary>
    /// A checkpoint that records every content file on disk as it is now, as if the tool had written it so: for specs
    /// that need a manifest agreeing with what is on disk (e.g. after an undetected bad write).
    /// </summary>
    public static async Task<CheckpointState> RecordEverythingOnDiskAsync(BackupLayout layout)
    {
        var files = new List<WrittenFile>();
        foreach (var full in ManifestWriter.EnumerateContentFiles(layout))
            files.Add(await ManifestWriter.HashFileAsync(layout.RelativePath(full), full, CancellationToken.None));
        return new CheckpointState(new Dictionary<string, CheckpointEntry>
        {
            ["everything"] = new("everything", UnitStatus.Done, "", files, null, null, 1),
        });
    }

    /// <summary>A backup.json with one series format for the whole backup.</summary>
    public static BackupInfo Info(string host, string user, BackupCounts counts, SeriesFormat format, int? sample, bool complete) => new()
    {
        Source = new BackupSource(host, user),
        ToolVersion = "test",
        StartedUtc = DateTimeOffset.UnixEpoch,
        FinishedUtc = DateTimeOffset.UnixEpoch,
        Counts = counts,
        Series = [new SeriesVariant(format, sample, counts.RunsDone)],
        Complete = complete,
    };
}
