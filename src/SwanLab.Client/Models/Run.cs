using System.Globalization;
using System.Net;
using System.Runtime.CompilerServices;
using System.Text.Json;
using SwanLab.Client.Http;
using SwanLab.Client.Metrics;

namespace SwanLab.Client;

/// <summary>
/// A run (experiment). Properties read the run object the server sent; metric members send requests. Metric reads use
/// the SDK 0.9.x <c>/house</c> endpoints and fall back to the 0.7.8 ones when the server answers 404 there
/// (see <see cref="SwanLabApi.Protocol"/>).
/// </summary>
public sealed partial class Run
{
    private const int MaxKeysPerHouseQuery = 16;
    private const int MaxSampledPoints = 1500;
    private const int LogShardSize = 1000;
    private const int PresignBatch = 100;

    private readonly SwanLabApi _api;
    private readonly JsonElement _json;
    private readonly string _workspace;
    private readonly string _project;
    private RunProfile? _profile;
    private string? _projectCuid;

    internal Run(SwanLabApi api, JsonElement json, string workspace, string project)
    {
        _api = api;
        _json = json;
        _workspace = workspace;
        _project = project;
        _projectCuid = json.StrOrNull("project_id") ?? json.StrOrNull("projectId");
    }

    private SwanLabConnection Connection => _api.Connection;

    /// <summary>Run name.</summary>
    public string Name => _json.Str("name");

    /// <summary>The server's run id (cuid).</summary>
    public string Id => _json.Str("cuid");

    /// <summary>The user-facing run id (slug), when the server has one.</summary>
    public string? Slug => _json.StrOrNull("slug");

    /// <summary><c>workspace/project/cuid</c>.</summary>
    public string Path => $"{_workspace}/{_project}/{Id}";

    /// <summary><c>workspace/project</c>.</summary>
    public string ProjectPath => $"{_workspace}/{_project}";

    /// <summary>Description.</summary>
    public string Description => _json.Str("description");

    /// <summary><c>RUNNING</c>, <c>FINISHED</c>, <c>CRASHED</c>, <c>ABORTED</c> (or <c>OFFLINE</c>).</summary>
    public string State => _json.Str("state");

    /// <summary>The run group (wire field <c>cluster</c>).</summary>
    public string Group => _json.Str("cluster");

    /// <summary>Tag names.</summary>
    public IReadOnlyList<string> Labels => _json.Prop("labels").Items().Select(l => l.Str("name")).ToList();

    /// <summary>Creation time as sent (ISO 8601).</summary>
    public string CreatedAt => _json.Str("createdAt");

    /// <summary>Finish time as sent; empty while running.</summary>
    public string FinishedAt => _json.Str("finishedAt");

    /// <summary>Web URL of the run's charts.</summary>
    public string Url => $"{_api.WebHost}/@{ProjectPath}/runs/{Id}/chart";

    /// <summary>Job type (wire field <c>job</c>).</summary>
    public string JobType => _json.Str("job");

    /// <summary>Whether the run is shown in charts (default true).</summary>
    public bool Show => _json.Bool("show", true);

    /// <summary>Config (cleaned), metadata, requirements and conda.</summary>
    public RunProfile Profile => _profile ??= new RunProfile(_json.Prop("profile"));

    /// <summary>The user who created the run.</summary>
    public User User => _api.User(_json.Prop("user").Str("username", _api.Username) is { Length: > 0 } u ? u : _api.Username);

    /// <summary>For a cloned run: the project that holds its metric data.</summary>
    public string? RootProjectId => _json.StrOrNull("rootProId");

    /// <summary>For a cloned run: the run that holds its metric data.</summary>
    public string? RootRunId => _json.StrOrNull("rootExpId");

    /// <summary>The run object exactly as the server sent it.</summary>
    public JsonElement Json() => _json;

    /// <inheritdoc />
    public override string ToString() => $"Run {Path} ({Name}, {State})";

    /// <summary>
    /// <see cref="CreatedAt"/> in Unix seconds: the lower bound every <c>/house</c> read sends so the server can prune its
    /// scan (ISO text, or a 13-digit millisecond number divided down).
    /// </summary>
    /// <exception cref="SwanLabProtocolException">The run object has no usable <c>createdAt</c>.</exception>
    public long CreatedAtUnixSeconds
    {
        get
        {
            var value = _json.Prop("createdAt");
            if (JsonRead.AsLong(value) is { } number)
                return number > 9_999_999_999 ? number / 1000 : number;
            if (value.ValueKind == JsonValueKind.String &&
                DateTimeOffset.TryParse(value.GetString(), CultureInfo.InvariantCulture,
                    DateTimeStyles.AssumeUniversal | DateTimeStyles.AdjustToUniversal, out var parsed))
                return parsed.ToUnixTimeSeconds();
            throw new SwanLabProtocolException($"Run '{Path}' has no valid createdAt, which metric queries require.", null);
        }
    }

    /// <summary>
    /// The project's cuid: from the run object, else one <c>GET /project/{ws}/{p}</c> per project for the whole
    /// <see cref="SwanLabApi"/> (remembered there, so a thousand runs of one project cost one request).
    /// </summary>
    public async Task<string> ProjectIdAsync(CancellationToken ct = default) =>
        _projectCuid ??= await _api.ProjectCuidAsync(ProjectPath, ct).ConfigureAwait(false);

    // ----------------------------------------------------------------- table (SDK 0.7.8 run.metrics)

    /// <summary>
    /// Full-resolution values of <paramref name="keys"/> as a table, like SDK 0.7.8 <c>run.metrics(keys, x_axis, sample)</c>:
    /// outer-joined on step, sorted; with an <paramref name="xAxis"/> metric other than <c>step</c>, that metric is the
    /// first column and rows without it are dropped; <paramref name="sample"/> keeps the first N rows.
    /// Each key is streamed (see <see cref="StreamMetricAsync(string, CancellationToken)"/>); the table itself holds all rows in memory.
    /// </summary>
    public async Task<MetricTable> MetricsAsync(IReadOnlyList<string> keys, string xAxis = "step", int? sample = null,
        CancellationToken ct = default)
    {
        ArgumentNullException.ThrowIfNull(keys);
        if (keys.Count == 0)
            throw new ArgumentException("At least one metric key is required.", nameof(keys));
        if (keys.Any(string.IsNullOrEmpty))
            throw new ArgumentException("Metric keys cannot be empty.", nameof(keys));
        if (sample is < 0)
            throw new ArgumentOutOfRangeException(nameof(sample), "sample must be zero or positive.");
        var useXAxis = !string.IsNullOrEmpty(xAxis) && xAxis != "step";
        var all = keys.Distinct(StringComparer.Ordinal).ToList();
        if (useXAxis && !all.Contains(xAxis, StringComparer.Ordinal))
            all.Add(xAxis);
        var series = new List<IEnumerable<MetricPoint>>(all.Count);
        foreach (var key in all)
        {
            var points = new List<MetricPoint>();
            await foreach (var point in StreamMetricAsync(key, ct).ConfigureAwait(false))
                points.Add(point);
            series.Add(points);
        }
        return MetricTable.Build(all, series, useXAxis ? xAxis : null, sample);
    }

    // ----------------------------------------------------------------- full-resolution streaming (Run.MetricStreams.cs)

    private static bool IsExpiredUrlStatus(HttpStatusCode status) =>
        status is HttpStatusCode.Unauthorized or HttpStatusCode.Forbidden or HttpStatusCode.Gone;

    // ----------------------------------------------------------------- 0.9.x reads

    /// <summary>
    /// The run's series keys (<c>POST /house/metrics/{scalar|media}/keys</c>, cursor pages of 2000), classified
    /// SYSTEM (<c>__swanlab__</c> prefix) or CUSTOM. On 0.7.8 servers the column list is used instead.
    /// </summary>
    public async IAsyncEnumerable<SeriesKey> SeriesKeysAsync(SeriesKind kind = SeriesKind.Scalar,
        [EnumeratorCancellation] CancellationToken ct = default)
    {
        var cursor = "";
        if (await _api.DetectProtocolAsync(ct).ConfigureAwait(false) == SwanLabProtocol.House)
        {
            while (true)
            {
                var page = await KeysPageAsync(kind, cursor, ct).ConfigureAwait(false);
                foreach (var key in page.Keys)
                    yield return new SeriesKey(key, kind, kind == SeriesKind.Scalar && key.StartsWith("__swanlab__", StringComparison.Ordinal) ? "SYSTEM" : "CUSTOM");
                if (!page.HasMore || string.IsNullOrEmpty(page.NextCursor) || page.NextCursor == cursor)
                    yield break;
                cursor = page.NextCursor;
            }
        }
        await foreach (var column in _api.PagesAsync(page => Endpoints.LegacyColumns(Id, page, 100), $"Columns of run '{Path}'", ct)
                           .ConfigureAwait(false))
        {
            var type = column.Str("type", "FLOAT");
            var isScalar = type is "FLOAT" or "BOOLEAN" or "STRING";
            if (isScalar != (kind == SeriesKind.Scalar))
                continue;
            var key = column.Str("key");
            var cls = column.StrOrNull("class") ?? (key.StartsWith("__swanlab__", StringComparison.Ordinal) ? "SYSTEM" : "CUSTOM");
            yield return new SeriesKey(key, kind, cls);
        }
    }

    private sealed record KeysPage(IReadOnlyList<string> Keys, bool HasMore, string? NextCursor);

    private async Task<KeysPage> KeysPageAsync(SeriesKind kind, string cursor, CancellationToken ct)
    {
        var projectId = await ProjectIdAsync(ct).ConfigureAwait(false);
        var experiment = new Dictionary<string, object?>
        {
            ["projectId"] = RootProjectId ?? projectId,
            ["experimentId"] = RootRunId ?? Id,
            ["createdAt"] = CreatedAtUnixSeconds,
        };
        var body = new Dictionary<string, object?> { ["experiments"] = new[] { experiment }, ["limit"] = 2000, ["cursor"] = cursor };
        var subject = $"Series keys of run '{Path}'";
        // Media keys are part of the optional media read: a server without media answers 404 for them.
        var json = kind == SeriesKind.Media
            ? await OptionalReadAsync(ServerCapability.Media, HttpMethod.Post, Endpoints.HouseKeys(kind), body, subject, ct).ConfigureAwait(false)
            : await Connection.PostJsonAsync(Endpoints.HouseKeys(kind), body, ct, subject).ConfigureAwait(false);
        var keys = json.Prop("keys").Items().Where(k => k.ValueKind == JsonValueKind.String).Select(k => k.GetString()!).ToList();
        return new KeysPage(keys, json.Bool("hasMore", false), json.StrOrNull("nextCursor"));
    }

    /// <summary>
    /// The latest step of each of <paramref name="keys"/> (0.9.x servers: <c>/house/metrics/scalar/value</c>
    /// <c>latest.index</c>), one request per 16 keys where <see cref="MetricStatsAsync"/> needs two; keys the server
    /// does not know are absent. For checking that a download is complete without fetching the full statistics.
    /// </summary>
    /// <exception cref="SwanLabNotSupportedException">The server has no metric value statistics (pre-0.9 servers).</exception>
    public async Task<IReadOnlyDictionary<string, long?>> LastStepsAsync(IReadOnlyList<string> keys, CancellationToken ct = default)
    {
        ArgumentNullException.ThrowIfNull(keys);
        var result = new Dictionary<string, long?>(StringComparer.Ordinal);
        foreach (var chunk in keys.Distinct(StringComparer.Ordinal).Chunk(MaxKeysPerHouseQuery))
        {
            await HouseOrLegacyAsync(async token =>
            {
                var projectId = await ProjectIdAsync(token).ConfigureAwait(false);
                var json = await Connection.PostJsonAsync(Endpoints.HouseScalarValue, new Dictionary<string, object?>
                {
                    ["projectId"] = projectId, ["xType"] = "step", ["range"] = new[] { 0, 0 },
                    ["columns"] = chunk.Select(k => ColumnRef(k)).ToArray(), ["num"] = MaxSampledPoints,
                }, token, $"Last steps of the metrics of run '{Path}'").ConfigureAwait(false);
                foreach (var entry in json.Items())
                {
                    var key = entry.Str("key");
                    if (chunk.Contains(key, StringComparer.Ordinal) && !result.ContainsKey(key))
                        result[key] = JsonRead.AsLong(entry.Prop("latest").Prop("index"));
                }
                return true;
            }, null, "Metric value statistics", ct).ConfigureAwait(false);
        }
        return result;
    }

    /// <summary>
    /// Min/max/avg/median/latest of each key (<c>POST /house/metrics/scalar/value</c> on the step and timestamp axes,
    /// merged as the SDK does; 16 keys per query). Keys the server knows nothing about are absent. 0.9.x servers only.
    /// </summary>
    public async Task<IReadOnlyDictionary<string, MetricValueStats>> MetricStatsAsync(IReadOnlyList<string> keys, CancellationToken ct = default)
    {
        ArgumentNullException.ThrowIfNull(keys);
        var result = new Dictionary<string, MetricValueStats>(StringComparer.Ordinal);
        foreach (var chunk in keys.Distinct(StringComparer.Ordinal).Chunk(MaxKeysPerHouseQuery))
        {
            await HouseOrLegacyAsync(async token =>
            {
                var projectId = await ProjectIdAsync(token).ConfigureAwait(false);
                var columns = chunk.Select(k => ColumnRef(k)).ToArray();
                Dictionary<string, object?> Body(string xType) => new()
                {
                    ["projectId"] = projectId, ["xType"] = xType, ["range"] = new[] { 0, 0 }, ["columns"] = columns, ["num"] = MaxSampledPoints,
                };
                var stepTask = Connection.PostJsonAsync(Endpoints.HouseScalarValue, Body("step"), token, $"Metric statistics of run '{Path}'");
                var timeTask = Connection.PostJsonAsync(Endpoints.HouseScalarValue, Body("timestamp"), token, $"Metric statistics of run '{Path}'");
                await Task.WhenAll(stepTask, timeTask).ConfigureAwait(false);
                var byStep = stepTask.Result.Items().GroupBy(e => e.Str("key")).ToDictionary(g => g.Key, g => g.First());
                var byTime = timeTask.Result.Items().GroupBy(e => e.Str("key")).ToDictionary(g => g.Key, g => g.First());
                foreach (var key in chunk)
                {
                    if (!byStep.TryGetValue(key, out var s))
                        continue;
                    byTime.TryGetValue(key, out var t);
                    MetricStat? Stat(string field)
                    {
                        var step = s.Prop(field);
                        if (step.ValueKind != JsonValueKind.Object)
                            return null;
                        return new MetricStat(JsonRead.AsLong(step.Prop("index")), JsonRead.AsDouble(step.Prop("data")),
                            JsonRead.AsLong(t.Prop(field).Prop("index")));
                    }
                    result[key] = new MetricValueStats(key, Stat("min"), Stat("max"), Stat("avg"), Stat("median"), Stat("latest"));
                }
                return true;
            }, null, "Metric value statistics", ct).ConfigureAwait(false);
        }
        return result;
    }

    // ----------------------------------------------------------------- helpers

    private Dictionary<string, object?> ColumnRef(string key, bool withName = false)
    {
        var column = new Dictionary<string, object?>();
        if (withName)
            column["experimentName"] = Name.Length > 0 ? Name : Id;
        column["experimentId"] = Id;
        column["key"] = key;
        column["createdAt"] = CreatedAtUnixSeconds;
        if (RootProjectId is not null)
            column["rootProId"] = RootProjectId;
        if (RootRunId is not null)
            column["rootExpId"] = RootRunId;
        return column;
    }

    private Dictionary<string, object?> ExperimentRef(string projectId)
    {
        var experiment = new Dictionary<string, object?>
        {
            ["projectId"] = projectId,
            ["experimentId"] = Id,
            ["createdAt"] = CreatedAtUnixSeconds,
        };
        if (RootProjectId is not null)
            experiment["rootProId"] = RootProjectId;
        if (RootRunId is not null)
            experiment["rootExpId"] = RootRunId;
        return experiment;
    }

    /// <summary>
    /// Runs the /house call on a 0.9.x server and the 0.7.8 call (or a clear <see cref="SwanLabNotSupportedException"/>)
    /// on an older one. The protocol is learnt once per client by <see cref="SwanLabApi.DetectProtocolAsync"/> (its /house
    /// probe answering 404 means 0.7.8), not from any 404: a 404 for one missing run must not switch the whole client.
    /// </summary>
    private async Task<T> HouseOrLegacyAsync<T>(Func<CancellationToken, Task<T>> house, Func<CancellationToken, Task<T>>? legacy,
        string feature, CancellationToken ct)
    {
        if (await _api.DetectProtocolAsync(ct).ConfigureAwait(false) == SwanLabProtocol.House)
            return await house(ct).ConfigureAwait(false);
        if (legacy is null)
            throw new SwanLabNotSupportedException(
                $"{feature} needs the SwanLab 0.9 metric API (/house); {_api.Host} speaks the older 0.7.8 protocol.");
        return await legacy(ct).ConfigureAwait(false);
    }
}
