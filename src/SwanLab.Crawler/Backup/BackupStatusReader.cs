using System.Text.Json;
using System.Text.Json.Nodes;

namespace SwanLab.Crawler.Backup;

/// <summary>
/// Runs the crawl has found (private state folder, discovered.jsonl), so <c>status</c> can say how many are left.
/// Append-only, one <c>{"path":"ws/project/run-id"}</c> per line; a repeated path counts once. Not fsynced per call:
/// it only feeds the "left" column, and a lost tail is rebuilt by the next export's discovery.
/// </summary>
public sealed class DiscoveryLog(BackupLayout layout)
{
    public const string FileName = "discovered.jsonl";

    // One gate per file for the whole process: every project of a crawl makes its own DiscoveryLog, and appends from
    // several of them at once interleaved and tore lines (which backup.json's run count then missed).
    private static readonly System.Collections.Concurrent.ConcurrentDictionary<string, SemaphoreSlim> Gates = new(StringComparer.Ordinal);

    private SemaphoreSlim Gate => Gates.GetOrAdd(FilePath, _ => new SemaphoreSlim(1, 1));

    public string FilePath => Path.Combine(layout.StateDirectory, FileName);

    public async Task RecordAsync(IEnumerable<string> runPaths, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(runPaths);
        using var buffer = new MemoryStream();
        foreach (var path in runPaths)
        {
            buffer.Write(CanonicalJson.SerializeLine(new JsonObject { ["path"] = path }));
            buffer.WriteByte((byte)'\n');
        }
        if (buffer.Length == 0) return;
        var gate = Gate;
        await gate.WaitAsync(ct).ConfigureAwait(false);
        try
        {
            Directory.CreateDirectory(layout.StateDirectory);
            await using var file = new FileStream(FilePath, FileMode.Append, FileAccess.Write, FileShare.Read);
            await file.WriteAsync(buffer.GetBuffer().AsMemory(0, (int)buffer.Length), ct).ConfigureAwait(false);
        }
        finally { gate.Release(); }
    }

    /// <summary>Every run path recorded so far (torn or unreadable lines are skipped).</summary>
    public async Task<IReadOnlySet<string>> ReadAsync(CancellationToken ct)
    {
        var result = new HashSet<string>(StringComparer.Ordinal);
        if (!File.Exists(FilePath)) return result;
        foreach (var line in await File.ReadAllLinesAsync(FilePath, ct).ConfigureAwait(false))
        {
            try
            {
                using var doc = JsonDocument.Parse(line);
                if (doc.RootElement.GetProperty("path").GetString() is { } path) result.Add(path);
            }
            catch (Exception e) when (e is JsonException or KeyNotFoundException or InvalidOperationException) { }
        }
        return result;
    }

    /// <summary>Forgets every discovered run (for --restart).</summary>
    public void Reset()
    {
        if (File.Exists(FilePath)) File.Delete(FilePath);
    }
}

/// <summary>Done / failed / left for one project ("workspace/project"); Left is null when discovery was not recorded.</summary>
public sealed record ProjectStatus(string Project, int Done, int Failed, int? Left);

/// <summary>Done / failed / left for one workspace, with its projects sorted by path.</summary>
public sealed record WorkspaceStatus(string Workspace, int Done, int Failed, int? Left, IReadOnlyList<ProjectStatus> Projects);

/// <summary>What a backup folder's checkpoint holds.</summary>
/// <param name="Info">backup.json, when an export has finished at least once.</param>
/// <param name="Left">Runs known but neither done nor failed: from discovery, else from backup.json's run count.</param>
/// <param name="Failures">Failed units (runs, and workspaces/projects that could not be listed), sorted by path.</param>
public sealed record StatusReport(string Root, BackupInfo? Info, bool HasCheckpoint, int Done, int Failed, int? Left,
    IReadOnlyList<WorkspaceStatus> Workspaces, IReadOnlyList<CheckpointEntry> Failures, int SkippedCheckpointLines)
{
    /// <summary>Runs discovered but neither done nor failed, sorted (empty when discovery was not recorded).</summary>
    public IReadOnlyList<string> LeftRuns { get; init; } = [];

    /// <summary>The process writing into the folder right now (see <see cref="BackupLock.RunningWriter"/>), if any.</summary>
    public LockOwner? Writer { get; init; }

    /// <summary>
    /// Everything selected is in the backup: the last export finished and says complete, no run failed or is left,
    /// and no export is changing the folder right now.
    /// </summary>
    public bool IsComplete => Info?.Complete == true && Failed == 0 && (Left ?? 0) == 0 && Writer is null;
}

/// <summary>
/// Reads a backup's checkpoint (+ backup.json and discovery) for the <c>status</c> command. Takes no lock and writes
/// nothing, so it is safe while an export runs (the checkpoint is append-only; a line being appended is skipped).
/// </summary>
public static class BackupStatusReader
{
    /// <exception cref="NotABackupException">The folder has neither a checkpoint nor backup.json.</exception>
    public static async Task<StatusReport> ReadAsync(string root, CancellationToken ct)
    {
        var layout = new BackupLayout(root);
        var hasCheckpoint = File.Exists(layout.CheckpointFile);
        var info = await BackupInfo.ReadAsync(layout, ct).ConfigureAwait(false);
        // A folder an export is writing into is a backup in the making, even before its first run is in; so is one
        // whose export was stopped before its first run finished (it leaves only the private folder): 0 runs done.
        if (!hasCheckpoint && info is null && BackupLock.RunningWriter(layout) is null && !Directory.Exists(layout.StateDirectory))
            throw new NotABackupException($"'{layout.Root}' is not a SwanLab backup: no {BackupLayout.BackupInfoFileName} and no checkpoint.");

        var store = new FileCheckpointStore(layout);
        CheckpointState state;
        await using (store.ConfigureAwait(false)) state = await store.LoadAsync(ct).ConfigureAwait(false);
        var discovered = await new DiscoveryLog(layout).ReadAsync(ct).ConfigureAwait(false);
        var runs = state.Runs.Values.Where(e => e.RunPath.Split('/').Length == 3).ToList();

        var projects = new SortedDictionary<string, (int Done, int Failed, int Known)>(StringComparer.Ordinal);
        foreach (var run in runs)
        {
            var project = ProjectOf(run.RunPath);
            var c = projects.GetValueOrDefault(project);
            projects[project] = run.Status == UnitStatus.Done ? (c.Done + 1, c.Failed, c.Known) : (c.Done, c.Failed + 1, c.Known);
        }
        foreach (var path in discovered.Where(p => p.Split('/').Length == 3))
        {
            var project = ProjectOf(path);
            var c = projects.GetValueOrDefault(project);
            projects[project] = (c.Done, c.Failed, c.Known + (state.Runs.ContainsKey(path) ? 0 : 1));
        }

        var hasDiscovery = discovered.Count > 0;
        var workspaces = projects
            .GroupBy(p => p.Key[..p.Key.IndexOf('/')], StringComparer.Ordinal)
            .Select(g =>
            {
                var list = g.Select(p => new ProjectStatus(p.Key, p.Value.Done, p.Value.Failed, hasDiscovery ? p.Value.Known : null)).ToList();
                return new WorkspaceStatus(g.Key, list.Sum(p => p.Done), list.Sum(p => p.Failed),
                    hasDiscovery ? list.Sum(p => p.Left ?? 0) : null, list);
            })
            .OrderBy(w => w.Workspace, StringComparer.Ordinal)
            .ToList();

        var done = runs.Count(r => r.Status == UnitStatus.Done);
        var failed = runs.Count(r => r.Status == UnitStatus.Failed);
        int? left = hasDiscovery ? workspaces.Sum(w => w.Left ?? 0)
            : info is not null ? Math.Max(0, info.Counts.Runs - done - failed)
            : null;
        var failures = state.Runs.Values.Where(e => e.Status == UnitStatus.Failed)
            .OrderBy(e => e.RunPath, StringComparer.Ordinal).ToList();
        var leftRuns = discovered.Where(p => p.Split('/').Length == 3 && !state.Runs.ContainsKey(p))
            .Order(StringComparer.Ordinal).ToList();
        return new StatusReport(layout.Root, info, hasCheckpoint, done, failed, left, workspaces, failures, store.SkippedLines)
        {
            LeftRuns = leftRuns,
            Writer = BackupLock.RunningWriter(layout),
        };
    }

    private static string ProjectOf(string runPath) => runPath[..runPath.LastIndexOf('/')];
}
