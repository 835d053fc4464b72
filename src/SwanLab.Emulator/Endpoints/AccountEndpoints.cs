using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using SwanLab.Emulator.Data;
using SwanLab.Emulator.Http;

namespace SwanLab.Emulator.Endpoints;

/// <summary>Login, user, API keys, workspaces (groups) and the self-hosted admin endpoints.</summary>
internal static partial class AccountEndpoints
{
    public static void Map(IEndpointRouteBuilder app, Backend b)
    {
        app.MapPost("/api/login/api_key", (RequestDelegate)(ctx => Login(ctx, b)));

        app.MapGet("/api/user/profile", b.Authed((ctx, user) => Json.Write(ctx, w =>
        {
            w.WriteStartObject();
            w.WriteString("username", user.Username);
            w.WriteString("name", user.Name);
            w.WriteString("bio", user.Bio);
            w.WriteString("url", "");
            w.WriteString("institution", user.Institution);
            w.WriteString("school", "");
            w.WriteString("email", user.Email);
            w.WriteString("location", "");
            w.WriteEndObject();
        })));

        app.MapGet("/api/user/key", b.Authed((ctx, _) => Json.Write(ctx, w =>
        {
            w.WriteStartArray();
            foreach (var key in b.Accounts.Keys)
            {
                WriteKey(w, key);
            }

            w.WriteEndArray();
        })));
        app.MapPost("/api/user/key", b.Authed(async (ctx, _) =>
        {
            var body = ctx.Request.ContentLength is > 0 || ctx.Request.Headers.ContentType.Count > 0 ? await Json.ReadBody(ctx) : null;
            var record = b.Accounts.CreateKey(Json.Str(body?["name"]) ?? "");
            await Json.Write(ctx, w => WriteKey(w, record), 201);
        }));
        app.MapGet("/api/user/key/latest", b.Authed((ctx, _) => Json.Write(ctx, w => WriteKey(w, b.Accounts.Keys[^1]))));
        app.MapDelete("/api/user/key/{id:int}", b.Authed((ctx, _) =>
            b.Accounts.DeleteKey(int.Parse(Json.Route(ctx, "id"), System.Globalization.CultureInfo.InvariantCulture))
                ? Json.Ok(ctx) : Json.NotFound(ctx, "key")));

        app.MapGet("/api/group/", b.Authed((ctx, _) => Json.Write(ctx, w =>
        {
            w.WriteStartObject();
            w.WriteStartArray("list");
            foreach (var ws in b.Dataset.Workspaces)
            {
                w.WriteStartObject();
                w.WriteString("name", ws.Name);
                w.WriteString("username", ws.Username);
                w.WriteString("type", ws.Type);
                w.WriteString("role", ws.Role);
                w.WriteEndObject();
            }

            w.WriteEndArray();
            w.WriteEndObject();
        })));
        app.MapGet("/api/group/{workspace}", b.Authed((ctx, _) =>
            b.Dataset.FindWorkspace(Json.Route(ctx, "workspace")) is { } ws
                ? Json.Write(ctx, w => Writers.Workspace(w, ws, b.Dataset))
                : Json.NotFound(ctx, "group")));
        app.MapGet("/api/user/{username}/groups", b.Authed((ctx, user) =>
        {
            if (Json.Route(ctx, "username") != user.Username && b.Dataset.Users.All(u => u.Username != Json.Route(ctx, "username")))
            {
                return Json.NotFound(ctx, "user");
            }

            // Teams only (the SDK prepends the user itself); full workspace objects so 0.9.7 needs no re-fetch.
            return Json.Write(ctx, w =>
            {
                w.WriteStartArray();
                foreach (var ws in b.Dataset.Workspaces.Where(x => x.Type == "TEAM"))
                {
                    Writers.Workspace(w, ws, b.Dataset);
                }

                w.WriteEndArray();
            });
        }));

        MapSelfHosted(app, b);
    }

    private static Task Login(HttpContext ctx, Backend b)
    {
        var key = ctx.Request.Headers.Authorization.ToString().Trim();
        if (key.StartsWith("Bearer ", StringComparison.OrdinalIgnoreCase))
        {
            key = key[7..].Trim();
        }

        if (b.Accounts.Login(key) is not { } session)
        {
            return Json.Error(ctx, 401, "Unauthorized", "UNAUTHORIZED", "invalid api key");
        }

        ctx.Response.Cookies.Append("sid", session.Sid, new CookieOptions { Path = "/", HttpOnly = true, Expires = session.ExpiresAt });
        var user = b.Dataset.User;
        return Json.Write(ctx, w =>
        {
            w.WriteStartObject();
            w.WriteString("sid", session.Sid);
            w.WriteString("expiredAt", Json.Iso(session.ExpiresAt));
            w.WriteStartObject("userInfo");
            w.WriteString("username", user.Username);
            w.WriteString("name", user.Name);
            w.WriteEndObject();
            w.WriteEndObject();
        });
    }

    private static void WriteKey(System.Text.Json.Utf8JsonWriter w, ApiKeyRecord key)
    {
        w.WriteStartObject();
        w.WriteNumber("id", key.Id);
        w.WriteString("name", key.Name);
        w.WriteString("createdAt", Json.Iso(key.CreatedAt));
        w.WriteString("key", key.Key);
        w.WriteEndObject();
    }

    [GeneratedRegex("^[a-zA-Z0-9_-]+$")]
    private static partial Regex UsernamePattern();

    private static void MapSelfHosted(IEndpointRouteBuilder app, Backend b)
    {
        // Cloud mode: every self-hosted endpoint is absent, which is how the SDK tells the two apart.
        RequestDelegate Gate(Func<HttpContext, EmulatorUser, Task> handler) => b.Authed((ctx, user) =>
            b.Options.SelfHosted ? handler(ctx, user) : Json.NotFound(ctx, "resource"));

        app.MapGet("/api/self_hosted/info", Gate((ctx, _) => Json.Write(ctx, w =>
        {
            w.WriteStartObject();
            w.WriteBoolean("enabled", true);
            w.WriteBoolean("expired", false);
            w.WriteBoolean("root", true);
            w.WriteString("plan", "commercial");
            w.WriteNumber("seats", 99);
            w.WriteEndObject();
        })));
        app.MapGet("/api/self_hosted/users", Gate((ctx, _) => Json.Page(ctx, b.Dataset.Users, (w, u) =>
        {
            w.WriteStartObject();
            w.WriteString("username", u.Username);
            w.WriteString("name", u.Name);
            w.WriteString("email", u.Email);
            w.WriteBoolean("root", u == b.Dataset.User);
            w.WriteEndObject();
        })));
        app.MapPost("/api/self_hosted/users", Gate(async (ctx, _) =>
        {
            if (await Json.ReadBody(ctx) is not JsonObject body || body["users"] is not JsonArray users)
            {
                await Json.BadRequest(ctx, "users required");
                return;
            }

            var created = new List<EmulatorUser>();
            foreach (var item in users)
            {
                var username = Json.Str(item?["username"]) ?? "";
                var password = Json.Str(item?["password"]) ?? "";
                if (!UsernamePattern().IsMatch(username) || password.Length < 8)
                {
                    await Json.BadRequest(ctx, "invalid username or password");
                    return;
                }

                if (b.Dataset.Users.Any(u => u.Username == username))
                {
                    await Json.Error(ctx, 409, "Conflict", "CONFLICT", "user exists: " + username);
                    return;
                }

                created.Add(new EmulatorUser(username, username, username + "@example.com"));
            }

            foreach (var user in created)
            {
                b.Dataset.AddUser(user);
            }

            await Json.Write(ctx, w =>
            {
                w.WriteStartObject();
                w.WriteStartArray("users");
                foreach (var u in created)
                {
                    w.WriteStartObject();
                    w.WriteString("username", u.Username);
                    w.WriteEndObject();
                }

                w.WriteEndArray();
                w.WriteEndObject();
            }, 201);
        }));
        app.MapGet("/api/self_hosted/projects", Gate((ctx, _) =>
        {
            IEnumerable<EmulatorProject> projects = b.Dataset.Projects;
            if (Json.Query(ctx, "search") is { } search)
            {
                projects = projects.Where(p => p.Name.Contains(search, StringComparison.OrdinalIgnoreCase));
            }

            if (Json.Query(ctx, "group") is { } group)
            {
                projects = projects.Where(p => p.Workspace.Username == group);
            }

            return Json.Page(ctx, ProjectEndpoints.Sort(projects, Json.Query(ctx, "sort")).ToArray(), Writers.Project);
        }));
        app.MapGet("/api/self_hosted/groups", Gate((ctx, _) =>
        {
            var type = Json.Query(ctx, "type");
            var groups = b.Dataset.Workspaces.Where(ws => type is null || ws.Type == type).ToArray();
            return Json.Page(ctx, groups, (w, ws) => Writers.Workspace(w, ws, b.Dataset));
        }));
        app.MapGet("/api/self_hosted/summary", Gate((ctx, _) => Json.Write(ctx, w =>
        {
            w.WriteStartObject();
            w.WriteNumber("users", b.Dataset.Users.Count);
            w.WriteNumber("groups", b.Dataset.Workspaces.Count);
            w.WriteNumber("projects", b.Dataset.Projects.Count);
            w.WriteNumber("experiments", b.Dataset.Runs.Count);
            w.WriteEndObject();
        })));
    }
}
