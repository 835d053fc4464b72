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
/// The metric uploads a run or an importer sends: <c>POST /house/metrics</c> (scalar, media and log items) and the
/// column registrations of both SDKs (<c>/experiment/{cuid}/columns</c>, <c>/projects/{ws}/{p}/series</c>).
/// </summary>
internal static class MetricUploadEndpoints
{
    public static void Map(IEndpointRouteBuilder app, Backend b)
    {
        app.MapPost("/api/house/metrics", b.Authed((ctx, _) => Upload(ctx, b)));
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

    private static long TimestampMs(JsonElement item, Backend b) =>
        item.TryGetProperty("create_time", out var time) && time.ValueKind == JsonValueKind.String &&
        (time.TryGetDateTimeOffset(out var t) ||
         DateTimeOffset.TryParse(time.GetString(), CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal, out t))
            ? t.ToUnixTimeMilliseconds()
            : b.Options.Clock.GetUtcNow().ToUnixTimeMilliseconds();

    private static string? Str(JsonElement item, string name) =>
        item.ValueKind == JsonValueKind.Object && item.TryGetProperty(name, out var value) && value.ValueKind == JsonValueKind.String ? value.GetString() : null;

    private static long? Long(JsonElement item, string name)
    {
        if (item.ValueKind != JsonValueKind.Object || !item.TryGetProperty(name, out var value))
        {
            return null;
        }

        return value.ValueKind switch
        {
            JsonValueKind.Number when value.TryGetInt64(out var l) => l,
            JsonValueKind.Number => (long)value.GetDouble(),
            JsonValueKind.String when long.TryParse(value.GetString(), NumberStyles.Integer, CultureInfo.InvariantCulture, out var p) => p,
            _ => null,
        };
    }

    /// <summary>A metric value as either SDK sends it: a number, or "NaN"/"nan"/"INF"/"-INF"/"inf" (and numeric strings).</summary>
    private static double? Value(JsonElement item)
    {
        if (!item.TryGetProperty("data", out var data))
        {
            return null;
        }

        if (data.ValueKind == JsonValueKind.Number)
        {
            return data.GetDouble();
        }

        return data.ValueKind == JsonValueKind.String ? Json.ParseMetricValue(JsonValue.Create(data.GetString())) : null;
    }

    private static async Task Upload(HttpContext ctx, Backend b)
    {
        JsonDocument document;
        try
        {
            document = await JsonDocument.ParseAsync(ctx.Request.Body, cancellationToken: ctx.RequestAborted);
        }
        catch (JsonException)
        {
            await Json.BadRequest(ctx, "body required");
            return;
        }

        using (document)
        {
            await Upload(ctx, b, document.RootElement);
        }
    }

    private static Task Upload(HttpContext ctx, Backend b, JsonElement body)
    {
        if (body.ValueKind != JsonValueKind.Object)
        {
            return Json.BadRequest(ctx, "body required");
        }

        var experimentId = Str(body, "experimentId") ?? "";
        if (b.Dataset.FindRun(experimentId) is not { } run)
        {
            return b.Dataset.WasDeleted(experimentId) ? Json.DisabledResource(ctx) : Json.NotFound(ctx, "experiment");
        }

        // Every item is checked before any is stored: a refused request stores nothing, so a client may send it again.
        var items = body.TryGetProperty("metrics", out var metrics) && metrics.ValueKind == JsonValueKind.Array
            ? metrics.EnumerateArray().Where(i => i.ValueKind == JsonValueKind.Object).ToArray()
            : [];
        var writes = b.Stats.Writes;
        switch (Str(body, "type"))
        {
            case "scalar":
                var points = new List<(StoredScalarSeries Series, long Step, double Value, long Timestamp)>(items.Length);
                var seriesByKey = new Dictionary<string, StoredScalarSeries?>(StringComparer.Ordinal);
                foreach (var item in items)
                {
                    var key = Str(item, "key");
                    var step = Long(item, "index");
                    var value = Value(item);
                    if (key is null || step is null || value is null)
                    {
                        return Json.BadRequest(ctx, "scalar items need key, index and data");
                    }

                    if (!seriesByKey.TryGetValue(key, out var series))
                    {
                        seriesByKey[key] = series = run.GetOrAddStoredScalar(key);
                    }

                    if (series is null)
                    {
                        return Json.BadRequest(ctx, "generated series are read-only: " + key);
                    }

                    points.Add((series, step.Value, value.Value, TimestampMs(item, b)));
                }

                foreach (var (series, step, value, timestamp) in points)
                {
                    writes.CountPoint(series.Put(step, value, timestamp));
                }

                break;
            case "media":
                var steps = new List<(string Key, MediaStep Step)>(items.Length);
                foreach (var item in items)
                {
                    var key = Str(item, "key");
                    var step = Long(item, "index");
                    if (key is null || step is null)
                    {
                        return Json.BadRequest(ctx, "media items need key and index");
                    }

                    // more[i] belongs to data[i] (0.7.8 keeps nulls to stay aligned; 0.9.7's captioned-only list is stored as read).
                    var paths = item.TryGetProperty("data", out var data) && data.ValueKind == JsonValueKind.Array
                        ? data.EnumerateArray().Where(p => p.ValueKind == JsonValueKind.String).Select(p => p.GetString()!).ToArray()
                        : [];
                    var more = item.TryGetProperty("more", out var m) && m.ValueKind == JsonValueKind.Array ? m.EnumerateArray().ToArray() : [];
                    var media = paths.Select((p, i) => new MediaItem(p, i < more.Length ? Str(more[i], "caption") : null)).ToArray();
                    steps.Add((key, new MediaStep(step.Value, media)));
                }

                foreach (var (key, step) in steps)
                {
                    writes.CountMediaStep(run.GetOrAddMedia(key).Put(step));
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

                var next = logs.Count + 1L;
                var lines = new List<LogLine>(items.Length);
                foreach (var item in items)
                {
                    var epoch = Long(item, "epoch") ?? next;
                    next = epoch + 1;
                    var ts = DateTimeOffset.FromUnixTimeMilliseconds(TimestampMs(item, b));
                    lines.Add(new LogLine(epoch, Str(item, "level") ?? "INFO", Str(item, "message") ?? "", ts));
                }

                foreach (var line in lines)
                {
                    writes.CountLogLine(logs.Put(line));
                }

                break;
            default:
                return Json.BadRequest(ctx, "type must be scalar, media or log");
        }

        writes.CountMetricRequest();

        // 0.7.8 sends its flagId: a superseded one means another process took the run over (stored anyway, answered 202).
        var superseded = Str(body, "flagId") is { } flag && flag != run.FlagId;
        return Json.Write(ctx, w =>
        {
            w.WriteStartObject();
            w.WriteEndObject();
        }, superseded ? 202 : 200);
    }
}
