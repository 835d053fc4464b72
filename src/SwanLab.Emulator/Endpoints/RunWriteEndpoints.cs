using System.Globalization;
using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using SwanLab.Emulator.Data;
using SwanLab.Emulator.Http;

namespace SwanLab.Emulator.Endpoints;

/// <summary>The run writes: experiment create/resume, profile PUT (merged field by field), state PUT and heartbeat.</summary>
internal static class RunWriteEndpoints
{
    private const string RunsBase = "/api/project/{workspace}/{project}/runs";

    public static void Map(IEndpointRouteBuilder app, Backend b)
    {
        app.MapPost("/api/project/{workspace}/{project}/experiment", b.Authed(async (ctx, user) => await CreateExperiment(ctx, b, user)));

        app.MapPut(RunsBase + "/{id}/profile", b.Authed(async (ctx, _) =>
        {
            if (b.Project(ctx) is not { } project || EmulatorDataset.FindRun(project, Json.Route(ctx, "id")) is not { } run)
            {
                await (b.Dataset.WasDeleted(Json.Route(ctx, "id")) ? Json.DisabledResource(ctx) : Json.NotFound(ctx, "experiment"));
                return;
            }

            if (await Json.ReadBody(ctx) is not JsonObject body)
            {
                await Json.BadRequest(ctx, "profile body required");
                return;
            }

            // 0.9.7 sends one field per PUT: merge, never replace.
            lock (run)
            {
                if (body["config"] is JsonObject config)
                {
                    run.Config = (JsonObject)config.DeepClone();
                }

                if (body["metadata"] is JsonObject metadata)
                {
                    run.Metadata = (JsonObject)metadata.DeepClone();
                }

                if (Json.Str(body["requirements"]) is { } requirements)
                {
                    run.Requirements = requirements;
                }

                if (Json.Str(body["conda"]) is { } conda)
                {
                    run.Conda = conda;
                }
            }

            await Json.Ok(ctx);
        }));

        app.MapPut(RunsBase + "/{id}/state", b.Authed(async (ctx, _) =>
        {
            if (b.Project(ctx) is not { } project || EmulatorDataset.FindRun(project, Json.Route(ctx, "id")) is not { } run)
            {
                await (b.Dataset.WasDeleted(Json.Route(ctx, "id")) ? Json.DisabledResource(ctx) : Json.NotFound(ctx, "experiment"));
                return;
            }

            var body = await Json.ReadBody(ctx);
            var state = Json.Str(body?["state"]);
            if (state is not ("FINISHED" or "CRASHED" or "ABORTED" or "RUNNING"))
            {
                await Json.BadRequest(ctx, "invalid state");
                return;
            }

            run.State = state;
            run.FinishedAt = state == "RUNNING" ? null
                : !b.Options.ServerTimes && Json.Str(body?["finishedAt"]) is { } at && DateTimeOffset.TryParse(at, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal, out var parsed)
                    ? parsed : b.Options.Clock.GetUtcNow();
            if (b.Options.EndSessionOnFinish && state != "RUNNING")
            {
                b.Accounts.EndSession(ctx);
            }

            await Json.Ok(ctx);
        }));

        app.MapPost("/api/house/experiments/{id}/heartbeat", b.Authed((ctx, _) => Json.Ok(ctx)));
    }

    private static async Task CreateExperiment(HttpContext ctx, Backend b, EmulatorUser user)
    {
        if (b.Project(ctx) is not { } project)
        {
            await Json.NotFound(ctx, "project");
            return;
        }

        if (await Json.ReadBody(ctx) is not JsonObject body || Json.Str(body["name"]) is not { } name)
        {
            await Json.BadRequest(ctx, "name required");
            return;
        }

        var requested = Json.Str(body["cuid"]);
        EmulatorRun? run = null;
        var created = false;
        string? refusal = null;
        lock (b.Dataset.Sync)
        {
            if (requested is not null)
            {
                var existing = EmulatorDataset.FindRun(project, requested);
                if (existing is { RootExpId: not null })
                {
                    refusal = "clone";
                }
                else if (existing is not null)
                {
                    run = existing;
                    b.Stats.Writes.CountExperimentResumed();
                    // The resuming process takes the run over; uploads still carrying the old flagId get 202.
                    run.FlagId = Ids.NewCuid();
                }
                else if (b.Dataset.FindRun(requested) is not null || b.Dataset.Runs.Any(r => r.Slug == requested))
                {
                    refusal = "conflict";
                }
                else if (b.Dataset.WasDeleted(requested))
                {
                    refusal = "deleted";
                }
            }

            if (run is null && refusal is null)
            {
                var cuid = requested is not null && Ids.LooksLikeCuid(requested) && !b.Options.ServerRunIds ? requested : Ids.NewCuid();
                var createdAt = !b.Options.ServerTimes && Json.Str(body["createdAt"]) is { } at
                    && DateTimeOffset.TryParse(at, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal, out var parsed)
                    ? parsed : b.Options.Clock.GetUtcNow();
                run = new EmulatorRun
                {
                    Cuid = cuid,
                    Slug = requested ?? cuid,
                    Name = name,
                    Project = project,
                    Description = Json.Str(body["description"]) ?? "",
                    State = "RUNNING",
                    Labels = (body["labels"] as JsonArray ?? []).Select(l => Json.Str(l?["name"])).OfType<string>().ToArray(),
                    Colors = (body["colors"] as JsonArray ?? []).Select(Json.Str).OfType<string>().ToArray(),
                    Cluster = Json.Str(body["cluster"]) ?? "",
                    Job = Json.Str(body["job"]) ?? "",
                    CreatedBy = user.Username,
                    CreatedAt = createdAt,
                    FlagId = Ids.NewCuid(),
                };
                run.Logs = new StoredLogStream();
                b.Dataset.AddRun(run);
                project.UpdatedAt = b.Options.Clock.GetUtcNow();
                created = true;
                b.Stats.Writes.CountExperimentCreated();
            }
        }

        if (refusal == "deleted")
        {
            await Json.DisabledResource(ctx);
            return;
        }

        if (refusal == "conflict")
        {
            await Json.Error(ctx, 409, "Conflict", "CONFLICT", "experiment belongs to another project");
            return;
        }

        if (run is null)
        {
            await Json.Error(ctx, 400, "Bad Request", "BAD_REQUEST", "cloned experiments cannot be resumed");
            return;
        }

        await Json.Write(ctx, w =>
        {
            w.WriteStartObject();
            w.WriteString("cuid", run.Cuid);
            w.WriteString("slug", run.Slug);
            w.WriteString("name", run.Name);
            w.WriteString("createdAt", Json.Iso(run.CreatedAt));
            w.WriteString("flagId", run.FlagId);
            w.WriteStartObject("profile");
            w.WritePropertyName("config");
            run.Config.WriteTo(w);
            w.WriteEndObject();
            w.WriteNull("rootProId");
            w.WriteNull("rootExpId");
            w.WriteEndObject();
        }, created ? 201 : 200);
    }
}
