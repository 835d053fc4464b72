using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using SwanLab.Emulator.Data;
using SwanLab.Emulator.Http;

namespace SwanLab.Emulator.Endpoints;

/// <summary>Run reads (shows with filters/groups/sorts, paginated list, detail) and deletes; writes are in <see cref="RunWriteEndpoints"/>.</summary>
internal static class RunEndpoints
{
    private const string RunsBase = "/api/project/{workspace}/{project}/runs";

    public static void Map(IEndpointRouteBuilder app, Backend b)
    {
        app.MapPost(RunsBase + "/shows", b.Authed(async (ctx, _) =>
        {
            if (b.Project(ctx) is not { } project)
            {
                await Json.NotFound(ctx, "project");
                return;
            }

            var body = ctx.Request.ContentLength == 0 ? null : await Json.ReadBody(ctx);
            await Shows(ctx, b, project, body as JsonObject);
        }));

        app.MapGet(RunsBase, b.Authed((ctx, _) =>
            b.Project(ctx) is { } project
                ? Json.Page(ctx, DefaultOrder(project.Runs).ToArray(), (w, r) => Writers.Run(w, r, b.Dataset, RunView.Summary))
                : Json.NotFound(ctx, "project")));

        app.MapGet(RunsBase + "/{id}", b.Authed((ctx, _) =>
        {
            if (b.Project(ctx) is not { } project)
            {
                return Json.NotFound(ctx, "project");
            }

            if (EmulatorDataset.FindRun(project, Json.Route(ctx, "id")) is not { } run)
            {
                return Json.NotFound(ctx, "experiment");
            }

            b.Stats.CountRunDetail(project.Path + "/" + run.Cuid);
            return Json.Write(ctx, w => Writers.Run(w, run, b.Dataset, RunView.Detail));
        }));

        app.MapDelete(RunsBase + "/{id}", b.Authed((ctx, _) =>
            b.Project(ctx) is { } project && EmulatorDataset.FindRun(project, Json.Route(ctx, "id")) is { } run && b.Dataset.RemoveRun(run)
                ? Json.Ok(ctx)
                : Json.NotFound(ctx, "experiment")));

        app.MapPost(RunsBase + "/del", b.Authed(async (ctx, _) =>
        {
            if (b.Project(ctx) is not { } project)
            {
                await Json.NotFound(ctx, "project");
                return;
            }

            var cuids = (await Json.ReadBody(ctx))?["cuids"] as JsonArray ?? [];
            foreach (var cuid in cuids.Select(Json.Str))
            {
                if (cuid is not null && EmulatorDataset.FindRun(project, cuid) is { } run)
                {
                    b.Dataset.RemoveRun(run);
                }
            }

            await Json.Ok(ctx);
        }));
    }

    /// <summary>The server's fallback order: pinned first, then newest.</summary>
    private static IEnumerable<EmulatorRun> DefaultOrder(IEnumerable<EmulatorRun> runs) =>
        runs.OrderByDescending(r => r.Pinned).ThenByDescending(r => r.CreatedAt).ThenBy(r => r.Cuid, StringComparer.Ordinal);

    private static Task Shows(HttpContext ctx, Backend b, EmulatorProject project, JsonObject? body)
    {
        var filters = (body?["filters"] as JsonArray ?? []).OfType<JsonObject>().Where(f => f["active"] is not JsonValue v || !v.TryGetValue<bool>(out var a) || a).ToArray();
        var groups = (body?["groups"] as JsonArray ?? []).OfType<JsonObject>().Where(f => f["active"] is not JsonValue v || !v.TryGetValue<bool>(out var a) || a)
            .Select(g => (Key: Json.Str(g["key"]) ?? "", Type: Json.Str(g["type"]) ?? "STABLE")).ToList();
        var sorts = (body?["sorts"] as JsonArray ?? []).OfType<JsonObject>().ToArray();
        if (groups.Count == 0)
        {
            groups = project.DefaultGroupKeys.Select(k => (Key: k, Type: "STABLE")).ToList();
        }

        foreach (var f in filters)
        {
            var op = (Json.Str(f["op"]) ?? "EQ").ToUpperInvariant();
            if (op is not ("EQ" or "NEQ" or "GTE" or "LTE" or "IN" or "NOT IN" or "CONTAIN"))
            {
                return Json.BadRequest(ctx, "unsupported filter op: " + op);
            }
        }

        var runs = project.Runs.Where(r => r.Pinned || filters.All(f => RunFilter.Matches(b.Dataset, r, f))).ToList();
        IEnumerable<EmulatorRun> ordered = DefaultOrder(runs);
        foreach (var sort in sorts.Reverse())
        {
            var key = Json.Str(sort["key"]) ?? "";
            var type = Json.Str(sort["type"]) ?? "STABLE";
            var desc = string.Equals(Json.Str(sort["order"]), "DESC", StringComparison.OrdinalIgnoreCase);
            var list = ordered.ToList();
            var comparer = Comparer<EmulatorRun>.Create((x, y) =>
                RunFilter.CompareValues(RunFilter.Scalar(RunFilter.Field(b.Dataset, x, key, type)), RunFilter.Scalar(RunFilter.Field(b.Dataset, y, key, type))));
            ordered = desc ? list.OrderByDescending(r => r, comparer) : list.OrderBy(r => r, comparer);
        }

        var result = ordered.ToList();
        return Json.Write(ctx, w => WriteGrouped(w, b, result, groups, 0));
    }

    private static void WriteGrouped(Utf8JsonWriter w, Backend b, List<EmulatorRun> runs, List<(string Key, string Type)> groups, int depth)
    {
        if (depth >= groups.Count)
        {
            w.WriteStartArray();
            foreach (var run in runs)
            {
                Writers.Run(w, run, b.Dataset, RunView.Shows);
            }

            w.WriteEndArray();
            return;
        }

        var (key, type) = groups[depth];
        w.WriteStartObject();
        foreach (var group in runs.GroupBy(r => RunFilter.GroupValue(b.Dataset, r, key, type)).OrderBy(g => g.Key, StringComparer.Ordinal))
        {
            w.WritePropertyName(group.Key);
            WriteGrouped(w, b, group.ToList(), groups, depth + 1);
        }

        w.WriteEndObject();
    }
}
