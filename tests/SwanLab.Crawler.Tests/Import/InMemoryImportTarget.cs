using System.Text.Json;
using SwanLab.Crawler.Import;
using SwanLab.Crawler.Source;

namespace SwanLab.Crawler.Tests.Import;

/// <summary>
/// A SwanLab server's write side in memory, answering as the SDK expects (201 new / 200 existing, 409 for an id in
/// another project, 404 Disabled for a deleted id), storing what it is sent and counting it: runs created, points
/// received and duplicate steps among them. <see cref="FailScalarUploadsAfter"/> makes it fail mid-import.
/// </summary>
public sealed class InMemoryImportTarget : IImportTarget
{
    private readonly object _sync = new();

    public sealed class StoredRun
    {
        public required string Workspace { get; init; }
        public required string Project { get; init; }
        public required NewRun Sent { get; init; }
        public Dictionary<string, JsonElement> Profile { get; } = new(StringComparer.Ordinal);
        public SortedDictionary<string, SortedDictionary<long, SeriesPoint>> Scalars { get; } = new(StringComparer.Ordinal);
        public List<LogLine> Logs { get; } = [];
        public List<MediaUpload> Media { get; } = [];
        public string State { get; set; } = "RUNNING";
        public string? FinishedAt { get; set; }
    }

    public HashSet<string> Workspaces { get; } = new(StringComparer.Ordinal);
    public Dictionary<string, string> Projects { get; } = new(StringComparer.Ordinal);
    public Dictionary<string, StoredRun> Runs { get; } = new(StringComparer.Ordinal);
    public HashSet<string> Deleted { get; } = new(StringComparer.Ordinal);

    public int RunsCreated { get; private set; }
    public long PointsReceived { get; private set; }
    public long DuplicateSteps { get; private set; }
    public long LogLinesReceived { get; private set; }
    public long MediaReceived { get; private set; }
    public int ProfilePuts { get; private set; }
    public int Requests { get; private set; }
    /// <summary>Scalar uploads left before every further one throws (null = never).</summary>
    public int? FailScalarUploadsAfter { get; set; }

    public SourceIdentity Identity { get; } = new("http://target.test", "alice", "fake");
    public int MaxRecordsPerRequest { get; set; } = 10_000;

    public InMemoryImportTarget(params string[] workspaces)
    {
        foreach (var w in workspaces) Workspaces.Add(w);
    }

    public Task<bool> WorkspaceExistsAsync(string workspace, CancellationToken ct)
    {
        lock (_sync) { Requests++; return Task.FromResult(Workspaces.Contains(workspace)); }
    }

    public Task<string> EnsureProjectAsync(string workspace, string project, string? description, string? visibility, CancellationToken ct)
    {
        lock (_sync)
        {
            Requests++;
            var path = $"{workspace}/{project}";
            if (!Projects.TryGetValue(path, out var cuid)) Projects[path] = cuid = "proj-" + Projects.Count;
            return Task.FromResult(cuid);
        }
    }

    public Task<CreatedRun?> FindRunAsync(string workspace, string project, string cuid, CancellationToken ct)
    {
        lock (_sync)
        {
            Requests++;
            if (!Runs.TryGetValue(cuid, out var run) || run.Workspace != workspace || run.Project != project) return Task.FromResult<CreatedRun?>(null);
            return Task.FromResult<CreatedRun?>(new CreatedRun(new TargetRun(workspace, project, Projects[$"{workspace}/{project}"], cuid), false,
                run.Sent.Name, run.Sent.CreatedAt));
        }
    }

    public Task<CreatedRun> CreateRunAsync(string workspace, string project, NewRun run, CancellationToken ct)
    {
        lock (_sync)
        {
            Requests++;
            var projectCuid = Projects[$"{workspace}/{project}"];
            if (Runs.TryGetValue(run.Cuid, out var existing))
            {
                if (existing.Workspace != workspace || existing.Project != project)
                    throw new TargetRunConflictException($"{run.Cuid} belongs to another project");
                return Task.FromResult(new CreatedRun(new TargetRun(workspace, project, projectCuid, run.Cuid), false, existing.Sent.Name,
                    existing.Sent.CreatedAt));
            }
            if (Deleted.Contains(run.Cuid)) throw new TargetRunDeletedException($"{run.Cuid} was deleted");
            Runs[run.Cuid] = new StoredRun { Workspace = workspace, Project = project, Sent = run };
            RunsCreated++;
            return Task.FromResult(new CreatedRun(new TargetRun(workspace, project, projectCuid, run.Cuid), true, run.Name, run.CreatedAt));
        }
    }

    public Task UpdateProfileAsync(TargetRun run, string field, JsonElement value, CancellationToken ct)
    {
        lock (_sync) { Requests++; ProfilePuts++; Runs[run.Cuid].Profile[field] = value.Clone(); }
        return Task.CompletedTask;
    }

    public Task<TargetSummary> ResumeSummaryAsync(TargetRun run, CancellationToken ct)
    {
        lock (_sync)
        {
            Requests++;
            var stored = Runs[run.Cuid];
            return Task.FromResult(new TargetSummary(
                stored.Scalars.Where(s => s.Value.Count > 0).ToDictionary(s => s.Key, s => s.Value.Keys.Max(), StringComparer.Ordinal),
                stored.Logs.Count == 0 ? null : stored.Logs.Max(l => l.Epoch),
                stored.Media.GroupBy(m => m.Key).ToDictionary(g => g.Key, g => g.Max(m => m.Step), StringComparer.Ordinal)));
        }
    }

    public Task UploadScalarsAsync(TargetRun run, string key, ReadOnlyMemory<SeriesPoint> points, CancellationToken ct)
    {
        lock (_sync)
        {
            Requests++;
            if (FailScalarUploadsAfter is { } left)
            {
                if (left <= 0) throw new IOException("target unavailable (scripted)");
                FailScalarUploadsAfter = left - 1;
            }
            var stored = Runs[run.Cuid];
            if (!stored.Scalars.TryGetValue(key, out var series)) stored.Scalars[key] = series = new SortedDictionary<long, SeriesPoint>();
            foreach (var point in points.Span)
            {
                PointsReceived++;
                if (!series.TryAdd(point.Step, point)) DuplicateSteps++;
            }
        }
        return Task.CompletedTask;
    }

    public Task UploadLogsAsync(TargetRun run, IReadOnlyList<LogLine> lines, CancellationToken ct)
    {
        lock (_sync) { Requests++; LogLinesReceived += lines.Count; Runs[run.Cuid].Logs.AddRange(lines); }
        return Task.CompletedTask;
    }

    public Task UploadMediaAsync(TargetRun run, IReadOnlyList<MediaUpload> step, CancellationToken ct)
    {
        lock (_sync) { Requests += 2; MediaReceived += step.Count; Runs[run.Cuid].Media.AddRange(step); }
        return Task.CompletedTask;
    }

    public Task FinishRunAsync(TargetRun run, string state, string? finishedAt, CancellationToken ct)
    {
        lock (_sync)
        {
            Requests++;
            var stored = Runs[run.Cuid];
            stored.State = state;
            stored.FinishedAt = finishedAt;
        }
        return Task.CompletedTask;
    }
}
