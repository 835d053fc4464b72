using System.Globalization;
using System.Text;
using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using SwanLab.Emulator.Http;

namespace SwanLab.Emulator.Endpoints;

/// <summary>Presigning endpoints and the object store itself (GET/PUT on presigned URLs, no cookie needed).</summary>
internal static class FileEndpoints
{
    public static void Map(IEndpointRouteBuilder app, Backend b)
    {
        // 0.9.7 export/log files: full object keys.
        app.MapPost("/api/files/presigned/get", b.Authed(async (ctx, _) =>
        {
            var paths = Paths(await Json.ReadBody(ctx));
            await Urls(ctx, paths.Select(p => b.Store.Presign(p, "GET")));
        }));

        // Media downloads: keys are {prefix}/{path}.
        app.MapPost("/api/resources/presigned/get", b.Authed(async (ctx, _) =>
        {
            var body = await Json.ReadBody(ctx);
            var prefix = (Json.Str(body?["prefix"]) ?? "").Trim('/');
            await Urls(ctx, Paths(body).Select(p => b.Store.Presign(prefix.Length == 0 ? p : prefix + "/" + p, "GET")));
        }));

        // Media uploads: stored where /resources/presigned/get with prefix {projectId}/{runCuid} finds them.
        app.MapPost("/api/resources/presigned/put", b.Authed(async (ctx, _) =>
        {
            var body = await Json.ReadBody(ctx);
            if (b.Dataset.FindRun(Json.Str(body?["experimentId"]) ?? "") is not { } run)
            {
                await Json.NotFound(ctx, "experiment");
                return;
            }

            await Urls(ctx, Paths(body).Select(p => b.Store.Presign($"{run.Project.Cuid}/{run.Cuid}/{p}", "PUT")));
        }));

        MapFileSaves(app, b);
        app.MapGet("/" + ObjectStore.Bucket + "/{**key}", (RequestDelegate)(ctx => Download(ctx, b)));
        app.MapPut("/" + ObjectStore.Bucket + "/{**key}", (RequestDelegate)(async ctx =>
        {
            if (ObjectStore.KeyFromTarget(ctx) is not { } key || !await b.Store.Verify(ctx, key))
            {
                return;
            }

            using var buffer = new MemoryStream();
            await ctx.Request.Body.CopyToAsync(buffer, ctx.RequestAborted);
            var contentType = ctx.Request.ContentType ?? "application/octet-stream";
            b.Store.Put(key, new BytesObject(buffer.ToArray(), contentType));
            if (key.Split('/', 4) is [_, _, var area, ..] && area != "files")
            {
                b.Stats.Writes.CountMediaFile();
            }

            ctx.Response.Headers.ETag = "\"" + Convert.ToHexStringLower(System.Security.Cryptography.MD5.HashData(buffer.ToArray())) + "\"";
            ctx.Response.StatusCode = 200;
        }));
    }

    /// <summary>0.9.7 <c>swanlab.save</c>: prepare (presigned PUTs), complete, and the multipart variant for big files.</summary>
    private static void MapFileSaves(IEndpointRouteBuilder app, Backend b)
    {
        static string FileKey(Data.EmulatorRun run, string path) => $"{run.Project.Cuid}/{run.Cuid}/files/{path}";

        JsonObject[] Files(JsonNode? body) => (body?["files"] as JsonArray ?? []).OfType<JsonObject>().ToArray();

        app.MapPost("/api/experiment/{id}/files/prepare", b.Authed(async (ctx, _) =>
        {
            if (b.Dataset.FindRun(Json.Route(ctx, "id")) is not { } run)
            {
                await Json.NotFound(ctx, "experiment");
                return;
            }

            var files = Files(await Json.ReadBody(ctx));
            lock (run.FileStates)
            {
                foreach (var file in files)
                {
                    run.FileStates[Json.Str(file["path"]) ?? ""] = "PENDING";
                }
            }

            await Urls(ctx, files.Select(f => b.Store.Presign(FileKey(run, Json.Str(f["path"]) ?? ""), "PUT")));
        }));

        app.MapPost("/api/experiment/{id}/files/complete", b.Authed(async (ctx, _) =>
        {
            if (b.Dataset.FindRun(Json.Route(ctx, "id")) is not { } run)
            {
                await Json.NotFound(ctx, "experiment");
                return;
            }

            var files = Files(await Json.ReadBody(ctx));
            var unknown = false;
            lock (run.FileStates)
            {
                unknown = files.Any(f => !run.FileStates.ContainsKey(Json.Str(f["path"]) ?? ""));
                if (!unknown)
                {
                    foreach (var file in files)
                    {
                        run.FileStates[Json.Str(file["path"])!] = Json.Str(file["state"]) ?? "UPLOADED";
                    }
                }
            }

            await (unknown ? Json.NotFound(ctx, "file") : Json.Ok(ctx, 201));
        }));

        app.MapPost("/api/experiment/{id}/files/prepare-multipart", b.Authed(async (ctx, _) =>
        {
            if (b.Dataset.FindRun(Json.Route(ctx, "id")) is not { } run)
            {
                await Json.NotFound(ctx, "experiment");
                return;
            }

            var files = Files(await Json.ReadBody(ctx));
            await Json.Write(ctx, w =>
            {
                w.WriteStartObject();
                w.WriteStartArray("files");
                foreach (var file in files)
                {
                    var path = Json.Str(file["path"]) ?? "";
                    var uploadId = Ids.NewCuid();
                    lock (run.FileStates)
                    {
                        run.FileStates[path] = "PENDING";
                    }

                    w.WriteStartObject();
                    w.WriteString("uploadId", uploadId);
                    w.WriteStartArray("parts");
                    for (var part = 1; part <= Math.Max(1, Json.Long(file["count"]) ?? 1); part++)
                    {
                        w.WriteStartObject();
                        w.WriteNumber("partNumber", part);
                        w.WriteString("url", b.Store.Presign($"{FileKey(run, path)}.parts/{uploadId}/{part.ToString(CultureInfo.InvariantCulture)}", "PUT"));
                        w.WriteEndObject();
                    }

                    w.WriteEndArray();
                    w.WriteEndObject();
                }

                w.WriteEndArray();
                w.WriteEndObject();
            });
        }));

        app.MapPost("/api/experiment/{id}/files/complete-multipart", b.Authed(async (ctx, _) =>
        {
            if (b.Dataset.FindRun(Json.Route(ctx, "id")) is not { } run)
            {
                await Json.NotFound(ctx, "experiment");
                return;
            }

            foreach (var file in Files(await Json.ReadBody(ctx)))
            {
                var path = Json.Str(file["path"]) ?? "";
                var uploadId = Json.Str(file["uploadId"]) ?? "";
                bool known;
                lock (run.FileStates)
                {
                    known = run.FileStates.ContainsKey(path);
                }

                if (!known)
                {
                    await Json.NotFound(ctx, "file");
                    return;
                }

                using var whole = new MemoryStream();
                foreach (var part in (file["parts"] as JsonArray ?? []).OfType<JsonObject>().OrderBy(p => Json.Long(p["partNumber"]) ?? 0))
                {
                    var partKey = $"{FileKey(run, path)}.parts/{uploadId}/{(Json.Long(part["partNumber"]) ?? 0).ToString(CultureInfo.InvariantCulture)}";
                    if (b.Store.Get(partKey) is not BytesObject bytes)
                    {
                        await Json.BadRequest(ctx, "missing part " + partKey);
                        return;
                    }

                    whole.Write(bytes.Data);
                }

                b.Store.Put(FileKey(run, path), new BytesObject(whole.ToArray(), "application/octet-stream"));
                lock (run.FileStates)
                {
                    run.FileStates[path] = "UPLOADED";
                }
            }

            await Json.Ok(ctx, 201);
        }));
    }

    private static string[] Paths(JsonNode? body) => (body?["paths"] as JsonArray ?? []).Select(Json.Str).OfType<string>().ToArray();

    private static Task Urls(HttpContext ctx, IEnumerable<string> urls)
    {
        var list = urls.ToArray();
        return Json.Write(ctx, w =>
        {
            w.WriteStartObject();
            w.WriteStartArray("urls");
            foreach (var url in list)
            {
                w.WriteStringValue(url);
            }

            w.WriteEndArray();
            w.WriteEndObject();
        });
    }

    private static async Task Download(HttpContext ctx, Backend b)
    {
        if (ObjectStore.KeyFromTarget(ctx) is not { } key || !await b.Store.Verify(ctx, key))
        {
            return;
        }

        switch (b.Store.Get(key))
        {
            case ScalarCsvObject csv:
                Truncation? truncation = null;
                if (b.Faults.Draw(b.Faults.TruncateRate))
                {
                    b.Stats.CountTruncation();
                    truncation = new Truncation(0.2 + (0.6 * b.Faults.NextDouble()), Clean: b.Faults.Draw(0.5));
                }

                await CsvStreamer.Write(ctx, csv.Columns, truncation);
                break;
            case LogFileObject log:
                ctx.Response.ContentType = "text/plain; charset=utf-8";
                var text = new StringBuilder();
                foreach (var line in log.Logs.All().Skip(log.Start).Take(log.Rows))
                {
                    text.Append(Json.Iso(line.Timestamp)).Append(' ').Append(line.Level).Append(' ')
                        .Append(line.Epoch.ToString(CultureInfo.InvariantCulture)).Append(' ').Append(line.Message).Append('\n');
                }

                await ctx.Response.WriteAsync(text.ToString());
                break;
            case BytesObject bytes:
                ctx.Response.ContentType = bytes.ContentType;
                ctx.Response.ContentLength = bytes.Data.Length;
                await ctx.Response.Body.WriteAsync(bytes.Data);
                break;
            default:
                await ObjectStore.S3Error(ctx, 404, "NoSuchKey", "The specified key does not exist.");
                break;
        }
    }
}
