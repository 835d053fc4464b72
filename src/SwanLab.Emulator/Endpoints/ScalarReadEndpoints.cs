using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using SwanLab.Emulator.Data;
using SwanLab.Emulator.Http;
using static SwanLab.Emulator.Endpoints.MetricEndpoints;

namespace SwanLab.Emulator.Endpoints;

/// <summary>
/// Scalar series reads of both SDKs: the 0.7.8 column CSV, and the 0.9.7 House sampled read (<c>scalar</c>), value
/// statistics (<c>scalar/value</c>) and full-resolution export (<c>scalar/export</c>, a wide CSV for many keys).
/// </summary>
internal static class ScalarReadEndpoints
{
    private const int MaxSampledPoints = 1500;

    public static void Map(IEndpointRouteBuilder app, Backend b)
    {
        app.MapGet("/api/experiment/{id}/column/csv", b.Authed((ctx, _) => ColumnCsv(ctx, b)));
        app.MapPost("/api/house/metrics/scalar", b.Authed(async (ctx, _) => await Sampled(ctx, b, await Json.ReadBody(ctx) as JsonObject)));
        app.MapPost("/api/house/metrics/scalar/value", b.Authed(async (ctx, _) => await Values(ctx, b, await Json.ReadBody(ctx) as JsonObject)));
        app.MapPost("/api/house/metrics/scalar/export", b.Authed(async (ctx, _) => await Export(ctx, b, await Json.ReadBody(ctx) as JsonObject)));
    }

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

        b.Stats.CountMetricExport(run.Project.Path + "/" + run.Cuid);
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

        foreach (var cuid in columns.Select(c => Json.Str(c["experimentId"])).OfType<string>().Distinct(StringComparer.Ordinal))
        {
            if (b.Dataset.FindRun(cuid) is { } exported)
            {
                b.Stats.CountMetricExport(exported.Project.Path + "/" + exported.Cuid);
            }
        }

        var style = b.Options.ExportColumns;
        var csvColumns = columns.Select(c =>
        {
            var key = Json.Str(c["key"]) ?? "";
            var experiment = style == ExportColumnStyle.RunCuid
                ? Json.Str(c["experimentId"]) ?? ""
                : Json.Str(c["experimentName"]) ?? Json.Str(c["experimentId"]) ?? "";
            return new CsvColumn(style == ExportColumnStyle.BareSorted ? key : experiment + "-" + key, Series(b, c));
        }).ToArray();
        csvColumns = style switch
        {
            ExportColumnStyle.Reversed => [.. csvColumns.Reverse()],
            ExportColumnStyle.BareSorted => [.. csvColumns.OrderBy(c => c.Prefix, StringComparer.Ordinal)],
            _ => csvColumns,
        };
        var cosKey = b.Store.PutExport("csv", "csv", "export\n" + body!.ToJsonString(), new ScalarCsvObject(csvColumns));
        return Json.Write(ctx, w =>
        {
            w.WriteStartObject();
            w.WriteString("cosKey", cosKey);
            w.WriteEndObject();
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
