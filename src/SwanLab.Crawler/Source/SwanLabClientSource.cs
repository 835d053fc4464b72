using System.Runtime.CompilerServices;
using System.Text.Json;
using SwanLab.Client;
using ClientMediaItem = SwanLab.Client.MediaItem;

namespace SwanLab.Crawler.Source;

/// <summary>
/// <see cref="ICrawlSource"/> over <see cref="SwanLabApi"/>: raw server JSON is passed through unchanged, series
/// come from the full-resolution export stream (or the server's LTTB sample), and what the server reports about each
/// series (latest step from the value statistics, else the summaries) becomes <see cref="SeriesInfo"/> so the crawl
/// can detect a silently truncated download. All HTTP resilience (retries, 429, Retry-After, the shared rate limit)
/// stays inside the client; failures that escape are the client's typed exceptions, except a rejected key, which
/// becomes <see cref="SourceAuthenticationException"/>.
/// </summary>
public sealed class SwanLabClientSource : ICrawlSource, IRequestStatsSource, IServerReadsSource
{
    /// <summary>Most points the server samples to; larger --sample values are sampled on the client.</summary>
    private const int ServerSampleLimit = 1500;

    private readonly SwanLabApi _api;
    // The client run object behind each RunDetail, so the series, logs and media of a run reuse the run fetched for
    // its detail (the client resolves the project id and createdAt from it). Keyed weakly by the detail itself: the
    // entry goes when the run's export lets go of its detail, so memory does not grow with the account, and a miss
    // (a detail that came from elsewhere, e.g. another node) costs one GET.
    private readonly ConditionalWeakTable<RunDetail, Run> _runs = new();
    // The download URLs the media listing presigned (all of a key's paths in one request), kept beside the run's detail
    // the same way, so each download does not presign its file again; an expired one is presigned afresh by the client.
    private readonly ConditionalWeakTable<RunDetail, System.Collections.Concurrent.ConcurrentDictionary<string, string>> _mediaUrls = new();

    public SwanLabClientSource(SwanLabApi api)
    {
        _api = api ?? throw new ArgumentNullException(nameof(api));
        Identity = new SourceIdentity(api.Host, api.Username, api.Protocol.ToString());
    }

    public SourceIdentity Identity { get; }

    public (long Requests, long Retries, long RateLimited) RequestStats =>
        (_api.Statistics.Requests, _api.Statistics.Retries, _api.Statistics.RateLimited);

    public IReadOnlyList<UnavailableRead> Unavailable =>
        _api.Capabilities.Unavailable.Select(u => new UnavailableRead(u.Name, u.Answer)).ToList();

    public IReadOnlyList<string> Offered => _api.Capabilities.Offered.Select(ServerCapabilities.NameOf).ToList();

    public async IAsyncEnumerable<WorkspaceInfo> WorkspacesAsync([EnumeratorCancellation] CancellationToken ct)
    {
        await foreach (var workspace in Guard(_api.WorkspacesAsync(null, ct), ct)) yield return ToInfo(workspace);
    }

    public async Task<WorkspaceInfo> WorkspaceAsync(string workspace, CancellationToken ct) =>
        ToInfo(await Guard(() => _api.WorkspaceAsync(workspace, ct)));

    public async IAsyncEnumerable<ProjectInfo> ProjectsAsync(string workspace, [EnumeratorCancellation] CancellationToken ct)
    {
        await foreach (var project in Guard(_api.ProjectsAsync(workspace, ct: ct), ct)) yield return ToInfo(project);
    }

    public async Task<ProjectInfo> ProjectAsync(string projectPath, CancellationToken ct) =>
        ToInfo(await Guard(() => _api.ProjectAsync(projectPath, ct)));

    public async IAsyncEnumerable<RunSummary> RunsAsync(string projectPath, RunFilter filter, [EnumeratorCancellation] CancellationToken ct)
    {
        // The server's filter takes one value per key (op EQ), so several states are several queries, merged.
        var states = filter.States.Count == 0 ? [null] : filter.States.Distinct(StringComparer.Ordinal).Select(s => (string?)s).ToList();
        var seen = new HashSet<string>(StringComparer.Ordinal);
        foreach (var state in states)
        {
            var filters = new Dictionary<string, object?>(StringComparer.Ordinal);
            if (state is not null) filters["state"] = state;
            foreach (var (key, value) in filter.Config)
                filters[key.StartsWith("config.", StringComparison.Ordinal) ? key : "config." + key] = value;
            await foreach (var run in Guard(_api.RunsAsync(projectPath, filters, ct), ct))
            {
                if (!seen.Add(run.Path)) continue;
                yield return new RunSummary(run.Path, run.Id, run.Name, run.State, NullIfEmpty(run.FinishedAt), run.Json());
            }
        }
    }

    public async Task<RunDetail> RunAsync(string runPath, CancellationToken ct)
    {
        var run = await Guard(() => _api.RunAsync(runPath, ct));
        var json = run.Json();
        var projectCuid = Str(json, "project_id") ?? Str(json, "projectId") ?? "";
        var detail = new RunDetail(run.Path, run.Id, projectCuid, run.Name, run.State, run.CreatedAt, NullIfEmpty(run.FinishedAt),
            run.RootProjectId, run.RootRunId, json);
        _runs.AddOrUpdate(detail, run);
        return detail;
    }

    public async Task<IReadOnlyList<SeriesInfo>> SeriesAsync(RunDetail run, CancellationToken ct)
    {
        var client = await ClientRunAsync(run, ct);
        var keys = new SortedSet<string>(StringComparer.Ordinal);
        await foreach (var key in Guard(client.SeriesKeysAsync(SeriesKind.Scalar, ct), ct)) keys.Add(key.Key);
        if (keys.Count == 0) return [];
        var lastSteps = await LastStepsAsync(client, keys.ToList(), ct);
        return keys.Select(k => new SeriesInfo(k, ExpectedPoints: null, lastSteps.GetValueOrDefault(k))).ToList();
    }

    /// <summary>
    /// The server's latest step per key: the resume summary once the server proved it true, else value statistics
    /// (0.9.x), else summaries; unknown stays null (a server without
    /// either is recorded in backup.json's <c>unavailable</c>, and its series are kept as downloaded).
    /// </summary>
    private static async Task<Dictionary<string, long?>> LastStepsAsync(Run run, IReadOnlyList<string> keys, CancellationToken ct)
    {
        var result = new Dictionary<string, long?>(StringComparer.Ordinal);
        try
        {
            foreach (var (key, last) in await Guard(() => run.ExpectedLastStepsAsync(keys, ct)))
                result[key] = last;
            return result;
        }
        catch (SwanLabNotSupportedException)
        {
        }
        try
        {
            foreach (var (key, summary) in await Guard(() => run.SummaryAsync(keys, ct)))
                result[key] = summary.Step;
        }
        catch (SwanLabCapabilityUnavailableException)
        {
        }
        return result;
    }

    public async IAsyncEnumerable<ReadOnlyMemory<SeriesPoint>> StreamSeriesAsync(RunDetail run, SeriesInfo series, int? sample,
        [EnumeratorCancellation] CancellationToken ct)
    {
        await foreach (var chunk in StreamSeriesBatchAsync(run, [series], sample, ct)) yield return chunk.Points;
    }

    /// <summary>
    /// Full resolution: one export per 16 keys, split per key while it downloads (the last steps SeriesAsync already read
    /// spare the client its own completeness request). Sampled: the server's LTTB for 16 keys per request where it has
    /// it (0.9.x, at most 1500 points), else client-side LTTB over the full series.
    /// </summary>
    public async IAsyncEnumerable<SeriesChunk> StreamSeriesBatchAsync(RunDetail run, IReadOnlyList<SeriesInfo> series, int? sample,
        [EnumeratorCancellation] CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(series);
        if (series.Count == 0) yield break;
        var client = await ClientRunAsync(run, ct);
        var keys = series.Select(s => s.Key).ToArray();
        if (sample is { } n)
        {
            var sampled = await SampleAsync(client, series, n, ct);
            for (var i = 0; i < series.Count; i++) yield return new SeriesChunk(i, sampled[i]);
            yield break;
        }
        var expected = series.ToDictionary(s => s.Key, s => s.LastStep, StringComparer.Ordinal);
        var converted = Array.Empty<SeriesPoint>();
        await foreach (var batch in Guard(client.StreamMetricsBatchesAsync(keys, expected, ct), ct))
        {
            var points = batch.Points;
            if (converted.Length < points.Count) converted = new SeriesPoint[Math.Max(points.Count, 1024)];
            for (var i = 0; i < points.Count; i++)
            {
                var point = points[i];
                converted[i] = new SeriesPoint(point.Step, point.Value, point.TimestampMs);
            }
            yield return new SeriesChunk(batch.KeyIndex, converted.AsMemory(0, points.Count));
        }
    }

    private static async Task<SeriesPoint[][]> SampleAsync(Run run, IReadOnlyList<SeriesInfo> series, int sample, CancellationToken ct)
    {
        var keys = series.Select(s => s.Key).ToArray();
        if (sample <= ServerSampleLimit)
        {
            try
            {
                var sampled = await Guard(() => run.SampledMetricsAsync(keys, sample, ct));
                return keys.Select(k => sampled[k].Select(p => new SeriesPoint(p.Step, p.Value, p.TimestampMs)).ToArray()).ToArray();
            }
            catch (SwanLabNotSupportedException)
            {
            }
        }
        // Client-side LTTB needs each whole series; this is the one read that holds series in memory.
        var all = keys.Select(_ => new List<SeriesPoint>()).ToArray();
        var expected = series.ToDictionary(s => s.Key, s => s.LastStep, StringComparer.Ordinal);
        await foreach (var batch in Guard(run.StreamMetricsBatchesAsync(keys, expected, ct), ct))
            all[batch.KeyIndex].AddRange(batch.Points.Select(p => new SeriesPoint(p.Step, p.Value, p.TimestampMs)));
        return all.Select(points => Lttb.Downsample(points, sample).ToArray()).ToArray();
    }

    public async IAsyncEnumerable<LogLine> LogsAsync(RunDetail run, [EnumeratorCancellation] CancellationToken ct)
    {
        var client = await ClientRunAsync(run, ct);
        IReadOnlyList<LogEntry> lines;
        try
        {
            // Every level, merged by line and checked against the server's count (a mismatch fails the run loudly).
            lines = await Guard(() => client.AllLogsAsync(ct));
        }
        catch (SwanLabCapabilityUnavailableException)
        {
            // No log route on this server: recorded once in Unavailable, not a failure of this run.
            yield break;
        }
        foreach (var entry in lines)
            yield return new LogLine(entry.Epoch, entry.Level, entry.Message, entry.Timestamp, entry.Json);
    }

    public async IAsyncEnumerable<MediaItem> MediaAsync(RunDetail run, [EnumeratorCancellation] CancellationToken ct)
    {
        var client = await ClientRunAsync(run, ct);
        var items = new List<ClientMediaItem>();
        try
        {
            var urls = _mediaUrls.GetOrCreateValue(run);
            await foreach (var item in Guard(client.MediaAsync(null, ct), ct))
            {
                items.Add(item);
                if (item.Url is { } url) urls[item.Path] = url;
            }
        }
        catch (SwanLabCapabilityUnavailableException)
        {
            // No media routes on this server: recorded once in Unavailable, not a failure of this run.
            yield break;
        }
        foreach (var item in items.OrderBy(i => i.Key, StringComparer.Ordinal).ThenBy(i => i.Step).ThenBy(i => i.Path, StringComparer.Ordinal))
            yield return new MediaItem(item.Key, item.Step, item.Path, item.Caption, item.Json) { Kind = MediaItem.KindOf(item.Path, item.Json) };
    }

    public async Task DownloadMediaAsync(RunDetail run, MediaItem item, Stream destination, CancellationToken ct)
    {
        var client = await ClientRunAsync(run, ct);
        // The URL the listing presigned, when there is one; without it (or once it expired) the client presigns afresh.
        var url = _mediaUrls.TryGetValue(run, out var urls) ? urls.GetValueOrDefault(item.ServerPath) : null;
        var clientItem = new ClientMediaItem(item.Key, item.Step, item.ServerPath, url, item.Caption, item.Raw);
        await Guard(() => client.DownloadMediaAsync(clientItem, destination, ct));
    }

    private async Task<Run> ClientRunAsync(RunDetail run, CancellationToken ct)
    {
        if (_runs.TryGetValue(run, out var cached)) return cached;
        var fetched = await Guard(() => _api.RunAsync(run.Path, ct));
        _runs.AddOrUpdate(run, fetched);
        return fetched;
    }

    private static WorkspaceInfo ToInfo(Workspace workspace) =>
        new(workspace.Username, workspace.Name, workspace.WorkspaceType, workspace.Json());

    private static ProjectInfo ToInfo(Project project)
    {
        var count = project.Count.TryGetValue("experiments", out var runs) ? (int?)runs : null;
        return new ProjectInfo(project.Workspace, project.Name, project.Path, project.Cuid, count, project.Json());
    }

    private static string? NullIfEmpty(string? text) => string.IsNullOrEmpty(text) ? null : text;

    private static string? Str(JsonElement json, string name) =>
        json.ValueKind == JsonValueKind.Object && json.TryGetProperty(name, out var value) && value.ValueKind == JsonValueKind.String
            ? value.GetString()
            : null;

    private static async Task<T> Guard<T>(Func<Task<T>> call)
    {
        try
        {
            return await call();
        }
        catch (SwanLabAuthenticationException ex)
        {
            throw new SourceAuthenticationException(ex.Message, ex);
        }
    }

    private static async Task Guard(Func<Task> call)
    {
        try
        {
            await call();
        }
        catch (SwanLabAuthenticationException ex)
        {
            throw new SourceAuthenticationException(ex.Message, ex);
        }
    }

    private static async IAsyncEnumerable<T> Guard<T>(IAsyncEnumerable<T> items, [EnumeratorCancellation] CancellationToken ct)
    {
        await using var enumerator = items.GetAsyncEnumerator(ct);
        while (true)
        {
            bool more;
            try
            {
                more = await enumerator.MoveNextAsync();
            }
            catch (SwanLabAuthenticationException ex)
            {
                throw new SourceAuthenticationException(ex.Message, ex);
            }
            if (!more) yield break;
            yield return enumerator.Current;
        }
    }
}
