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
/// Metric reads of both SDKs (0.7.8 column CSV and column list; 0.9.7 House scalar/value/export/keys/summaries/log/media).
/// The uploads are in <see cref="MetricUploadEndpoints"/>.
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
        app.MapPost("/api/house/metrics/summaries", b.Authed(async (ctx, _) => await Summaries(ctx, b, await Json.ReadBody(ctx))));
        app.MapGet("/api/house/metrics/summaries/{projectId}/{experimentId}", b.Authed((ctx, _) => ResumeSummary(ctx, b)));
        app.MapGet("/api/house/metrics/log", b.Authed((ctx, _) => Logs(ctx, b)));
        app.MapPost("/api/house/metrics/log/export", b.Authed(async (ctx, _) => await LogExport(ctx, b, await Json.ReadBody(ctx) as JsonObject)));
        app.MapPost("/api/house/metrics/media", b.Authed(async (ctx, _) => await MediaStepRead(ctx, b, await Json.ReadBody(ctx) as JsonObject)));
        app.MapPost("/api/house/metrics/f_media", b.Authed(async (ctx, _) => await MediaAll(ctx, b, await Json.ReadBody(ctx) as JsonObject)));
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

    /// <summary>Both body shapes on one path: a JSON array (0.7.8 OpenApi) or {experiments, keys} (0.9.7).</summary>
    private static Task Summaries(HttpContext ctx, Backend b, JsonNode? body)
    {
        var legacy = body is JsonArray;
        var refs = (legacy ? (JsonArray)body! : body?["experiments"] as JsonArray ?? []).OfType<JsonObject>().ToArray();
        var wanted = legacy ? null : (body?["keys"] as JsonArray)?.Select(Json.Str).OfType<string>().ToHashSet(StringComparer.Ordinal);
        return Json.Write(ctx, w =>
        {
            w.WriteStartObject();
            foreach (var reference in refs)
            {
                var id = Json.Str(reference["experimentId"]) ?? "";
                w.WritePropertyName(id);
                if (DataRun(b, reference) is not { } run)
                {
                    w.WriteNullValue();
                    continue;
                }

                w.WriteStartObject();
                foreach (var series in run.Scalars.Select(s => s.Read()))
                {
                    if ((wanted is not null && !wanted.Contains(series.Key)) || series.Count == 0)
                    {
                        continue;
                    }

                    var stats = series.Stats();
                    w.WriteStartObject(series.Key);
                    w.WriteNumber("step", series.StepAt(series.Count - 1));
                    w.WritePropertyName("value");
                    Json.WriteMetricValue(w, series.ValueAt(series.Count - 1));
                    if (legacy)
                    {
                        w.WriteStartObject("min");
                        w.WriteNumber("index", stats.Min.Step);
                        w.WritePropertyName("data");
                        Json.WriteMetricValue(w, stats.Min.Value);
                        w.WriteEndObject();
                        w.WriteStartObject("max");
                        w.WriteNumber("index", stats.Max.Step);
                        w.WritePropertyName("data");
                        Json.WriteMetricValue(w, stats.Max.Value);
                        w.WriteEndObject();
                    }
                    else
                    {
                        w.WriteStartArray("minMax");
                        Json.WriteMetricValue(w, stats.Min.Value);
                        Json.WriteMetricValue(w, stats.Max.Value);
                        w.WriteEndArray();
                        w.WritePropertyName("min");
                        Json.WriteMetricValue(w, stats.Min.Value);
                        w.WritePropertyName("max");
                        Json.WriteMetricValue(w, stats.Max.Value);
                        w.WritePropertyName("avg");
                        Json.WriteMetricValue(w, stats.Avg.Value);
                        w.WritePropertyName("median");
                        Json.WriteMetricValue(w, stats.Median.Value);
                        w.WritePropertyName("stdDev");
                        Json.WriteMetricValue(w, stats.StdDev);
                    }

                    w.WriteEndObject();
                }

                w.WriteEndObject();
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

    /// <summary>
    /// Console lines of one level (exact match; default INFO) with epoch &gt; <c>epoch</c>, at most <c>size</c>;
    /// <c>count</c> is the number of lines of that level in total, so a client can page by the last epoch.
    /// </summary>
    private static Task Logs(HttpContext ctx, Backend b)
    {
        var id = Json.Query(ctx, "rootExpId") ?? Json.Query(ctx, "experimentId") ?? "";
        if (b.Dataset.FindRun(id) is not { } run)
        {
            return Json.NotFound(ctx, "experiment");
        }

        var level = (Json.Query(ctx, "level") ?? "INFO").ToUpperInvariant();
        var after = Json.QueryInt(ctx, "epoch", 0);
        var size = Math.Clamp(Json.QueryInt(ctx, "size", 1000), 1, 1000);
        var lines = run.Logs.All().Where(l => l.Level == level).ToArray();
        var page = lines.Where(l => l.Epoch > after).Take(size).ToArray();
        return Json.Write(ctx, w =>
        {
            w.WriteStartObject();
            w.WriteStartArray("logs");
            foreach (var line in page)
            {
                w.WriteStartObject();
                w.WriteNumber("epoch", line.Epoch);
                w.WriteString("level", line.Level);
                w.WriteString("message", line.Message);
                w.WriteString("tag", "");
                w.WriteString("timestamp", Json.Iso(line.Timestamp));
                w.WriteEndObject();
            }

            w.WriteEndArray();
            w.WriteNumber("count", lines.Length);
            w.WriteEndObject();
        });
    }

    private static Task LogExport(HttpContext ctx, Backend b, JsonObject? body)
    {
        if (DataRun(b, body) is not { } run)
        {
            return Json.NotFound(ctx, "experiment");
        }

        var start = (int)Math.Max(0, Json.Long(body?["start"]) ?? 0);
        var rows = (int)Math.Clamp(Json.Long(body?["rows"]) ?? 500_000, 1, 500_000);
        var cosKey = b.Store.PutExport("log", "log", $"log\n{run.Cuid}\n{start}\n{rows}", new LogFileObject(run.Logs, start, rows));
        return Json.Write(ctx, w =>
        {
            w.WriteStartObject();
            w.WriteString("cosKey", cosKey);
            w.WriteEndObject();
        });
    }

    private static void WriteMore(Utf8JsonWriter w, MediaStep step)
    {
        w.WriteStartArray("more");
        foreach (var item in step.Items)
        {
            if (item.Caption is null)
            {
                w.WriteNullValue();
            }
            else
            {
                w.WriteStartObject();
                w.WriteString("caption", item.Caption);
                w.WriteEndObject();
            }
        }

        w.WriteEndArray();
    }

    private static void WriteData(Utf8JsonWriter w, MediaStep step)
    {
        w.WriteStartArray("data");
        foreach (var item in step.Items)
        {
            w.WriteStringValue(item.Path);
        }

        w.WriteEndArray();
    }

    private static Task MediaStepRead(HttpContext ctx, Backend b, JsonObject? body)
    {
        var columns = Columns(body);
        var media = columns.Select(c => DataRun(b, c)?.FindMedia(Json.Str(c["key"]) ?? "")).ToArray();
        var steps = media.Where(m => m is not null).SelectMany(m => m!.Steps.Select(s => s.Step)).Distinct().Order().ToArray();
        var step = Json.Long(body?["step"]) ?? (steps.Length > 0 ? steps[0] : 0);
        return Json.Write(ctx, w =>
        {
            w.WriteStartObject();
            w.WriteStartArray("steps");
            foreach (var s in steps)
            {
                w.WriteNumberValue(s);
            }

            w.WriteEndArray();
            w.WriteNumber("step", step);
            w.WriteStartArray("metrics");
            for (var i = 0; i < columns.Length; i++)
            {
                var at = media[i]?.Steps.FirstOrDefault(s => s.Step == step);
                if (at is null)
                {
                    w.WriteNullValue();
                    continue;
                }

                w.WriteStartObject();
                w.WriteString("key", media[i]!.Key);
                WriteData(w, at);
                WriteMore(w, at);
                w.WriteEndObject();
            }

            w.WriteEndArray();
            w.WriteEndObject();
        });
    }

    private static Task MediaAll(HttpContext ctx, Backend b, JsonObject? body)
    {
        var columns = Columns(body);
        return Json.Write(ctx, w =>
        {
            w.WriteStartArray();
            foreach (var column in columns)
            {
                if (DataRun(b, column)?.FindMedia(Json.Str(column["key"]) ?? "") is not { } media)
                {
                    w.WriteNullValue();
                    continue;
                }

                w.WriteStartObject();
                w.WriteString("key", media.Key);
                w.WriteStartArray("metrics");
                foreach (var step in media.Steps)
                {
                    w.WriteStartObject();
                    w.WriteNumber("index", step.Step);
                    WriteData(w, step);
                    WriteMore(w, step);
                    w.WriteEndObject();
                }

                w.WriteEndArray();
                w.WriteEndObject();
            }

            w.WriteEndArray();
        });
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
