using System.Globalization;
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
