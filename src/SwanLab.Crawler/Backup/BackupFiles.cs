using System.Security.Cryptography;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace SwanLab.Crawler.Backup;

/// <summary>
/// manifest.jsonl: one line per file of the backup, <c>{"bytes":..,"path":"..","sha256":".."}</c>, sorted by path
/// (ordinal). It lists exactly the files units recorded in the checkpoint as they wrote them (plus errors.jsonl), with
/// the size and hash recorded then; it is never built by scanning the folder, so a file the tool did not write is
/// never adopted and later damage shows up in verify. Not listed: the private state folder, temp files,
/// manifest.jsonl itself and backup.json (written after it, and the only file allowed to differ between two
/// identical backups).
/// </summary>
public static class ManifestWriter
{
    /// <summary>Writes the manifest of what <paramref name="checkpoint"/> records (failed runs left out).</summary>
    public static Task<WrittenFile> WriteAsync(BackupLayout layout, CheckpointState checkpoint, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(checkpoint);
        return WriteAsync(layout, BackupContents.Files(checkpoint, BackupContents.Failures(checkpoint, [])), ct);
    }

    public static Task<WrittenFile> WriteAsync(BackupLayout layout, IEnumerable<WrittenFile> files, CancellationToken ct) =>
        AtomicFile.WriteAsync(layout, layout.ManifestFile, async (stream, c) =>
        {
            foreach (var f in files.OrderBy(f => f.RelativePath, StringComparer.Ordinal))
                await stream.WriteAsync(Line(f), c).ConfigureAwait(false);
        }, ct);

    /// <summary>Reads manifest.jsonl; a malformed line is a <see cref="FormatException"/> naming it.</summary>
    public static async Task<IReadOnlyList<WrittenFile>> ReadAsync(BackupLayout layout, CancellationToken ct)
    {
        var result = new List<WrittenFile>();
        var number = 0;
        foreach (var line in await File.ReadAllLinesAsync(layout.ManifestFile, ct).ConfigureAwait(false))
        {
            number++;
            if (line.Length == 0) continue;
            try
            {
                using var doc = JsonDocument.Parse(line);
                var r = doc.RootElement;
                result.Add(new WrittenFile(r.GetProperty("path").GetString()!, r.GetProperty("bytes").GetInt64(),
                    r.GetProperty("sha256").GetString()!));
            }
            catch (Exception e) when (e is JsonException or KeyNotFoundException or InvalidOperationException)
            {
                throw new FormatException($"{ManifestFileNameForMessages}:{number}: {e.Message}", e);
            }
        }
        return result;
    }

    /// <summary>Every file on disk that is not the tool's private state or bookkeeping (what verify compares the manifest with).</summary>
    public static IEnumerable<string> EnumerateContentFiles(BackupLayout layout)
    {
        if (!Directory.Exists(layout.Root)) yield break;
        var options = new EnumerationOptions
        {
            RecurseSubdirectories = true, AttributesToSkip = 0, IgnoreInaccessible = false,
            ReturnSpecialDirectories = false, MatchType = MatchType.Simple,
        };
        // The offline site `view` writes is listed in its own manifest, not the backup's (it is not backed-up data).
        var site = View.ViewSite.ListedFiles(layout);
        foreach (var full in Directory.EnumerateFiles(layout.Root, "*", options))
        {
            var relative = layout.RelativePath(full);
            if (BackupLayout.IsPrivate(relative) || site.Contains(relative)) continue;
            if (relative is BackupLayout.ManifestFileName or BackupLayout.BackupInfoFileName) continue;
            yield return full;
        }
    }

    public static async Task<WrittenFile> HashFileAsync(string relativePath, string fullPath, CancellationToken ct)
    {
        await using var stream = new FileStream(fullPath, FileMode.Open, FileAccess.Read, FileShare.Read, 1 << 16, useAsync: true);
        var hash = await SHA256.HashDataAsync(stream, ct).ConfigureAwait(false);
        return new WrittenFile(relativePath, stream.Length, Convert.ToHexStringLower(hash));
    }

    private const string ManifestFileNameForMessages = BackupLayout.ManifestFileName;

    private static byte[] Line(WrittenFile f)
    {
        var json = CanonicalJson.SerializeLine(new JsonObject
        {
            ["path"] = f.RelativePath, ["bytes"] = f.Bytes, ["sha256"] = f.Sha256,
        });
        var line = new byte[json.Length + 1];
        json.CopyTo(line, 0);
        line[^1] = (byte)'\n';
        return line;
    }
}

/// <summary>
/// errors.jsonl: one line per unit that failed, <c>{"attempts":3,"error":"..","kind":"..","path":".."}</c>, sorted by
/// path. Always written (empty when nothing failed) so its absence means "the crawl never got that far".
/// </summary>
public static class ErrorsWriter
{
    public static Task<WrittenFile> WriteAsync(BackupLayout layout, CheckpointState checkpoint, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(checkpoint);
        return WriteAsync(layout, checkpoint.Runs.Values.Where(e => e.Status == UnitStatus.Failed), ct);
    }

    public static Task<WrittenFile> WriteAsync(BackupLayout layout, IEnumerable<CheckpointEntry> failures, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(layout);
        var sorted = failures.OrderBy(f => f.RunPath, StringComparer.Ordinal).ToList();
        return AtomicFile.WriteAsync(layout, layout.ErrorsFile, async (stream, c) =>
        {
            foreach (var f in sorted)
            {
                var json = CanonicalJson.SerializeLine(new JsonObject
                {
                    ["path"] = f.RunPath, ["kind"] = f.ErrorKind ?? "unknown", ["attempts"] = f.Attempts, ["error"] = f.Error ?? "",
                });
                await stream.WriteAsync(json, c).ConfigureAwait(false);
                await stream.WriteAsync("\n"u8.ToArray(), c).ConfigureAwait(false);
            }
        }, ct);
    }

    /// <summary>Reads errors.jsonl back (empty when the file does not exist).</summary>
    public static async Task<IReadOnlyList<FailedUnit>> ReadAsync(BackupLayout layout, CancellationToken ct)
    {
        if (!File.Exists(layout.ErrorsFile)) return [];
        var result = new List<FailedUnit>();
        foreach (var line in await File.ReadAllLinesAsync(layout.ErrorsFile, ct).ConfigureAwait(false))
        {
            if (line.Length == 0) continue;
            using var doc = JsonDocument.Parse(line);
            var r = doc.RootElement;
            result.Add(new FailedUnit(r.GetProperty("path").GetString()!, r.GetProperty("kind").GetString()!,
                r.GetProperty("attempts").GetInt32(), r.GetProperty("error").GetString()!));
        }
        return result;
    }
}

/// <summary>
/// Folders of runs listed in errors.jsonl. What such a run fetched before it failed stays on disk (nothing is thrown
/// away, the next export overwrites it) but is not part of the backup: the manifest leaves it out and verify does
/// not count it as extra, so a failed run never looks partly backed up.
/// </summary>
public static class FailedRunFolders
{
    /// <summary>Relative folder prefixes ("ws/proj/run/") of the failed units that are runs (workspace/project/run).</summary>
    public static IReadOnlyList<string> Of(BackupLayout layout, IEnumerable<string> failedUnitPaths)
    {
        ArgumentNullException.ThrowIfNull(layout);
        return failedUnitPaths
            .Where(p => p.Count(c => c == '/') == 2)
            .Select(p => layout.RelativePath(layout.RunDirectory(p)) + "/")
            .ToList();
    }

    public static bool Contains(IReadOnlyList<string> folders, string relativePath) =>
        folders.Any(f => relativePath.StartsWith(f, StringComparison.Ordinal));
}

/// <summary>One line of errors.jsonl.</summary>
public sealed record FailedUnit(string Path, string Kind, int Attempts, string Error);
