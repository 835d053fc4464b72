using System.Text.Json;
using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using SwanLab.Emulator.Data;
using SwanLab.Emulator.Http;

namespace SwanLab.Emulator.Endpoints;

/// <summary>Console log reads: <c>GET /api/house/metrics/log</c> pages and the <c>.log</c> export.</summary>
internal static class LogEndpoints
{
    public static void Map(IEndpointRouteBuilder app, Backend b)
    {
        app.MapGet("/api/house/metrics/log", b.Authed((ctx, _) => Logs(ctx, b)));
        app.MapPost("/api/house/metrics/log/export", b.Authed(async (ctx, _) => await LogExport(ctx, b, await Json.ReadBody(ctx) as JsonObject)));
    }

    private static readonly string[] LevelOrder = ["DEBUG", "INFO", "WARN", "ERROR"];

    /// <summary>
    /// Console lines selected by <c>level</c> (default INFO; exact level, that level and above, or every line, per
    /// <see cref="EmulatorFaults.LogLevels"/>), at most <c>size</c> of them from where <c>epoch</c> points (shard index,
    /// offset or after-epoch, per <see cref="EmulatorFaults.LogPaging"/>); <c>count</c> is the number of lines the
    /// level selects in total.
    /// </summary>
    private static Task Logs(HttpContext ctx, Backend b)
    {
        var id = Json.Query(ctx, "rootExpId") ?? Json.Query(ctx, "experimentId") ?? "";
        if (b.Dataset.FindRun(id) is not { } run)
        {
            return Json.NotFound(ctx, "experiment");
        }

        var level = (Json.Query(ctx, "level") ?? "INFO").ToUpperInvariant();
        var epoch = Math.Max(0, Json.QueryInt(ctx, "epoch", 0));
        var size = Math.Clamp(Json.QueryInt(ctx, "size", 1000), 1, 1000);
        var rank = Array.IndexOf(LevelOrder, level);
        var all = Numbered(run.Logs, b.Faults.LogEpochs);
        var lines = (b.Faults.LogLevels switch
        {
            LogLevelReading.AtOrAbove => all.Where(l => rank >= 0 && Array.IndexOf(LevelOrder, l.Level) >= rank),
            LogLevelReading.Ignored => all,
            _ => all.Where(l => l.Level == level),
        }).ToArray();
        var page = (b.Faults.LogPaging switch
        {
            LogPagingReading.Offset => lines.Skip(epoch),
            LogPagingReading.AfterEpoch => lines.Where(l => l.Epoch > epoch),
            _ => lines.Skip((int)Math.Min(int.MaxValue, (long)epoch * size)),
        }).Take(size).ToArray();
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

    /// <summary>The run's lines with their epochs as this server numbers them: as stored (one counter per run), or per level.</summary>
    internal static IReadOnlyList<LogLine> Numbered(LogStream logs, LogEpochReading epochs)
    {
        if (epochs == LogEpochReading.PerRun)
        {
            return logs.All().ToArray();
        }

        var next = new Dictionary<string, long>(StringComparer.Ordinal);
        return logs.All().Select(line =>
        {
            var epoch = next.GetValueOrDefault(line.Level) + 1;
            next[line.Level] = epoch;
            return line with { Epoch = epoch };
        }).ToArray();
    }

    private static Task LogExport(HttpContext ctx, Backend b, JsonObject? body)
    {
        if (MetricEndpoints.DataRun(b, body) is not { } run)
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
}
