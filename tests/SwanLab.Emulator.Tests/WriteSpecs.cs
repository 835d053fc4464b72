using System.Net;
using System.Text.Json.Nodes;

namespace SwanLab.Emulator.Tests;

public sealed class WriteSpecs
{
    [Fact]
    public async Task Should_create_projects_with_201_then_409_or_200_for_existing()
    {
        await using var server = await EmulatorServer.StartAsync(new EmulatorOptions());
        using var client = await TestClient.LoggedIn(server);
        var created = await client.Post("/api/project", new JsonObject { ["name"] = "imported.v2", ["username"] = "aurora-lab", ["visibility"] = "PRIVATE" }, HttpStatusCode.Created);
        Assert.Equal("aurora-lab", created!["username"]!.GetValue<string>());
        using var conflict = await client.Http.PostAsync("/api/project", TestClient.Content(new JsonObject { ["name"] = "imported.v2", ["username"] = "aurora-lab" }));
        Assert.Equal(HttpStatusCode.Conflict, conflict.StatusCode);
        Assert.Equal("Conflict", conflict.ReasonPhrase);
        Assert.Equal("aurora-lab", JsonNode.Parse(await conflict.Content.ReadAsStringAsync())!["username"]!.GetValue<string>());
        await client.Post("/api/projects/alice", new JsonObject { ["name"] = "fresh", ["visibility"] = "PUBLIC" }, HttpStatusCode.Created);
        await client.Post("/api/projects/alice", new JsonObject { ["name"] = "fresh", ["visibility"] = "PUBLIC" }, HttpStatusCode.OK);
        await client.Post("/api/projects/alice", new JsonObject { ["name"] = "..", ["visibility"] = "PUBLIC" }, HttpStatusCode.BadRequest);
        var detail = await client.Get("/api/project/alice/fresh");
        Assert.Equal("alice/fresh", detail!["path"]!.GetValue<string>());
        Assert.Equal(0, detail["_count"]!["experiments"]!.GetValue<int>());
    }

    [Fact]
    public async Task Should_create_then_resume_experiment_and_merge_profile_fields()
    {
        await using var server = await EmulatorServer.StartAsync(new EmulatorOptions());
        using var client = await TestClient.LoggedIn(server);
        await client.Post("/api/projects/alice", new JsonObject { ["name"] = "import", ["visibility"] = "PRIVATE" }, HttpStatusCode.Created);
        var body = new JsonObject { ["name"] = "copied", ["createdAt"] = "2024-08-01T00:00:00Z", ["cuid"] = "my-run-id", ["colors"] = new JsonArray("#528d59", "#528d59") };
        var first = await client.Post("/api/project/alice/import/experiment", body, HttpStatusCode.Created);
        foreach (var field in new[] { "cuid", "slug", "name", "createdAt", "flagId", "profile", "rootProId", "rootExpId" })
        {
            Assert.True(first!.AsObject().ContainsKey(field), field);
        }

        Assert.Equal("my-run-id", first!["slug"]!.GetValue<string>());
        var second = await client.Post("/api/project/alice/import/experiment", body.DeepClone(), HttpStatusCode.OK);
        Assert.Equal(first["cuid"]!.GetValue<string>(), second!["cuid"]!.GetValue<string>());
        var cuid = first["cuid"]!.GetValue<string>();
        var config = new JsonObject { ["lr"] = new JsonObject { ["value"] = 0.01, ["desc"] = "", ["sort"] = 0 } };
        await client.Put($"/api/project/alice/import/runs/{cuid}/profile", new JsonObject { ["config"] = config });
        await client.Put($"/api/project/alice/import/runs/{cuid}/profile", new JsonObject { ["requirements"] = "numpy==2.0\n" });
        await client.Put($"/api/project/alice/import/runs/{cuid}/state", new JsonObject { ["state"] = "FINISHED", ["finishedAt"] = "2024-08-01T01:00:00.5Z", ["from"] = "sdk" });
        var run = await client.Get("/api/project/alice/import/runs/my-run-id");
        Assert.Equal(0.01, run!["profile"]!["config"]!["lr"]!["value"]!.GetValue<double>());
        Assert.Equal("numpy==2.0\n", run["profile"]!["requirements"]!.GetValue<string>());
        Assert.Equal("FINISHED", run["state"]!.GetValue<string>());
        Assert.Equal("2024-08-01T00:00:00.000Z", run["createdAt"]!.GetValue<string>());
        await client.Post($"/api/house/experiments/{cuid}/heartbeat", new JsonObject { ["flagId"] = "123456" });
    }

    [Fact]
    public async Task Should_refuse_to_resume_a_clone_with_400()
    {
        await using var server = await EmulatorServer.StartAsync(new EmulatorOptions());
        using var client = await TestClient.LoggedIn(server);
        var clone = server.Dataset.FindProject("alice", "v1.2.final")!.Runs.Single(r => r.RootExpId is not null);
        using var response = await client.Http.PostAsync("/api/project/alice/v1.2.final/experiment", TestClient.Content(new JsonObject { ["name"] = "x", ["cuid"] = clone.Cuid }));
        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Equal("Bad Request", response.ReasonPhrase);
    }

    [Fact]
    public async Task Should_store_uploaded_metrics_logs_and_media_and_read_them_back()
    {
        await using var server = await EmulatorServer.StartAsync(new EmulatorOptions());
        using var client = await TestClient.LoggedIn(server);
        await client.Post("/api/projects/alice", new JsonObject { ["name"] = "import", ["visibility"] = "PRIVATE" }, HttpStatusCode.Created);
        var project = await client.Get("/api/project/alice/import");
        var created = await client.Post("/api/project/alice/import/experiment", new JsonObject { ["name"] = "up" }, HttpStatusCode.Created);
        var cuid = created!["cuid"]!.GetValue<string>();
        var projectId = project!["cuid"]!.GetValue<string>();
        JsonObject Envelope(string type, JsonArray metrics) => new() { ["projectId"] = projectId, ["experimentId"] = cuid, ["type"] = type, ["metrics"] = metrics };
        await client.Post("/api/house/metrics", Envelope("scalar", new JsonArray(
            new JsonObject { ["key"] = "a/b c", ["index"] = 0, ["data"] = 1.5, ["create_time"] = "2026-08-21T14:27:03.123Z" },
            new JsonObject { ["key"] = "a/b c", ["index"] = 1, ["data"] = "nan", ["create_time"] = "2026-08-21T14:27:04.123Z" },
            new JsonObject { ["key"] = "a/b c", ["index"] = 2, ["data"] = "INF", ["create_time"] = "2026-02-06T10:38:02.123456+00:00", ["epoch"] = 3 })));
        await client.Post("/api/house/metrics", Envelope("log", new JsonArray(new JsonObject { ["level"] = "INFO", ["message"] = "hello", ["create_time"] = "2026-08-21T14:27:03.123Z", ["epoch"] = 1 })));
        var put = await client.Post("/api/resources/presigned/put", new JsonObject { ["experimentId"] = cuid, ["paths"] = new JsonArray("media/image/005-1a2b3c4d.png") });
        using (var plain = new HttpClient())
        {
            using var upload = await plain.PutAsync(put!["urls"]![0]!.GetValue<string>(), new ByteArrayContent([1, 2, 3]));
            upload.EnsureSuccessStatusCode();
        }

        await client.Post("/api/house/metrics", Envelope("media", new JsonArray(new JsonObject
        {
            ["key"] = "img", ["index"] = 5, ["data"] = new JsonArray("media/image/005-1a2b3c4d.png"), ["more"] = new JsonArray(new JsonObject { ["caption"] = "cat" }),
            ["create_time"] = "2026-08-21T14:27:03.123Z",
        })));
        await client.Post($"/api/projects/alice/import/series", new JsonObject { ["series"] = new JsonArray(new JsonObject { ["key"] = "a/b c", ["type"] = "FLOAT" }) });

        var summary = await client.Get($"/api/house/metrics/summaries/{projectId}/{cuid}?all=True");
        Assert.Equal(2, summary!["scalar"]![0]!["step"]!.GetValue<long>());
        Assert.Equal(1, summary["log"]![0]!["step"]!.GetValue<long>());
        Assert.Equal(5, summary["media"]![0]!["step"]!.GetValue<long>());
        var csv = await client.Get($"/api/experiment/{cuid}/column/csv?key={Uri.EscapeDataString("a/b c")}");
        var lines = (await client.Download(csv!["url"]!.GetValue<string>())).Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.Equal(["step,up-a/b c_step,up-a/b c_timestamp", "0,1.5,1787322423123", "1,NaN,1787322424123", "2,INF,1770374282123"], lines);
        var urls = await client.Post("/api/resources/presigned/get", new JsonObject { ["prefix"] = $"{projectId}/{cuid}", ["paths"] = new JsonArray("media/image/005-1a2b3c4d.png") });
        using var download = new HttpClient();
        Assert.Equal([1, 2, 3], await download.GetByteArrayAsync(urls!["urls"]![0]!.GetValue<string>()));
    }

    [Fact]
    public async Task Should_answer_404_Disabled_Resource_for_a_deleted_experiment()
    {
        await using var server = await EmulatorServer.StartAsync(new EmulatorOptions());
        using var client = await TestClient.LoggedIn(server);
        var run = server.Dataset.FindProject("alice", "mnist-baseline")!.Runs[1];
        using (var delete = await client.Http.DeleteAsync($"/api/project/alice/mnist-baseline/runs/{run.Cuid}"))
        {
            Assert.True(delete.IsSuccessStatusCode);
        }

        await client.Get($"/api/project/alice/mnist-baseline/runs/{run.Cuid}", HttpStatusCode.NotFound);
        using var resume = await client.Http.PostAsync("/api/project/alice/mnist-baseline/experiment", TestClient.Content(new JsonObject { ["name"] = "again", ["cuid"] = run.Cuid }));
        Assert.Equal(HttpStatusCode.NotFound, resume.StatusCode);
        Assert.Equal("Disabled Resource", resume.ReasonPhrase);
        using var columns = await client.Http.PostAsync($"/api/experiment/{run.Cuid}/columns", TestClient.Content(new JsonArray()));
        Assert.Equal("Disabled_Resource", JsonNode.Parse(await columns.Content.ReadAsStringAsync())!["code"]!.GetValue<string>());
    }

    [Fact]
    public async Task Should_accept_saved_files_single_and_multipart()
    {
        await using var server = await EmulatorServer.StartAsync(new EmulatorOptions());
        using var client = await TestClient.LoggedIn(server);
        var run = server.Dataset.FindProject("alice", "mnist-baseline")!.Runs[0];
        var prepared = await client.Post($"/api/experiment/{run.Cuid}/files/prepare", new JsonObject
        {
            ["files"] = new JsonArray(new JsonObject { ["path"] = "checkpoints/model.txt", ["size"] = 3, ["md5"] = "x", ["mimeType"] = "text/plain" }),
        });
        using var plain = new HttpClient();
        using (var put = await plain.PutAsync(prepared!["urls"]![0]!.GetValue<string>(), new ByteArrayContent([7, 8, 9])))
        {
            put.EnsureSuccessStatusCode();
        }

        await client.Post($"/api/experiment/{run.Cuid}/files/complete", new JsonObject
        {
            ["files"] = new JsonArray(new JsonObject { ["path"] = "checkpoints/model.txt", ["state"] = "UPLOADED" }),
        }, HttpStatusCode.Created);
        await client.Post($"/api/experiment/{run.Cuid}/files/complete", new JsonObject
        {
            ["files"] = new JsonArray(new JsonObject { ["path"] = "unknown.bin", ["state"] = "UPLOADED" }),
        }, HttpStatusCode.NotFound);

        var multi = await client.Post($"/api/experiment/{run.Cuid}/files/prepare-multipart", new JsonObject
        {
            ["files"] = new JsonArray(new JsonObject { ["path"] = "big.bin", ["size"] = 4, ["md5"] = "x", ["mimeType"] = "application/octet-stream", ["count"] = 2 }),
        });
        var file = multi!["files"]![0]!;
        var parts = new JsonArray();
        foreach (var part in file["parts"]!.AsArray())
        {
            using var put = await plain.PutAsync(part!["url"]!.GetValue<string>(), new ByteArrayContent([(byte)part["partNumber"]!.GetValue<int>()]));
            put.EnsureSuccessStatusCode();
            parts.Add(new JsonObject { ["partNumber"] = part["partNumber"]!.GetValue<int>(), ["etag"] = put.Headers.ETag!.Tag.Trim('"') });
        }

        await client.Post($"/api/experiment/{run.Cuid}/files/complete-multipart", new JsonObject
        {
            ["files"] = new JsonArray(new JsonObject { ["path"] = "big.bin", ["uploadId"] = file["uploadId"]!.GetValue<string>(), ["parts"] = parts }),
        }, HttpStatusCode.Created);
        Assert.Equal("UPLOADED", run.SavedFiles["big.bin"]);
        Assert.Equal("UPLOADED", run.SavedFiles["checkpoints/model.txt"]);
    }

    [Fact]
    public async Task Should_answer_202_to_uploads_with_a_superseded_flagId()
    {
        await using var server = await EmulatorServer.StartAsync(new EmulatorOptions());
        using var client = await TestClient.LoggedIn(server);
        var body = new JsonObject { ["name"] = "taken-over", ["cuid"] = "abcdefghijklmnopqrstu" };
        var first = await client.Post("/api/project/alice/mnist-baseline/experiment", body, HttpStatusCode.Created);
        var second = await client.Post("/api/project/alice/mnist-baseline/experiment", body.DeepClone(), HttpStatusCode.OK);
        var oldFlag = first!["flagId"]!.GetValue<string>();
        Assert.NotEqual(oldFlag, second!["flagId"]!.GetValue<string>());
        JsonObject Upload(string flag) => new()
        {
            ["projectId"] = server.Dataset.FindProject("alice", "mnist-baseline")!.Cuid,
            ["experimentId"] = "abcdefghijklmnopqrstu",
            ["type"] = "scalar",
            ["metrics"] = new JsonArray(new JsonObject { ["key"] = "loss", ["index"] = 1, ["data"] = 0.5, ["create_time"] = "2026-02-06T10:38:02+00:00", ["epoch"] = 1 }),
            ["flagId"] = flag,
        };
        await client.Post("/api/house/metrics", Upload(oldFlag), HttpStatusCode.Accepted);
        await client.Post("/api/house/metrics", Upload(second["flagId"]!.GetValue<string>()), HttpStatusCode.OK);
    }
}
