using System.Globalization;
using System.Runtime.CompilerServices;
using System.Text.Json;
using SwanLab.Client.Http;
using SwanLab.Client.Metrics;

namespace SwanLab.Client;

/// <summary>
/// Points of one key of a multi-key read (<see cref="Run.StreamMetricsBatchesAsync"/>): <paramref name="KeyIndex"/> is
/// the key's position in the request. <paramref name="Points"/> is reused: valid only until the next batch is requested.
/// </summary>
public readonly record struct MetricKeyBatch(int KeyIndex, string Key, IReadOnlyList<MetricPoint> Points);

// Full-resolution and sampled scalar reads of many keys at once, as the SDK batches them (16 keys per House query).
public sealed partial class Run
{
    /// <summary>
    /// Streams every point of each of <paramref name="keys"/> at full resolution, parsing the exports as they download
    /// (memory stays flat whatever the series lengths). 0.9.x servers: one <c>/house/metrics/scalar/export</c> of up to 16
    /// keys → one <c>/files/presigned/get</c> → one wide CSV, split per key while it is read; 0.7.8 servers:
    /// <c>/experiment/{cuid}/column/csv</c> per key. Within a key, points come in step order; batches of different keys
    /// interleave.
    /// <para>
    /// A presigned URL that is path-only is resolved against the host; one refused as expired (401/403/410) is replaced
    /// by a fresh one. A download that breaks (connection reset, body cut short, stalled longer than
    /// <see cref="SwanLabApiOptions.AttemptTimeout"/>) is restarted with a fresh export, skipping the points already
    /// yielded after checking the restarted series match them; one that ends cleanly with a key short of the server's
    /// last step (<paramref name="expectedLastSteps"/>, or on 0.9.x servers <c>/house/metrics/scalar/value</c>
    /// <c>latest.index</c> for keys given no value, one request per 16 keys) is restarted for the short keys only.
    /// After <see cref="SwanLabApiOptions.MaxRetries"/> restarts it throws <see cref="SwanLabConnectionException"/>: a
    /// partial series is never returned silently.
    /// </para>
    /// </summary>
    /// <param name="keys">Distinct, non-empty keys.</param>
    /// <param name="expectedLastSteps">The server's last step per key where already known (null values: ask).</param>
    /// <param name="ct">Cancellation.</param>
    public async IAsyncEnumerable<MetricKeyBatch> StreamMetricsBatchesAsync(IReadOnlyList<string> keys,
        IReadOnlyDictionary<string, long?>? expectedLastSteps = null, [EnumeratorCancellation] CancellationToken ct = default)
    {
        ArgumentNullException.ThrowIfNull(keys);
        if (keys.Count == 0)
            throw new ArgumentException("At least one metric key is required.", nameof(keys));
        if (keys.Any(string.IsNullOrEmpty))
            throw new ArgumentException("Metric keys cannot be empty.", nameof(keys));
        if (keys.Distinct(StringComparer.Ordinal).Count() != keys.Count)
            throw new ArgumentException("Metric keys must be distinct.", nameof(keys));

        if (await _api.DetectProtocolAsync(ct).ConfigureAwait(false) == SwanLabProtocol.Legacy)
        {
            // 0.7.8 servers export one key per request.
            for (var k = 0; k < keys.Count; k++)
            {
                await foreach (var batch in StreamDownloadAsync([keys[k]], k, LegacyCsvUrlAsync, expectedLastSteps, ct).ConfigureAwait(false))
                    yield return batch;
            }
            yield break;
        }
        for (var offset = 0; offset < keys.Count; offset += MaxKeysPerHouseQuery)
        {
            var chunk = keys.Skip(offset).Take(MaxKeysPerHouseQuery).ToArray();
            await foreach (var batch in StreamDownloadAsync(chunk, offset, HouseExportUrlAsync, expectedLastSteps, ct).ConfigureAwait(false))
                yield return batch;
        }
    }

    /// <summary>
    /// Streams every point of one scalar series in step order, at full resolution (see
    /// <see cref="StreamMetricsBatchesAsync"/>, of which this is the one-key case).
    /// </summary>
    public IAsyncEnumerable<MetricPoint> StreamMetricAsync(string key, CancellationToken ct = default) =>
        StreamMetricAsync(key, expectedLastStep: null, ct);

    /// <summary>
    /// As <see cref="StreamMetricAsync(string, CancellationToken)"/>, with the series' last step already known (e.g. from
    /// <see cref="MetricStatsAsync"/>), which saves the completeness-check request. Pass null to have it fetched.
    /// </summary>
    public async IAsyncEnumerable<MetricPoint> StreamMetricAsync(string key, long? expectedLastStep,
        [EnumeratorCancellation] CancellationToken ct = default)
    {
        await foreach (var batch in StreamMetricBatchesAsync(key, expectedLastStep, ct).ConfigureAwait(false))
        {
            for (var i = 0; i < batch.Count; i++)
                yield return batch[i];
        }
    }

    /// <summary>
    /// As <see cref="StreamMetricAsync(string, long?, CancellationToken)"/>, a batch of points at a time (as many as
    /// one read of the download parsed), for callers that move millions of points and cannot afford an await per point.
    /// The batch is reused: it is valid only until the next one is requested, so copy what you keep.
    /// </summary>
    public async IAsyncEnumerable<IReadOnlyList<MetricPoint>> StreamMetricBatchesAsync(string key, long? expectedLastStep,
        [EnumeratorCancellation] CancellationToken ct = default)
    {
        ArgumentException.ThrowIfNullOrEmpty(key);
        var expected = expectedLastStep is null ? null : new Dictionary<string, long?>(StringComparer.Ordinal) { [key] = expectedLastStep };
        await foreach (var batch in StreamMetricsBatchesAsync([key], expected, ct).ConfigureAwait(false))
            yield return batch.Points;
    }

    /// <summary>
    /// Downloads and splits the CSV of <paramref name="keys"/>, restarting as <see cref="StreamMetricsBatchesAsync"/>
    /// describes; <paramref name="indexOffset"/> is added to each batch's key index.
    /// </summary>
    private async IAsyncEnumerable<MetricKeyBatch> StreamDownloadAsync(IReadOnlyList<string> keys, int indexOffset,
        Func<IReadOnlyList<string>, CancellationToken, Task<Uri>> urlFor, IReadOnlyDictionary<string, long?>? expectedLastSteps,
        [EnumeratorCancellation] CancellationToken ct)
    {
        var options = Connection.Options;
        var n = keys.Count;
        var yielded = new long[n];
        var lastYielded = new MetricPoint[n];
        var expected = new long?[n];
        var expectedKnown = new bool[n];
        for (var k = 0; k < n; k++)
        {
            if (expectedLastSteps?.GetValueOrDefault(keys[k]) is { } last)
            {
                expected[k] = last;
                expectedKnown[k] = true;
            }
        }
        var pool = Enumerable.Range(0, n).Select(_ => new List<MetricPoint>(1024)).ToArray();
        var active = Enumerable.Range(0, n).ToList();
        string[] prefixes = [(Name.Length > 0 ? Name : Id) + "-", Id + "-", Name + "-", ""];
        var restarts = 0;
        var refusals = 0;
        var subject = n == 1 ? $"Metric '{keys[0]}' of run '{Path}'" : $"Metrics {string.Join(", ", keys.Select(k => $"'{k}'"))} of run '{Path}'";
        // Re-arming the stall timer touches the shared timer queue; doing it for every read showed up in profiles, so
        // it is re-armed once a quarter of the timeout has passed: a stall is still caught within 3/4 to 1 timeout.
        var rearmEvery = options.AttemptTimeout / 4;
        while (true)
        {
            var activeKeys = active.Select(k => keys[k]).ToArray();
            var url = await urlFor(activeKeys, ct).ConfigureAwait(false);
            var endpoint = SwanLabConnection.Describe(HttpMethod.Get, url);
            using var response = await Connection.SendAsync(HttpMethod.Get, url, null, RequestAuth.None, bufferBody: false, ct)
                .ConfigureAwait(false);
            if (IsExpiredUrlStatus(response.StatusCode))
            {
                if (++refusals > options.MaxRetries)
                    throw new SwanLabForbiddenException(
                        $"{subject}: the download URL was refused {refusals} time(s) even when fresh.", endpoint, response.StatusCode);
                Connection.Statistics.CountUrlRefresh();
                continue;
            }
            await Connection.EnsureSuccessAsync(response, endpoint, subject, ct).ConfigureAwait(false);

            var skip = active.Select(k => yielded[k]).ToArray();
            var batches = active.Select(k => pool[k]).ToArray();
            Exception? broken = null;
            await using var body = await response.Content.ReadAsStreamAsync(ct).ConfigureAwait(false);
            await using var csv = new MetricCsvReader(body, endpoint, activeKeys, prefixes);
            using var idle = CancellationTokenSource.CreateLinkedTokenSource(ct);
            var armedAt = long.MinValue;
            while (true)
            {
                bool more;
                try
                {
                    var now = Environment.TickCount64;
                    if (now - armedAt >= rearmEvery.TotalMilliseconds)
                    {
                        idle.CancelAfter(options.AttemptTimeout);
                        armedAt = now;
                    }
                    more = await csv.ReadBatchesAsync(batches, idle.Token).ConfigureAwait(false);
                }
                catch (Exception ex) when (ex is IOException or HttpRequestException ||
                                           (ex is OperationCanceledException && !ct.IsCancellationRequested))
                {
                    Connection.Statistics.CountConnectionFault();
                    broken = ex;
                    break;
                }
                if (!more)
                    break;
                for (var j = 0; j < batches.Length; j++)
                {
                    var batch = batches[j];
                    if (batch.Count == 0)
                        continue;
                    var k = active[j];
                    if (skip[j] > 0)
                    {
                        // A restarted download: the points already yielded come again and must be the same series.
                        var dropped = (int)Math.Min(skip[j], batch.Count);
                        skip[j] -= dropped;
                        if (skip[j] == 0)
                        {
                            var point = batch[dropped - 1];
                            if (point.Step != lastYielded[k].Step || !point.Value.Equals(lastYielded[k].Value))
                                throw new SwanLabProtocolException(
                                    $"Metric '{keys[k]}' of run '{Path}' changed while it was downloaded again after a broken transfer " +
                                    $"(point {yielded[k]} was step {lastYielded[k].Step}, now step {point.Step}).", endpoint);
                        }
                        batch.RemoveRange(0, dropped);
                        if (batch.Count == 0)
                            continue;
                    }
                    lastYielded[k] = batch[^1];
                    yielded[k] += batch.Count;
                    yield return new MetricKeyBatch(indexOffset + k, keys[k], batch);
                }
            }

            if (broken is null)
            {
                var unknown = active.Where(k => !expectedKnown[k]).ToList();
                if (unknown.Count > 0 && _api.Protocol == SwanLabProtocol.House)
                {
                    var lastSteps = await LastStepsAsync(unknown.Select(k => keys[k]).ToArray(), ct).ConfigureAwait(false);
                    foreach (var k in unknown)
                    {
                        expected[k] = lastSteps.GetValueOrDefault(keys[k]);
                        expectedKnown[k] = true;
                    }
                }
                var shortKeys = active.Where(k => expected[k] is { } last && !(yielded[k] > 0 && lastYielded[k].Step >= last)).ToList();
                if (shortKeys.Count == 0)
                    yield break;
                var first = shortKeys[0];
                broken = new IOException(
                    $"the CSV of '{keys[first]}' ended at {(yielded[first] == 0 ? "no point" : "step " + lastYielded[first].Step.ToString(CultureInfo.InvariantCulture))} " +
                    $"but the server's last step is {expected[first]}");
                // The keys that did arrive whole are done; only the short ones are exported again.
                active = shortKeys;
            }
            if (++restarts > options.MaxRetries)
                throw new SwanLabConnectionException(
                    $"{subject}: the download broke {restarts} time(s) ({broken.Message}) after {yielded.Sum()} point(s); " +
                    "giving up rather than returning a partial series.", endpoint, broken);
            Connection.Statistics.CountUrlRefresh();
        }
    }

    /// <summary>A fresh download URL for the wide CSV of up to 16 keys: one export, one presign.</summary>
    private async Task<Uri> HouseExportUrlAsync(IReadOnlyList<string> keys, CancellationToken ct)
    {
        var projectId = await ProjectIdAsync(ct).ConfigureAwait(false);
        var columns = keys.Select(k => ColumnRef(k, withName: true)).ToArray();
        var export = await Connection.PostJsonAsync(Endpoints.HouseScalarExport,
            new Dictionary<string, object?> { ["projectId"] = projectId, ["columns"] = columns }, ct,
            keys.Count == 1 ? $"Export of metric '{keys[0]}' of run '{Path}'" : $"Export of {keys.Count} metrics of run '{Path}'").ConfigureAwait(false);
        var cosKey = export.StrOrNull("cosKey") ?? throw new SwanLabProtocolException(
            "The export answer has no cosKey.", "POST /api/" + Endpoints.HouseScalarExport);
        return (await PresignFilesAsync([cosKey], ct).ConfigureAwait(false))[0];
    }

    private async Task<Uri> LegacyCsvUrlAsync(IReadOnlyList<string> keys, CancellationToken ct)
    {
        var key = keys[0];
        var json = await Connection.GetJsonAsync(Endpoints.LegacyColumnCsv(Id, key), ct, $"Metric '{key}' of run '{Path}'")
            .ConfigureAwait(false);
        var url = json.StrOrNull("url") ?? throw new SwanLabProtocolException(
            "The column/csv answer has no url.", "GET /api/" + Endpoints.LegacyColumnCsv(Id, key));
        return Connection.ResolveDownloadUrl(url);
    }

    /// <summary>
    /// Download URLs of exported files (<c>POST /files/presigned/get</c>, all paths in one request as the SDK sends
    /// them), in the order of <paramref name="paths"/>. Answers are zipped with the paths by position; a server that
    /// answers fewer URLs than paths is asked again for the rest, and a single <c>url</c> field is accepted for one path.
    /// </summary>
    internal async Task<IReadOnlyList<Uri>> PresignFilesAsync(IReadOnlyList<string> paths, CancellationToken ct)
    {
        var result = new List<Uri>(paths.Count);
        while (result.Count < paths.Count)
        {
            var rest = paths.Skip(result.Count).ToArray();
            var presigned = await Connection.PostJsonAsync(Endpoints.FilesPresignedGet,
                new Dictionary<string, object?> { ["paths"] = rest }, ct, "Presigning the metric export").ConfigureAwait(false);
            var urls = presigned.Prop("urls").Items().Select(u => u.ValueKind == JsonValueKind.String ? u.GetString() : null).ToList();
            if (urls.Count == 0 && presigned.StrOrNull("url") is { } single)
                urls.Add(single);
            var added = 0;
            foreach (var url in urls.Take(rest.Length))
            {
                if (string.IsNullOrEmpty(url))
                    break;
                result.Add(Connection.ResolveDownloadUrl(url));
                added++;
            }
            if (added == 0)
                throw new SwanLabProtocolException($"The presign answer has no URL for '{rest[0]}'.", "POST /api/" + Endpoints.FilesPresignedGet);
        }
        return result;
    }

    /// <summary>
    /// Server-side downsampled series of each of <paramref name="keys"/> (<c>POST /house/metrics/scalar</c>, 16 keys per
    /// request, at most <paramref name="num"/> points each, clamped to 1500 like the SDK). Entries are matched by
    /// <c>key</c>, so a server that reorders or omits them is fine; an omitted key has no points. 0.9.x servers only.
    /// </summary>
    public async Task<IReadOnlyDictionary<string, IReadOnlyList<MetricPoint>>> SampledMetricsAsync(IReadOnlyList<string> keys,
        int num = MaxSampledPoints, CancellationToken ct = default)
    {
        ArgumentNullException.ThrowIfNull(keys);
        if (keys.Any(string.IsNullOrEmpty))
            throw new ArgumentException("Metric keys cannot be empty.", nameof(keys));
        if (num <= 0)
            throw new ArgumentOutOfRangeException(nameof(num), "num must be positive.");
        num = Math.Min(num, MaxSampledPoints);
        var result = new Dictionary<string, IReadOnlyList<MetricPoint>>(StringComparer.Ordinal);
        foreach (var chunk in keys.Distinct(StringComparer.Ordinal).Chunk(MaxKeysPerHouseQuery))
        {
            await HouseOrLegacyAsync(async token =>
            {
                var projectId = await ProjectIdAsync(token).ConfigureAwait(false);
                var body = new Dictionary<string, object?>
                {
                    ["projectId"] = projectId, ["xType"] = "step", ["range"] = new[] { 0, 0 },
                    ["columns"] = chunk.Select(k => ColumnRef(k)).ToArray(), ["num"] = num,
                };
                var json = await Connection.PostJsonAsync(Endpoints.HouseScalar, body, token,
                    chunk.Length == 1 ? $"Sampled metric '{chunk[0]}' of run '{Path}'" : $"Sampled metrics of run '{Path}'").ConfigureAwait(false);
                foreach (var entry in json.Items())
                {
                    var key = entry.Str("key");
                    if (!chunk.Contains(key, StringComparer.Ordinal) || result.ContainsKey(key))
                        continue;
                    var points = new List<MetricPoint>();
                    foreach (var p in entry.Prop("metrics").Items())
                    {
                        if (JsonRead.AsLong(p.Prop("index")) is not { } step || JsonRead.AsDouble(p.Prop("data")) is not { } value)
                            continue;
                        points.Add(new MetricPoint(step, value, JsonRead.AsLong(p.Prop("timestamp"))));
                    }
                    result[key] = points;
                }
                foreach (var key in chunk)
                    result.TryAdd(key, []);
                return true;
            }, null, "Server-side sampled metrics", ct).ConfigureAwait(false);
        }
        return result;
    }

    /// <summary>
    /// A server-side downsampled series (<c>POST /house/metrics/scalar</c>, at most <paramref name="num"/> points, clamped
    /// to 1500 like the SDK). 0.9.x servers only.
    /// </summary>
    public async Task<IReadOnlyList<MetricPoint>> SampledMetricAsync(string key, int num = MaxSampledPoints, CancellationToken ct = default)
    {
        ArgumentException.ThrowIfNullOrEmpty(key);
        return (await SampledMetricsAsync([key], num, ct).ConfigureAwait(false))[key];
    }
}
