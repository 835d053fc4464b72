using System.Net;
using System.Text.Json;
using SwanLab.Client.Upload;

namespace SwanLab.Client.Tests.Upload;

/// <summary>Exact requests of the write side, against a scripted server.</summary>
public sealed class UploadWireSpecs
{
    private const string Project = """{"cuid":"pcuid","name":"demo","version":1,"group":{"username":"alice"},"_count":{"experiments":2}}""";

    private static UploadRun Run(string? flagId = null, int? version = 1) =>
        new(new UploadProject("alice", "demo", "pcuid", version, true, 0, default), "rcuid", null, "r", "2024-08-01T00:00:00Z", flagId, true, default);

    private static List<string> Bodies(StubHandler stub, string route) => stub.Requests.Where(r => r.Route == route).Select(r => r.Body!).ToList();

    [Theory]
    [InlineData("a:1,a:2,a:2")]
    [InlineData("a:1,b:5,a:1")]
    [InlineData("a:3,b:1,b:2,a:2")]
    public async Task Should_refuse_reconciled_scalars_whose_steps_do_not_increase_per_key_and_send_nothing(string points)
    {
        var stub = new StubHandler().On("POST /api/house/metrics", (_, _) => StubHandler.Json("{}"));
        await using var api = await SwanLabApi.ConnectAsync(StubHandler.Options(stub));
        var items = points.Split(',').Select(p => p.Split(':')).Select(p => new ScalarUpload(p[0], long.Parse(p[1], System.Globalization.CultureInfo.InvariantCulture), 1, null)).ToList();

        await Assert.ThrowsAsync<ArgumentException>(() => api.Uploader().UploadScalarsAsync(Run(), items, MetricRetry.Reconcile));

        Assert.Equal(0, stub.Hits("POST /api/house/metrics"));
        var fine = new List<ScalarUpload> { new("a", 1, 1, null), new("b", 1, 1, null), new("a", 2, 1, null), new("b", 2, 1, null) };
        await api.Uploader().UploadScalarsAsync(Run(), fine, MetricRetry.Reconcile);
        Assert.Equal(1, stub.Hits("POST /api/house/metrics"));
    }

    [Fact]
    public async Task Should_fall_back_from_projects_to_the_legacy_and_the_old_backend_create()
    {
        var stub = new StubHandler()
            .On("POST /api/project", (_, _) => StubHandler.Status(HttpStatusCode.NotFound))
            .On("POST /api/project/alice", (_, _) => StubHandler.Json("""{"username":"alice"}""", HttpStatusCode.Conflict))
            .On("GET /api/project/alice/demo", (_, _) => StubHandler.Json(Project));
        await using var api = await SwanLabApi.ConnectAsync(StubHandler.Options(stub));
        var project = await api.Uploader().CreateProjectAsync(new ProjectSpec("alice", "demo"));
        Assert.Equal(["POST /api/projects/alice", "POST /api/project", "POST /api/project/alice", "GET /api/project/alice/demo"],
            stub.Requests.Select(r => r.Route).Where(r => !r.Contains("login", StringComparison.Ordinal)));
        Assert.Equal("""{"name":"demo","visibility":"PRIVATE","username":"alice"}""", Bodies(stub, "POST /api/project")[0]);
        Assert.Equal(("pcuid", 1, false, 2L), (project.Cuid, project.Version, project.Created, project.ExperimentCount));
    }

    [Fact]
    public async Task Should_send_the_experiment_as_0_9_7_does_and_fetch_createdAt_when_a_resume_answer_lacks_it()
    {
        var stub = new StubHandler()
            .On("POST /api/project/alice/demo/experiment", (_, _) => StubHandler.Json("""{"cuid":"rcuid","name":"r"}"""))
            .On("GET /api/project/alice/demo/runs/rcuid", (_, _) => StubHandler.Json("""{"cuid":"rcuid","createdAt":"2024-08-01T00:00:00.000Z"}"""));
        await using var api = await SwanLabApi.ConnectAsync(StubHandler.Options(stub));
        var run = await api.Uploader().CreateExperimentAsync(Run().Project, new ExperimentSpec("my-run", "r")
        {
            CreatedAt = new DateTimeOffset(2024, 8, 1, 0, 0, 0, TimeSpan.Zero).AddTicks(1_234_560), Description = "", Labels = ["a"], Colors = ["#528d59"],
            Group = "g", JobType = "",
        });
        Assert.Equal("""{"name":"r","createdAt":"2024-08-01T00:00:00.123456Z","colors":["#528d59","#528d59"],"labels":[{"name":"a"}],"cluster":"g","cuid":"my-run"}""",
            Bodies(stub, "POST /api/project/alice/demo/experiment")[0]);
        Assert.Equal(("2024-08-01T00:00:00.000Z", false), (run.CreatedAt, run.Created));
    }

    [Fact]
    public async Task Should_write_scalar_items_with_the_read_side_spellings_and_the_flagId_the_server_issued()
    {
        var stub = new StubHandler().On("POST /api/house/metrics", (_, _) => StubHandler.Json("{}"));
        await using var api = await SwanLabApi.ConnectAsync(StubHandler.Options(stub));
        await api.Uploader().UploadScalarsAsync(Run(flagId: "f1"),
            [new ScalarUpload("a/b", 3, double.NegativeInfinity, 1_722_470_400_001), new ScalarUpload("a/b", 4, 0.1, null)]);
        await api.Uploader(new SwanLabUploadOptions { NonFinite = NonFiniteSpelling.Sdk097, LegacyItemFields = true })
            .UploadScalarsAsync(Run(), [new ScalarUpload("a/b", 5, double.NaN, null)]);
        Assert.Equal(
        [
            """{"projectId":"pcuid","experimentId":"rcuid","type":"scalar","metrics":[{"key":"a/b","index":3,"data":"-INF","create_time":"2024-08-01T00:00:00.001Z"},{"key":"a/b","index":4,"data":0.1}],"flagId":"f1"}""",
            """{"projectId":"pcuid","experimentId":"rcuid","type":"scalar","metrics":[{"key":"a/b","index":5,"data":"nan","epoch":1}]}""",
        ], Bodies(stub, "POST /api/house/metrics"));
    }

    [Fact]
    public async Task Should_retry_a_metric_batch_only_when_the_server_certainly_did_not_take_it()
    {
        var stub = new StubHandler().On("POST /api/house/metrics", (_, hit) => hit switch
        {
            0 => new HttpResponseMessage(HttpStatusCode.TooManyRequests),
            1 => throw new HttpRequestException(HttpRequestError.ConnectionError, "refused"),
            2 => StubHandler.Json("{}"),
            _ => StubHandler.Status(HttpStatusCode.ServiceUnavailable),
        });
        await using var api = await SwanLabApi.ConnectAsync(StubHandler.Options(stub, retries: 5));
        var up = api.Uploader();
        Assert.Equal(1, (await up.UploadScalarsAsync(Run(), [new ScalarUpload("k", 1, 1, null)])).Records);
        Assert.Equal(3, stub.Hits("POST /api/house/metrics"));
        var uncertain = await Assert.ThrowsAsync<SwanLabUploadUncertainException>(() => up.UploadScalarsAsync(Run(), [new ScalarUpload("k", 2, 1, null)]));
        Assert.Equal(HttpStatusCode.ServiceUnavailable, uncertain.StatusCode);
        Assert.Equal(4, stub.Hits("POST /api/house/metrics"));
    }

    [Fact]
    public async Task Should_upload_media_files_before_the_items_and_keep_captions_aligned()
    {
        var stub = new StubHandler()
            .On("POST /api/resources/presigned/put", (_, _) => StubHandler.Json("""{"urls":["/bucket/a?sig=1","http://store.test/b?sig=2"]}"""))
            .On("PUT /bucket/a", (_, _) => StubHandler.Status(HttpStatusCode.OK))
            .On("PUT /b", (_, _) => StubHandler.Status(HttpStatusCode.OK))
            .On("POST /api/house/metrics", (_, _) => StubHandler.Json("{}"));
        await using var api = await SwanLabApi.ConnectAsync(StubHandler.Options(stub));
        await api.Uploader().UploadMediaAsync(Run(),
        [
            new MediaUpload("img", 5, [new MediaFile("media/image/005-a.png", new byte[] { 1 }, "image/png"),
                new MediaFile("media/image/005-b.png", new byte[] { 2 }, "image/png", "cat")], null),
        ]);
        var routes = stub.Requests.Select(r => r.Route).Where(r => !r.Contains("login", StringComparison.Ordinal)).ToList();
        Assert.Equal("POST /api/resources/presigned/put", routes[0]);
        Assert.Equal("POST /api/house/metrics", routes[^1]);
        Assert.Equal(["PUT /b", "PUT /bucket/a"], routes.Where(r => r.StartsWith("PUT", StringComparison.Ordinal)).Order());
        Assert.Equal("""{"experimentId":"rcuid","paths":["media/image/005-a.png","media/image/005-b.png"]}""", Bodies(stub, "POST /api/resources/presigned/put")[0]);
        var item = JsonSerializer.Deserialize<JsonElement>(Bodies(stub, "POST /api/house/metrics")[0]).GetProperty("metrics")[0];
        Assert.Equal("""[null,{"caption":"cat"}]""", item.GetProperty("more").GetRawText());
        Assert.All(stub.Requests.Where(r => r.Route.StartsWith("PUT", StringComparison.Ordinal)), r => Assert.Null(r.Cookie));
    }

    [Fact]
    public async Task Should_send_one_profile_field_per_put_and_columns_to_the_route_the_project_version_picks()
    {
        var stub = new StubHandler()
            .On("PUT /api/project/alice/demo/runs/rcuid/profile", (_, _) => StubHandler.Json("""{"message":"ok"}"""))
            .On("POST /api/projects/alice/demo/series", (_, _) => StubHandler.Json("""{"message":"ok"}"""))
            .On("POST /api/experiment/rcuid/columns", (_, _) => StubHandler.Json("""{"message":"ok"}"""));
        await using var api = await SwanLabApi.ConnectAsync(StubHandler.Options(stub));
        var up = api.Uploader();
        await up.PutConfigAsync(Run(), SwanLabUploader.WrapConfig(JsonSerializer.Deserialize<JsonElement>("""{"lr":0.1,"m":{"a":1}}""")));
        await up.PutRequirementsAsync(Run(), "");
        await up.PutCondaAsync(Run(), "name: x");
        Assert.Equal(["""{"config":{"lr":{"value":0.1,"desc":"","sort":0},"m":{"value":{"a":1},"desc":"","sort":1}}}""", """{"conda":"name: x"}"""],
            Bodies(stub, "PUT /api/project/alice/demo/runs/rcuid/profile"));
        ColumnSpec[] columns = [new("train/loss"), new("__swanlab__.cpu", System: true)];
        await up.DeclareColumnsAsync(Run(), columns);
        await up.DeclareColumnsAsync(Run(version: null), columns);
        Assert.Equal("""{"series":[{"key":"train/loss","type":"FLOAT","sectionName":"train"},{"key":"__swanlab__.cpu","type":"SYSTEM"}]}""",
            Bodies(stub, "POST /api/projects/alice/demo/series")[0]);
        Assert.Equal("""[{"key":"train/loss","type":"FLOAT","sectionName":"train"},{"key":"__swanlab__.cpu","type":"FLOAT","class":"SYSTEM","sectionType":"SYSTEM"}]""",
            Bodies(stub, "POST /api/experiment/rcuid/columns")[0]);
    }
}

/// <summary>Answers of the write side that some servers give and the SDK tolerates.</summary>
public sealed class UploadAnswerSpecs
{
    private static UploadRun Run() =>
        new(new UploadProject("alice", "demo", "pcuid", 1, true, 0, default), "rcuid", null, "r", "2024-08-01T00:00:00Z", null, true, default);

    [Fact]
    public async Task Should_read_null_members_of_a_resume_summary_as_nothing_stored()
    {
        var stub = new StubHandler().On("GET /api/house/metrics/summaries/pcuid/rcuid", (_, _) =>
            StubHandler.Json("""{"log":null,"media":null,"scalar":[{"key":"loss","step":7},{"key":"loss","step":9}]}"""));
        await using var api = await SwanLabApi.ConnectAsync(StubHandler.Options(stub));
        var summary = await api.Uploader().ResumeSummaryAsync(Run());
        Assert.Equal((9L, 0, (long?)null), (summary.ScalarSteps["loss"], summary.MediaSteps.Count, summary.LastLogEpoch));
        Assert.Contains("createdAt=1722470400", stub.Urls.Single(u => u.Contains("summaries", StringComparison.Ordinal)), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Should_keep_the_api_key_out_of_write_errors_even_when_the_server_echoes_it()
    {
        var echo = $$"""{"code":"X","message":"bad key {{StubHandler.Key}}"}""";
        var stub = new StubHandler()
            .On("POST /api/project/alice/demo/experiment", (_, _) => StubHandler.Status(HttpStatusCode.Conflict, echo))
            .On("POST /api/house/metrics", (_, _) => StubHandler.Status(HttpStatusCode.InternalServerError, echo))
            .On("PUT /api/project/alice/demo/runs/rcuid/state", (_, _) => StubHandler.Status(HttpStatusCode.Forbidden, echo));
        await using var api = await SwanLabApi.ConnectAsync(StubHandler.Options(stub, retries: 1));
        var up = api.Uploader();
        var errors = new List<SwanLabException>
        {
            await Assert.ThrowsAsync<SwanLabConflictException>(() => up.CreateExperimentAsync(Run().Project, new ExperimentSpec("id", "r"))),
            await Assert.ThrowsAsync<SwanLabUploadUncertainException>(() => up.UploadScalarsAsync(Run(), [new ScalarUpload("k", 1, 1, null)])),
            await Assert.ThrowsAsync<SwanLabForbiddenException>(() => up.FinishAsync(Run(), RunFinalState.Finished, DateTimeOffset.UnixEpoch)),
        };
        Assert.All(errors, e => Assert.DoesNotContain(StubHandler.Key, e.ToString(), StringComparison.Ordinal));
        Assert.All(errors, e => Assert.Contains("bad key ***", e.ToString(), StringComparison.Ordinal));
    }

    [Fact]
    public async Task Should_map_a_run_object_to_the_experiment_create_that_copies_it()
    {
        var json = JsonSerializer.Deserialize<JsonElement>("""
            {"cuid":"c1","slug":"s1","name":"n","createdAt":"2024-08-01T00:00:00.250Z","description":"","labels":[{"name":"a"}],
             "cluster":"g","job":"","colors":["#1","#2"],"state":"ABORTED"}
            """);
        var spec = RunObjects.ToExperimentSpec(json);
        Assert.Equal(("c1", "n", (string?)null, "g", (string?)null), (spec.Cuid, spec.Name, spec.Description, spec.Group, spec.JobType));
        Assert.Equal(["a"], spec.Labels);
        Assert.Equal(["#1", "#2"], spec.Colors);
        Assert.Equal(new DateTimeOffset(2024, 8, 1, 0, 0, 0, 250, TimeSpan.Zero), spec.CreatedAt);
        Assert.Equal(RunFinalState.Aborted, RunObjects.FinalState("ABORTED"));
        Assert.Null(RunObjects.FinalState("RUNNING"));
    }
}

/// <summary>Paths for new media, as each SDK names them.</summary>
public sealed class MediaPathSpecs
{
    [Fact]
    public void Should_name_new_media_as_each_sdk_does()
    {
        byte[] content = [1, 2, 3];
        var hash = Convert.ToHexStringLower(System.Security.Cryptography.SHA256.HashData(content));
        Assert.Equal($"media/image/005-{hash[..8]}.png", MediaPaths.Sdk097("image", 5, content, "png"));
        Assert.Equal($"media/text/1234-{hash[..8]}.txt", MediaPaths.Sdk097("text", 1234, content, "txt"));
        Assert.Equal($"train%2Fimg%20a/image-step5-{hash[..16]}.png", MediaPaths.Sdk078("train/img a", "image", 5, content, "png"));
    }
}
