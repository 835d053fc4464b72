using System.Text.Json;

namespace SwanLab.Crawler.Source;

/// <summary>
/// Everything the crawl reads from a SwanLab server, in the crawler's own terms. Actors depend on this,
/// not on SwanLab.Client, so they can be tested with a scripted source and later run on other cluster nodes
/// (every call is addressed by path; no call depends on state left by an earlier one).
/// Transient HTTP faults are retried inside the implementation; what escapes is a real failure.
/// </summary>
public interface ICrawlSource
{
    /// <summary>Host and user this source reads as, for backup.json.</summary>
    SourceIdentity Identity { get; }

    /// <summary>The user's own workspace first, then its teams.</summary>
    IAsyncEnumerable<WorkspaceInfo> WorkspacesAsync(CancellationToken ct);

    /// <summary>One workspace by its username, e.g. for <c>--workspace NAME</c>.</summary>
    Task<WorkspaceInfo> WorkspaceAsync(string workspace, CancellationToken ct);

    /// <summary>All projects of a workspace, across every page.</summary>
    IAsyncEnumerable<ProjectInfo> ProjectsAsync(string workspace, CancellationToken ct);

    /// <summary>One project by path "workspace/project".</summary>
    Task<ProjectInfo> ProjectAsync(string projectPath, CancellationToken ct);

    /// <summary>Runs of a project (grouped responses flattened), filtered server-side as the SDK does.</summary>
    IAsyncEnumerable<RunSummary> RunsAsync(string projectPath, RunFilter filter, CancellationToken ct);

    /// <summary>The full run (with profile) by path "workspace/project/run-id".</summary>
    Task<RunDetail> RunAsync(string runPath, CancellationToken ct);

    /// <summary>Scalar series keys of the run with what the server reports about each.</summary>
    Task<IReadOnlyList<SeriesInfo>> SeriesAsync(RunDetail run, CancellationToken ct);

    /// <summary>
    /// Streams one series in step order, a batch of points at a time; a batch is valid only until the next one is
    /// requested (sources reuse their buffers). <paramref name="sample"/> null = full resolution; N = at most N points
    /// (server-side LTTB where the server has it, else client-side LTTB). What <see cref="SeriesAsync"/> reported about
    /// the series comes along, so a source can check completeness without asking the server again.
    /// </summary>
    IAsyncEnumerable<ReadOnlyMemory<SeriesPoint>> StreamSeriesAsync(RunDetail run, SeriesInfo series, int? sample, CancellationToken ct);

    /// <summary>
    /// Streams several series of one run together, as a server that answers many keys per request sends them: each
    /// chunk names the series (its index in <paramref name="series"/>) it belongs to; within a series, chunks come in
    /// step order, and chunks of different series may interleave. A chunk is valid only until the next is requested.
    /// The default streams the series one after another through <see cref="StreamSeriesAsync"/>.
    /// </summary>
    IAsyncEnumerable<SeriesChunk> StreamSeriesBatchAsync(RunDetail run, IReadOnlyList<SeriesInfo> series, int? sample, CancellationToken ct) =>
        SeriesBatches.OneAfterAnotherAsync(this, run, series, sample, ct);

    /// <summary>Console log lines of the run, oldest first; empty when the server has none.</summary>
    IAsyncEnumerable<LogLine> LogsAsync(RunDetail run, CancellationToken ct);

    /// <summary>Media items of the run (every key, every step); empty when the server has none.</summary>
    IAsyncEnumerable<MediaItem> MediaAsync(RunDetail run, CancellationToken ct);

    /// <summary>Downloads one media item's bytes (re-presigning an expired URL as needed).</summary>
    Task DownloadMediaAsync(RunDetail run, MediaItem item, Stream destination, CancellationToken ct);
}

/// <summary>Who and where a crawl reads from. Never carries the API key.</summary>
public sealed record SourceIdentity(string Host, string Username, string Protocol);

/// <summary>A workspace; <paramref name="Raw"/> is the server's JSON object unchanged.</summary>
public sealed record WorkspaceInfo(string Username, string Name, string Type, JsonElement Raw);

/// <summary>A project; <paramref name="Path"/> is "workspace/project".</summary>
public sealed record ProjectInfo(string Workspace, string Name, string Path, string Cuid, int? RunCount, JsonElement Raw);

/// <summary>
/// A run as listed. <see cref="Fingerprint"/> changes whenever the run's data may have changed
/// (state, finishedAt, and <see cref="ContentFingerprint"/> where the source has one): resume re-exports a run whose
/// fingerprint differs from the checkpoint's, or that is RUNNING on a source that cannot vouch for its content.
/// </summary>
public sealed record RunSummary(string Path, string Cuid, string Name, string State, string? FinishedAt, JsonElement Raw)
{
    /// <summary>
    /// Set by a source whose runs cannot change unseen (a backup folder: a hash of the run's manifest lines): a RUNNING
    /// run with the same content fingerprint is the same run, so a resume may skip it like a finished one. Null for a
    /// server, where a RUNNING run may grow at any moment.
    /// </summary>
    public string? ContentFingerprint { get; init; }

    public string Fingerprint => RunFingerprint.Of(State, FinishedAt, ContentFingerprint);
}

/// <summary>A run with its full profile, as the server sent it.</summary>
public sealed record RunDetail(string Path, string Cuid, string ProjectCuid, string Name, string State,
    string CreatedAt, string? FinishedAt, string? RootProjectCuid, string? RootRunCuid, JsonElement Raw)
{
    /// <summary>As <see cref="RunSummary.ContentFingerprint"/>.</summary>
    public string? ContentFingerprint { get; init; }

    public string Fingerprint => RunFingerprint.Of(State, FinishedAt, ContentFingerprint);

    /// <summary>The listing form of this run (for runs named with --run), content fingerprint included.</summary>
    public RunSummary ToSummary() => new(Path, Cuid, Name, State, FinishedAt, Raw) { ContentFingerprint = ContentFingerprint };
}

/// <summary>One fingerprint rule for listed and detailed runs: "state|finishedAt", plus "|content" when known.</summary>
public static class RunFingerprint
{
    public static string Of(string state, string? finishedAt, string? content) =>
        content is null ? $"{state}|{finishedAt}" : $"{state}|{finishedAt}|{content}";
}

/// <summary>A series key and what the server says about it, so the backup can be checked against it.</summary>
public sealed record SeriesInfo(string Key, long? ExpectedPoints, long? LastStep);

/// <summary>Points of the series at <paramref name="SeriesIndex"/> of a <see cref="ICrawlSource.StreamSeriesBatchAsync"/> call.</summary>
public readonly record struct SeriesChunk(int SeriesIndex, ReadOnlyMemory<SeriesPoint> Points);

/// <summary>The one-series-at-a-time reading of a batch, for sources whose server answers one key per request.</summary>
public static class SeriesBatches
{
    public static async IAsyncEnumerable<SeriesChunk> OneAfterAnotherAsync(ICrawlSource source, RunDetail run,
        IReadOnlyList<SeriesInfo> series, int? sample, [System.Runtime.CompilerServices.EnumeratorCancellation] CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(source);
        ArgumentNullException.ThrowIfNull(series);
        for (var i = 0; i < series.Count; i++)
        {
            await foreach (var points in source.StreamSeriesAsync(run, series[i], sample, ct))
                yield return new SeriesChunk(i, points);
        }
    }
}

/// <summary>One metric point. NaN and ±Infinity are kept as such.</summary>
public readonly record struct SeriesPoint(long Step, double Value, long? TimestampMs);

/// <summary>One console line.</summary>
public sealed record LogLine(long Epoch, string Level, string Message, string? Timestamp, JsonElement Raw);

/// <summary>One media object at one step of one key.</summary>
public sealed record MediaItem(string Key, long Step, string ServerPath, string? Caption, JsonElement Raw)
{
    /// <summary>
    /// The medium as the server reported it (<c>image</c>, <c>audio</c>, <c>text</c>...): the step entry's <c>type</c>
    /// when it has one, else the <c>{medium}</c> of a 0.9.7 object path <c>media/{medium}/{file}</c>; null when neither says.
    /// </summary>
    public string? Kind { get; init; }

    /// <summary>
    /// False when the source cannot say whether the object had a caption (a backup written before media.jsonl kept
    /// them): <see cref="Caption"/> is then null for want of knowing, and an import lists the loss.
    /// </summary>
    public bool CaptionKnown { get; init; } = true;

    /// <summary>What a server's object path and step entry say the medium is (see <see cref="Kind"/>).</summary>
    public static string? KindOf(string serverPath, JsonElement stepEntry)
    {
        if (stepEntry.ValueKind == JsonValueKind.Object && stepEntry.TryGetProperty("type", out var type) && type.ValueKind == JsonValueKind.String
            && type.GetString() is { Length: > 0 } reported)
            return reported;
        var parts = serverPath.Split('/');
        return parts.Length == 3 && parts[0] == "media" && parts[1].Length > 0 ? parts[1] : null;
    }
}

/// <summary>Run selection, in the SDK's dict form ("state" -> "FINISHED", "config.optimizer.lr" -> "0.01").</summary>
public sealed record RunFilter(IReadOnlyList<string> States, IReadOnlyDictionary<string, string> Config)
{
    public static RunFilter None { get; } = new([], new Dictionary<string, string>());
}
