using System.Net;
using System.Text.Json.Nodes;

namespace SwanLab.Emulator.Tests;

/// <summary>The emulator as an import target: an empty account, ids as sent, writes counted, every reading of §4.13 it can play.</summary>
public sealed class TargetSpecs
{
    private static async Task<(EmulatorServer Server, TestClient Client, string ProjectId, string RunId)> StartWithRunAsync(EmulatorOptions options,
        string runId = "abcdefghijklmnopqrstu")
    {
        var server = await EmulatorServer.StartAsync(options);
        var client = await TestClient.LoggedIn(server);
        // Servers from before multi-view projects only have the legacy create.
        await client.Post(options.Legacy ? "/api/project" : "/api/projects/alice", new JsonObject { ["name"] = "target", ["visibility"] = "PRIVATE" },
            HttpStatusCode.Created);
        var created = await client.Post("/api/project/alice/target/experiment", new JsonObject { ["name"] = "r", ["cuid"] = runId }, HttpStatusCode.Created);
        var project = await client.Get("/api/project/alice/target");
        return (server, client, project!["cuid"]!.GetValue<string>(), created!["cuid"]!.GetValue<string>());
    }

    private static JsonObject Scalars(string projectId, string runId, params (string Key, long Step, JsonNode? Data)[] items) => new()
    {
        ["projectId"] = projectId, ["experimentId"] = runId, ["type"] = "scalar",
        ["metrics"] = new JsonArray(items.Select(i => (JsonNode)new JsonObject { ["key"] = i.Key, ["index"] = i.Step, ["data"] = i.Data }).ToArray()),
    };

    [Fact]
    public async Task Should_start_an_empty_account_with_its_workspaces_and_no_projects()
    {
        await using var server = await EmulatorServer.StartAsync(new EmulatorOptions { Size = DatasetSize.Empty });
        using var client = await TestClient.LoggedIn(server);
        Assert.Empty(server.Dataset.Projects);
        Assert.Equal(0, (await client.Get("/api/project/alice"))!["total"]!.GetValue<int>());
        Assert.Equal(0, (await client.Get("/api/project/aurora-lab"))!["total"]!.GetValue<int>());
        Assert.Equal("TEAM", (await client.Get("/api/group/aurora-lab"))!["type"]!.GetValue<string>());
        Assert.Equal("aurora-lab", (await client.Get("/api/user/alice/groups"))![0]!["username"]!.GetValue<string>());
    }

    [Fact]
    public async Task Should_count_points_stored_and_steps_received_twice()
    {
        var (server, client, projectId, runId) = await StartWithRunAsync(new EmulatorOptions { Size = DatasetSize.Empty });
        await using var _ = server;
        using var __ = client;
        await client.Post("/api/house/metrics", Scalars(projectId, runId, ("a", 1, 0.5), ("a", 2, 0.6), ("a", 2, 0.7)));
        await client.Post("/api/house/metrics", Scalars(projectId, runId, ("a", 1, 0.5), ("b", 1, "NaN")));
        await client.Post("/api/house/metrics", new JsonObject
        {
            ["projectId"] = projectId, ["experimentId"] = runId, ["type"] = "log",
            ["metrics"] = new JsonArray(new JsonObject { ["epoch"] = 1, ["level"] = "WARN", ["message"] = "m" }, new JsonObject { ["epoch"] = 1, ["level"] = "INFO", ["message"] = "m" }),
        });
        var writes = server.Stats.Snapshot().Writes;
        Assert.Equal((1L, 1L, 3L, 3L, 2L, 1L, 1L), (writes.ProjectsCreated, writes.ExperimentsCreated, writes.MetricRequests, writes.PointsStored,
            writes.DuplicateSteps, writes.LogLinesStored, writes.DuplicateLogLines));
        Assert.Equal(0.7, server.Dataset.FindRun(runId)!.FindScalar("a")!.ValueAt(1));
        var stats = await client.Get("/__emulator/stats");
        Assert.Equal(2, stats!["writes"]!["duplicateSteps"]!.GetValue<long>());
        Assert.Equal(3, stats["writes"]!["pointsStored"]!.GetValue<long>());
    }

    [Fact]
    public async Task Should_store_nothing_of_a_metric_request_it_refuses()
    {
        var (server, client, projectId, runId) = await StartWithRunAsync(new EmulatorOptions { Size = DatasetSize.Empty });
        await using var _ = server;
        using var __ = client;
        await client.Post("/api/house/metrics", Scalars(projectId, runId, ("a", 1, 0.5), ("a", 2, "not a number")), HttpStatusCode.BadRequest);
        Assert.Equal(0, server.Dataset.FindRun(runId)!.FindScalar("a")?.Count ?? 0);
        Assert.Equal(0, server.Stats.Snapshot().Writes.PointsStored);
    }

    [Fact]
    public async Task Should_keep_a_client_id_as_the_slug_when_the_server_makes_its_own_run_ids()
    {
        var (server, client, _, runId) = await StartWithRunAsync(new EmulatorOptions { Size = DatasetSize.Empty, ServerRunIds = true });
        await using var __ = server;
        using var ___ = client;
        Assert.NotEqual("abcdefghijklmnopqrstu", runId);
        var bySlug = await client.Get("/api/project/alice/target/runs/abcdefghijklmnopqrstu");
        Assert.Equal((runId, "abcdefghijklmnopqrstu"), (bySlug!["cuid"]!.GetValue<string>(), bySlug["slug"]!.GetValue<string>()));
        var again = await client.Post("/api/project/alice/target/experiment", new JsonObject { ["name"] = "r", ["cuid"] = "abcdefghijklmnopqrstu" });
        Assert.Equal(runId, again!["cuid"]!.GetValue<string>());
        await client.Post("/api/projects/aurora-lab", new JsonObject { ["name"] = "other" }, HttpStatusCode.Created);
        using var conflict = await client.Http.PostAsync("/api/project/aurora-lab/other/experiment",
            TestClient.Content(new JsonObject { ["name"] = "r", ["cuid"] = "abcdefghijklmnopqrstu" }));
        Assert.Equal((HttpStatusCode.Conflict, "Conflict"), (conflict.StatusCode, conflict.ReasonPhrase));
    }

    [Fact]
    public async Task Should_answer_Disabled_Resource_to_profile_and_state_writes_of_a_deleted_run()
    {
        var (server, client, _, runId) = await StartWithRunAsync(new EmulatorOptions { Size = DatasetSize.Empty });
        await using var __ = server;
        using var ___ = client;
        using (var delete = await client.Http.DeleteAsync($"/api/project/alice/target/runs/{runId}"))
        {
            Assert.True(delete.IsSuccessStatusCode);
        }

        foreach (var path in new[] { "profile", "state" })
        {
            using var put = await client.Http.PutAsync($"/api/project/alice/target/runs/{runId}/{path}", TestClient.Content(new JsonObject { ["state"] = "FINISHED" }));
            Assert.Equal((HttpStatusCode.NotFound, "Disabled Resource"), (put.StatusCode, put.ReasonPhrase));
        }
    }

    [Fact]
    public async Task Should_take_0_7_8_uploads_in_legacy_mode_while_House_reads_stay_404()
    {
        var (server, client, projectId, runId) = await StartWithRunAsync(new EmulatorOptions { Size = DatasetSize.Empty, Legacy = true });
        await using var _ = server;
        using var __ = client;
        var envelope = Scalars(projectId, runId, ("loss", 1, 0.25));
        envelope["flagId"] = server.Dataset.FindRun(runId)!.FlagId;
        await client.Post("/api/house/metrics", envelope);
        await client.Post($"/api/house/experiments/{runId}/heartbeat", new JsonObject { ["flagId"] = "x" });
        var summary = await client.Get($"/api/house/metrics/summaries/{projectId}/{runId}?all=True");
        Assert.Equal(1, summary!["scalar"]![0]!["step"]!.GetValue<long>());
        await client.Post("/api/house/metrics/scalar", new JsonObject { ["projectId"] = projectId, ["columns"] = new JsonArray() }, HttpStatusCode.NotFound);
        await client.Post("/api/projects/alice", new JsonObject { ["name"] = "views" }, HttpStatusCode.NotFound);
        Assert.Null((await client.Get("/api/project/alice/target"))!["version"]);
        var csv = await client.Get($"/api/experiment/{runId}/column/csv?key=loss");
        var rows = (await client.Download(csv!["url"]!.GetValue<string>())).Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.StartsWith("1,0.25,", rows[1], StringComparison.Ordinal);
    }
}
