using System.Text.Json.Nodes;
using SwanLab.Emulator.Data;

namespace SwanLab.Emulator.Tests;

public sealed class HouseReadSpecs
{
    private static JsonObject Column(EmulatorRun run, string key) => new()
    {
        ["experimentId"] = run.Cuid,
        ["key"] = key,
        ["createdAt"] = run.CreatedAt.ToUnixTimeSeconds(),
    };

    private static JsonObject Body(EmulatorRun run, string xType, params string[] keys) => new()
    {
        ["projectId"] = run.Project.Cuid,
        ["xType"] = xType,
        ["range"] = new JsonArray(0, 0),
        ["columns"] = new JsonArray(keys.Select(k => (JsonNode)Column(run, k)).ToArray()),
        ["num"] = 1500,
    };

    [Fact]
    public async Task Should_downsample_scalar_to_at_most_num_points_keeping_ends()
    {
        await using var server = await EmulatorServer.StartAsync(new EmulatorOptions { PointsPerKey = 4000 });
        using var client = await TestClient.LoggedIn(server);
        var run = server.Dataset.FindProject("alice", "mnist-baseline")!.Runs[0];
        var body = Body(run, "step", "train/loss", "eval/sparse metric");
        body["num"] = 5000;
        var answer = (JsonArray)(await client.Post("/api/house/metrics/scalar", body))!;
        var loss = answer.Single(e => e!["key"]!.GetValue<string>() == "train/loss")!["metrics"]!.AsArray();
        Assert.Equal(1500, loss.Count);
        Assert.Equal(0, loss[0]!["index"]!.GetValue<long>());
        Assert.Equal(3999, loss[^1]!["index"]!.GetValue<long>());
        var steps = loss.Select(p => p!["index"]!.GetValue<long>()).ToList();
        Assert.Equal(steps.Order().ToList(), steps);
        foreach (var field in new[] { "index", "data", "timestamp" })
        {
            Assert.NotNull(loss[10]![field]);
        }

        var sparse = answer.Single(e => e!["key"]!.GetValue<string>() == "eval/sparse metric")!["metrics"]!.AsArray();
        Assert.Equal(400, sparse.Count);
        Assert.All(sparse, p => Assert.Equal(0, p!["index"]!.GetValue<long>() % 10));
    }

    [Fact]
    public async Task Should_send_nonfinite_values_as_strings()
    {
        await using var server = await EmulatorServer.StartAsync(new EmulatorOptions());
        using var client = await TestClient.LoggedIn(server);
        var run = server.Dataset.FindProject("alice", "mnist-baseline")!.Runs[0];
        var answer = (JsonArray)(await client.Post("/api/house/metrics/scalar", Body(run, "step", "train/grad norm")))!;
        var points = answer[0]!["metrics"]!.AsArray();
        Assert.Equal("NaN", points[3]!["data"]!.GetValue<string>());
        Assert.Equal("INF", points[7]!["data"]!.GetValue<string>());
        Assert.Equal("-INF", points[11]!["data"]!.GetValue<string>());
    }

    [Fact]
    public async Task Should_answer_value_stats_on_step_and_timestamp_axes()
    {
        await using var server = await EmulatorServer.StartAsync(new EmulatorOptions());
        using var client = await TestClient.LoggedIn(server);
        var run = server.Dataset.FindProject("alice", "mnist-baseline")!.Runs[0];
        var series = run.FindScalar("train/loss")!;
        var step = (JsonArray)(await client.Post("/api/house/metrics/scalar/value", Body(run, "step", "train/loss")))!;
        var time = (JsonArray)(await client.Post("/api/house/metrics/scalar/value", Body(run, "timestamp", "train/loss")))!;
        var values = Enumerable.Range(0, series.Count).Select(series.ValueAt).ToArray();
        Assert.Equal(values.Min(), step[0]!["min"]!["data"]!.GetValue<double>());
        Assert.Equal(values.Max(), step[0]!["max"]!["data"]!.GetValue<double>());
        Assert.Equal(values[^1], step[0]!["latest"]!["data"]!.GetValue<double>());
        Assert.Equal(series.Count - 1, step[0]!["latest"]!["index"]!.GetValue<long>());
        Assert.Equal(series.TimestampAt(series.Count - 1), time[0]!["latest"]!["index"]!.GetValue<long>());
        foreach (var field in new[] { "min", "max", "avg", "median", "latest" })
        {
            Assert.NotNull(step[0]![field]!["index"]);
            Assert.NotNull(step[0]![field]!["data"]);
        }
    }

    [Fact]
    public async Task Should_page_series_keys_with_cursor_and_use_root_ids_for_clones()
    {
        await using var server = await EmulatorServer.StartAsync(new EmulatorOptions());
        using var client = await TestClient.LoggedIn(server);
        var root = server.Dataset.FindProject("alice", "mnist-baseline")!.Runs[0];
        var clone = server.Dataset.FindProject("alice", "v1.2.final")!.Runs.Single(r => r.RootExpId is not null);
        var keys = new List<string>();
        var cursor = "";
        var calls = 0;
        do
        {
            var page = await client.Post("/api/house/metrics/scalar/keys", new JsonObject
            {
                ["experiments"] = new JsonArray(new JsonObject { ["projectId"] = clone.RootProId, ["experimentId"] = clone.RootExpId, ["createdAt"] = 1 }),
                ["limit"] = 2,
                ["cursor"] = cursor,
            });
            keys.AddRange(page!["keys"]!.AsArray().Select(k => k!.GetValue<string>()));
            cursor = page["hasMore"]!.GetValue<bool>() ? page["nextCursor"]!.GetValue<string>() : "";
            calls++;
        }
        while (cursor.Length > 0);

        Assert.Equal(root.Scalars.Select(s => s.Key), keys);
        Assert.Equal((keys.Count + 1) / 2, calls);
        var media = await client.Post("/api/house/metrics/media/keys", new JsonObject
        {
            ["experiments"] = new JsonArray(new JsonObject { ["projectId"] = root.Project.Cuid, ["experimentId"] = root.Cuid, ["createdAt"] = 1 }),
            ["limit"] = 2000,
            ["cursor"] = "",
        });
        Assert.Equal(["samples/image", "samples/text"], media!["keys"]!.AsArray().Select(k => k!.GetValue<string>()));

        // Without root ids a clone has no data of its own.
        var own = await client.Post("/api/house/metrics/scalar", Body(clone, "step", "train/loss"));
        Assert.Empty(own![0]!["metrics"]!.AsArray());
        var viaRoot = Body(clone, "step", "train/loss");
        viaRoot["columns"]![0]!["rootExpId"] = clone.RootExpId;
        viaRoot["columns"]![0]!["rootProId"] = clone.RootProId;
        var data = await client.Post("/api/house/metrics/scalar", viaRoot);
        Assert.Equal(root.FindScalar("train/loss")!.Count, data![0]!["metrics"]!.AsArray().Count);
    }

    [Fact]
    public async Task Should_answer_summaries_for_both_body_shapes()
    {
        await using var server = await EmulatorServer.StartAsync(new EmulatorOptions());
        using var client = await TestClient.LoggedIn(server);
        var run = server.Dataset.FindProject("alice", "mnist-baseline")!.Runs[0];
        var series = run.FindScalar("train/loss")!;
        var modern = await client.Post("/api/house/metrics/summaries", new JsonObject
        {
            ["experiments"] = new JsonArray(new JsonObject { ["projectId"] = run.Project.Cuid, ["experimentId"] = run.Cuid, ["createdAt"] = 1 }),
            ["keys"] = new JsonArray("train/loss"),
        });
        var loss = modern![run.Cuid]!["train/loss"]!;
        Assert.Single(modern[run.Cuid]!.AsObject());
        Assert.Equal(series.Count - 1, loss["step"]!.GetValue<long>());
        Assert.Equal(series.ValueAt(series.Count - 1), loss["value"]!.GetValue<double>());
        foreach (var field in new[] { "minMax", "min", "max", "avg", "median", "stdDev" })
        {
            Assert.NotNull(loss[field]);
        }

        var legacy = await client.Post("/api/house/metrics/summaries", new JsonArray(new JsonObject { ["experimentId"] = run.Cuid, ["projectId"] = run.Project.Cuid }));
        var first = legacy!.AsObject().First().Value!;
        Assert.NotNull(first["train/loss"]!["min"]!["index"]);
        Assert.NotNull(first["train/loss"]!["max"]!["data"]);
        Assert.Equal(run.Scalars.Count, first.AsObject().Count);
    }

    [Fact]
    public async Task Should_omit_log_member_of_resume_summary_when_run_has_no_logs()
    {
        await using var server = await EmulatorServer.StartAsync(new EmulatorOptions());
        using var client = await TestClient.LoggedIn(server);
        var project = server.Dataset.FindProject("alice", "mnist-baseline")!;
        var full = project.Runs[0];
        var empty = project.Runs.Single(r => r.Name == "empty-run");
        var withLogs = await client.Get($"/api/house/metrics/summaries/{project.Cuid}/{full.Cuid}?all=True");
        Assert.Equal(full.LogLines.Count, withLogs!["log"]![0]!["step"]!.GetValue<long>());
        Assert.Contains(withLogs["scalar"]!.AsArray(), s => s!["key"]!.GetValue<string>() == "eval/sparse metric" && s["step"]!.GetValue<long>() == 40);
        var none = await client.Get($"/api/house/metrics/summaries/{project.Cuid}/{empty.Cuid}?all=True&createdAt=1");
        Assert.False(none!.AsObject().ContainsKey("log"));
        Assert.Empty(none["scalar"]!.AsArray());
    }

    [Fact]
    public async Task Should_page_console_logs_by_level_and_epoch()
    {
        await using var server = await EmulatorServer.StartAsync(new EmulatorOptions());
        using var client = await TestClient.LoggedIn(server);
        var run = server.Dataset.FindProject("alice", "mnist-baseline")!.Runs.Single(r => r.State == "CRASHED");
        var info = await client.Get($"/api/house/metrics/log?projectId={run.Project.Cuid}&experimentId={run.Cuid}&size=1000&epoch=0&level=INFO&createdAt=1");
        var logs = info!["logs"]!.AsArray();
        Assert.All(logs, l => Assert.Equal("INFO", l!["level"]!.GetValue<string>()));
        Assert.Equal(info["count"]!.GetValue<int>(), logs.Count);
        foreach (var field in new[] { "epoch", "level", "message", "tag", "timestamp" })
        {
            Assert.NotNull(logs[0]![field]);
        }

        var error = await client.Get($"/api/house/metrics/log?projectId={run.Project.Cuid}&experimentId={run.Cuid}&level=ERROR");
        Assert.Contains("CUDA", error!["logs"]![0]!["message"]!.GetValue<string>(), StringComparison.Ordinal);
        // Shard 3 of size 2 (the SDK's reading, the default): INFO lines 7 and 8 of 1,2,3,4,5,6,8,9,10,11 (epoch 7 is a WARN).
        var shard = await client.Get($"/api/house/metrics/log?projectId={run.Project.Cuid}&experimentId={run.Cuid}&size=2&epoch=3&level=INFO");
        Assert.Equal([8L, 9L], shard!["logs"]!.AsArray().Select(l => l!["epoch"]!.GetValue<long>()));

        var export = await client.Post("/api/house/metrics/log/export", new JsonObject { ["projectId"] = run.Project.Cuid, ["experimentId"] = run.Cuid, ["start"] = 0, ["rows"] = 500000, ["createdAt"] = 1 });
        var urls = await client.Post("/api/files/presigned/get", new JsonObject { ["paths"] = new JsonArray(export!["cosKey"]!.GetValue<string>()) });
        var text = await client.Download(urls!["urls"]![0]!.GetValue<string>());
        Assert.Equal(run.LogLines.Count, text.Split('\n', StringSplitOptions.RemoveEmptyEntries).Length);
    }

    [Fact]
    public async Task Should_serve_media_steps_captions_and_downloadable_files()
    {
        await using var server = await EmulatorServer.StartAsync(new EmulatorOptions());
        using var client = await TestClient.LoggedIn(server);
        var run = server.Dataset.FindProject("alice", "mnist-baseline")!.Runs[0];
        var body = new JsonObject { ["projectId"] = run.Project.Cuid, ["columns"] = new JsonArray(Column(run, "samples/image")), ["step"] = 0 };
        var one = await client.Post("/api/house/metrics/media", body);
        Assert.Equal(run.FindMedia("samples/image")!.Steps.Select(s => s.Step), one!["steps"]!.AsArray().Select(s => s!.GetValue<long>()));
        Assert.Equal(0, one["step"]!.GetValue<long>());
        var metric = one["metrics"]![0]!;
        Assert.Equal("samples/image", metric["key"]!.GetValue<string>());
        Assert.StartsWith("media/image/000-", metric["data"]![0]!.GetValue<string>(), StringComparison.Ordinal);
        Assert.Contains("🐱", metric["more"]![0]!["caption"]!.GetValue<string>(), StringComparison.Ordinal);

        body.Remove("step");
        var all = (JsonArray)(await client.Post("/api/house/metrics/f_media", body))!;
        var paths = all[0]!["metrics"]!.AsArray().SelectMany(m => m!["data"]!.AsArray().Select(p => p!.GetValue<string>())).ToArray();
        Assert.Equal(run.FindMedia("samples/image")!.Steps.Sum(s => s.Items.Count), paths.Length);
        var urls = await client.Post("/api/resources/presigned/get", new JsonObject
        {
            ["prefix"] = $"{run.Project.Cuid}/{run.Cuid}",
            ["paths"] = new JsonArray(paths.Select(p => (JsonNode)JsonValue.Create(p)!).ToArray()),
        });
        Assert.Equal(paths.Length, urls!["urls"]!.AsArray().Count);
        using var plain = new HttpClient();
        var png = await plain.GetByteArrayAsync(urls["urls"]![0]!.GetValue<string>());
        Assert.Equal([0x89, 0x50, 0x4E, 0x47], png[..4]);
    }

    [Fact]
    public async Task Should_list_0_7_8_columns_and_classify_system_keys()
    {
        await using var server = await EmulatorServer.StartAsync(new EmulatorOptions());
        using var client = await TestClient.LoggedIn(server);
        var run = server.Dataset.FindProject("alice", "mnist-baseline")!.Runs[0];
        var all = await client.Get($"/api/experiment/{run.Cuid}/column?all=True");
        var list = all!["list"]!.AsArray();
        Assert.Equal(run.Scalars.Count + run.Media.Count, list.Count);
        Assert.Equal("SYSTEM", list.Single(c => c!["key"]!.GetValue<string>().StartsWith("__swanlab__", StringComparison.Ordinal))!["class"]!.GetValue<string>());
        var one = await client.Get($"/api/experiment/{run.Cuid}/column?page=1&size=10&search=train/loss&class=CUSTOM");
        Assert.Equal("train/loss", one!["list"]![0]!["key"]!.GetValue<string>());
        Assert.Equal("FLOAT", one["list"]![0]!["type"]!.GetValue<string>());
    }
}
