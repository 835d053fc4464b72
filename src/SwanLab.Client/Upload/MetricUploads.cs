using System.Buffers;
using System.Net;
using System.Text.Json;
using SwanLab.Client.Http;

namespace SwanLab.Client.Upload;

public sealed partial class SwanLabUploader
{
    /// <summary>
    /// Uploads scalar points (<c>POST /house/metrics</c>, <c>type: "scalar"</c>), cut into requests of at most
    /// <see cref="SwanLabUploadOptions.MaxRecordsPerRequest"/> items in the given order. Each item carries
    /// <c>key</c>, <c>index</c> (step), <c>data</c> and, when known, <c>create_time</c> from the point's own timestamp.
    /// </summary>
    /// <exception cref="SwanLabUploadUncertainException">A request failed and the server may have stored it (see <paramref name="retry"/>).</exception>
    /// <exception cref="SwanLabRunDeletedException">The run was deleted.</exception>
    /// <exception cref="ArgumentException"><see cref="MetricRetry.Reconcile"/> with a key whose steps do not increase.</exception>
    public Task<UploadReport> UploadScalarsAsync(UploadRun run, IReadOnlyList<ScalarUpload> points, MetricRetry retry = MetricRetry.IfNotDelivered,
        CancellationToken ct = default)
    {
        ArgumentNullException.ThrowIfNull(run);
        ArgumentNullException.ThrowIfNull(points);
        var epochs = Options.LegacyItemFields ? OrdinalsPerKey(points, p => p.Key) : null;
        // A batch is mostly one key: its escaped UTF-8 form is made once, not per point.
        string? lastKey = null;
        var lastEncoded = default(JsonEncodedText);
        return PostItemsAsync(run, "scalar", points, (w, p, i) =>
            {
                w.WriteStartObject();
                if (!ReferenceEquals(p.Key, lastKey) && !string.Equals(p.Key, lastKey, StringComparison.Ordinal))
                {
                    lastKey = p.Key;
                    lastEncoded = JsonEncodedText.Encode(p.Key);
                }
                w.WriteString(KeyName, lastEncoded);
                w.WriteNumber(IndexName, p.Step);
                w.WritePropertyName(DataName);
                WriteValue(w, p.Value);
                if (p.TimestampMs is { } ms)
                {
                    Span<byte> time = stackalloc byte[WireTime.MsLength];
                    w.WriteString(CreateTimeName, time[..WireTime.FormatUnixMs(ms, time)]);
                }
                if (epochs is not null)
                    w.WriteNumber("epoch", epochs[i]);
                w.WriteEndObject();
            }, p => (p.Key, p.Step), (summary, p) => summary.ScalarSteps.TryGetValue(p.Key, out var last) && p.Step <= last,
            retry, beforePost: null, ct);
    }

    /// <summary>
    /// Uploads console lines (<c>type: "log"</c>: <c>level</c>, <c>epoch</c>, <c>message</c>, <c>create_time</c>),
    /// batched like <see cref="UploadScalarsAsync"/>. Levels are sent as given (0.9.7 itself sends only INFO and ERROR).
    /// </summary>
    public Task<UploadReport> UploadLogsAsync(UploadRun run, IReadOnlyList<LogUpload> lines, MetricRetry retry = MetricRetry.IfNotDelivered,
        CancellationToken ct = default)
    {
        ArgumentNullException.ThrowIfNull(run);
        ArgumentNullException.ThrowIfNull(lines);
        return PostItemsAsync(run, "log", lines, (w, l, _) =>
            {
                w.WriteStartObject();
                w.WriteString("level", l.Level);
                w.WriteNumber("epoch", l.Epoch);
                w.WriteString("message", l.Message);
                if (l.Time is { } time)
                    w.WriteString("create_time", WireTime.Iso(time));
                w.WriteEndObject();
            }, l => ("", l.Epoch), (summary, l) => summary.LastLogEpoch is { } last && l.Epoch <= last, retry, beforePost: null, ct);
    }

    /// <summary>
    /// Uploads media: per request, first the files (<c>POST /resources/presigned/put</c> for every path with content, then a
    /// PUT of each file to its URL, <see cref="SwanLabUploadOptions.ParallelFileUploads"/> at once, retried like reads:
    /// a PUT of the same object is idempotent), then the items (<c>type: "media"</c>: <c>key</c>, <c>index</c>,
    /// <c>data</c> = the paths, <c>more</c> = captions). <c>more</c> is <c>[]</c> when no file has a caption, else aligned
    /// with <c>data</c> with <c>null</c> for uncaptioned files (the 0.7.8 form; 0.9.7's captioned-only list would pin
    /// captions to the wrong files when only some have one).
    /// </summary>
    public Task<UploadReport> UploadMediaAsync(UploadRun run, IReadOnlyList<MediaUpload> media, MetricRetry retry = MetricRetry.IfNotDelivered,
        CancellationToken ct = default)
    {
        ArgumentNullException.ThrowIfNull(run);
        ArgumentNullException.ThrowIfNull(media);
        var epochs = Options.LegacyItemFields ? OrdinalsPerKey(media, m => m.Key) : null;
        return PostItemsAsync(run, "media", media, (w, m, i) =>
            {
                w.WriteStartObject();
                w.WriteString("key", m.Key);
                w.WriteNumber("index", m.Step);
                w.WriteStartArray("data");
                foreach (var file in m.Files)
                    w.WriteStringValue(file.Path);
                w.WriteEndArray();
                w.WriteStartArray("more");
                if (m.Files.Any(f => f.Caption is not null))
                {
                    foreach (var file in m.Files)
                    {
                        if (file.Caption is null)
                        {
                            w.WriteNullValue();
                            continue;
                        }
                        w.WriteStartObject();
                        w.WriteString("caption", file.Caption);
                        w.WriteEndObject();
                    }
                }
                w.WriteEndArray();
                if (m.TimestampMs is { } ms)
                    w.WriteString("create_time", WireTime.FromUnixMs(ms));
                if (epochs is not null)
                    w.WriteNumber("epoch", epochs[i]);
                w.WriteEndObject();
            }, m => (m.Key, m.Step), (summary, m) => summary.MediaSteps.TryGetValue(m.Key, out var last) && m.Step <= last,
            retry, (batch, token) => PutMediaFilesAsync(run, batch, token), ct);
    }

    private static readonly JsonEncodedText KeyName = JsonEncodedText.Encode("key");
    private static readonly JsonEncodedText IndexName = JsonEncodedText.Encode("index");
    private static readonly JsonEncodedText DataName = JsonEncodedText.Encode("data");
    private static readonly JsonEncodedText CreateTimeName = JsonEncodedText.Encode("create_time");

    private async Task<UploadReport> PostItemsAsync<T>(UploadRun run, string kind, IReadOnlyList<T> items, Action<Utf8JsonWriter, T, int> writeItem,
        Func<T, (string Key, long Step)> identity, Func<ResumeSummary, T, bool> isStored, MetricRetry retry,
        Func<IReadOnlyList<T>, CancellationToken, Task>? beforePost, CancellationToken ct)
    {
        if (retry == MetricRetry.Reconcile)
            RequireIncreasing(items, identity, kind);
        var report = UploadReport.Empty;
        for (var start = 0; start < items.Count; start += Options.MaxRecordsPerRequest)
        {
            var count = Math.Min(Options.MaxRecordsPerRequest, items.Count - start);
            var batch = Enumerable.Range(start, count).ToList();
            if (beforePost is not null)
                await beforePost(batch.Select(i => items[i]).ToList(), ct).ConfigureAwait(false);
            report = report.Add(await PostBatchAsync(run, kind, items, batch, writeItem, isStored, retry, report.Records, ct).ConfigureAwait(false));
        }
        return report;
    }

    /// <summary>One request's worth of items: sent, and after an uncertain failure reconciled and the missing part sent again.</summary>
    private async Task<UploadReport> PostBatchAsync<T>(UploadRun run, string kind, IReadOnlyList<T> items, List<int> pending,
        Action<Utf8JsonWriter, T, int> writeItem, Func<ResumeSummary, T, bool> isStored, MetricRetry retry, int confirmedBefore, CancellationToken ct)
    {
        var requestRetry = retry switch
        {
            MetricRetry.Never => RequestRetry.None,
            MetricRetry.Always => RequestRetry.Transient,
            _ => RequestRetry.NotDelivered,
        };
        int requests = 0, resent = 0, foundStored = 0, takenOver = 0, confirmed = 0;
        for (var attempt = 0; ; attempt++)
        {
            var body = Envelope(run, kind, items, pending, writeItem);
            requests++;
            SwanLabException? uncertain;
            try
            {
                var answer = await SendBytesAsync(HttpMethod.Post, UploadEndpoints.HouseMetrics, body, requestRetry,
                    $"Uploading {pending.Count} {kind} item(s) of run '{run.Path}'", ct).ConfigureAwait(false);
                if (answer.Status == HttpStatusCode.Accepted)
                    takenOver++;
                confirmed += pending.Count;
                return new UploadReport(requests, confirmed, resent, foundStored, takenOver);
            }
            catch (SwanLabServerException e)
            {
                uncertain = e;
            }
            catch (SwanLabConnectionException e) when (e.InnerException is not HttpRequestException h || !SwanLabConnection.NeverReachedServer(h))
            {
                uncertain = e;
            }

            if (retry != MetricRetry.Reconcile || attempt >= Connection.Options.MaxRetries)
                throw new SwanLabUploadUncertainException(
                    $"Uploading {pending.Count} {kind} item(s) of run '{run.Path}' failed ({uncertain.Message}); the server may or may not have " +
                    "stored them. Read the run's resume summary before sending them again.",
                    uncertain.Endpoint, uncertain.StatusCode, kind, pending.Count, confirmedBefore + confirmed, uncertain);

            await Task.Delay(Backoff(attempt), ct).ConfigureAwait(false);
            var summary = await ResumeSummaryAsync(run, ct).ConfigureAwait(false);
            var missing = pending.Where(i => !isStored(summary, items[i])).ToList();
            foundStored += pending.Count - missing.Count;
            confirmed += pending.Count - missing.Count;
            if (missing.Count == 0)
                return new UploadReport(requests, confirmed, resent, foundStored, takenOver);
            resent += missing.Count;
            pending = missing;
        }
    }

    private TimeSpan Backoff(int attempt)
    {
        var options = Connection.Options;
        var delay = options.RetryBaseDelay * Math.Pow(2, Math.Min(attempt, 16)) * (0.5 + Random.Shared.NextDouble());
        return delay > options.MaxRetryDelay ? options.MaxRetryDelay : delay;
    }

    /// <summary>
    /// The encoding buffer of this thread, reused: <see cref="Envelope{T}"/> never awaits, so no other call can use it
    /// meanwhile. Growing a fresh buffer per request cost ~3 body sizes of garbage (a 10,000-point body is ~1 MB).
    /// </summary>
    [ThreadStatic]
    private static ArrayBufferWriter<byte>? t_envelopeBuffer;

    [ThreadStatic]
    private static Utf8JsonWriter? t_envelopeWriter;

    private byte[] Envelope<T>(UploadRun run, string kind, IReadOnlyList<T> items, List<int> indexes, Action<Utf8JsonWriter, T, int> writeItem)
    {
        var buffer = t_envelopeBuffer ??= new ArrayBufferWriter<byte>(1 << 20);
        buffer.ResetWrittenCount();
        var w = t_envelopeWriter ??= new Utf8JsonWriter(buffer, new JsonWriterOptions { SkipValidation = true });
        w.Reset(buffer);
        w.WriteStartObject();
        w.WriteString("projectId", run.Project.Cuid);
        w.WriteString("experimentId", run.Cuid);
        w.WriteString("type", kind);
        w.WriteStartArray("metrics");
        foreach (var i in indexes)
            writeItem(w, items[i], i);
        w.WriteEndArray();
        if (run.FlagId is { } flag)
            w.WriteString("flagId", flag);
        w.WriteEndObject();
        w.Flush();
        var body = buffer.WrittenSpan.ToArray();
        // A rare huge body (long log lines, many media paths) is not kept for the life of the thread.
        if (buffer.Capacity > 8 << 20)
        {
            t_envelopeBuffer = null;
            t_envelopeWriter = null;
        }
        return body;
    }

    private void WriteValue(Utf8JsonWriter w, double value)
    {
        if (double.IsFinite(value))
        {
            w.WriteNumberValue(value);
            return;
        }
        w.WriteStringValue(Options.NonFinite switch
        {
            NonFiniteSpelling.Sdk097 => "nan",
            NonFiniteSpelling.Sdk078 => double.IsNaN(value) ? "NaN" : "INF",
            _ => double.IsNaN(value) ? "NaN" : double.IsPositiveInfinity(value) ? "INF" : "-INF",
        });
    }

    private static int[] OrdinalsPerKey<T>(IReadOnlyList<T> items, Func<T, string> key)
    {
        var seen = new Dictionary<string, int>(StringComparer.Ordinal);
        var ordinals = new int[items.Count];
        for (var i = 0; i < items.Count; i++)
        {
            var k = key(items[i]);
            ordinals[i] = seen[k] = seen.GetValueOrDefault(k) + 1;
        }
        return ordinals;
    }

    private static void RequireIncreasing<T>(IReadOnlyList<T> items, Func<T, (string Key, long Step)> identity, string kind)
    {
        var last = new Dictionary<string, long>(StringComparer.Ordinal);
        // Runs of one key (the usual batch) are checked without a dictionary lookup per item.
        string? runKey = null;
        long runStep = 0;
        foreach (var item in items)
        {
            var (key, step) = identity(item);
            if (runKey is not null && string.Equals(key, runKey, StringComparison.Ordinal))
            {
                if (step <= runStep)
                    throw new ArgumentException(
                        $"Reconciling {kind} uploads needs increasing steps per key; '{key}' has {step} after {runStep}.", nameof(items));
                runStep = step;
                continue;
            }
            if (runKey is not null) last[runKey] = runStep;
            if (last.TryGetValue(key, out var previous) && step <= previous)
                throw new ArgumentException(
                    $"Reconciling {kind} uploads needs increasing steps per key; '{key}' has {step} after {previous}.", nameof(items));
            (runKey, runStep) = (key, step);
        }
    }

    private async Task PutMediaFilesAsync(UploadRun run, IReadOnlyList<MediaUpload> batch, CancellationToken ct)
    {
        var files = batch.SelectMany(m => m.Files).Where(f => f.Content is not null).ToList();
        if (files.Count == 0)
            return;
        var answer = await SendAsync(HttpMethod.Post, UploadEndpoints.PresignedPut,
            new Dictionary<string, object?> { ["experimentId"] = run.Cuid, ["paths"] = files.Select(f => f.Path).ToArray() },
            RequestRetry.Transient, $"Presigning {files.Count} media file(s) of run '{run.Path}'", ct).ConfigureAwait(false);
        var urls = answer.Body.Prop("urls").Items().Select(u => u.ValueKind == JsonValueKind.String ? u.GetString() : null).ToList();
        if (urls.Count != files.Count || urls.Any(u => u is null))
            throw new SwanLabProtocolException($"The presign answer has {urls.Count} URL(s) for {files.Count} file(s).", "POST /api/" + UploadEndpoints.PresignedPut);
        await Parallel.ForEachAsync(Enumerable.Range(0, files.Count),
            new ParallelOptions { MaxDegreeOfParallelism = Options.ParallelFileUploads, CancellationToken = ct },
            async (i, token) =>
            {
                var uri = Connection.ResolveDownloadUrl(urls[i]!);
                var endpoint = SwanLabConnection.Describe(HttpMethod.Put, uri);
                using var response = await Connection.SendAsync(HttpMethod.Put, uri, files[i].Content!.Value.ToArray(), RequestAuth.None,
                    bufferBody: true, RequestRetry.Transient, files[i].ContentType, token).ConfigureAwait(false);
                await Connection.EnsureSuccessAsync(response, endpoint, $"Media file '{files[i].Path}' of run '{run.Path}'", token).ConfigureAwait(false);
            }).ConfigureAwait(false);
    }
}
