using System.Collections.Concurrent;
using System.Runtime.CompilerServices;
using System.Text;
using System.Text.Json;
using SwanLab.Crawler.Source;

namespace SwanLab.Crawler.Tests.Actors;

/// <summary>An in-memory account: workspaces -> projects -> runs with series, logs and media, plus scripted faults.</summary>
public sealed class ScriptedSource : ICrawlSource
{
    public sealed class Run
    {
        public required string Path { get; init; }
        public string State { get; set; } = "FINISHED";
        public string? FinishedAt { get; set; } = "2026-01-01T00:00:00Z";
        public SortedDictionary<string, List<SeriesPoint>> Series { get; } = new(StringComparer.Ordinal);
        public List<string> Logs { get; } = [];
        public List<(string Key, long Step, byte[] Bytes)> Media { get; } = [];
        /// <summary>How many more RunAsync calls throw.</summary>
        public int FailDetail { get; set; }
        public bool AlwaysFail { get; set; }
        /// <summary>How many more streams of any series of this run stop early without an error.</summary>
        public int TruncateStreams { get; set; }
        public bool RejectCredentials { get; set; }
    }

    private readonly SortedDictionary<string, SortedDictionary<string, List<Run>>> _data = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, int> _detailCalls = new();
    private readonly ConcurrentDictionary<string, int> _streamCalls = new();
    private int _streamsInFlight;
    private int _maxStreamsInFlight;

    public ConcurrencyTracker Runs { get; } = new();

    /// <summary>Delay per streamed point, so streams overlap and cancellation finds work in flight.</summary>
    public TimeSpan PointDelay { get; set; } = TimeSpan.Zero;

    public SourceIdentity Identity { get; } = new("http://127.0.0.1:0", "alice", "http");

    public int MaxStreamsInFlight => Volatile.Read(ref _maxStreamsInFlight);
    public int DetailCalls(string runPath) => _detailCalls.GetValueOrDefault(runPath);
    public int StreamCalls(string runPath) => _streamCalls.GetValueOrDefault(runPath);
    public int TotalDetailCalls => _detailCalls.Values.Sum();

    public Run AddRun(string workspace, string project, string id, int seriesCount = 2, int points = 5)
    {
        if (!_data.TryGetValue(workspace, out var projects)) _data[workspace] = projects = new(StringComparer.Ordinal);
        if (!projects.TryGetValue(project, out var runs)) projects[project] = runs = [];
        var run = new Run { Path = $"{workspace}/{project}/{id}" };
        for (var s = 0; s < seriesCount; s++)
            run.Series[s == 0 ? "train/loss" : $"metric{s}"] =
                Enumerable.Range(0, points).Select(i => new SeriesPoint(i * 2, i == 3 ? double.NaN : i * 0.5 + s, 1000 + i)).ToList();
        run.Logs.Add($"hello from {id}");
        runs.Add(run);
        return run;
    }

    public static ScriptedSource Account(int workspaces, int projects, int runs, int series = 2, int points = 5)
    {
        var source = new ScriptedSource();
        for (var w = 0; w < workspaces; w++)
        for (var p = 0; p < projects; p++)
        for (var r = 0; r < runs; r++)
            source.AddRun($"ws{w}", $"proj{p}", $"run{r}", series, points);
        return source;
    }

    public Run Find(string runPath) => _data.Values.SelectMany(p => p.Values).SelectMany(r => r).SingleOrDefault(r => r.Path == runPath)
        ?? throw new SwanLab.Client.SwanLabNotFoundException($"Run '{runPath}' not found");

    private static JsonElement Json(object value) => JsonSerializer.SerializeToElement(value);

    /// <summary>How many account listings still answer with a malformed body (as the client reports it).</summary>
    public int MalformedWorkspaceListings { get; set; }

    public int WorkspaceListings { get; private set; }

    public async IAsyncEnumerable<WorkspaceInfo> WorkspacesAsync([EnumeratorCancellation] CancellationToken ct)
    {
        await Task.Yield();
        WorkspaceListings++;
        if (MalformedWorkspaceListings > 0)
        {
            MalformedWorkspaceListings--;
            throw new SwanLab.Client.SwanLabProtocolException("GET /api/group/ returned a body that is not JSON.", "GET /api/group/");
        }
        foreach (var name in _data.Keys) yield return Workspace(name);
    }

    private static WorkspaceInfo Workspace(string name) =>
        new(name, name.ToUpperInvariant(), "PERSON", Json(new { username = name, name = name.ToUpperInvariant() }));

    public Task<WorkspaceInfo> WorkspaceAsync(string workspace, CancellationToken ct) =>
        _data.ContainsKey(workspace)
            ? Task.FromResult(Workspace(workspace))
            : Task.FromException<WorkspaceInfo>(new HttpRequestException($"404 workspace {workspace}"));

    public async IAsyncEnumerable<ProjectInfo> ProjectsAsync(string workspace, [EnumeratorCancellation] CancellationToken ct)
    {
        await Task.Yield();
        foreach (var (name, runs) in _data[workspace]) yield return Project(workspace, name, runs.Count);
    }

    private static ProjectInfo Project(string workspace, string name, int runs) =>
        new(workspace, name, $"{workspace}/{name}", $"cuid-{workspace}-{name}", runs, Json(new { name, path = $"{workspace}/{name}" }));

    public int ProjectCalls => Volatile.Read(ref _projectCalls);
    private int _projectCalls;

    public Task<ProjectInfo> ProjectAsync(string projectPath, CancellationToken ct)
    {
        Interlocked.Increment(ref _projectCalls);
        var parts = projectPath.Split('/');
        return _data.TryGetValue(parts[0], out var projects) && projects.TryGetValue(parts[1], out var runs)
            ? Task.FromResult(Project(parts[0], parts[1], runs.Count))
            : Task.FromException<ProjectInfo>(new SwanLab.Client.SwanLabNotFoundException($"Project '{projectPath}' not found"));
    }

    public async IAsyncEnumerable<RunSummary> RunsAsync(string projectPath, RunFilter filter, [EnumeratorCancellation] CancellationToken ct)
    {
        await Task.Yield();
        var parts = projectPath.Split('/');
        foreach (var run in _data[parts[0]][parts[1]])
        {
            if (filter.States.Count > 0 && !filter.States.Contains(run.State)) continue;
            yield return new RunSummary(run.Path, Cuid(run), Id(run), run.State, run.FinishedAt, Json(new { state = run.State }));
        }
    }

    private static string Id(Run run) => run.Path.Split('/')[2];
    private static string Cuid(Run run) => "cuid-" + run.Path.Replace('/', '-');

    public async Task<RunDetail> RunAsync(string runPath, CancellationToken ct)
    {
        await Task.Yield();
        _detailCalls.AddOrUpdate(runPath, 1, (_, n) => n + 1);
        var run = Find(runPath);
        if (run.RejectCredentials) throw new SourceAuthenticationException("401: the API key was rejected");
        if (run.AlwaysFail) throw new HttpRequestException($"500 for {runPath}");
        lock (run)
        {
            if (run.FailDetail > 0)
            {
                run.FailDetail--;
                throw new HttpRequestException($"502 for {runPath}");
            }
        }
        Runs.Enter(runPath);
        return new RunDetail(run.Path, Cuid(run), "proj-cuid", Id(run), run.State, "2026-01-01T00:00:00Z",
            run.FinishedAt, null, null, Json(new { cuid = Cuid(run), state = run.State, profile = new { config = new { lr = 0.1 } } }));
    }

    public Task<IReadOnlyList<SeriesInfo>> SeriesAsync(RunDetail run, CancellationToken ct) =>
        Task.FromResult<IReadOnlyList<SeriesInfo>>(Find(run.Path).Series
            .Select(s => new SeriesInfo(s.Key, s.Value.Count, s.Value.Count == 0 ? null : s.Value[^1].Step)).ToList());

    public async IAsyncEnumerable<ReadOnlyMemory<SeriesPoint>> StreamSeriesAsync(RunDetail run, SeriesInfo series, int? sample,
        [EnumeratorCancellation] CancellationToken ct)
    {
        _streamCalls.AddOrUpdate(run.Path, 1, (_, n) => n + 1);
        var scripted = Find(run.Path);
        var truncate = false;
        lock (scripted)
        {
            if (scripted.TruncateStreams > 0)
            {
                scripted.TruncateStreams--;
                truncate = true;
            }
        }
        var now = Interlocked.Increment(ref _streamsInFlight);
        InterlockedMax(ref _maxStreamsInFlight, now);
        try
        {
            var points = scripted.Series[series.Key];
            var count = truncate ? points.Count - 1 : points.Count;
            for (var i = 0; i < count; i++)
            {
                if (PointDelay > TimeSpan.Zero) await Task.Delay(PointDelay, ct);
                else await Task.Yield();
                yield return new[] { points[i] };
            }
        }
        finally
        {
            Interlocked.Decrement(ref _streamsInFlight);
        }
    }

    public async IAsyncEnumerable<LogLine> LogsAsync(RunDetail run, [EnumeratorCancellation] CancellationToken ct)
    {
        await Task.Yield();
        var epoch = 0;
        foreach (var line in Find(run.Path).Logs) yield return new LogLine(epoch++, "INFO", line, null, Json(new { message = line }));
    }

    public async IAsyncEnumerable<MediaItem> MediaAsync(RunDetail run, [EnumeratorCancellation] CancellationToken ct)
    {
        await Task.Yield();
        foreach (var (key, step, _) in Find(run.Path).Media)
            yield return new MediaItem(key, step, $"media/{key}/{step}.bin", null, Json(new { key, step }));
    }

    public async Task DownloadMediaAsync(RunDetail run, MediaItem item, Stream destination, CancellationToken ct)
    {
        var bytes = Find(run.Path).Media.Single(m => m.Key == item.Key && m.Step == item.Step).Bytes;
        await destination.WriteAsync(bytes, ct);
    }

    internal static void InterlockedMax(ref int target, int value)
    {
        int current;
        while (value > (current = Volatile.Read(ref target)) && Interlocked.CompareExchange(ref target, value, current) != current) { }
    }

    public static byte[] Bytes(string text) => Encoding.UTF8.GetBytes(text);
}

/// <summary>Counts runs between their detail fetch and their index write: the runs actually in flight.</summary>
public sealed class ConcurrencyTracker
{
    private readonly ConcurrentDictionary<string, byte> _active = new();
    private int _max;

    public int Max => Volatile.Read(ref _max);

    public void Enter(string runPath)
    {
        _active[runPath] = 0;
        ScriptedSource.InterlockedMax(ref _max, _active.Count);
    }

    public void Leave(string runPath) => _active.TryRemove(runPath, out _);
}
