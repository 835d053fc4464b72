using System.Text.Json;

namespace SwanLab.Crawler.Backup;

/// <summary>What a folder given as --out holds, as far as this tool is concerned.</summary>
public enum FolderKind
{
    /// <summary>Nothing there yet: export creates it.</summary>
    Missing,
    /// <summary>An empty folder.</summary>
    Empty,
    /// <summary>A backup of this tool: its private state folder, or a backup.json in the swanlab-backup format.</summary>
    Backup,
    /// <summary>Anything else: someone's files.</summary>
    Other,
}

/// <summary>
/// Decides whether export may write into a folder. A backup folder is ours; a missing or empty one becomes ours; a
/// folder holding anything else is refused (exit 2) unless the user allows it explicitly, and even then the files
/// already there are never listed in the manifest nor deleted (the temp sweep only touches names this tool makes).
/// </summary>
public static class BackupFolder
{
    private const int NamesShown = 3;

    public static FolderKind Inspect(BackupLayout layout)
    {
        ArgumentNullException.ThrowIfNull(layout);
        if (File.Exists(layout.Root)) return FolderKind.Other;
        if (!Directory.Exists(layout.Root)) return FolderKind.Missing;
        if (Directory.Exists(layout.StateDirectory) || HasOurBackupInfo(layout)) return FolderKind.Backup;
        return Directory.EnumerateFileSystemEntries(layout.Root).Any() ? FolderKind.Other : FolderKind.Empty;
    }

    /// <summary>Throws, having changed nothing, when export must not write into the folder.</summary>
    /// <returns>The folder's kind as found, before anything was written.</returns>
    /// <exception cref="FolderNotABackupException">The folder holds files and is not a backup of this tool.</exception>
    public static FolderKind EnsureExportable(BackupLayout layout, bool allowNonEmpty)
    {
        var kind = Inspect(layout);
        if (kind != FolderKind.Other || allowNonEmpty) return kind;
        var names = Directory.EnumerateFileSystemEntries(layout.Root)
            .Select(Path.GetFileName).Order(StringComparer.Ordinal).Take(NamesShown + 1).ToList();
        var shown = string.Join(", ", names.Take(NamesShown)) + (names.Count > NamesShown ? ", ..." : "");
        throw new FolderNotABackupException(
            $"'{layout.Root}' is not empty and is not a swanlab-crawler backup (it holds {shown}); nothing was written. " +
            "Give a new or empty folder, or add --allow-non-empty to export into it anyway " +
            "(the files already there are left alone: never listed in the manifest, never deleted).");
    }

    private static bool HasOurBackupInfo(BackupLayout layout)
    {
        if (!File.Exists(layout.BackupInfoFile)) return false;
        try
        {
            using var doc = JsonDocument.Parse(File.ReadAllBytes(layout.BackupInfoFile));
            return doc.RootElement.ValueKind == JsonValueKind.Object
                   && doc.RootElement.TryGetProperty("format", out var format)
                   && format.ValueKind == JsonValueKind.String && format.GetString() == BackupInfo.FormatName;
        }
        catch (Exception e) when (e is JsonException or IOException or UnauthorizedAccessException)
        {
            return false;
        }
    }
}

/// <summary>--out names a folder of someone else's files (exit 2); the message says how to proceed.</summary>
public sealed class FolderNotABackupException(string message) : IOException(message);
