using System.Globalization;
using System.Text.Json;
using SwanLab.Client.Upload;
using SwanLab.Emulator;
using static SwanLab.Client.Tests.Upload.UploadHarness;

namespace SwanLab.Client.Tests.Upload;

/// <summary>
/// Every run of the tiny dataset, read through the client and written through the uploader into an empty emulator,
/// reads back the same: the emulator is a faithful target, and the write API carries everything the read API returns
/// except what the protocol cannot (creator, pin, clone lineage, project labels and times).
/// </summary>
public sealed class RunCopySpecs
{
    private static readonly string[] Levels = ["DEBUG", "INFO", "WARN", "ERROR"];

    /// <summary>Run fields the protocol carries, as the server returns them.</summary>
    private static readonly string[] CarriedFields = ["cuid", "slug", "name", "description", "state", "labels", "colors", "cluster", "job", "createdAt", "finishedAt", "updatedAt"];

    private static DateTimeOffset Time(string iso) => DateTimeOffset.Parse(iso, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal);

    private static async Task CopyAsync(SwanLabApi source, Run run, SwanLabUploader up)
    {
        var project = await up.CreateProjectAsync(RunObjects.ToProjectSpec((await source.ProjectAsync(run.ProjectPath)).Json()));
        var target = await up.CreateExperimentAsync(project, RunObjects.ToExperimentSpec(run.Json()));
        await up.PutConfigAsync(target, run.Profile.RawConfig);
        await up.PutMetadataAsync(target, run.Profile.Metadata);
        await up.PutRequirementsAsync(target, run.Profile.Requirements);
        await up.PutCondaAsync(target, run.Profile.Conda);
        await foreach (var key in run.SeriesKeysAsync())
        {
            var points = await ToList(run.StreamMetricAsync(key.Key));
            await up.UploadScalarsAsync(target, points.Select(p => new ScalarUpload(key.Key, p.Step, p.Value, p.TimestampMs)).ToList(), MetricRetry.Reconcile);
        }
        var lines = new List<LogUpload>();
        foreach (var level in Levels)
            await foreach (var line in run.LogsAsync(level))
                lines.Add(new LogUpload(line.Epoch, line.Level, line.Message, line.Timestamp is { } t ? Time(t) : null));
        await up.UploadLogsAsync(target, lines.OrderBy(l => l.Epoch).ToList(), MetricRetry.Reconcile);
        var media = new List<MediaUpload>();
        foreach (var step in (await ToList(run.MediaAsync())).GroupBy(m => (m.Key, m.Step)))
        {
            var files = new List<MediaFile>();
            foreach (var item in step)
            {
                using var bytes = new MemoryStream();
                await run.DownloadMediaAsync(item, bytes);
                files.Add(new MediaFile(item.Path, bytes.ToArray(), "application/octet-stream", item.Caption));
            }
            media.Add(new MediaUpload(step.Key.Key, step.Key.Step, files, null));
        }
        await up.UploadMediaAsync(target, media, MetricRetry.Reconcile);
        if (RunObjects.FinalState(run.State) is { } state)
            await up.FinishAsync(target, state, Time(run.FinishedAt));
    }

    private static async Task<string> DescribeAsync(Run run)
    {
        var text = new System.Text.StringBuilder();
        foreach (var field in CarriedFields)
            text.Append(field).Append('=').Append(run.Json().TryGetProperty(field, out var v) ? v.GetRawText() : "-").Append('\n');
        text.Append("config=").Append(run.Profile.RawConfig.GetRawText()).Append("\nmetadata=").Append(run.Profile.Metadata.GetRawText())
            .Append("\nrequirements=").Append(run.Profile.Requirements).Append("\nconda=").Append(run.Profile.Conda).Append('\n');
        await foreach (var key in run.SeriesKeysAsync())
        {
            text.Append("series ").Append(key.Key).Append(':');
            await foreach (var p in run.StreamMetricAsync(key.Key))
                text.Append(CultureInfo.InvariantCulture, $" {p.Step}/{BitConverter.DoubleToInt64Bits(p.Value):x}/{p.TimestampMs}");
            text.Append('\n');
        }
        foreach (var level in Levels)
            await foreach (var line in run.LogsAsync(level))
                text.Append(CultureInfo.InvariantCulture, $"log {line.Epoch} {line.Level} {line.Timestamp} {line.Message}\n");
        foreach (var item in await ToList(run.MediaAsync()))
        {
            using var bytes = new MemoryStream();
            await run.DownloadMediaAsync(item, bytes);
            text.Append(CultureInfo.InvariantCulture, $"media {item.Key} {item.Step} {item.Path} {item.Caption} {Convert.ToHexString(System.Security.Cryptography.SHA256.HashData(bytes.ToArray()))}\n");
        }
        return text.ToString();
    }

    [Fact]
    public async Task Should_read_a_copied_account_back_as_the_original_wherever_the_protocol_carries_it()
    {
        await using var sourceServer = await EmulatorServer.StartAsync(new EmulatorOptions { Size = DatasetSize.Tiny, PointsPerKey = 30 });
        await using var source = await EmulatorFixture.Connect(sourceServer);
        var (targetServer, target) = await StartEmptyAsync();
        await using var _ = targetServer;
        await using var __ = target;
        var up = target.Uploader();
        var runs = new List<Run>();
        await foreach (var workspace in source.WorkspacesAsync())
            await foreach (var project in source.ProjectsAsync(workspace.Username))
                await foreach (var run in project.RunsAsync())
                    runs.Add(await source.RunAsync(run.Path));
        Assert.True(runs.Count >= 9);
        foreach (var run in runs)
            await CopyAsync(source, run, up);

        foreach (var run in runs)
        {
            var copy = await target.RunAsync(run.Path);
            Assert.Equal(await DescribeAsync(run), await DescribeAsync(copy));
        }
        var writes = targetServer.Stats.Snapshot().Writes;
        Assert.Equal((runs.Count, 0L, 0L, 0L), ((int)writes.ExperimentsCreated, writes.DuplicateSteps, writes.DuplicateLogLines, writes.DuplicateMediaSteps));
    }
}
