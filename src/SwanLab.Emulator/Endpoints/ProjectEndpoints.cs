using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using SwanLab.Emulator.Data;
using SwanLab.Emulator.Http;

namespace SwanLab.Emulator.Endpoints;

/// <summary>Project listing, detail, the three create variants (0.7.8, legacy, 0.9.7) and delete.</summary>
internal static partial class ProjectEndpoints
{
    [GeneratedRegex("^[0-9a-zA-Z_.+-]{1,100}$")]
    private static partial Regex ProjectName();

    public static void Map(IEndpointRouteBuilder app, Backend b)
    {
        app.MapGet("/api/project/{workspace}", b.Authed((ctx, _) =>
        {
            if (b.Dataset.FindWorkspace(Json.Route(ctx, "workspace")) is not { } ws)
            {
                return Json.NotFound(ctx, "group");
            }

            IEnumerable<EmulatorProject> projects = ws.Projects;
            if (Json.Query(ctx, "search") is { } search)
            {
                projects = projects.Where(p => p.Name.Contains(search, StringComparison.OrdinalIgnoreCase)
                    || p.Description.Contains(search, StringComparison.OrdinalIgnoreCase));
            }

            return Json.Page(ctx, Sort(projects, Json.Query(ctx, "sort")).ToArray(), Writers.Project);
        }));

        app.MapGet("/api/project/{workspace}/{project}", b.Authed((ctx, _) =>
            b.Project(ctx) is { } p ? Json.Write(ctx, w => Writers.Project(w, p)) : Json.NotFound(ctx, "project")));

        app.MapDelete("/api/project/{workspace}/{project}", b.Authed((ctx, _) =>
            b.Project(ctx) is { } p && b.Dataset.RemoveProject(p) ? Json.Ok(ctx) : Json.NotFound(ctx, "project")));

        // 0.7.8 / 0.9.7 legacy: workspace in the body (default: the login user); 409 carries the project (with username).
        app.MapPost("/api/project", b.Authed(async (ctx, user) =>
        {
            var body = await Json.ReadBody(ctx) as JsonObject;
            var ws = Json.Str(body?["username"]) ?? user.Username;
            await Create(ctx, b, ws, body, conflictStatus: 409);
        }));

        // Legacy old-backend route: POST /project/{ws}.
        app.MapPost("/api/project/{workspace}", b.Authed(async (ctx, _) =>
            await Create(ctx, b, Json.Route(ctx, "workspace"), await Json.ReadBody(ctx) as JsonObject, conflictStatus: 409)));

        // 0.9.7: 201 created, 200 exists.
        app.MapPost("/api/projects/{workspace}", b.Authed(async (ctx, _) =>
            await Create(ctx, b, Json.Route(ctx, "workspace"), await Json.ReadBody(ctx) as JsonObject, conflictStatus: 200)));
    }

    private static Task Create(HttpContext ctx, Backend b, string workspace, JsonObject? body, int conflictStatus)
    {
        var name = Json.Str(body?["name"]) ?? "";
        if (!ProjectName().IsMatch(name) || name is "." or "..")
        {
            return Json.BadRequest(ctx, "invalid project name");
        }

        if (b.Dataset.FindWorkspace(workspace) is not { } ws)
        {
            return Json.NotFound(ctx, "group");
        }

        EmulatorProject project;
        var created = false;
        lock (b.Dataset.Sync)
        {
            if (b.Dataset.FindProject(workspace, name) is { } existing)
            {
                project = existing;
            }
            else
            {
                var now = b.Options.Clock.GetUtcNow();
                project = new EmulatorProject
                {
                    Cuid = Ids.NewCuid(),
                    Name = name,
                    Workspace = ws,
                    Description = Json.Str(body?["description"]) ?? "",
                    Visibility = Json.Str(body?["visibility"]) is "PUBLIC" ? "PUBLIC" : "PRIVATE",
                    CreatedAt = now,
                    UpdatedAt = now,
                    Version = b.Options.Legacy ? null : 1,
                };
                b.Dataset.AddProject(project);
                created = true;
                b.Stats.Writes.CountProjectCreated();
            }
        }

        var status = created ? 201 : conflictStatus;
        return Json.Write(ctx, w => Writers.Project(w, project), status, status == 409 ? "Conflict" : null);
    }

    /// <summary>Sort keys seen in the SDKs (update/create/name) plus field names; default most recently updated first.</summary>
    public static IEnumerable<EmulatorProject> Sort(IEnumerable<EmulatorProject> projects, string? sort) => sort?.ToLowerInvariant() switch
    {
        "name" => projects.OrderBy(p => p.Name, StringComparer.Ordinal),
        "create" or "createdat" => projects.OrderByDescending(p => p.CreatedAt).ThenBy(p => p.Name, StringComparer.Ordinal),
        _ => projects.OrderByDescending(p => p.UpdatedAt).ThenBy(p => p.Name, StringComparer.Ordinal),
    };
}

/// <summary>Ids for objects created at runtime (uploads); generated data uses the seeded RNG instead.</summary>
internal static class Ids
{
    private const string LowerAlnum = "abcdefghijklmnopqrstuvwxyz0123456789";

    public static string NewCuid() => System.Security.Cryptography.RandomNumberGenerator.GetString(LowerAlnum, 21);

    public static bool LooksLikeCuid(string value) => value.Length == 21 && value.All(c => char.IsAsciiDigit(c) || char.IsAsciiLetterLower(c));
}
