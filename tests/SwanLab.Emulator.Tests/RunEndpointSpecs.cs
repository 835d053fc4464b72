using System.Net;
using System.Text.Json.Nodes;

namespace SwanLab.Emulator.Tests;

public sealed class RunEndpointSpecs
{
    private static Task<EmulatorServer> Tiny() => EmulatorServer.StartAsync(new EmulatorOptions { Size = DatasetSize.Tiny });

    private static JsonObject Filter(string key, string type, object value, string op = "EQ") => new()
    {
        ["key"] = key,
        ["active"] = true,
        ["value"] = new JsonArray(JsonValue.Create(value)),
        ["op"] = op,
        ["type"] = type,
    };

    [Fact]
    public async Task Should_return_flat_run_array_from_shows_for_ungrouped_project()
    {
        await using var server = await Tiny();
        using var client = await TestClient.LoggedIn(server);
        var runs = await client.Post("/api/project/alice/mnist-baseline/runs/shows", new JsonObject { ["filters"] = new JsonArray() });
        var array = Assert.IsType<JsonArray>(runs);
        Assert.Equal(3, array.Count);
        var run = array[0]!;
        foreach (var field in new[] { "cuid", "name", "description", "createdAt", "finishedAt", "state", "show", "labels", "cluster", "job", "user", "rootExpId", "rootProId", "profile" })
        {
            Assert.True(run.AsObject().ContainsKey(field), field);
        }

        Assert.NotNull(run["profile"]!["config"]);
        Assert.NotNull(run["profile"]!["scalar"]);
    }

    [Fact]
    public async Task Should_filter_shows_by_state_and_config_in_0_7_8_wire_format()
    {
        await using var server = await Tiny();
        using var client = await TestClient.LoggedIn(server);
        var body = new JsonObject { ["filters"] = new JsonArray(Filter("state", "STABLE", "FINISHED"), Filter("batch_size", "CONFIG", "64")) };
        var runs = (JsonArray)(await client.Post("/api/project/alice/mnist-baseline/runs/shows", body))!;
        var run = Assert.Single(runs);
        Assert.Equal("baseline-lr0.01 🚀", run!["name"]!.GetValue<string>());

        var numeric = new JsonObject { ["filters"] = new JsonArray(Filter("batch_size", "CONFIG", 32)) };
        var ablation = Assert.Single((JsonArray)(await client.Post("/api/project/alice/mnist-baseline/runs/shows", numeric))!);
        Assert.Equal("ablation αβ", ablation!["name"]!.GetValue<string>());
    }

    [Fact]
    public async Task Should_filter_on_nested_config_keys_and_0_9_7_ops()
    {
        await using var server = await Tiny();
        using var client = await TestClient.LoggedIn(server);
        var expected = server.Dataset.FindProject("alice", "mnist-baseline")!.Runs
            .Count(r => r.Config["model"]?["value"]?["encoder"]?["layers"]?.GetValue<int>() >= 5);
        var body = new JsonObject
        {
            ["filters"] = new JsonArray(Filter("model.encoder.layers", "CONFIG", "5", "GTE")),
            ["groups"] = new JsonArray(),
            ["sorts"] = new JsonArray(),
        };
        var runs = (JsonArray)(await client.Post("/api/project/alice/mnist-baseline/runs/shows", body))!;
        Assert.Equal(expected, runs.Count);
        var notIn = new JsonObject { ["filters"] = new JsonArray(Filter("state", "STABLE", "RUNNING", "NOT IN")), ["groups"] = new JsonArray(), ["sorts"] = new JsonArray() };
        var finishedOrCrashed = (JsonArray)(await client.Post("/api/project/alice/mnist-baseline/runs/shows", notIn))!;
        Assert.All(finishedOrCrashed, r => Assert.NotEqual("RUNNING", r!["state"]!.GetValue<string>()));
        Assert.Equal(2, finishedOrCrashed.Count);
    }

    [Fact]
    public async Task Should_return_grouped_shows_as_nested_object()
    {
        await using var server = await Tiny();
        using var client = await TestClient.LoggedIn(server);
        var grouped = await client.Post("/api/project/aurora-lab/shared-models/runs/shows", new JsonObject { ["filters"] = new JsonArray() });
        var groups = Assert.IsType<JsonObject>(grouped);
        Assert.Equal(2, groups["nlp"]!.AsArray().Count);
        Assert.Single(groups["vision"]!.AsArray());
        var flattened = groups.Select(g => g.Value!.AsArray().Count).Sum();
        Assert.Equal(4, flattened);

        var twoLevels = await client.Post("/api/project/alice/mnist-baseline/runs/shows", new JsonObject
        {
            ["filters"] = new JsonArray(),
            ["groups"] = new JsonArray(new JsonObject { ["key"] = "cluster", ["type"] = "STABLE", ["active"] = true }, new JsonObject { ["key"] = "state", ["type"] = "STABLE", ["active"] = true }),
            ["sorts"] = new JsonArray(),
        });
        Assert.IsType<JsonArray>(twoLevels!["lr-sweep"]!["FINISHED"]);
    }

    [Fact]
    public async Task Should_return_run_detail_with_wrapped_config_metadata_requirements_conda_by_cuid_or_slug()
    {
        await using var server = await Tiny();
        using var client = await TestClient.LoggedIn(server);
        var truth = server.Dataset.FindProject("alice", "mnist-baseline")!.Runs[0];
        var run = await client.Get($"/api/project/alice/mnist-baseline/runs/{truth.Cuid}");
        var config = run!["profile"]!["config"]!;
        Assert.Equal(64, config["batch_size"]!["value"]!.GetValue<int>());
        Assert.Equal("", config["batch_size"]!["desc"]!.GetValue<string>());
        Assert.Equal(1, config["batch_size"]!["sort"]!.GetValue<int>());
        Assert.Equal("bernoulli", config["model"]!["value"]!["encoder"]!["attention"]!["dropout"]!["kind"]!.GetValue<string>());
        Assert.NotNull(run["profile"]!["metadata"]!["hardware"]);
        Assert.Contains("numpy==", run["profile"]!["requirements"]!.GetValue<string>(), StringComparison.Ordinal);
        Assert.Contains("dependencies", run["profile"]!["conda"]!.GetValue<string>(), StringComparison.Ordinal);
        await client.Get($"/api/project/alice/mnist-baseline/runs/{truth.Slug}");
        await client.Get("/api/project/alice/mnist-baseline/runs/nope", HttpStatusCode.NotFound);
    }

    [Fact]
    public async Task Should_paginate_run_list_and_mark_clone_roots()
    {
        await using var server = await Tiny();
        using var client = await TestClient.LoggedIn(server);
        var page = await client.Get("/api/project/alice/v1.2.final/runs?page=1&size=1");
        Assert.Equal(2, page!["total"]!.GetValue<int>());
        Assert.Equal(2, page["pages"]!.GetValue<int>());
        Assert.Single(page["list"]!.AsArray());
        var all = await client.Get("/api/project/alice/v1.2.final/runs?page=1&size=10");
        var clone = all!["list"]!.AsArray().Single(r => r!["rootExpId"] is not null);
        var root = server.Dataset.FindProject("alice", "mnist-baseline")!.Runs[0];
        Assert.Equal(root.Cuid, clone!["rootExpId"]!.GetValue<string>());
        Assert.Equal(root.Project.Cuid, clone["rootProId"]!.GetValue<string>());
    }
}
