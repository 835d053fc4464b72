using System.Collections.Concurrent;
using System.Globalization;
using System.Text.Json;
using SwanLab.Client;
using SwanLab.Client.Upload;
using SwanLab.Crawler.Source;
using ClientMediaUpload = SwanLab.Client.Upload.MediaUpload;

namespace SwanLab.Crawler.Import;

/// <summary>
/// <see cref="IImportTarget"/> over SwanLab.Client: reads through <see cref="SwanLabApi"/>, writes through its
/// <see cref="SwanLabUploader"/> (the SDK's run transport, sharing the client's session, retries and rate limiter).
/// Metric batches use <see cref="MetricRetry.Reconcile"/>: after a failure that may or may not have stored a batch,
/// the uploader reads the resume summary and sends only what is missing, so a 5xx never duplicates a step.
/// The client's typed errors become the importer's: 409 -> <see cref="TargetRunConflictException"/>, 404 Disabled ->
/// <see cref="TargetRunDeletedException"/>, a rejected key -> <see cref="SourceAuthenticationException"/> (fatal).
/// </summary>
public sealed class SwanLabClientTarget : IImportTarget
{
    private readonly SwanLabApi _api;
    private readonly SwanLabUploader _uploader;
    private readonly ConcurrentDictionary<string, UploadProject> _projects = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, UploadRun> _runs = new(StringComparer.Ordinal);

    public SwanLabClientTarget(SwanLabApi api, SwanLabUploadOptions? options = null)
    {
        _api = api ?? throw new ArgumentNullException(nameof(api));
        _uploader = api.Uploader(options);
        Identity = new SourceIdentity(api.Host, api.Username, api.Protocol.ToString());
    }

    public SourceIdentity Identity { get; }

    public int MaxRecordsPerRequest => _uploader.Options.MaxRecordsPerRequest;

    public async Task<bool> WorkspaceExistsAsync(string workspace, CancellationToken ct)
    {
        try
        {
            await Guard(() => _api.WorkspaceAsync(workspace, ct)).ConfigureAwait(false);
            return true;
        }
        catch (SwanLabNotFoundException)
        {
            return false;
        }
    }

    public async Task<string> EnsureProjectAsync(string workspace, string project, string? description, string? visibility, CancellationToken ct)
    {
        var created = await Guard(() => _uploader.CreateProjectAsync(new ProjectSpec(workspace, project)
        {
            Visibility = visibility ?? "PRIVATE",
            Description = string.IsNullOrEmpty(description) ? null : description,
        }, ct)).ConfigureAwait(false);
        _projects[$"{workspace}/{project}"] = created;
        return created.Cuid;
    }

    public async Task<CreatedRun?> FindRunAsync(string workspace, string project, string cuid, CancellationToken ct)
    {
        try
        {
            var run = await Guard(() => _api.RunAsync($"{workspace}/{project}/{cuid}", ct)).ConfigureAwait(false);
            var projectCuid = (await ProjectAsync(workspace, project, ct).ConfigureAwait(false)).Cuid;
            return new CreatedRun(new TargetRun(workspace, project, projectCuid, run.Id), false, run.Name, run.CreatedAt);
        }
        catch (SwanLabNotFoundException)
        {
            return null;
        }
    }

    public async Task<CreatedRun> CreateRunAsync(string workspace, string project, NewRun run, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(run);
        var target = await ProjectAsync(workspace, project, ct).ConfigureAwait(false);
        var spec = new ExperimentSpec(run.Cuid, run.Name)
        {
            CreatedAt = DateTimeOffset.TryParse(run.CreatedAt, CultureInfo.InvariantCulture,
                DateTimeStyles.AssumeUniversal | DateTimeStyles.AdjustToUniversal, out var created) ? created : null,
            Description = run.Description,
            Labels = run.Labels,
            Group = run.Group,
            JobType = run.JobType,
            Colors = run.Colors,
        };
        UploadRun answer;
        try
        {
            answer = await Guard(() => _uploader.CreateExperimentAsync(target, spec, ct)).ConfigureAwait(false);
        }
        catch (SwanLabConflictException e)
        {
            throw new TargetRunConflictException(e.Message);
        }
        catch (SwanLabRunDeletedException e)
        {
            throw new TargetRunDeletedException(e.Message);
        }
        catch (SwanLabRunNotResumableException e)
        {
            throw new TargetRunConflictException(e.Message);
        }
        var targetRun = new TargetRun(workspace, project, target.Cuid, answer.Cuid);
        _runs[targetRun.Path] = answer;
        return new CreatedRun(targetRun, answer.Created, answer.Name, answer.CreatedAt);
    }

    public async Task UpdateProfileAsync(TargetRun run, string field, JsonElement value, CancellationToken ct)
    {
        var upload = await RunAsync(run, ct).ConfigureAwait(false);
        await Guard(async () =>
        {
            switch (field)
            {
                case "config": await _uploader.PutConfigAsync(upload, value, ct).ConfigureAwait(false); break;
                case "metadata": await _uploader.PutMetadataAsync(upload, value, ct).ConfigureAwait(false); break;
                case "requirements": await _uploader.PutRequirementsAsync(upload, value.GetString() ?? "", ct).ConfigureAwait(false); break;
                case "conda": await _uploader.PutCondaAsync(upload, value.GetString() ?? "", ct).ConfigureAwait(false); break;
                default: throw new ArgumentOutOfRangeException(nameof(field), field, "not a profile field");
            }
            return 0;
        }).ConfigureAwait(false);
    }

    public async Task<TargetSummary> ResumeSummaryAsync(TargetRun run, CancellationToken ct)
    {
        var upload = await RunAsync(run, ct).ConfigureAwait(false);
        var summary = await Guard(() => _uploader.ResumeSummaryAsync(upload, ct)).ConfigureAwait(false);
        return new TargetSummary(summary.ScalarSteps, summary.LastLogEpoch, summary.MediaSteps);
    }

    public async Task UploadScalarsAsync(TargetRun run, string key, ReadOnlyMemory<SeriesPoint> points, CancellationToken ct)
    {
        var upload = await RunAsync(run, ct).ConfigureAwait(false);
        var items = new ScalarUpload[points.Length];
        for (var i = 0; i < items.Length; i++)
        {
            var p = points.Span[i];
            items[i] = new ScalarUpload(key, p.Step, p.Value, p.TimestampMs);
        }
        await Guard(() => _uploader.UploadScalarsAsync(upload, items, MetricRetry.Reconcile, ct)).ConfigureAwait(false);
    }

    public async Task UploadLogsAsync(TargetRun run, IReadOnlyList<LogLine> lines, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(lines);
        var upload = await RunAsync(run, ct).ConfigureAwait(false);
        var items = lines.Select(l => new LogUpload(l.Epoch, l.Level, l.Message,
            DateTimeOffset.TryParse(l.Timestamp, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal | DateTimeStyles.AdjustToUniversal,
                out var t) ? t : null)).ToList();
        await Guard(() => _uploader.UploadLogsAsync(upload, items, MetricRetry.Reconcile, ct)).ConfigureAwait(false);
    }

    public async Task UploadMediaAsync(TargetRun run, IReadOnlyList<MediaUpload> step, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(step);
        if (step.Count == 0) return;
        var upload = await RunAsync(run, ct).ConfigureAwait(false);
        var files = step.Select(m => new MediaFile(ObjectPath(m), m.Bytes, ContentType(m.FileName), m.Caption)).ToList();
        var item = new ClientMediaUpload(step[0].Key, step[0].Step, files, step[0].TimestampMs);
        await Guard(() => _uploader.UploadMediaAsync(upload, [item], MetricRetry.Reconcile, ct)).ConfigureAwait(false);
    }

    public async Task FinishRunAsync(TargetRun run, string state, string? finishedAt, CancellationToken ct)
    {
        if (RunObjects.FinalState(state) is not { } final) return;
        var upload = await RunAsync(run, ct).ConfigureAwait(false);
        var at = DateTimeOffset.TryParse(finishedAt, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal | DateTimeStyles.AdjustToUniversal,
            out var parsed) ? parsed : DateTimeOffset.UtcNow;
        await Guard(async () =>
        {
            await _uploader.FinishAsync(upload, final, at, ct).ConfigureAwait(false);
            return 0;
        }).ConfigureAwait(false);
    }

    /// <summary>
    /// The object path a media file is stored under: the source server's own path when there is one (migrate, a backup
    /// with media.jsonl), else 0.9.7's <c>media/{medium}/{file}</c> with the medium the source reported, guessed from
    /// the extension only when nothing reported it (a backup written before media.jsonl).
    /// </summary>
    private static string ObjectPath(MediaUpload media) =>
        media.SourcePath is { } path && path.Contains('/', StringComparison.Ordinal)
            ? path
            : $"media/{media.Kind ?? Medium(media.FileName)}/{media.FileName}";

    private static string Medium(string fileName) => Path.GetExtension(fileName).ToLowerInvariant() switch
    {
        ".wav" or ".mp3" or ".flac" or ".ogg" => "audio",
        ".mp4" or ".webm" or ".mov" => "video",
        ".txt" => "text",
        ".html" or ".htm" => "html",
        ".json" => "echarts",
        ".glb" or ".obj" or ".pts" => "object3d",
        ".pdb" or ".sdf" or ".mol" => "molecule",
        _ => "image",
    };

    private static string ContentType(string fileName) => Path.GetExtension(fileName).ToLowerInvariant() switch
    {
        ".png" => "image/png",
        ".jpg" or ".jpeg" => "image/jpeg",
        ".gif" => "image/gif",
        ".wav" => "audio/wav",
        ".txt" => "text/plain",
        ".html" or ".htm" => "text/html",
        ".json" => "application/json",
        _ => "application/octet-stream",
    };

    private async Task<UploadProject> ProjectAsync(string workspace, string project, CancellationToken ct)
    {
        var path = $"{workspace}/{project}";
        if (_projects.TryGetValue(path, out var known)) return known;
        var read = await Guard(() => _api.ProjectAsync(path, ct)).ConfigureAwait(false);
        var json = read.Json();
        int? version = json.TryGetProperty("version", out var v) && v.TryGetInt32(out var number) ? number : null;
        var count = read.Count.TryGetValue("experiments", out var runs) ? runs : 0;
        var described = new UploadProject(workspace, read.Name, read.Cuid, version, false, count, json);
        _projects[path] = described;
        return described;
    }

    /// <summary>The uploader's run: the one experiment create answered, else read back (a run imported by an earlier process).</summary>
    private async Task<UploadRun> RunAsync(TargetRun run, CancellationToken ct)
    {
        if (_runs.TryGetValue(run.Path, out var known)) return known;
        var project = await ProjectAsync(run.Workspace, run.Project, ct).ConfigureAwait(false);
        var read = await Guard(() => _api.RunAsync(run.Path, ct)).ConfigureAwait(false);
        var upload = new UploadRun(project, read.Id, null, read.Name, read.CreatedAt, null, false, read.Json());
        _runs[run.Path] = upload;
        return upload;
    }

    private static async Task<T> Guard<T>(Func<Task<T>> call)
    {
        try
        {
            return await call().ConfigureAwait(false);
        }
        catch (SwanLabAuthenticationException e)
        {
            throw new SourceAuthenticationException(e.Message, e);
        }
    }
}
