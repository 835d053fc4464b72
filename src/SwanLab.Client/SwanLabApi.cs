using System.Collections.Concurrent;
using System.Runtime.CompilerServices;
using System.Text.Json;
using SwanLab.Client.Auth;
using SwanLab.Client.Http;

namespace SwanLab.Client;

/// <summary>
/// The C# <c>swanlab.Api</c>: a logged-in connection to one SwanLab server. Create it with
/// <see cref="ConnectAsync"/>; it is thread-safe and meant to be shared (one <see cref="HttpClient"/>, one retry
/// pipeline, one session). Dispose it when done.
/// </summary>
/// <example>
/// <code>
/// await using var api = await SwanLabApi.ConnectAsync(new SwanLabApiOptions(), ct);
/// await foreach (var run in api.RunsAsync("alice/demo", new Dictionary&lt;string, object?&gt; { ["state"] = "FINISHED" }, ct))
///     Console.WriteLine($"{run.Name}: {run.State}");
/// </code>
/// </example>
public sealed class SwanLabApi : IAsyncDisposable, IDisposable
{
    private readonly ResolvedCredentials _credentials;
    private readonly SemaphoreSlim _detectLock = new(1, 1);
    // Project cuids by "workspace/project": metric queries need the cuid, run objects usually lack it, and a crawl
    // asks for it once per run; a project's cuid never changes, and an account has few projects.
    private readonly ConcurrentDictionary<string, string> _projectCuids = new(StringComparer.Ordinal);
    private int _protocol;

    private SwanLabApi(SwanLabConnection connection, ResolvedCredentials credentials, SwanLabSession session)
    {
        Connection = connection;
        _credentials = credentials;
        Username = session.Username;
        DisplayName = session.DisplayName;
    }

    internal SwanLabConnection Connection { get; }

    /// <summary>The logged-in user (= the default workspace).</summary>
    public string Username { get; }

    /// <summary>The logged-in user's display name, when the server sent one.</summary>
    public string? DisplayName { get; }

    /// <summary>The API host, normalised (e.g. <c>https://api.swanlab.cn</c>); the API itself is under <c>/api</c>.</summary>
    public string Host => Connection.ApiHost;

    /// <summary>The web host used for display URLs (e.g. <c>https://swanlab.cn</c>).</summary>
    public string WebHost => Connection.WebHost;

    /// <summary>Where the API key came from.</summary>
    public CredentialSource CredentialSource => _credentials.Source;

    /// <summary>
    /// The metric protocol this server speaks, learnt by one probe before the first metric read
    /// (<see cref="SwanLabProtocol.Unknown"/> until then; <see cref="DetectProtocolAsync"/> probes on demand).
    /// </summary>
    public SwanLabProtocol Protocol => (SwanLabProtocol)Volatile.Read(ref _protocol);

    /// <summary>Which optional reads (logs, media, summaries) this server offers, as learnt from its answers so far.</summary>
    public ServerCapabilities Capabilities { get; } = new();

    /// <summary>Which members of the server's resume summary proved true, so reads can be cut short (see <see cref="Run.ResumeSummaryAsync"/>).</summary>
    public ResumeSummaryTrust ResumeSummaryTrust { get; } = new();

    /// <summary>Request, retry and 429 counters of this client.</summary>
    public SwanLabApiStatistics Statistics => Connection.Statistics;

    /// <summary>Raised on every HTTP 429 this client receives (e.g. to drive an adaptive limiter). Handlers must be cheap.</summary>
    public event Action<SwanLabRateLimitedEvent>? RateLimited
    {
        add => Connection.RateLimited += value;
        remove => Connection.RateLimited -= value;
    }

    /// <summary>
    /// Resolves credentials and host (explicit &gt; environment &gt; <c>.netrc</c> &gt; cloud defaults), logs in and
    /// returns a ready client.
    /// </summary>
    /// <exception cref="SwanLabAuthenticationException">No key found, or the server rejected it.</exception>
    /// <exception cref="SwanLabConnectionException">The server cannot be reached.</exception>
    /// <exception cref="ArgumentException">The host is not a valid URL.</exception>
    public static async Task<SwanLabApi> ConnectAsync(SwanLabApiOptions? options = null, CancellationToken ct = default)
    {
        options ??= new SwanLabApiOptions();
        if (options.MaxRetries < 0)
            throw new ArgumentOutOfRangeException(nameof(options), "MaxRetries must be zero or positive.");
        if (options.PageSize <= 0)
            throw new ArgumentOutOfRangeException(nameof(options), "PageSize must be positive.");
        if (options.AttemptTimeout <= TimeSpan.Zero)
            throw new ArgumentOutOfRangeException(nameof(options), "AttemptTimeout must be positive.");
        var credentials = CredentialResolver.Resolve(options);
        var connection = new SwanLabConnection(credentials, options, new SwanLabApiStatistics());
        try
        {
            var session = await connection.LoginAsync(ct).ConfigureAwait(false);
            return new SwanLabApi(connection, credentials, session);
        }
        catch
        {
            connection.Dispose();
            throw;
        }
    }

    // ----------------------------------------------------------------- workspaces

    /// <summary>The user's own workspace first, then each team it belongs to (one <c>GET /group/{u}</c> each).</summary>
    public async IAsyncEnumerable<Workspace> WorkspacesAsync(string? username = null, [EnumeratorCancellation] CancellationToken ct = default)
    {
        username ??= Username;
        SwanLabPath.Split(username, 1, nameof(username));
        var groups = await Connection.GetJsonAsync(Endpoints.UserGroups(username), ct, $"Teams of '{username}'").ConfigureAwait(false);
        var names = new List<string> { username };
        names.AddRange(groups.Items().Select(g => g.Str("username")).Where(u => u.Length > 0 && u != username));
        foreach (var name in names)
            yield return await WorkspaceAsync(name, ct).ConfigureAwait(false);
    }

    /// <summary>One workspace (default: the user's own).</summary>
    public async Task<Workspace> WorkspaceAsync(string? username = null, CancellationToken ct = default)
    {
        username ??= Username;
        SwanLabPath.Split(username, 1, nameof(username));
        var json = await Connection.GetJsonAsync(Endpoints.Workspace(username), ct, $"Workspace '{username}'").ConfigureAwait(false);
        RequireObject(json, Endpoints.Workspace(username));
        return new Workspace(this, json);
    }

    // ----------------------------------------------------------------- projects

    /// <summary>All projects of a workspace (<c>path</c> = its username), fetched page by page as you enumerate.</summary>
    public async IAsyncEnumerable<Project> ProjectsAsync(string path, string? sort = null, string? search = null, bool detail = true,
        [EnumeratorCancellation] CancellationToken ct = default)
    {
        var workspace = SwanLabPath.Split(path, 1, nameof(path))[0];
        await foreach (var item in PagesAsync(page => Endpoints.Projects(workspace, page, Connection.Options.PageSize, sort, search, detail),
                           $"Projects of '{workspace}'", ct).ConfigureAwait(false))
            yield return RememberCuid(new Project(this, item, workspace));
    }

    /// <summary>One project by <c>"workspace/project"</c>.</summary>
    public async Task<Project> ProjectAsync(string path, CancellationToken ct = default)
    {
        var parts = SwanLabPath.Split(path, 2, nameof(path));
        var endpoint = Endpoints.Project(parts[0], parts[1]);
        var json = await Connection.GetJsonAsync(endpoint, ct, $"Project '{path}'").ConfigureAwait(false);
        RequireObject(json, endpoint);
        return RememberCuid(new Project(this, json, parts[0]));
    }

    // A project listed or fetched once spares each of its runs the lookup of the project's cuid.
    private Project RememberCuid(Project project)
    {
        if (project.Cuid.Length > 0 && project.Path.Length > 0)
            _projectCuids.TryAdd(project.Path, project.Cuid);
        return project;
    }

    /// <summary>The cuid of project <c>"workspace/project"</c>, fetched once per project and remembered.</summary>
    internal async ValueTask<string> ProjectCuidAsync(string path, CancellationToken ct)
    {
        if (_projectCuids.TryGetValue(path, out var cached))
            return cached;
        var project = await ProjectAsync(path, ct).ConfigureAwait(false);
        if (project.Cuid.Length == 0)
            throw new SwanLabProtocolException($"Project '{path}' has no cuid.", "GET /api/" + Endpoints.Project(project.Workspace, project.Name));
        return _projectCuids[path] = project.Cuid;
    }

    // ----------------------------------------------------------------- runs

    /// <summary>
    /// Runs of a project (<c>"workspace/project"</c>), filtered server-side. <paramref name="filters"/> takes the SDK's
    /// dict form (<c>{"state": "FINISHED", "config.optimizer.lr": "0.01"}</c>, see <see cref="RunFilters"/>). A grouped
    /// answer is flattened. The list is not paginated by the server; it is fetched on the first <c>MoveNextAsync</c>.
    /// </summary>
    public async IAsyncEnumerable<Run> RunsAsync(string path, IReadOnlyDictionary<string, object?>? filters = null,
        [EnumeratorCancellation] CancellationToken ct = default)
    {
        var parts = SwanLabPath.Split(path, 2, nameof(path));
        var body = new Dictionary<string, object?> { ["filters"] = RunFilters.ToWire(filters) };
        var json = await Connection.PostJsonAsync(Endpoints.RunsShows(parts[0], parts[1]), body, ct, $"Runs of '{path}'").ConfigureAwait(false);
        if (json.ValueKind is not (JsonValueKind.Array or JsonValueKind.Object))
            throw new SwanLabProtocolException($"Runs of '{path}': expected a list or groups of runs, got {json.ValueKind}.",
                "POST /api/" + Endpoints.RunsShows(parts[0], parts[1]));
        foreach (var run in FlattenRuns(json))
            yield return new Run(this, run, parts[0], parts[1]);
    }

    /// <summary>Flattens a <c>runs/shows</c> answer: arrays are lists of runs, objects are (possibly nested) groups.</summary>
    internal static IEnumerable<JsonElement> FlattenRuns(JsonElement node)
    {
        if (node.ValueKind == JsonValueKind.Array)
        {
            foreach (var item in node.EnumerateArray())
            {
                if (item.ValueKind == JsonValueKind.Object)
                    yield return item;
            }
        }
        else if (node.ValueKind == JsonValueKind.Object)
        {
            foreach (var group in node.EnumerateObject())
            {
                foreach (var run in FlattenRuns(group.Value))
                    yield return run;
            }
        }
    }

    /// <summary>One run by <c>"workspace/project/run-id"</c> (the id may be the cuid or the slug).</summary>
    public async Task<Run> RunAsync(string path, CancellationToken ct = default)
    {
        var parts = SwanLabPath.Split(path, 3, nameof(path));
        var endpoint = Endpoints.Run(parts[0], parts[1], parts[2]);
        var json = await Connection.GetJsonAsync(endpoint, ct, $"Run '{path}'").ConfigureAwait(false);
        RequireObject(json, endpoint);
        return new Run(this, json, parts[0], parts[1]);
    }

    // ----------------------------------------------------------------- uploads

    /// <summary>
    /// The write side (project and run creation, profile, columns, metric/log/media uploads, finish), on this client's
    /// session, retry pipeline and limiter. Sends no request.
    /// </summary>
    public Upload.SwanLabUploader Uploader(Upload.SwanLabUploadOptions? options = null) => new(this, options ?? new Upload.SwanLabUploadOptions());

    // ----------------------------------------------------------------- users

    /// <summary>A user (default: the logged-in one). Sends no request.</summary>
    public User User(string? username = null)
    {
        username ??= Username;
        SwanLabPath.Split(username, 1, nameof(username));
        return new User(this, username);
    }

    /// <summary>All users of a self-hosted server, page by page. Only the self-hosted root user may list them.</summary>
    /// <exception cref="SwanLabNotSupportedException">The server is not a (ready, licensed) self-hosted instance.</exception>
    /// <exception cref="SwanLabForbiddenException">The logged-in user is not root.</exception>
    public async IAsyncEnumerable<User> UsersAsync([EnumeratorCancellation] CancellationToken ct = default)
    {
        await RequireSelfHostedRootAsync(ct).ConfigureAwait(false);
        await foreach (var item in PagesAsync(page => Endpoints.SelfHostedUsers(page, Connection.Options.PageSize), "User list", ct)
                           .ConfigureAwait(false))
        {
            var name = item.Str("username");
            if (name.Length > 0)
                yield return new User(this, name);
        }
    }

    /// <summary>Self-hosted instance information (<c>GET /self_hosted/info</c>).</summary>
    /// <exception cref="SwanLabNotSupportedException">The server is not a self-hosted instance.</exception>
    public async Task<SelfHostedInfo> SelfHostedInfoAsync(CancellationToken ct = default)
    {
        JsonElement json;
        try
        {
            json = await Connection.GetJsonAsync(Endpoints.SelfHostedInfo, ct, "Self-hosted info").ConfigureAwait(false);
        }
        catch (SwanLabException ex) when (ex is SwanLabNotFoundException or SwanLabForbiddenException ||
                                          ex.GetType() == typeof(SwanLabException))
        {
            throw new SwanLabNotSupportedException($"{Host} is not a self-hosted SwanLab instance ({ex.Message}).", ex.Endpoint);
        }
        return new SelfHostedInfo(json.Bool("enabled", false), json.Bool("expired", true), json.Bool("root", false),
            json.Str("plan"), json.Long("seats"), json);
    }

    internal async Task RequireSelfHostedRootAsync(CancellationToken ct)
    {
        var info = await SelfHostedInfoAsync(ct).ConfigureAwait(false);
        if (!info.Enabled)
            throw new SwanLabNotSupportedException($"The self-hosted instance at {Host} is not ready yet.");
        if (info.Expired)
            throw new SwanLabNotSupportedException($"The self-hosted instance at {Host} has expired.");
        if (!info.Root)
            throw new SwanLabForbiddenException($"'{Username}' is not the root user of {Host}; only root may manage users.");
    }

    // ----------------------------------------------------------------- protocol

    /// <summary>
    /// Finds out which metric protocol the server speaks with one cheap request (a key listing for no runs):
    /// 404 means a 0.7.8-era server. The answer is cached in <see cref="Protocol"/>.
    /// </summary>
    public async Task<SwanLabProtocol> DetectProtocolAsync(CancellationToken ct = default)
    {
        if (Protocol != SwanLabProtocol.Unknown)
            return Protocol;
        await _detectLock.WaitAsync(ct).ConfigureAwait(false);
        try
        {
            if (Protocol != SwanLabProtocol.Unknown)
                return Protocol;
            await ProbeProtocolAsync(ct).ConfigureAwait(false);
            return Protocol;
        }
        finally
        {
            _detectLock.Release();
        }
    }

    private async Task ProbeProtocolAsync(CancellationToken ct)
    {
        try
        {
            await Connection.PostJsonAsync(Endpoints.HouseKeys(SeriesKind.Scalar),
                new Dictionary<string, object?> { ["experiments"] = Array.Empty<object>(), ["limit"] = 1, ["cursor"] = "" }, ct).ConfigureAwait(false);
            NoteProtocol(SwanLabProtocol.House);
        }
        catch (SwanLabNotFoundException)
        {
            NoteProtocol(SwanLabProtocol.Legacy);
        }
        catch (SwanLabException ex) when (ex.StatusCode is { } status && (int)status is >= 400 and < 500)
        {
            // The endpoint exists but disliked the empty probe: still a House server.
            NoteProtocol(SwanLabProtocol.House);
        }
    }

    internal void NoteProtocol(SwanLabProtocol protocol) =>
        Interlocked.CompareExchange(ref _protocol, (int)protocol, (int)SwanLabProtocol.Unknown);

    // ----------------------------------------------------------------- helpers

    internal async IAsyncEnumerable<JsonElement> PagesAsync(Func<int, string> endpointForPage, string subject,
        [EnumeratorCancellation] CancellationToken ct)
    {
        for (var page = 1; ; page++)
        {
            var endpoint = endpointForPage(page);
            var json = await Connection.GetJsonAsync(endpoint, ct, subject).ConfigureAwait(false);
            if (json.ValueKind != JsonValueKind.Object || json.Prop("list").ValueKind != JsonValueKind.Array)
                throw new SwanLabProtocolException($"{subject}: expected a page object with a 'list' array.", "GET /api/" + endpoint);
            var count = 0;
            foreach (var item in json.Prop("list").EnumerateArray())
            {
                count++;
                yield return item;
            }
            var pages = json.Long("pages") ?? 1;
            if (count == 0 || page >= pages)
                yield break;
        }
    }

    private static void RequireObject(JsonElement json, string endpoint)
    {
        if (json.ValueKind != JsonValueKind.Object)
            throw new SwanLabProtocolException($"Expected a JSON object, got {json.ValueKind}.", "GET /api/" + endpoint);
    }

    /// <inheritdoc />
    public void Dispose()
    {
        Connection.Dispose();
        _detectLock.Dispose();
    }

    /// <inheritdoc />
    public ValueTask DisposeAsync()
    {
        Dispose();
        return ValueTask.CompletedTask;
    }

    /// <summary>Host and user, never the key.</summary>
    public override string ToString() => $"SwanLabApi {{ Host = {Host}, Username = {Username}, Protocol = {Protocol} }}";
}
