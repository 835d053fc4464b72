using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using SwanLab.Emulator.Data;
using SwanLab.Emulator.Http;

namespace SwanLab.Emulator.Endpoints;

/// <summary>
/// Scalar metric reads of both SDKs (0.7.8 column CSV and column list; 0.9.7 House scalar/value/export/keys), the resume
/// summary and the metric uploads an importer sends. Summaries, logs and media reads are in <see cref="SummaryEndpoints"/>,
/// <see cref="LogEndpoints"/> and <see cref="MediaEndpoints"/>.
/// </summary>
internal static class MetricEndpoints
{
    private const int MaxSampledPoints = 1500;

    public static void Map(IEndpointRouteBuilder app, Backend b)
    {
        app.MapGet("/api/experiment/{id}/column/csv", b.Authed((ctx, _) => ColumnCsv(ctx, b)));
        app.MapGet("/api/experiment/{id}/column", b.Authed((ctx, _) => ColumnList(ctx, b)));
        app.MapPost("/api/house/metrics/scalar", b.Authed(async (ctx, _) => await Sampled(ctx, b, await Json.ReadBody(ctx) as JsonObject)));
        app.MapPost("/api/house/metrics/scalar/value", b.Authed(async (ctx, _) => await Values(ctx, b, await Json.ReadBody(ctx) as JsonObject)));
        app.MapPost("/api/house/metrics/scalar/export", b.Authed(async (ctx, _) => await Export(ctx, b, await Json.ReadBody(ctx) as JsonObject)));
        app.MapPost("/api/house/metrics/{type}/keys", b.Authed(async (ctx, _) => await Keys(ctx, b, await Json.ReadBody(ctx) as JsonObject)));
        app.MapPost("/api/house/metrics/{type}/availability", b.Authed(async (ctx, _) => await Availability(ctx, b, await Json.ReadBody(ctx) as JsonObject)));
        app.MapGet("/api/house/metrics/summaries/{projectId}/{experimentId}", b.Authed((ctx, _) => ResumeSummary(ctx, b)));
        app.MapPost("/api/house/metrics", b.Authed(async (ctx, _) => await Upload(ctx, b, await Json.ReadBody(ctx) as JsonObject)));
        app.MapPost("/api/experiment/{id}/columns", b.Authed(async (ctx, _) =>
        {
            if (b.Dataset.FindRun(Json.Route(ctx, "id")) is not { } run)
            {
                await (b.Dataset.WasDeleted(Json.Route(ctx, "id")) ? Json.DisabledResource(ctx) : Json.NotFound(ctx, "experiment"));
                return;
            }

            await RecordColumns(run.Project, await Json.ReadBody(ctx) as JsonArray);
            await Json.Ok(ctx);
        }));
        app.MapPost("/api/projects/{workspace}/{project}/series", b.Authed(async (ctx, _) =>
        {
            if (b.Project(ctx) is not { } project)
            {
                await Json.NotFound(ctx, "project");
                return;
            }

            await RecordColumns(project, (await Json.ReadBody(ctx))?["series"] as JsonArray);
            await Json.Ok(ctx);
        }));
    }

    private static Task RecordColumns(EmulatorProject project, JsonArray? columns)
    {
        lock (project.SeriesColumns)
        {
            foreach (var column in (columns ?? []).OfType<JsonObject>())
            {
                project.SeriesColumns.Add((JsonObject)column.DeepClone());
            }
        }

        return Task.CompletedTask;
    }

    /// <summary>The run whose data a column ref reads: rootExpId when sent, else experimentId as is.</summary>
    private static EmulatorRun? DataRun(Backend b, JsonNode? reference) =>
        b.Dataset.FindRun(Json.Str(reference?["rootExpId"]) is { Length: > 0 } root ? root : Json.Str(reference?["experimentId"]) ?? "");

    private static ScalarSeries? Series(Backend b, JsonNode? column) =>
        DataRun(b, column)?.FindScalar(Json.Str(column?["key"]) ?? "")?.Read();

    private static JsonObject[] Columns(JsonObject? body) => (body?["columns"] as JsonArray ?? []).OfType<JsonObject>().ToArray();

    private static Task ColumnCsv(HttpContext ctx, Backend b)
    {
        if (b.Dataset.FindRun(Json.Route(ctx, "id")) is not { } run)
        {
            return Json.NotFound(ctx, "experiment");
        }

        var key = Json.Query(ctx, "key") ?? "";
        if (b.Dataset.DataOwner(run).FindScalar(key) is not { } series)
        {
            return Json.NotFound(ctx, "column");
        }

        var cosKey = b.Store.PutExport("csv", "csv", "column\n" + run.Cuid + "\n" + key,
            new ScalarCsvObject([new CsvColumn(run.Name + "-" + key, series)]));
        var url = b.Store.Presign(cosKey, "GET");
        return Json.Write(ctx, w =>
        {
            w.WriteStartObject();
            w.WriteString("url", url);
            w.WriteEndObject();
        });
    }

    private sealed record ColumnInfo(string Key, string Class, string Type, long CreatedAt);

    private static Task ColumnList(HttpContext ctx, Backend b)
    {
        if (b.Dataset.FindRun(Json.Route(ctx, "id")) is not { } run)
        {
            return Json.NotFound(ctx, "experiment");
        }

        var owner = b.Dataset.DataOwner(run);
        var created = owner.CreatedAt.ToUnixTimeMilliseconds();
        IEnumerable<ColumnInfo> columns = owner.Scalars
            .Select(s => new ColumnInfo(s.Key, s.Key.StartsWith("__swanlab__", StringComparison.Ordinal) ? "SYSTEM" : "CUSTOM", "FLOAT", created))
            .Concat(owner.Media.Select(m => new ColumnInfo(m.Key, "CUSTOM", MediaType(m), created)))
            .Reverse();
        if (Json.Query(ctx, "search") is { } search)
        {
            columns = columns.Where(c => c.Key.Contains(search, StringComparison.OrdinalIgnoreCase));
        }

        if (Json.Query(ctx, "class") is { } cls)
        {
            columns = columns.Where(c => c.Class == cls);
        }

        if (Json.Query(ctx, "type") is { } type)
        {
            columns = columns.Where(c => c.Type == type);
        }

        return Json.Page(ctx, columns.ToArray(), (w, c) =>
        {
            w.WriteStartObject();
            w.WriteString("key", c.Key);
            w.WriteString("name", c.Key);
            w.WriteString("class", c.Class);
            w.WriteString("type", c.Type);
            w.WriteNumber("createdAt", c.CreatedAt);
            w.WriteEndObject();
        }, defaultSize: 10, everything: Json.QueryBool(ctx, "all", false));
    }

    private static string MediaType(MediaSeries media)
    {
        var first = media.Steps.FirstOrDefault()?.Items.FirstOrDefault()?.Path ?? "";
        return first.StartsWith("media/text/", StringComparison.Ordinal) ? "TEXT" : "IMAGE";
    }

    private static (int Lo, int Hi) Range(ScalarSeries s, bool byTimestamp, JsonObject? body)
    {
        var range = body?["range"] as JsonArray;
        var from = Json.Long(range?.ElementAtOrDefault(0)) ?? 0;
        var to = Json.Long(range?.ElementAtOrDefault(1)) ?? 0;
        if (from == 0 && to == 0)
        {
            return (0, s.Count);
        }

        // Steps and timestamps both increase with the index, so one binary search per end suffices.
        int Bound(long x)
        {
            int lo = 0, hi = s.Count;
            while (lo < hi)
            {
                var mid = (lo + hi) >>> 1;
                if ((byTimestamp ? s.TimestampAt(mid) : s.StepAt(mid)) < x)
                {
                    lo = mid + 1;
                }
                else
                {
                    hi = mid;
                }
            }

            return lo;
        }

        return (Bound(from), to <= 0 ? s.Count : Bound(to + 1));
    }

    private static Task Sampled(HttpContext ctx, Backend b, JsonObject? body)
    {
        var byTimestamp = Json.Str(body?["xType"]) == "timestamp";
        var num = (int)Math.Clamp(Json.Long(body?["num"]) ?? MaxSampledPoints, 1, MaxSampledPoints);
        var columns = Columns(body);
        return Json.Write(ctx, w =>
        {
            w.WriteStartArray();
            foreach (var column in columns)
            {
                var series = Series(b, column);
                w.WriteStartObject();
                w.WriteString("key", Json.Str(column["key"]) ?? "");
                w.WriteString("experimentId", Json.Str(column["experimentId"]) ?? "");
                w.WriteStartArray("metrics");
                if (series is not null)
                {
                    var (lo, hi) = Range(series, byTimestamp, body);
                    foreach (var i in Lttb.Select(series, lo, hi, num, byTimestamp))
                    {
                        w.WriteStartObject();
                        w.WriteNumber("index", byTimestamp ? series.TimestampAt(i) : series.StepAt(i));
                        w.WritePropertyName("data");
                        Json.WriteMetricValue(w, series.ValueAt(i));
                        w.WriteNumber("timestamp", series.TimestampAt(i));
                        w.WriteEndObject();
                    }
                }

                w.WriteEndArray();
                w.WriteEndObject();
            }

            w.WriteEndArray();
        });
    }

    private static Task Values(HttpContext ctx, Backend b, JsonObject? body)
    {
        var byTimestamp = Json.Str(body?["xType"]) == "timestamp";
        var columns = Columns(body);
        return Json.Write(ctx, w =>
        {
            w.WriteStartArray();
            foreach (var column in columns)
            {
                if (Series(b, column) is not { } series || series.Stats() is not { FiniteCount: > 0 } stats)
                {
                    continue;
                }

                w.WriteStartObject();
                w.WriteString("key", Json.Str(column["key"]) ?? "");
                w.WriteString("experimentId", Json.Str(column["experimentId"]) ?? "");
                void Stat(string name, StatPoint p)
                {
                    w.WriteStartObject(name);
                    w.WriteNumber("index", byTimestamp ? p.Timestamp : p.Step);
                    w.WritePropertyName("data");
                    Json.WriteMetricValue(w, p.Value);
                    w.WriteEndObject();
                }

                Stat("min", stats.Min);
                Stat("max", stats.Max);
                Stat("avg", stats.Avg);
                Stat("median", stats.Median);
                Stat("latest", stats.Latest);
                w.WriteEndObject();
            }

            w.WriteEndArray();
        });
    }

    private static Task Export(HttpContext ctx, Backend b, JsonObject? body)
    {
        var columns = Columns(body);
        if (columns.Length == 0)
        {
            return Json.BadRequest(ctx, "columns required");
        }

        var csvColumns = columns.Select(c =>
            new CsvColumn((Json.Str(c["experimentName"]) ?? Json.Str(c["experimentId"]) ?? "") + "-" + (Json.Str(c["key"]) ?? ""), Series(b, c)))
            .ToArray();
        var cosKey = b.Store.PutExport("csv", "csv", "export\n" + body!.ToJsonString(), new ScalarCsvObject(csvColumns));
        return Json.Write(ctx, w =>
        {
            w.WriteStartObject();
            w.WriteString("cosKey", cosKey);
            w.WriteEndObject();
        });
    }

    private static IEnumerable<string> KeysOf(EmulatorRun run, string type) =>
        type == "media" ? run.Media.Select(m => m.Key) : run.Scalars.Select(s => s.Key);

    private static Task Keys(HttpContext ctx, Backend b, JsonObject? body)
    {
        var type = Json.Route(ctx, "type").ToLowerInvariant();
        if (type is not ("scalar" or "media"))
        {
            return Json.NotFound(ctx, "metric type");
        }

        var keys = new List<string>();
        var seen = new HashSet<string>(StringComparer.Ordinal);
        foreach (var reference in (body?["experiments"] as JsonArray ?? []).OfType<JsonObject>())
        {
            if (b.Dataset.FindRun(Json.Str(reference["experimentId"]) ?? "") is { } run)
            {
                keys.AddRange(KeysOf(run, type).Where(seen.Add));
            }
        }

        var limit = (int)Math.Clamp(Json.Long(body?["limit"]) ?? 2000, 1, 2000);
        var offset = int.TryParse(Json.Str(body?["cursor"]), NumberStyles.Integer, CultureInfo.InvariantCulture, out var o) ? Math.Max(0, o) : 0;
        var page = keys.Skip(offset).Take(limit).ToArray();
        var hasMore = offset + page.Length < keys.Count;
        return Json.Write(ctx, w =>
        {
            w.WriteStartObject();
            w.WriteStartArray("keys");
            foreach (var key in page)
            {
                w.WriteStringValue(key);
            }

            w.WriteEndArray();
            w.WriteBoolean("hasMore", hasMore);
            w.WriteString("nextCursor", hasMore ? (offset + page.Length).ToString(CultureInfo.InvariantCulture) : "");
            w.WriteEndObject();
        });
    }

    private static Task Availability(HttpContext ctx, Backend b, JsonObject? body)
    {
        var type = Json.Route(ctx, "type").ToLowerInvariant();
        var keys = (body?["keys"] as JsonArray ?? []).Select(Json.Str).OfType<string>().ToArray();
        var refs = (body?["experiments"] as JsonArray ?? []).OfType<JsonObject>().ToArray();
        return Json.Write(ctx, w =>
        {
            w.WriteStartObject();
            foreach (var key in keys)
            {
                w.WriteStartArray(key);
                foreach (var reference in refs)
                {
                    var id = Json.Str(reference["experimentId"]) ?? "";
                    if (b.Dataset.FindRun(id) is { } run && KeysOf(run, type).Contains(key))
                    {
                        w.WriteStringValue(id);
                    }
                }

                w.WriteEndArray();
            }

            w.WriteEndObject();
        });
    }

    /// <summary>Resume summary: last step per key; <c>log</c> omitted (never null/[]) when there are no logs — 0.7.8 indexes [0].</summary>
    private static Task ResumeSummary(HttpContext ctx, Backend b)
    {
        if (b.Dataset.FindRun(Json.Route(ctx, "experimentId")) is not { } run)
        {
            return Json.NotFound(ctx, "experiment");
        }

        return Json.Write(ctx, w =>
        {
            w.WriteStartObject();
            w.WriteStartArray("scalar");
            foreach (var s in run.Scalars.Select(s => s.Read()).Where(s => s.Count > 0))
            {
                w.WriteStartObject();
                w.WriteString("key", s.Key);
                w.WriteNumber("step", s.StepAt(s.Count - 1));
                w.WriteEndObject();
            }

            w.WriteEndArray();
            w.WriteStartArray("media");
            foreach (var m in run.Media)
            {
                if (m.Steps.Count > 0)
                {
                    w.WriteStartObject();
                    w.WriteString("key", m.Key);
                    w.WriteNumber("step", m.Steps[^1].Step);
                    w.WriteEndObject();
                }
            }

            w.WriteEndArray();
            if (run.Logs.Count > 0)
            {
                w.WriteStartArray("log");
                w.WriteStartObject();
                w.WriteString("key", "log");
                w.WriteNumber("step", run.Logs.At(run.Logs.Count - 1).Epoch);
                w.WriteEndObject();
                w.WriteEndArray();
            }

            w.WriteEndObject();
        });
    }

    private static long TimestampMs(JsonNode? node, Backend b) =>
        Json.Str(node) is { } text && DateTimeOffset.TryParse(text, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal, out var t)
            ? t.ToUnixTimeMilliseconds()
            : b.Options.Clock.GetUtcNow().ToUnixTimeMilliseconds();

    private static Task Upload(HttpContext ctx, Backend b, JsonObject? body)
    {
        if (body is null)
        {
            return Json.BadRequest(ctx, "body required");
        }

        if (b.Dataset.FindRun(Json.Str(body["experimentId"]) ?? "") is not { } run)
        {
            return b.Dataset.WasDeleted(Json.Str(body["experimentId"]) ?? "") ? Json.DisabledResource(ctx) : Json.NotFound(ctx, "experiment");
        }

        var items = (body["metrics"] as JsonArray ?? []).OfType<JsonObject>().ToArray();
        switch (Json.Str(body["type"]))
        {
            case "scalar":
                foreach (var item in items)
                {
                    var key = Json.Str(item["key"]);
                    var step = Json.Long(item["index"]);
                    var value = Json.ParseMetricValue(item["data"]);
                    if (key is null || step is null || value is null)
                    {
                        return Json.BadRequest(ctx, "scalar items need key, index and data");
                    }

                    if (run.GetOrAddStoredScalar(key) is not { } series)
                    {
                        return Json.BadRequest(ctx, "generated series are read-only: " + key);
                    }

                    series.Put(step.Value, value.Value, TimestampMs(item["create_time"], b));
                }

                break;
            case "media":
                foreach (var item in items)
                {
                    var key = Json.Str(item["key"]);
                    var step = Json.Long(item["index"]);
                    if (key is null || step is null)
                    {
                        return Json.BadRequest(ctx, "media items need key and index");
                    }

                    var paths = (item["data"] as JsonArray ?? []).Select(Json.Str).OfType<string>().ToArray();
                    var more = item["more"] as JsonArray ?? [];
                    var media = paths.Select((p, i) => new MediaItem(p, Json.Str(more.ElementAtOrDefault(i)?["caption"]))).ToArray();
                    run.GetOrAddMedia(key).Put(new MediaStep(step.Value, media));
                }

                break;
            case "log":
                if (run.Logs is not StoredLogStream logs)
                {
                    if (run.Logs.Count > 0)
                    {
                        return Json.BadRequest(ctx, "generated logs are read-only");
                    }

                    logs = new StoredLogStream();
                    run.Logs = logs;
                }

                foreach (var item in items)
                {
                    var epoch = Json.Long(item["epoch"]) ?? (logs.Count + 1);
                    var ts = DateTimeOffset.FromUnixTimeMilliseconds(TimestampMs(item["create_time"], b));
                    logs.Put(new LogLine(epoch, Json.Str(item["level"]) ?? "INFO", Json.Str(item["message"]) ?? "", ts));
                }

                break;
            default:
                return Json.BadRequest(ctx, "type must be scalar, media or log");
        }

        // 0.7.8 sends its flagId: a superseded one means another process took the run over (stored anyway, answered 202).
        var superseded = Json.Str(body["flagId"]) is { } flag && flag != run.FlagId;
        return Json.Write(ctx, w =>
        {
            w.WriteStartObject();
            w.WriteEndObject();
        }, superseded ? 202 : 200);
    }
}

/// <summary>Largest-Triangle-Three-Buckets downsampling over positions [lo, hi) of a series.</summary>
internal static class Lttb
{
    public static IEnumerable<int> Select(ScalarSeries s, int lo, int hi, int threshold, bool byTimestamp)
    {
        var n = hi - lo;
        if (n <= 0)
        {
            yield break;
        }

        if (n <= threshold || threshold < 3)
        {
            for (var i = lo; i < (n <= threshold ? hi : lo + Math.Min(n, threshold)); i++)
            {
                yield return i;
            }

            yield break;
        }

        double X(int i) => byTimestamp ? s.TimestampAt(i) : s.StepAt(i);
        double Y(int i)
        {
            var v = s.ValueAt(i);
            return double.IsFinite(v) ? v : 0;
        }

        var every = (double)(n - 2) / (threshold - 2);
        var a = lo;
        yield return a;
        for (var bucket = 0; bucket < threshold - 2; bucket++)
        {
            var nextStart = lo + (int)Math.Floor((bucket + 1) * every) + 1;
            var nextEnd = Math.Min(lo + (int)Math.Floor((bucket + 2) * every) + 1, hi);
            double avgX = 0, avgY = 0;
            var count = Math.Max(1, nextEnd - nextStart);
            for (var i = nextStart; i < nextEnd; i++)
            {
                avgX += X(i);
                avgY += Y(i);
            }

            avgX /= count;
            avgY /= count;
            var start = lo + (int)Math.Floor(bucket * every) + 1;
            var end = lo + (int)Math.Floor((bucket + 1) * every) + 1;
            double ax = X(a), ay = Y(a), best = -1;
            var chosen = start;
            for (var i = start; i < end; i++)
            {
                var area = Math.Abs(((ax - avgX) * (Y(i) - ay)) - ((ax - X(i)) * (avgY - ay)));
                if (area > best)
                {
                    best = area;
                    chosen = i;
                }
            }

            a = chosen;
            yield return a;
        }

        yield return hi - 1;
    }
}
