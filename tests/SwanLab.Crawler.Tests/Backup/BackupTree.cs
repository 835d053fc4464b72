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
}
