using System.Threading.Channels;
using SwanLab.Crawler.Configuration;
using SwanLab.Crawler.Crawl;
using SwanLab.Crawler.Source;

namespace SwanLab.Crawler.Cli;

/// <summary>
/// What the command line drives: the client, the crawl, the demo server and the backup readers. The CLI depends on
/// this seam, not on the pieces, so its parsing, exit codes and console output are tested without a crawl.
/// </summary>
internal interface ICrawlerBackend
{
    /// <summary>Starts the in-process demo server (emulator, size demo) with its own API key.</summary>
    Task<DemoServer> StartDemoAsync(CancellationToken ct);

    /// <summary>
    /// Signs in. Throws <see cref="CrawlerAuthenticationException"/> when there is no key or the server rejects it,
    /// <see cref="NotASwanLabServerException"/> when the host answers but not as a SwanLab API, and
    /// <see cref="ServerUnreachableException"/> when it cannot be reached at all. <paramref name="observer"/> hears of
    /// every retry and 429 of the connection's requests.
    /// </summary>
    Task<ConnectedSource> ConnectAsync(ConnectionSettings connection, IRequestObserver? observer, CancellationToken ct);

    /// <summary>Counts what an export would fetch; writes nothing.</summary>
    Task<PlanView> PlanAsync(CrawlSettings settings, ICrawlSource source, CancellationToken ct);

    /// <summary>Runs the export, publishing progress on <paramref name="events"/>.</summary>
    Task<CrawlResult> RunAsync(CrawlSettings settings, ICrawlSource source, ChannelWriter<CrawlEvent> events, CancellationToken ct);

    /// <summary>Reads the checkpoint; throws <see cref="NotABackupException"/> when the folder holds no backup.</summary>
    Task<StatusView> ReadStatusAsync(string backupFolder, CancellationToken ct);

    /// <summary>Re-hashes the backup against its manifest; throws <see cref="NotABackupException"/> when there is none.</summary>
    Task<VerifyView> VerifyAsync(string backupFolder, CancellationToken ct);
}

/// <summary>Told of each retry and 429 of the client's requests, from the client's threads: cheap and thread-safe.</summary>
internal interface IRequestObserver
{
    void OnRetry(SwanLab.Client.SwanLabRetryEvent retry);
    void OnRateLimited(SwanLab.Client.SwanLabRateLimitedEvent limited);
}

/// <summary>A running demo server; disposing stops it.</summary>
internal sealed class DemoServer(string host, string apiKey, IAsyncDisposable lifetime) : IAsyncDisposable
{
    public string Host { get; } = host;
    public string ApiKey { get; } = apiKey;
    public ValueTask DisposeAsync() => lifetime.DisposeAsync();
    public override string ToString() => $"demo server at {Host}";
}

/// <summary>A signed-in source; disposing releases its HTTP client.</summary>
internal sealed class ConnectedSource(ICrawlSource source, IAsyncDisposable? lifetime) : IAsyncDisposable
{
    public ICrawlSource Source { get; } = source;
    public ValueTask DisposeAsync() => lifetime?.DisposeAsync() ?? ValueTask.CompletedTask;
}

/// <summary>What a dry run found.</summary>
/// <param name="RunsToSkip">Runs the checkpoint in DIR already holds unchanged (a resume skips them).</param>
internal sealed record PlanView(int Workspaces, int Projects, int Runs, int RunsToSkip, long EstimatedRequests,
    IReadOnlyList<PlanRow> ByProject);

/// <summary>One project in a dry run.</summary>
internal sealed record PlanRow(string Project, int Runs, int RunsToSkip);

/// <summary>What a checkpoint holds, in total and per project; <paramref name="Left"/> is null when unknown.</summary>
/// <param name="Complete">backup.json's <c>complete</c>; null when no export has finished.</param>
internal sealed record StatusView(bool? Complete, int Done, int Failed, int? Left, IReadOnlyList<StatusRow> Rows,
    IReadOnlyList<StatusFailure> Failures)
{
    /// <summary>Runs found on the server but not exported yet, by path.</summary>
    public IReadOnlyList<string> LeftRuns { get; init; } = [];

    /// <summary>"pid N since ... (...)" of an export writing into the folder right now, if any.</summary>
    public string? Writer { get; init; }

    /// <summary>What <c>status</c> exits 0 on: finished, complete, nothing failed or left, nothing running.</summary>
    public bool AllThere => Complete == true && Failed == 0 && (Left ?? 0) == 0 && Writer is null;
}

/// <summary>Runs done / failed / left in one project (Left is null when the checkpoint does not know the total).</summary>
internal sealed record StatusRow(string Workspace, string Project, int Done, int Failed, int? Left);

/// <summary>A run that failed, as the checkpoint records it.</summary>
internal sealed record StatusFailure(string RunPath, string Kind, string Error, int Attempts);

/// <summary>The outcome of re-hashing a backup.</summary>
internal sealed record VerifyView(int FilesChecked, IReadOnlyList<VerifyProblem> Problems)
{
    /// <summary>Why the backup is not complete (failed or left runs, complete: false, an export running), one line each.</summary>
    public IReadOnlyList<string> Incomplete { get; init; } = [];

    /// <summary>Files on disk that are not part of the backup (the manifest does not list them): shown, not failed.</summary>
    public IReadOnlyList<VerifyProblem> Extras { get; init; } = [];

    /// <summary>Every file the manifest lists matches it.</summary>
    public bool FilesMatch => Problems.Count == 0;

    /// <summary>What <c>verify</c> exits 0 on: every file matches and the backup is complete.</summary>
    public bool Clean => FilesMatch && Incomplete.Count == 0;
}

/// <summary>One file (or series) that does not match the manifest: missing, wrong size, wrong hash, wrong point count.</summary>
internal sealed record VerifyProblem(string Path, string Problem);

/// <summary>
/// Authentication failed (exit 3): the server rejected the key (<paramref name="rejected"/>), or there was no key to
/// send. <paramref name="detail"/> is the client's explanation, which never contains the key.
/// </summary>
internal sealed class CrawlerAuthenticationException(string host, bool rejected, string detail, Exception? inner = null)
    : Exception(rejected ? $"the server at {host} rejected the API key" : detail, inner)
{
    public string Host { get; } = host;
    public bool Rejected { get; } = rejected;
    public string Detail { get; } = detail;
    /// <summary>No key was found at all (no --api-key, SWANLAB_API_KEY or .netrc entry).</summary>
    public bool NoApiKey { get; init; }
}

/// <summary>
/// The host answered, but not as a SwanLab API (the login route is missing, or its answer is not SwanLab's): a wrong
/// --host, exit 2. <paramref name="answer"/> says what it answered.
/// </summary>
internal sealed class NotASwanLabServerException(string host, string answer, Exception? inner = null)
    : Exception($"{host} is not a SwanLab API: {answer}", inner)
{
    public string Host { get; } = host;
    public string Answer { get; } = answer;
}

/// <summary>The server could not be reached at all: DNS, refused connection, TLS, timeouts (exit 1).</summary>
internal sealed class ServerUnreachableException(string host, string reason, Exception? inner = null)
    : Exception($"could not reach the SwanLab server at {host}: {reason}", inner)
{
    public string Host { get; } = host;
    public string Reason { get; } = reason;
    /// <summary>
    /// The TLS handshake failed against a host given without a scheme (https:// was assumed): most likely a plain
    /// HTTP server, so the advice is http:// and the exit code 2.
    /// </summary>
    public bool HttpsAssumed { get; init; }
}

/// <summary>The folder given to status/verify holds no backup (exit 2).</summary>
internal sealed class NotABackupException(string folder, string reason)
    : Exception(reason.Contains(folder, StringComparison.Ordinal) ? reason : $"'{folder}' is not a swanlab-crawler backup: {reason}")
{
    public string Folder { get; } = folder;
}
