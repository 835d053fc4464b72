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
/// Metric reads of both SDKs (0.7.8 column list; 0.9.7 House keys/summaries/log/media) and the metric uploads an
/// importer sends. Scalar series reads and exports are in <see cref="ScalarReadEndpoints"/>.
/// </summary>
internal static class MetricEndpoints
{
    public static void Map(IEndpointRouteBuilder app, Backend b)
    {
        app.MapGet("/api/experiment/{id}/column", b.Authed((ctx, _) => ColumnList(ctx, b)));
        app.MapPost("/api/house/metrics/{type}/keys", b.Authed(async (ctx, _) => await Keys(ctx, b, await Json.ReadBody(ctx) as JsonObject)));
        app.MapPost("/api/house/metrics/{type}/availability", b.Authed(async (ctx, _) => await Availability(ctx, b, await Json.ReadBody(ctx) as JsonObject)));
        app.MapPost("/api/house/metrics/summaries", b.Authed(async (ctx, _) => await Summaries(ctx, b, await Json.ReadBody(ctx))));
        app.MapGet("/api/house/metrics/summaries/{projectId}/{experimentId}", b.Authed((ctx, _) => ResumeSummary(ctx, b)));
        app.MapGet("/api/house/metrics/log", b.Authed((ctx, _) => Logs(ctx, b)));
        app.MapPost("/api/house/metrics/log/export", b.Authed(async (ctx, _) => await LogExport(ctx, b, await Json.ReadBody(ctx) as JsonObject)));
        app.MapPost("/api/house/metrics/media", b.Authed(async (ctx, _) => await MediaStepRead(ctx, b, await Json.ReadBody(ctx) as JsonObject)));
        app.MapPost("/api/house/metrics/f_media", b.Authed(async (ctx, _) => await MediaAll(ctx, b, await Json.ReadBody(ctx) as JsonObject)));
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
    internal static EmulatorRun? DataRun(Backend b, JsonNode? reference) =>
        b.Dataset.FindRun(Json.Str(reference?["rootExpId"]) is { Length: > 0 } root ? root : Json.Str(reference?["experimentId"]) ?? "");

    internal static ScalarSeries? Series(Backend b, JsonNode? column) =>
        DataRun(b, column)?.FindScalar(Json.Str(column?["key"]) ?? "")?.Read();

    internal static JsonObject[] Columns(JsonObject? body) => (body?["columns"] as JsonArray ?? []).OfType<JsonObject>().ToArray();

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
