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

/// <summary>The read side of <see cref="InMemoryImportTarget"/>: what it stored, as a source reads a server.</summary>
public sealed class InMemoryTargetReader(InMemoryImportTarget target) : ICrawlSource
{
    /// <summary>Runs whose series read back one point short (to prove the read-back check notices).</summary>
    public HashSet<string> DropLastPoint { get; } = new(StringComparer.Ordinal);

    public SourceIdentity Identity => target.Identity;

    public IAsyncEnumerable<WorkspaceInfo> WorkspacesAsync(CancellationToken ct) => throw new NotSupportedException();
    public Task<WorkspaceInfo> WorkspaceAsync(string workspace, CancellationToken ct) => throw new NotSupportedException();
    public IAsyncEnumerable<ProjectInfo> ProjectsAsync(string workspace, CancellationToken ct) => throw new NotSupportedException();
    public Task<ProjectInfo> ProjectAsync(string projectPath, CancellationToken ct) => throw new NotSupportedException();
    public IAsyncEnumerable<RunSummary> RunsAsync(string projectPath, RunFilter filter, CancellationToken ct) => throw new NotSupportedException();

    public Task<RunDetail> RunAsync(string runPath, CancellationToken ct)
    {
        var cuid = runPath.Split('/')[2];
        var run = target.Runs[cuid];
        var profile = new System.Text.Json.Nodes.JsonObject();
        foreach (var (field, value) in run.Profile) profile[field] = System.Text.Json.Nodes.JsonNode.Parse(value.GetRawText());
        var raw = new System.Text.Json.Nodes.JsonObject
        {
            ["cuid"] = cuid, ["name"] = run.Sent.Name, ["state"] = run.State, ["createdAt"] = run.Sent.CreatedAt,
            ["finishedAt"] = run.FinishedAt, ["description"] = run.Sent.Description, ["cluster"] = run.Sent.Group, ["job"] = run.Sent.JobType,
            ["labels"] = new System.Text.Json.Nodes.JsonArray(run.Sent.Labels.Select(l => (System.Text.Json.Nodes.JsonNode?)new System.Text.Json.Nodes.JsonObject { ["name"] = l }).ToArray()),
            ["profile"] = profile,
        };
        var json = JsonDocument.Parse(raw.ToJsonString()).RootElement.Clone();
        return Task.FromResult(new RunDetail(runPath, cuid, "", run.Sent.Name, run.State, run.Sent.CreatedAt ?? "", run.FinishedAt, null, null, json));
    }

    public Task<IReadOnlyList<SeriesInfo>> SeriesAsync(RunDetail run, CancellationToken ct) =>
        Task.FromResult<IReadOnlyList<SeriesInfo>>(target.Runs[run.Cuid].Scalars.Keys.Select(k => new SeriesInfo(k, null, null)).ToList());

    public async IAsyncEnumerable<ReadOnlyMemory<SeriesPoint>> StreamSeriesAsync(RunDetail run, SeriesInfo series, int? sample,
        [System.Runtime.CompilerServices.EnumeratorCancellation] CancellationToken ct)
    {
        await Task.CompletedTask;
        var points = target.Runs[run.Cuid].Scalars[series.Key].Values.ToArray();
        if (DropLastPoint.Contains(run.Path) && points.Length > 0) points = points[..^1];
        yield return points;
    }

    public async IAsyncEnumerable<LogLine> LogsAsync(RunDetail run, [System.Runtime.CompilerServices.EnumeratorCancellation] CancellationToken ct)
    {
        await Task.CompletedTask;
        foreach (var line in target.Runs[run.Cuid].Logs.OrderBy(l => l.Epoch)) yield return line;
    }

    public async IAsyncEnumerable<MediaItem> MediaAsync(RunDetail run, [System.Runtime.CompilerServices.EnumeratorCancellation] CancellationToken ct)
    {
        await Task.CompletedTask;
        foreach (var m in target.Runs[run.Cuid].Media) yield return new MediaItem(m.Key, m.Step, m.FileName, m.Caption, default);
    }

    public async Task DownloadMediaAsync(RunDetail run, MediaItem item, Stream destination, CancellationToken ct)
    {
        var media = target.Runs[run.Cuid].Media.First(m => m.Key == item.Key && m.Step == item.Step && m.FileName == item.ServerPath);
        await destination.WriteAsync(media.Bytes, ct);
    }
}
