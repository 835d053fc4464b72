using System.Text.Json;
using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using SwanLab.Emulator.Data;
using SwanLab.Emulator.Http;

namespace SwanLab.Emulator.Endpoints;

/// <summary>Server-side summaries (<c>POST /api/house/metrics/summaries</c>, both SDKs' body shapes).</summary>
internal static class SummaryEndpoints
{
    public static void Map(IEndpointRouteBuilder app, Backend b)
    {
        app.MapPost("/api/house/metrics/summaries", b.Authed(async (ctx, _) => await Summaries(ctx, b, await Json.ReadBody(ctx))));
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
                if (MetricEndpoints.DataRun(b, reference) is not { } run)
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
}
