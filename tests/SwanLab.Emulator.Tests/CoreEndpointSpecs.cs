using System.Globalization;
using System.Net;
using System.Text.Json.Nodes;

namespace SwanLab.Emulator.Tests;

public sealed class CoreEndpointSpecs
{
    private static Task<EmulatorServer> Tiny() => EmulatorServer.StartAsync(new EmulatorOptions { Size = DatasetSize.Tiny });

    [Fact]
    public async Task Should_issue_sid_cookie_and_strict_expiredAt_on_login()
    {
        await using var server = await Tiny();
        using var client = new TestClient(server);
        using var response = await client.Login(server.ApiKey);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var body = JsonNode.Parse(await response.Content.ReadAsStringAsync())!;
        Assert.Matches("^\\d{4}-\\d{2}-\\d{2}T\\d{2}:\\d{2}:\\d{2}\\.\\d{3}Z$", body["expiredAt"]!.GetValue<string>());
        var expires = DateTime.ParseExact(body["expiredAt"]!.GetValue<string>(), "yyyy-MM-dd'T'HH:mm:ss.fff'Z'", CultureInfo.InvariantCulture, DateTimeStyles.AdjustToUniversal);
        Assert.True(expires > DateTime.UtcNow.AddDays(8));
        Assert.Equal("alice", body["userInfo"]!["username"]!.GetValue<string>());
        Assert.NotNull(body["userInfo"]!["name"]);
        Assert.Equal(body["sid"]!.GetValue<string>(), client.Cookies.GetCookies(server.BaseUrl)["sid"]!.Value);
        // Repeated logins are fine (0.9.7 logs in twice).
        using var again = await client.Login(server.ApiKey);
        Assert.Equal(HttpStatusCode.OK, again.StatusCode);
    }

    [Fact]
    public async Task Should_answer_401_Unauthorized_for_bad_key_and_missing_sid()
    {
        await using var server = await Tiny();
        using var client = new TestClient(server);
        using var bad = await client.Login("zzzzzzzzzzzzzzzzzzzzz");
        Assert.Equal(HttpStatusCode.Unauthorized, bad.StatusCode);
        Assert.Equal("Unauthorized", bad.ReasonPhrase);
        await client.Get("/api/project/alice", HttpStatusCode.Unauthorized);
    }

    [Fact]
    public async Task Should_list_workspace_and_team_groups()
    {
        await using var server = await Tiny();
        using var client = await TestClient.LoggedIn(server);
        var me = await client.Get("/api/group/alice");
        Assert.Equal("PERSON", me!["type"]!.GetValue<string>());
        foreach (var field in new[] { "name", "username", "type", "comment", "role", "profile" })
        {
            Assert.NotNull(me[field]);
        }

        var teams = (JsonArray)(await client.Get("/api/user/alice/groups"))!;
        var team = Assert.Single(teams);
        Assert.Equal("TEAM", team!["type"]!.GetValue<string>());
        Assert.Equal("aurora-lab", team["username"]!.GetValue<string>());
        var legacy = await client.Get("/api/group/");
        Assert.Equal(2, legacy!["list"]!.AsArray().Count);
        await client.Get("/api/group/nobody", HttpStatusCode.NotFound);
    }

    [Fact]
    public async Task Should_paginate_projects_with_list_size_pages_total()
    {
        await using var server = await EmulatorServer.StartAsync(new EmulatorOptions { Size = DatasetSize.Demo });
        using var client = await TestClient.LoggedIn(server);
        var first = await client.Get("/api/project/alice?page=1&size=20&detail=True");
        var total = first!["total"]!.GetValue<int>();
        Assert.True(total > 20);
        Assert.Equal(20, first["size"]!.GetValue<int>());
        Assert.Equal((total + 19) / 20, first["pages"]!.GetValue<int>());
        Assert.Equal(20, first["list"]!.AsArray().Count);
        var last = await client.Get($"/api/project/alice?page={first["pages"]}&size=20&detail=False");
        Assert.Equal(total - 20, last!["list"]!.AsArray().Count);
        var beyond = await client.Get("/api/project/alice?page=99&size=20");
        Assert.Empty(beyond!["list"]!.AsArray());
        var names = first["list"]!.AsArray().Concat(last["list"]!.AsArray()).Select(p => p!["name"]!.GetValue<string>()).ToList();
        Assert.Equal(total, names.Distinct().Count());
        var empty = await client.Get("/api/project/alice?page=1&size=20&search=no-such-project");
        Assert.Equal(1, empty!["pages"]!.GetValue<int>());
        Assert.Equal(0, empty["total"]!.GetValue<int>());
    }

    [Fact]
    public async Task Should_return_project_detail_with_path_without_leading_slash_and_version_1()
    {
        await using var server = await Tiny();
        using var client = await TestClient.LoggedIn(server);
        var project = await client.Get("/api/project/alice/v1.2.final");
        Assert.Equal("alice/v1.2.final", project!["path"]!.GetValue<string>());
        Assert.Equal(1, project["version"]!.GetValue<int>());
        Assert.Equal("alice", project["group"]!["username"]!.GetValue<string>());
        Assert.Equal("alice", project["username"]!.GetValue<string>());
        Assert.Equal(2, project["_count"]!["experiments"]!.GetValue<int>());
        foreach (var field in new[] { "cuid", "name", "description", "visibility", "createdAt", "updatedAt", "projectLabels" })
        {
            Assert.NotNull(project[field]);
        }

        await client.Get("/api/project/alice/missing", HttpStatusCode.NotFound);
    }
}
