using SwanLab.Client.Upload;
using static SwanLab.Client.Tests.Upload.UploadHarness;

namespace SwanLab.Client.Tests.Upload;

/// <summary>Batching, the typed errors of the write side, and retries that never duplicate a point.</summary>
public sealed class UploadFailureSpecs
{
    private const string MetricsRoute = "POST /api/house/metrics";

    private static async Task<(UploadProject Project, UploadRun Run)> NewRunAsync(SwanLabUploader up, string cuid = "runid0123456789abcdef")
    {
        var project = await up.CreateProjectAsync(new ProjectSpec("alice", "target"));
        return (project, await up.CreateExperimentAsync(project, new ExperimentSpec(cuid, "copy") { CreatedAt = DateTimeOffset.UnixEpoch.AddYears(54) }));
    }

    [Fact]
    public async Task Should_cut_metric_uploads_into_requests_of_at_most_10000_records_by_default()
    {
        var (server, api) = await StartEmptyAsync();
        await using var _ = server;
        await using var __ = api;
        var (_, run) = await NewRunAsync(api.Uploader());
        var report = await api.Uploader().UploadScalarsAsync(run, Points("loss", 20_001));
        Assert.Equal((3, 20_001), (report.Requests, report.Records));
        Assert.Equal(3, server.Stats.Requests(MetricsRoute));
        Assert.Equal(20_001, server.Dataset.FindRun(run.Cuid)!.FindScalar("loss")!.Count);

        var logs = Enumerable.Range(1, 250).Select(i => new LogUpload(i, "INFO", "line " + i, null)).ToList();
        await api.Uploader(new SwanLabUploadOptions { MaxRecordsPerRequest = 100 }).UploadLogsAsync(run, logs);
        Assert.Equal(6, server.Stats.Requests(MetricsRoute));
        Assert.Equal(250, server.Stats.Snapshot().Writes.LogLinesStored);
    }

    [Fact]
    public async Task Should_raise_a_conflict_for_an_id_taken_in_another_project_and_run_deleted_for_a_deleted_run()
    {
        var (server, api) = await StartEmptyAsync();
        await using var _ = server;
        await using var __ = api;
        var up = api.Uploader();
        var (project, run) = await NewRunAsync(up);
        var other = await up.CreateProjectAsync(new ProjectSpec("aurora-lab", "elsewhere"));
        var conflict = await Assert.ThrowsAsync<SwanLabConflictException>(() => up.CreateExperimentAsync(other, new ExperimentSpec(run.Cuid, "copy")));
        Assert.Contains(run.Cuid, conflict.Message, StringComparison.Ordinal);

        await api.Connection.SendJsonAsync(HttpMethod.Delete, $"project/alice/target/runs/{run.Cuid}", null, default);
        await Assert.ThrowsAsync<SwanLabRunDeletedException>(() => up.CreateExperimentAsync(project, new ExperimentSpec(run.Cuid, "copy")));
        await Assert.ThrowsAsync<SwanLabRunDeletedException>(() => up.UploadScalarsAsync(run, Points("loss", 3)));
        await Assert.ThrowsAsync<SwanLabRunDeletedException>(() => up.DeclareColumnsAsync(run with { Project = project with { Version = null } }, [new ColumnSpec("loss")]));
        var missing = await Assert.ThrowsAsync<SwanLabNotFoundException>(() => up.CreateProjectAsync(new ProjectSpec("nobody", "x")));
        Assert.Contains("workspace 'nobody' does not exist", missing.Message, StringComparison.Ordinal);
        foreach (var error in new SwanLabException[] { conflict, missing })
            Assert.DoesNotContain(server.ApiKey, error.ToString(), StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(0.3, 0.0)]
    [InlineData(0.0, 0.3)]
    [InlineData(0.2, 0.2)]
    public async Task Should_store_every_point_once_when_reconciling_under_5xx_and_resets(double failRate, double resetRate)
    {
        var (server, api) = await StartEmptyAsync(retries: 12);
        await using var _ = server;
        await using var __ = api;
        var up = api.Uploader(new SwanLabUploadOptions { MaxRecordsPerRequest = 50 });
        var (_, run) = await NewRunAsync(up);
        server.Faults.FailRate = failRate;
        server.Faults.ResetRate = resetRate;
        var points = Points("loss", 1_000);
        var logs = Enumerable.Range(1, 300).Select(i => new LogUpload(i, "INFO", "line " + i, null)).ToList();
        var media = Enumerable.Range(0, 40).Select(i => new MediaUpload("img", i, [new MediaFile($"media/image/{i:000}-x.png", Bytes("f" + i))], null)).ToList();
        var report = await up.UploadScalarsAsync(run, points, MetricRetry.Reconcile);
        await up.UploadLogsAsync(run, logs, MetricRetry.Reconcile);
        await up.UploadMediaAsync(run, media, MetricRetry.Reconcile);
        server.Faults.FailRate = server.Faults.ResetRate = 0;

        var writes = server.Stats.Snapshot().Writes;
        Assert.Equal((1_000L, 0L, 300L, 0L, 40L, 0L), (writes.PointsStored, writes.DuplicateSteps, writes.LogLinesStored, writes.DuplicateLogLines,
            writes.MediaStepsStored, writes.DuplicateMediaSteps));
        Assert.Equal(1_000, report.Records);
        Assert.True(report.Resent + report.FoundStored > 0, "no batch needed reconciling");
        Assert.True(server.Stats.Snapshot().InjectedFailures + server.Stats.Snapshot().InjectedResets > 0);
        var read = await ToList((await api.RunAsync(run.Path)).StreamMetricAsync("loss"));
        Assert.Equal(points.Select(p => BitConverter.DoubleToInt64Bits(p.Value)), read.Select(p => BitConverter.DoubleToInt64Bits(p.Value)));
    }

    [Fact]
    public async Task Should_not_resend_a_batch_the_server_may_have_stored_unless_asked_to()
    {
        var (server, api) = await StartEmptyAsync(retries: 3);
        await using var _ = server;
        await using var __ = api;
        var up = api.Uploader();
        var (_, run) = await NewRunAsync(up);
        server.Faults.ResetRate = 1;
        var uncertain = await Assert.ThrowsAsync<SwanLabUploadUncertainException>(() => up.UploadScalarsAsync(run, Points("loss", 10)));
        Assert.Equal(("scalar", 10), (uncertain.Kind, uncertain.Items));
        Assert.DoesNotContain(server.ApiKey, uncertain.ToString(), StringComparison.Ordinal);
        Assert.Equal(1, server.Stats.Requests(MetricsRoute));
        Assert.Equal(0, server.Stats.Snapshot().Writes.DuplicateSteps);

        // What a blind retry does to a server that stored the batch: the duplicate counter sees it.
        await Assert.ThrowsAsync<SwanLabUploadUncertainException>(() => up.UploadScalarsAsync(run, Points("loss", 10), MetricRetry.Always));
        Assert.Equal(40, server.Stats.Snapshot().Writes.DuplicateSteps);
    }

    [Fact]
    public async Task Should_refuse_to_reconcile_steps_that_do_not_increase()
    {
        var (server, api) = await StartEmptyAsync();
        await using var _ = server;
        await using var __ = api;
        var (_, run) = await NewRunAsync(api.Uploader());
        await Assert.ThrowsAsync<ArgumentException>(() => api.Uploader().UploadScalarsAsync(run,
            [new ScalarUpload("loss", 2, 1, null), new ScalarUpload("loss", 1, 1, null)], MetricRetry.Reconcile));
        Assert.Equal(0, server.Stats.Requests(MetricsRoute));
    }
}
