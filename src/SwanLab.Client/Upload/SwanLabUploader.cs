using System.Globalization;
using System.Net;
using System.Text.Json;
using SwanLab.Client.Http;

namespace SwanLab.Client.Upload;

/// <summary>
/// The write side of SwanLab: what the SDK sends when it uploads a run (<c>swanlab sync</c>, 0.9.7), with the 0.7.8
/// fallbacks older self-hosted servers need. Get one from <see cref="SwanLabApi.Uploader"/>; it shares the client's
/// session, retry pipeline, rate limiter and statistics, and keeps no state of its own: every call names its target
/// (<see cref="UploadProject"/>, <see cref="UploadRun"/>), so an importer can resume from any point.
/// <para>
/// Retries: creates with a client id, profile and state PUTs, column definitions, presigns and file PUTs are idempotent
/// and retried like reads; metric batches follow the <see cref="MetricRetry"/> each call is given.
/// </para>
/// </summary>
public sealed partial class SwanLabUploader
{
    private readonly SwanLabApi _api;

    internal SwanLabUploader(SwanLabApi api, SwanLabUploadOptions options)
    {
        if (options.MaxRecordsPerRequest is < 1 or > 100_000)
            throw new ArgumentOutOfRangeException(nameof(options), "MaxRecordsPerRequest must be 1..100000.");
        if (options.MaxColumnsPerRequest < 1)
            throw new ArgumentOutOfRangeException(nameof(options), "MaxColumnsPerRequest must be positive.");
        if (options.ParallelFileUploads < 1)
            throw new ArgumentOutOfRangeException(nameof(options), "ParallelFileUploads must be positive.");
        _api = api;
        Options = options;
    }

    /// <summary>The settings this uploader was made with.</summary>
    public SwanLabUploadOptions Options { get; }

    private SwanLabConnection Connection => _api.Connection;

    // ----------------------------------------------------------------- projects

    /// <summary>
    /// Creates the project, or finds it when it exists, then reads it back (<c>GET /project/{ws}/{name}</c>). Tries
    /// 0.9.7's <c>POST /projects/{ws}</c> (201 created / 200 exists); on a 404 the legacy <c>POST /project</c> (409 =
    /// exists); on a 404 there the 0.7.8 old-backend <c>POST /project/{ws}</c> (409 = exists).
    /// </summary>
    /// <exception cref="SwanLabNotFoundException">The workspace does not exist (the API cannot create one).</exception>
    /// <exception cref="SwanLabForbiddenException">The user may not create projects there.</exception>
    public async Task<UploadProject> CreateProjectAsync(ProjectSpec spec, CancellationToken ct = default)
    {
        ArgumentNullException.ThrowIfNull(spec);
        SwanLabPath.Split(spec.Workspace, 1, nameof(spec));
        SwanLabPath.Split(spec.Name, 1, nameof(spec));
        var body = new Dictionary<string, object?> { ["name"] = spec.Name, ["visibility"] = spec.Visibility };
        if (spec.Description is not null)
            body["description"] = spec.Description;
        var subject = $"Creating project '{spec.Workspace}/{spec.Name}'";

        var answer = await SendAsync(HttpMethod.Post, UploadEndpoints.ProjectCreate(spec.Workspace), body, RequestRetry.Transient, subject,
            ct, HttpStatusCode.NotFound).ConfigureAwait(false);
        if (answer.Status == HttpStatusCode.NotFound)
        {
            var legacy = new Dictionary<string, object?>(body) { ["username"] = spec.Workspace };
            answer = await SendAsync(HttpMethod.Post, UploadEndpoints.LegacyProjectCreate, legacy, RequestRetry.Transient, subject, ct,
                HttpStatusCode.NotFound, HttpStatusCode.Conflict).ConfigureAwait(false);
        }
        if (answer.Status == HttpStatusCode.NotFound)
        {
            answer = await SendAsync(HttpMethod.Post, UploadEndpoints.OldProjectCreate(spec.Workspace), body, RequestRetry.Transient, subject, ct,
                HttpStatusCode.Conflict, HttpStatusCode.NotFound).ConfigureAwait(false);
            if (answer.Status == HttpStatusCode.NotFound)
                throw new SwanLabNotFoundException(
                    $"{subject}: workspace '{spec.Workspace}' does not exist on {_api.Host} (all three project-create routes answered 404); " +
                    "the API cannot create workspaces.", "POST /api/" + UploadEndpoints.OldProjectCreate(spec.Workspace), HttpStatusCode.NotFound,
                    answer.Body.StrOrNull("code"));
        }

        var path = UploadEndpoints.Project(spec.Workspace, spec.Name);
        var json = await Connection.GetJsonAsync(path, ct, $"Project '{spec.Workspace}/{spec.Name}'").ConfigureAwait(false);
        var cuid = json.StrOrNull("cuid") ?? throw new SwanLabProtocolException($"Project '{spec.Workspace}/{spec.Name}' has no cuid.", "GET /api/" + path);
        var workspace = json.Prop("group").StrOrNull("username") ?? json.StrOrNull("username") ?? spec.Workspace;
        var version = JsonRead.AsLong(json.Prop("version")) is { } v ? (int)v : (int?)null;
        return new UploadProject(workspace, json.Str("name", spec.Name), cuid, version, answer.Status == HttpStatusCode.Created,
            json.Prop("_count").Long("experiments") ?? 0, json);
    }

    // ----------------------------------------------------------------- experiments

    /// <summary>
    /// Creates the run with the client's id (<c>POST /project/{ws}/{p}/experiment</c>): 201 = new, 200 = the id exists
    /// in this project (resume). A 200 without <c>createdAt</c> is followed by one <c>GET .../runs/{cuid}</c>, as 0.9.7
    /// does. Retried like a read: with a client id a repeat finds the run the first attempt made.
    /// </summary>
    /// <exception cref="SwanLabConflictException">409: the id belongs to a run in another project.</exception>
    /// <exception cref="SwanLabRunDeletedException">404 Disabled Resource: a run with this id was deleted.</exception>
    /// <exception cref="SwanLabRunNotResumableException">400: the id is a cloned run (or the server refused the body).</exception>
    /// <exception cref="SwanLabNotFoundException">The project does not exist.</exception>
    public async Task<UploadRun> CreateExperimentAsync(UploadProject project, ExperimentSpec spec, CancellationToken ct = default)
    {
        ArgumentNullException.ThrowIfNull(project);
        ArgumentNullException.ThrowIfNull(spec);
        if (spec.Cuid.Length is 0 or > 512)
            throw new ArgumentException("The run id must be 1 to 512 characters.", nameof(spec));
        if (string.IsNullOrEmpty(spec.Name))
            throw new ArgumentException("The run name must not be empty.", nameof(spec));
        var body = new Dictionary<string, object?> { ["name"] = spec.Name };
        if (!string.IsNullOrEmpty(spec.Description))
            body["description"] = spec.Description;
        if (spec.CreatedAt is { } created)
            body["createdAt"] = WireTime.Iso(created);
        if (spec.Colors.Count > 0)
            body["colors"] = spec.Colors.Count == 1 ? new[] { spec.Colors[0], spec.Colors[0] } : spec.Colors.Take(2).ToArray();
        if (spec.Labels.Count > 0)
            body["labels"] = spec.Labels.Select(l => new Dictionary<string, object?> { ["name"] = l }).ToArray();
        if (!string.IsNullOrEmpty(spec.JobType))
            body["job"] = spec.JobType;
        if (!string.IsNullOrEmpty(spec.Group))
            body["cluster"] = spec.Group;
        body["cuid"] = spec.Cuid;

        var subject = $"Creating run '{project.Path}/{spec.Cuid}'";
        var endpoint = UploadEndpoints.ExperimentCreate(project.Workspace, project.Name);
        var answer = await SendAsync(HttpMethod.Post, endpoint, body, RequestRetry.Transient, subject, ct,
            HttpStatusCode.Conflict, HttpStatusCode.BadRequest).ConfigureAwait(false);
        var described = "POST /api/" + endpoint;
        if (answer.Status == HttpStatusCode.Conflict)
            throw new SwanLabConflictException(
                $"{subject}: the id '{spec.Cuid}' belongs to a run in another project (HTTP 409{ServerSays(answer.Body)}).", described,
                answer.Body.StrOrNull("code"));
        if (answer.Status == HttpStatusCode.BadRequest)
            throw new SwanLabRunNotResumableException(
                $"{subject}: refused with HTTP 400{ServerSays(answer.Body)}: the id is a cloned run, which cannot be resumed, or the server refused the request.",
                described, answer.Body.StrOrNull("code"));

        var json = answer.Body;
        var cuid = json.StrOrNull("cuid") ?? throw new SwanLabProtocolException($"{subject}: the answer has no cuid.", described);
        if (json.StrOrNull("name") is null)
            throw new SwanLabProtocolException($"{subject}: the answer has no name.", described);
        var createdAt = json.StrOrNull("createdAt");
        if (createdAt is null && answer.Status == HttpStatusCode.Created && spec.CreatedAt is { } sent)
            createdAt = WireTime.Iso(sent);
        if (createdAt is null)
        {
            var runPath = UploadEndpoints.Run(project.Workspace, project.Name, cuid);
            var run = await Connection.GetJsonAsync(runPath, ct, $"Run '{project.Path}/{cuid}'").ConfigureAwait(false);
            createdAt = run.StrOrNull("createdAt") ?? throw new SwanLabProtocolException(
                $"{subject}: the server gives no createdAt for the run, which every House request needs.", "GET /api/" + runPath);
        }
        return new UploadRun(project, cuid, json.StrOrNull("slug"), json.Str("name"), createdAt, json.StrOrNull("flagId"),
            answer.Status == HttpStatusCode.Created, json);
    }

    /// <summary>
    /// Ends the run with its original state and finish time (<c>PUT .../runs/{cuid}/state</c>, <c>from: "sdk"</c>).
    /// Idempotent; retried like a read.
    /// </summary>
    public async Task FinishAsync(UploadRun run, RunFinalState state, DateTimeOffset finishedAt, CancellationToken ct = default)
    {
        ArgumentNullException.ThrowIfNull(run);
        var wire = state switch
        {
            RunFinalState.Finished => "FINISHED",
            RunFinalState.Crashed => "CRASHED",
            RunFinalState.Aborted => "ABORTED",
            _ => throw new ArgumentOutOfRangeException(nameof(state)),
        };
        var body = new Dictionary<string, object?> { ["state"] = wire, ["finishedAt"] = WireTime.Iso(finishedAt), ["from"] = "sdk" };
        await SendAsync(HttpMethod.Put, UploadEndpoints.State(run.Project.Workspace, run.Project.Name, run.Cuid), body, RequestRetry.Transient,
            $"Finishing run '{run.Path}'", ct).ConfigureAwait(false);
    }

    /// <summary>
    /// One heartbeat (<c>POST /house/experiments/{cuid}/heartbeat</c>; the 0.9.7 SDK sends one at start, then every 600 s,
    /// with the constant flag id <c>123456</c> unless the server issued one). The SDK ignores its failures; so may you.
    /// </summary>
    public Task HeartbeatAsync(UploadRun run, CancellationToken ct = default)
    {
        ArgumentNullException.ThrowIfNull(run);
        return SendAsync(HttpMethod.Post, UploadEndpoints.Heartbeat(run.Cuid), new Dictionary<string, object?> { ["flagId"] = run.FlagId ?? "123456" },
            RequestRetry.Transient, $"Heartbeat of run '{run.Path}'", ct);
    }

    // ----------------------------------------------------------------- resume reads

    /// <summary>
    /// What the server holds for the run (<c>GET /house/metrics/summaries/{p}/{e}?all=True&amp;createdAt=&lt;s&gt;</c>):
    /// last step per scalar and media key and the last log epoch. <c>null</c> or empty members read as nothing stored.
    /// </summary>
    public async Task<ResumeSummary> ResumeSummaryAsync(UploadRun run, CancellationToken ct = default)
    {
        ArgumentNullException.ThrowIfNull(run);
        var json = await Connection.GetJsonAsync(UploadEndpoints.ResumeSummary(run.Project.Cuid, run.Cuid, CreatedAtSeconds(run)), ct,
            $"Resume summary of run '{run.Path}'").ConfigureAwait(false);
        static Dictionary<string, long> Steps(JsonElement list)
        {
            var steps = new Dictionary<string, long>(StringComparer.Ordinal);
            foreach (var item in list.Items())
            {
                if (item.StrOrNull("key") is { } key && item.Long("step") is { } step)
                    steps[key] = steps.TryGetValue(key, out var known) ? Math.Max(known, step) : step;
            }
            return steps;
        }
        long? lastLog = null;
        foreach (var item in json.Prop("log").Items())
        {
            if (item.Long("step") is { } epoch)
                lastLog = Math.Max(lastLog ?? epoch, epoch);
        }
        return new ResumeSummary(Steps(json.Prop("scalar")), Steps(json.Prop("media")), lastLog, json);
    }

    private static long CreatedAtSeconds(UploadRun run)
    {
        if (long.TryParse(run.CreatedAt, NumberStyles.Integer, CultureInfo.InvariantCulture, out var number))
            return number > 9_999_999_999 ? number / 1000 : number;
        if (DateTimeOffset.TryParse(run.CreatedAt, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal | DateTimeStyles.AdjustToUniversal,
                out var parsed))
            return parsed.ToUnixTimeSeconds();
        throw new SwanLabProtocolException($"Run '{run.Path}' has no valid createdAt ('{run.CreatedAt}'), which House requests need.", null);
    }

    // ----------------------------------------------------------------- sending

    internal readonly record struct Answer(HttpStatusCode Status, JsonElement Body);

    /// <summary>
    /// One JSON request. 2xx and the <paramref name="passThrough"/> statuses are returned; 404 Disabled Resource becomes
    /// <see cref="SwanLabRunDeletedException"/>; everything else the typed exception reads use.
    /// </summary>
    internal Task<Answer> SendAsync(HttpMethod method, string path, object? body, RequestRetry retry, string subject, CancellationToken ct,
        params HttpStatusCode[] passThrough) =>
        SendBytesAsync(method, path, body is null ? null : JsonSerializer.SerializeToUtf8Bytes(body, SwanLabJson.Options), retry, subject, ct, passThrough);

    internal async Task<Answer> SendBytesAsync(HttpMethod method, string path, byte[]? body, RequestRetry retry, string subject, CancellationToken ct,
        params HttpStatusCode[] passThrough)
    {
        var uri = Connection.ApiUri(path);
        var endpoint = SwanLabConnection.Describe(method, uri);
        using var response = await Connection.SendAsync(method, uri, body, RequestAuth.Session, bufferBody: true, retry, "application/json", ct)
            .ConfigureAwait(false);
        if (response.StatusCode == HttpStatusCode.NotFound && response.ReasonPhrase == "Disabled Resource")
            throw Deleted(subject, endpoint, null, response);
        if (!response.IsSuccessStatusCode && !passThrough.Contains(response.StatusCode))
        {
            try
            {
                await Connection.EnsureSuccessAsync(response, endpoint, subject, ct).ConfigureAwait(false);
            }
            catch (SwanLabNotFoundException e) when (e.ServerCode == "Disabled_Resource")
            {
                throw Deleted(subject, endpoint, e.ServerCode, response);
            }
        }
        var bytes = await response.Content.ReadAsByteArrayAsync(ct).ConfigureAwait(false);
        JsonElement json = default;
        if (bytes.Length > 0)
        {
            try
            {
                json = JsonSerializer.Deserialize<JsonElement>(bytes);
            }
            catch (JsonException) when (!response.IsSuccessStatusCode)
            {
                // An error page: the status says enough.
            }
            catch (JsonException ex)
            {
                throw new SwanLabProtocolException($"{endpoint} returned a body that is not JSON ({ex.Message}).", endpoint, ex);
            }
        }
        return new Answer(response.StatusCode, json);
    }

    private static SwanLabRunDeletedException Deleted(string subject, string endpoint, string? code, HttpResponseMessage response) =>
        new($"{subject}: the run was deleted on the server (HTTP 404 {response.ReasonPhrase}); its id cannot be used again there.", endpoint,
            code ?? "Disabled_Resource", SwanLabConnection.TraceIdOf(response));

    private string ServerSays(JsonElement body) =>
        body.StrOrNull("message") is { } message ? ": " + Connection.Scrub(message) : "";
}
