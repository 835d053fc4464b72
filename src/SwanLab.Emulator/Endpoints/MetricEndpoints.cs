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
/// Metric reads of both SDKs that are neither scalar series nor summaries/logs/media (0.7.8 column list; 0.9.7 House
/// keys and availability) and the resume summary. Scalar series reads and exports are in
/// <see cref="ScalarReadEndpoints"/>; summaries, logs and media reads in <see cref="SummaryEndpoints"/>,
/// <see cref="LogEndpoints"/> and <see cref="MediaEndpoints"/>; the uploads in <see cref="MetricUploadEndpoints"/>.
/// </summary>
internal static class MetricEndpoints
{
    public static void Map(IEndpointRouteBuilder app, Backend b)
    {
        app.MapGet("/api/experiment/{id}/column", b.Authed((ctx, _) => ColumnList(ctx, b)));
        app.MapPost("/api/house/metrics/{type}/keys", b.Authed(async (ctx, _) => await Keys(ctx, b, await Json.ReadBody(ctx) as JsonObject)));
        app.MapPost("/api/house/metrics/{type}/availability", b.Authed(async (ctx, _) => await Availability(ctx, b, await Json.ReadBody(ctx) as JsonObject)));
        app.MapGet("/api/house/metrics/summaries/{projectId}/{experimentId}", b.Authed((ctx, _) => ResumeSummary(ctx, b)));
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

    /// <summary>Resume summary: last step per key; <c>log</c> omitted (never null/[]) when there are no logs — 0.7.8 indexes [0].</summary>
    private static Task ResumeSummary(HttpContext ctx, Backend b)
    {
        if (b.Faults.ResumeSummary == ResumeSummaryReading.Absent)
        {
            ctx.Response.StatusCode = StatusCodes.Status404NotFound;
            Json.SetReason(ctx, "Not Found");
            ctx.Response.ContentType = "text/plain; charset=utf-8";
            return ctx.Response.WriteAsync("No route");
        }

        if (b.Dataset.FindRun(Json.Route(ctx, "experimentId")) is not { } run)
        {
            return Json.NotFound(ctx, "experiment");
        }

        var withMedia = b.Faults.ResumeSummary != ResumeSummaryReading.WithoutMedia;
        var logs = LogEndpoints.Numbered(run.Logs, b.Faults.LogEpochs);
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
            if (withMedia)
            {
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
            }

            if (logs.Count > 0)
            {
                w.WriteStartArray("log");
                w.WriteStartObject();
                w.WriteString("key", "log");
                w.WriteNumber("step", logs[^1].Epoch);
                w.WriteEndObject();
                w.WriteEndArray();
            }

            w.WriteEndObject();
        });
    }
}
