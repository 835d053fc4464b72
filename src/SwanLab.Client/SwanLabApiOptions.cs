using System.Threading.RateLimiting;

namespace SwanLab.Client;

/// <summary>
/// How <see cref="SwanLabApi.ConnectAsync"/> finds credentials and the server, and how hard it retries.
/// Every member is optional: with none set, the client behaves like <c>swanlab.Api()</c> (key from
/// <c>SWANLAB_API_KEY</c> or the <c>.netrc</c> that <c>swanlab login</c> wrote, cloud host by default).
/// </summary>
public sealed class SwanLabApiOptions
{
    /// <summary>The API key. Wins over <c>SWANLAB_API_KEY</c> and the <c>.netrc</c> file. Never printed.</summary>
    public string? ApiKey { get; init; }

    /// <summary>
    /// The server, e.g. <c>https://my.host</c> (the API is then <c>https://my.host/api</c>). Any path is ignored, a
    /// missing scheme means https. Wins over <c>SWANLAB_API_HOST</c> and the <c>.netrc</c> machine.
    /// </summary>
    public string? Host { get; init; }

    /// <summary>The web host used only to build display URLs; defaults to <c>SWANLAB_WEB_HOST</c>, else derived from the API host.</summary>
    public string? WebHost { get; init; }

    /// <summary>
    /// A request budget shared with other clients: one permit per API attempt (retries included; presigned downloads from
    /// the object store take none). Waiting for a permit does not count against <see cref="AttemptTimeout"/>. The client
    /// never disposes it. Null = no client-side limit.
    /// </summary>
    public RateLimiter? RateLimiter { get; init; }

    /// <summary>Retries after the first attempt for 429/5xx/connection faults (SDK default 5, i.e. up to 6 attempts).</summary>
    public int MaxRetries { get; init; } = 5;

    /// <summary>First backoff delay; later ones double, with jitter (SDK default: about 1 s).</summary>
    public TimeSpan RetryBaseDelay { get; init; } = TimeSpan.FromSeconds(1);

    /// <summary>Upper bound for any single wait, including one asked for by <c>Retry-After</c>.</summary>
    public TimeSpan MaxRetryDelay { get; init; } = TimeSpan.FromSeconds(60);

    /// <summary>Timeout of one attempt (until the response headers, or the whole body for JSON calls). SDK default 60 s.</summary>
    public TimeSpan AttemptTimeout { get; init; } = TimeSpan.FromSeconds(60);

    /// <summary>Page size for paginated lists (the 0.7.8 SDK uses 20).</summary>
    public int PageSize { get; init; } = 20;

    /// <summary>Called on every HTTP 429 the client receives (before it waits and retries). Must be cheap and thread-safe.</summary>
    public Action<SwanLabRateLimitedEvent>? OnRateLimited { get; init; }

    /// <summary>Called before every retry (429, 5xx, connection fault, timeout) with what went wrong. Cheap and thread-safe.</summary>
    public Action<SwanLabRetryEvent>? OnRetry { get; init; }

    /// <summary>
    /// Where environment variables, the home folder and the working folder come from. Tests pass their own so the real
    /// <c>HOME</c> is never read. Default: the current process.
    /// </summary>
    public SwanLabEnvironment Environment { get; init; } = SwanLabEnvironment.Process;

    /// <summary>
    /// A custom HTTP handler (for proxies or tests). The client does not dispose it. Null = a pooled
    /// <see cref="SocketsHttpHandler"/> owned by the client.
    /// </summary>
    public HttpMessageHandler? HttpHandler { get; init; }

    /// <summary>Describes the options without the API key.</summary>
    public override string ToString() =>
        $"SwanLabApiOptions {{ ApiKey = {(ApiKey is null ? "(none)" : "***")}, Host = {Host ?? "(default)"}, MaxRetries = {MaxRetries}, " +
        $"RetryBaseDelay = {RetryBaseDelay}, AttemptTimeout = {AttemptTimeout}, PageSize = {PageSize} }}";
}

/// <summary>One HTTP 429 seen by a client: which request, and how long the server asked to wait.</summary>
/// <param name="Endpoint">The request, as <c>METHOD /path</c>.</param>
/// <param name="RetryAfter">The server's <c>Retry-After</c>, when present.</param>
/// <param name="Attempt">0 for the first attempt, 1 for the first retry, ...</param>
public sealed record SwanLabRateLimitedEvent(string Endpoint, TimeSpan? RetryAfter, int Attempt);

/// <summary>One retry a client is about to make.</summary>
/// <param name="Endpoint">The request, as <c>METHOD /path</c>.</param>
/// <param name="Attempt">The attempt that failed: 0 for the first, 1 for the first retry, ...</param>
/// <param name="Delay">How long the client waits before the next attempt.</param>
/// <param name="Reason">What failed: <c>HTTP 503</c>, or the connection error's message (never the API key).</param>
public sealed record SwanLabRetryEvent(string Endpoint, int Attempt, TimeSpan Delay, string Reason);

/// <summary>
/// The process environment as the client sees it: environment variables, home folder and working folder.
/// Injectable so credential lookup can be tested without touching the real home folder.
/// </summary>
public sealed class SwanLabEnvironment
{
    private readonly Func<string, string?> _getVariable;

    /// <summary>Creates an environment from explicit parts.</summary>
    /// <param name="variables">Environment variables (missing key = unset).</param>
    /// <param name="homeDirectory">The user's home folder (where <c>.swanlab/.netrc</c> lives by default).</param>
    /// <param name="currentDirectory">The working folder (checked for a project-level <c>.swanlab/.netrc</c>).</param>
    public SwanLabEnvironment(IReadOnlyDictionary<string, string> variables, string homeDirectory, string currentDirectory)
        : this(name => variables.TryGetValue(name, out var value) ? value : null, homeDirectory, currentDirectory)
    {
    }

    private SwanLabEnvironment(Func<string, string?> getVariable, string homeDirectory, string currentDirectory)
    {
        _getVariable = getVariable;
        HomeDirectory = homeDirectory;
        CurrentDirectory = currentDirectory;
    }

    /// <summary>The real process environment.</summary>
    public static SwanLabEnvironment Process { get; } = new(
        System.Environment.GetEnvironmentVariable,
        System.Environment.GetFolderPath(System.Environment.SpecialFolder.UserProfile),
        System.Environment.CurrentDirectory);

    /// <summary>An environment with no variables, rooted at the given folder (home and working folder).</summary>
    public static SwanLabEnvironment Empty(string folder) => new(new Dictionary<string, string>(), folder, folder);

    /// <summary>The user's home folder.</summary>
    public string HomeDirectory { get; }

    /// <summary>The working folder.</summary>
    public string CurrentDirectory { get; }

    /// <summary>An environment variable, or null when unset or blank.</summary>
    public string? Get(string name)
    {
        var value = _getVariable(name);
        return string.IsNullOrWhiteSpace(value) ? null : value;
    }
}
