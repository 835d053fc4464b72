using System.Net;
using System.Text.Json.Nodes;

namespace SwanLab.Emulator.Tests;

public sealed class ModeSpecs
{
    [Fact]
    public async Task Should_return_path_only_presigned_urls_and_enable_admin_in_self_hosted_mode()
    {
        await using var server = await EmulatorServer.StartAsync(new EmulatorOptions { SelfHosted = true });
        using var client = await TestClient.LoggedIn(server);
        var run = server.Dataset.FindProject("alice", "mnist-baseline")!.Runs[0];
        var answer = await client.Get($"/api/experiment/{run.Cuid}/column/csv?key=train/loss");
        var url = answer!["url"]!.GetValue<string>();
        Assert.StartsWith("/swanlab-private/exports/csv/", url, StringComparison.Ordinal);
        Assert.Contains("X-Amz-Expires=300", url, StringComparison.Ordinal);
        Assert.StartsWith("step,", await client.Download(url), StringComparison.Ordinal);

        var info = await client.Get("/api/self_hosted/info");
        Assert.True(info!["enabled"]!.GetValue<bool>());
        Assert.False(info["expired"]!.GetValue<bool>());
        Assert.True(info["root"]!.GetValue<bool>());
        Assert.NotNull(info["plan"]);
        Assert.NotNull(info["seats"]);
        await client.Post("/api/self_hosted/users", new JsonObject { ["users"] = new JsonArray(new JsonObject { ["username"] = "dave", ["password"] = "pass1234" }) }, HttpStatusCode.Created);
        var users = await client.Get("/api/self_hosted/users?page=1&size=20");
        Assert.Contains(users!["list"]!.AsArray(), u => u!["username"]!.GetValue<string>() == "dave");
        Assert.Equal(1, users["pages"]!.GetValue<int>());
        Assert.Equal(users["list"]!.AsArray().Count, users["total"]!.GetValue<int>());
    }

    [Fact]
    public async Task Should_hide_self_hosted_endpoints_in_cloud_mode()
    {
        await using var server = await EmulatorServer.StartAsync(new EmulatorOptions());
        using var client = await TestClient.LoggedIn(server);
        await client.Get("/api/self_hosted/info", HttpStatusCode.NotFound);
    }

    [Fact]
    public async Task Should_expire_presigned_urls_after_the_configured_lifetime()
    {
        var clock = new ManualClock(DateTimeOffset.UtcNow);
        await using var server = await EmulatorServer.StartAsync(new EmulatorOptions { Clock = clock, PresignExpiry = TimeSpan.FromSeconds(300) });
        using var client = await TestClient.LoggedIn(server);
        var run = server.Dataset.FindProject("alice", "mnist-baseline")!.Runs[0];
        var url = (await client.Get($"/api/experiment/{run.Cuid}/column/csv?key=train/loss"))!["url"]!.GetValue<string>();
        using var plain = new HttpClient();
        clock.Now += TimeSpan.FromSeconds(299);
        using (var fresh = await plain.GetAsync(url))
        {
            Assert.Equal(HttpStatusCode.OK, fresh.StatusCode);
        }

        clock.Now += TimeSpan.FromSeconds(5);
        using var expired = await plain.GetAsync(url);
        Assert.Equal(HttpStatusCode.Forbidden, expired.StatusCode);
        Assert.Contains("expired", await expired.Content.ReadAsStringAsync(), StringComparison.Ordinal);
        using var tampered = await plain.GetAsync(url.Replace("X-Amz-Expires=300", "X-Amz-Expires=99999", StringComparison.Ordinal));
        Assert.Equal(HttpStatusCode.Forbidden, tampered.StatusCode);
    }

    [Fact]
    public async Task Should_reject_an_expired_session_with_401()
    {
        var clock = new ManualClock(DateTimeOffset.UtcNow);
        await using var server = await EmulatorServer.StartAsync(new EmulatorOptions { Clock = clock, SessionLifetime = TimeSpan.FromDays(9) });
        using var client = await TestClient.LoggedIn(server);
        await client.Get("/api/user/profile");
        clock.Now += TimeSpan.FromDays(10);
        await client.Get("/api/user/profile", HttpStatusCode.Unauthorized);
    }

    [Fact]
    public async Task Should_manage_api_keys()
    {
        await using var server = await EmulatorServer.StartAsync(new EmulatorOptions());
        using var client = await TestClient.LoggedIn(server);
        using (var noBody = await client.Http.PostAsync("/api/user/key", null))
        {
            Assert.True(noBody.IsSuccessStatusCode);
        }

        var latest = await client.Get("/api/user/key/latest");
        var key = latest!["key"]!.GetValue<string>();
        Assert.Matches("^[0-9A-Za-z]{21}$", key);
        var keys = (JsonArray)(await client.Get("/api/user/key"))!;
        Assert.Equal(2, keys.Count);
        using var other = new TestClient(server);
        using (var login = await other.Login(key))
        {
            Assert.Equal(HttpStatusCode.OK, login.StatusCode);
        }

        using var delete = await client.Http.DeleteAsync($"/api/user/key/{latest["id"]}");
        Assert.True(delete.IsSuccessStatusCode);
        using var refused = await other.Login(key);
        Assert.Equal(HttpStatusCode.Unauthorized, refused.StatusCode);
    }
}
