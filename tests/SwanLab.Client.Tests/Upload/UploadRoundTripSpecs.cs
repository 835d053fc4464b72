using System.Text.Json;
using SwanLab.Client.Upload;
using SwanLab.Emulator;
using static SwanLab.Client.Tests.Upload.UploadHarness;

namespace SwanLab.Client.Tests.Upload;

/// <summary>A run uploaded through the client into an empty emulator reads back through the client's read API unchanged.</summary>
public sealed class UploadRoundTripSpecs
{
    private static readonly DateTimeOffset Started = DateTimeOffset.Parse("2024-08-01T00:00:00.123Z", System.Globalization.CultureInfo.InvariantCulture);
    private static readonly DateTimeOffset Ended = DateTimeOffset.Parse("2024-08-01T01:02:03.456Z", System.Globalization.CultureInfo.InvariantCulture);

    private static async Task<UploadRun> UploadRunAsync(SwanLabUploader up, string cuid)
    {
        var project = await up.CreateProjectAsync(new ProjectSpec("aurora-lab", "copied.v2") { Description = "copied 复制", Visibility = "PUBLIC" });
        var run = await up.CreateExperimentAsync(project, new ExperimentSpec(cuid, "baseline 🚀")
        {
            CreatedAt = Started, Description = "desc ✨", Labels = ["baseline", "cnn"], Group = "lr-sweep", JobType = "train",
            Colors = ["#aa0000", "#00bb00"],
        });
        await up.PutConfigAsync(run, SwanLabUploader.WrapConfig(Parse("""{"lr": 0.001, "model": {"layers": 4, "act": "relu"}}""")));
        await up.PutMetadataAsync(run, Parse("""{"hardware": {"cpu": 8}}"""));
        await up.PutRequirementsAsync(run, "numpy==2.0\n");
        await up.PutCondaAsync(run, "name: env\n");
        await up.DeclareColumnsAsync(run, [new ColumnSpec("train/loss"), new ColumnSpec("img", "IMAGE")]);
        await up.UploadScalarsAsync(run, Points("train/loss", 40));
        await up.UploadLogsAsync(run,
        [
            new LogUpload(1, "INFO", "ready", Started.AddSeconds(1)),
            new LogUpload(2, "WARN", "slow 慢", Started.AddSeconds(2)),
            new LogUpload(3, "ERROR", "boom", Started.AddSeconds(3)),
        ]);
        await up.UploadMediaAsync(run,
        [
            new MediaUpload("img", 5, [new MediaFile("media/image/005-aaaaaaaa.png", Bytes("png-a"), "image/png", "cat"),
                new MediaFile("media/image/005-bbbbbbbb.png", Bytes("png-b"), "image/png")], 1_722_470_405_000),
            new MediaUpload("img", 9, [new MediaFile("media/image/009-cccccccc.png", Bytes("png-c"), "image/png", "dog")], 1_722_470_409_000),
        ]);
        await up.FinishAsync(run, RunFinalState.Crashed, Ended);
        return run;
    }

    [Fact]
    public async Task Should_read_back_every_field_point_log_line_and_media_file_as_uploaded()
    {
        var (server, api) = await StartEmptyAsync();
        await using var _ = server;
        await using var __ = api;
        Assert.Empty(server.Dataset.Projects);
        var up = api.Uploader();
        var uploaded = await UploadRunAsync(up, "abcdefghij0123456789k");
        Assert.True(uploaded.Created);
        Assert.True(uploaded.Project.Created);

        var run = await api.RunAsync("aurora-lab/copied.v2/abcdefghij0123456789k");
        Assert.Equal(("baseline 🚀", "desc ✨", "CRASHED", "lr-sweep", "train"), (run.Name, run.Description, run.State, run.Group, run.JobType));
        Assert.Equal(["baseline", "cnn"], run.Labels);
        Assert.Equal("2024-08-01T00:00:00.123Z", run.CreatedAt);
        Assert.Equal("2024-08-01T01:02:03.456Z", run.FinishedAt);
        Assert.Equal(["#aa0000", "#00bb00"], run.Json().GetProperty("colors").EnumerateArray().Select(c => c.GetString()));
        Assert.Equal(0.001, run.Profile.Config.GetProperty("lr").GetDouble());
        Assert.Equal("relu", run.Profile.Config.GetProperty("model").GetProperty("act").GetString());
        Assert.Equal(8, run.Profile.Metadata.GetProperty("hardware").GetProperty("cpu").GetInt32());
        Assert.Equal(("numpy==2.0\n", "name: env\n"), (run.Profile.Requirements, run.Profile.Conda));
        var project = await api.ProjectAsync("aurora-lab/copied.v2");
        Assert.Equal(("copied 复制", "PUBLIC"), (project.Description, project.Visibility));

        var sent = Points("train/loss", 40);
        var read = await ToList(run.StreamMetricAsync("train/loss"));
        Assert.Equal(sent.Select(p => (p.Step, BitConverter.DoubleToInt64Bits(p.Value), p.TimestampMs)),
            read.Select(p => (p.Step, BitConverter.DoubleToInt64Bits(p.Value), p.TimestampMs)));
        Assert.Equal(sent.Select(p => p.Step), (await run.SampledMetricAsync("train/loss")).Select(p => p.Step));
        Assert.Equal(["train/loss"], (await ToList(run.SeriesKeysAsync())).Select(k => k.Key));
        Assert.Equal(sent[^1].Step, (await run.SummaryAsync())["train/loss"].Step);

        foreach (var (level, message) in new[] { ("INFO", "ready"), ("WARN", "slow 慢"), ("ERROR", "boom") })
            Assert.Equal([message], (await ToList(run.LogsAsync(level))).Select(l => l.Message));

        var media = await ToList(run.MediaAsync());
        Assert.Equal([("media/image/005-aaaaaaaa.png", 5L, "cat"), ("media/image/005-bbbbbbbb.png", 5L, null), ("media/image/009-cccccccc.png", 9L, "dog")],
            media.Select(m => (m.Path, m.Step, m.Caption)));
        foreach (var (item, expected) in media.Zip(new[] { "png-a", "png-b", "png-c" }))
        {
            using var bytes = new MemoryStream();
            await run.DownloadMediaAsync(item, bytes);
            Assert.Equal(Bytes(expected), bytes.ToArray());
        }

        var writes = server.Stats.Snapshot().Writes;
        Assert.Equal((1L, 1L, 40L, 0L, 3L, 2L, 3L), (writes.ProjectsCreated, writes.ExperimentsCreated, writes.PointsStored, writes.DuplicateSteps,
            writes.LogLinesStored, writes.MediaStepsStored, writes.MediaFilesUploaded));
    }

    [Fact]
    public async Task Should_read_back_uploads_of_an_older_server_through_the_column_csv()
    {
        var (server, api) = await StartEmptyAsync(legacy: true);
        await using var _ = server;
        await using var __ = api;
        var up = api.Uploader();
        var project = await up.CreateProjectAsync(new ProjectSpec("alice", "old"));
        Assert.Equal((true, (int?)null), (project.Created, project.Version));
        var run = await up.CreateExperimentAsync(project, new ExperimentSpec("oldrun0123456789abcde", "old") { CreatedAt = Started });
        Assert.NotNull(run.FlagId);
        await up.DeclareColumnsAsync(run, [new ColumnSpec("loss")]);
        Assert.Equal(1, server.Stats.Requests("POST /api/experiment/{id}/columns"));
        Assert.Equal(1, server.Stats.Requests("POST /api/projects (legacy 404)"));
        await up.UploadScalarsAsync(run, Points("loss", 12));
        var summary = await up.ResumeSummaryAsync(run);
        Assert.Equal(22, summary.ScalarSteps["loss"]);

        var read = await ToList((await api.RunAsync("alice/old/oldrun0123456789abcde")).StreamMetricAsync("loss"));
        Assert.Equal(SwanLabProtocol.Legacy, api.Protocol);
        Assert.Equal(Points("loss", 12).Select(p => (p.Step, BitConverter.DoubleToInt64Bits(p.Value), p.TimestampMs)),
            read.Select(p => (p.Step, BitConverter.DoubleToInt64Bits(p.Value), p.TimestampMs)));
    }

    [Fact]
    public async Task Should_find_the_same_project_and_run_again_and_report_what_the_server_holds()
    {
        var (server, api) = await StartEmptyAsync();
        await using var _ = server;
        await using var __ = api;
        var up = api.Uploader();
        await UploadRunAsync(up, "abcdefghij0123456789k");
        var project = await up.CreateProjectAsync(new ProjectSpec("aurora-lab", "copied.v2"));
        var again = await up.CreateExperimentAsync(project, new ExperimentSpec("abcdefghij0123456789k", "baseline 🚀") { CreatedAt = Started });
        Assert.False(project.Created);
        Assert.False(again.Created);
        Assert.Equal("2024-08-01T00:00:00.123Z", again.CreatedAt);
        var summary = await up.ResumeSummaryAsync(again);
        Assert.Equal((78L, 9L, 3L), (summary.ScalarSteps["train/loss"], summary.MediaSteps["img"], summary.LastLogEpoch!.Value));
        var writes = server.Stats.Snapshot().Writes;
        Assert.Equal((1L, 1L, 1L), (writes.ProjectsCreated, writes.ExperimentsCreated, writes.ExperimentsResumed));
    }
}

/// <summary>A server that keeps its own times: the uploader says what the server holds, so an importer can report it.</summary>
public sealed class ServerTimeSpecs
{
    [Fact]
    public async Task Should_report_the_createdAt_the_server_kept_when_it_ignores_the_one_sent()
    {
        var (server, api) = await StartEmptyAsync(serverTimes: true);
        await using var _ = server;
        await using var __ = api;
        var up = api.Uploader();
        var sent = new DateTimeOffset(2020, 1, 2, 3, 4, 5, TimeSpan.Zero);
        var project = await up.CreateProjectAsync(new ProjectSpec("alice", "p"));
        var run = await up.CreateExperimentAsync(project, new ExperimentSpec("abcdefghijklmnopqrstu", "r") { CreatedAt = sent });
        await up.FinishAsync(run, RunFinalState.Finished, sent.AddHours(1));
        Assert.NotEqual("2020-01-02T03:04:05.000Z", run.CreatedAt);
        var read = await api.RunAsync(run.Path);
        Assert.Equal(run.CreatedAt, read.CreatedAt);
        Assert.NotEqual("2020-01-02T04:04:05.000Z", read.FinishedAt);
    }
}

/// <summary>The real server ends the session when a run finishes (SDK #1715); one client still imports run after run.</summary>
public sealed class SessionAfterFinishSpecs
{
    [Fact]
    public async Task Should_log_in_again_after_a_finish_ends_the_session_and_upload_the_next_run()
    {
        await using var server = await EmulatorServer.StartAsync(new EmulatorOptions { Size = DatasetSize.Empty, EndSessionOnFinish = true });
        await using var api = await EmulatorFixture.Connect(server);
        var up = api.Uploader();
        var project = await up.CreateProjectAsync(new ProjectSpec("alice", "p"));
        foreach (var id in new[] { "aaaaaaaaaaaaaaaaaaaaa", "bbbbbbbbbbbbbbbbbbbbb" })
        {
            var run = await up.CreateExperimentAsync(project, new ExperimentSpec(id, id));
            await up.UploadScalarsAsync(run, Points("loss", 5));
            await up.FinishAsync(run, RunFinalState.Finished, DateTimeOffset.UtcNow);
        }
        Assert.Equal(2, server.Dataset.Runs.Count(r => r.State == "FINISHED" && r.FindScalar("loss")!.Count == 5));
        Assert.Equal(2, api.Statistics.Logins);
    }
}
