using System.Text.Json;
using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using SwanLab.Emulator.Data;
using SwanLab.Emulator.Http;

namespace SwanLab.Emulator.Endpoints;

/// <summary>Media reads: one step (<c>POST /api/house/metrics/media</c>) and every step (<c>POST /api/house/metrics/f_media</c>).</summary>
internal static class MediaEndpoints
{
    public static void Map(IEndpointRouteBuilder app, Backend b)
    {
        app.MapPost("/api/house/metrics/media", b.Authed(async (ctx, _) => await MediaStepRead(ctx, b, await Json.ReadBody(ctx) as JsonObject)));
        app.MapPost("/api/house/metrics/f_media", b.Authed(async (ctx, _) => await MediaAll(ctx, b, await Json.ReadBody(ctx) as JsonObject)));
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
        var columns = MetricEndpoints.Columns(body);
        var media = columns.Select(c => MetricEndpoints.DataRun(b, c)?.FindMedia(Json.Str(c["key"]) ?? "")).ToArray();
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
        var columns = MetricEndpoints.Columns(body);
        return Json.Write(ctx, w =>
        {
            w.WriteStartArray();
            foreach (var column in columns)
            {
                if (MetricEndpoints.DataRun(b, column)?.FindMedia(Json.Str(column["key"]) ?? "") is not { } media)
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
