using System.Text.Json;
using System.Text.Json.Nodes;

namespace SwanLab.Crawler.Backup;

/// <summary>
/// The units (runs, projects, workspaces) the last <c>verify</c> found missing or changed files in, kept in the private
/// state folder (<c>.swanlab-crawler/suspects.json</c>, <c>{"units": [...]}</c>, sorted) so the next export re-hashes
/// them in full instead of trusting sizes, and exports again whatever no longer matches its checkpoint record.
/// </summary>
public static class SuspectUnits
{
    public const string FileName = "suspects.json";

    public static string FilePath(BackupLayout layout)
    {
        ArgumentNullException.ThrowIfNull(layout);
        return Path.Combine(layout.StateDirectory, FileName);
    }

    /// <summary>The recorded units; empty when there is no file or it cannot be read (then sizes are checked as usual).</summary>
    public static async Task<IReadOnlySet<string>> ReadAsync(BackupLayout layout, CancellationToken ct)
    {
        var result = new HashSet<string>(StringComparer.Ordinal);
        var path = FilePath(layout);
        if (!File.Exists(path)) return result;
        try
        {
            using var doc = JsonDocument.Parse(await File.ReadAllBytesAsync(path, ct).ConfigureAwait(false));
            foreach (var unit in doc.RootElement.GetProperty("units").EnumerateArray())
                if (unit.GetString() is { Length: > 0 } u) result.Add(u);
        }
        catch (Exception e) when (e is JsonException or KeyNotFoundException or InvalidOperationException or IOException)
        {
        }
        return result;
    }

    /// <summary>Replaces the list atomically; an empty list removes the file.</summary>
    public static async Task WriteAsync(BackupLayout layout, IEnumerable<string> units, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(units);
        var sorted = units.Distinct(StringComparer.Ordinal).Order(StringComparer.Ordinal).ToList();
        var path = FilePath(layout);
        if (sorted.Count == 0)
        {
            if (File.Exists(path)) File.Delete(path);
            return;
        }
        Directory.CreateDirectory(layout.StateDirectory);
        var list = new JsonArray();
        foreach (var unit in sorted) list.Add(unit);
        await AtomicFile.WriteAllBytesAsync(layout, path, CanonicalJson.Serialize(new JsonObject { ["units"] = list }), ct)
            .ConfigureAwait(false);
    }

    /// <summary>
    /// The units whose recorded files a verify problem concerns: the unit that recorded the file, or the run whose
    /// folder holds it (a series its index names but nobody recorded). Extra files belong to no unit.
    /// </summary>
    public static IReadOnlyList<string> Of(CheckpointState checkpoint, IEnumerable<string> damagedPaths)
    {
        ArgumentNullException.ThrowIfNull(checkpoint);
        ArgumentNullException.ThrowIfNull(damagedPaths);
        var byFile = new Dictionary<string, string>(StringComparer.Ordinal);
        var byRunFolder = new List<(string Folder, string Unit)>();
        foreach (var entry in checkpoint.Runs.Values)
        {
            foreach (var file in entry.Files) byFile.TryAdd(file.RelativePath, entry.RunPath);
            if (entry.RunPath.Count(c => c == '/') == 2
                && entry.Files.FirstOrDefault(f => f.RelativePath.EndsWith("/" + BackupLayout.RunFileName, StringComparison.Ordinal)) is { } run)
                byRunFolder.Add((run.RelativePath[..^BackupLayout.RunFileName.Length], entry.RunPath));
        }
        var units = new SortedSet<string>(StringComparer.Ordinal);
        foreach (var path in damagedPaths)
        {
            if (byFile.TryGetValue(path, out var unit)) units.Add(unit);
            else if (byRunFolder.FirstOrDefault(r => path.StartsWith(r.Folder, StringComparison.Ordinal)) is { Unit: { } owner })
                units.Add(owner);
        }
        return units.ToList();
    }

    /// <summary>
    /// After a verify: records the units whose files it found missing, changed or wrong (replacing the last verify's
    /// list; a clean verify clears it). Best effort: a read-only backup still verifies, the next export then relies
    /// on sizes (and --verify-existing).
    /// </summary>
    public static async Task RecordAsync(BackupLayout layout, VerifyReport report, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(layout);
        ArgumentNullException.ThrowIfNull(report);
        if (!File.Exists(layout.CheckpointFile)) return;
        try
        {
            CheckpointState state;
            var store = new FileCheckpointStore(layout);
            await using (store.ConfigureAwait(false)) state = await store.LoadAsync(ct).ConfigureAwait(false);
            var damaged = report.Problems.Where(p => p.Kind is not (VerifyProblemKind.Extra or VerifyProblemKind.UnsafePath))
                .Select(p => p.Path);
            await WriteAsync(layout, Of(state, damaged), ct).ConfigureAwait(false);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
        }
    }
}
