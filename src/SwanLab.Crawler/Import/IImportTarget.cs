using System.Text.Json;
using SwanLab.Crawler.Source;

namespace SwanLab.Crawler.Import;

/// <summary>
/// The write side of a SwanLab server, in the importer's terms: what <see cref="ServerDestination"/> needs and
/// nothing more. SwanLab.Client's upload API (the SDK's run transport) is adapted to this; specs use an in-memory
/// target. Transient HTTP faults are retried inside the implementation, and only where a retry cannot duplicate data
/// (a POST of points that may have been stored is not blindly re-sent: the importer re-reads the resume summary).
/// </summary>
public interface IImportTarget
{
    /// <summary>Host and user written to; never carries the key.</summary>
    SourceIdentity Identity { get; }

    /// <summary>Most records one <c>POST /house/metrics</c> may carry (0.9.7: 10,000; 0.7.8: 1,000).</summary>
    int MaxRecordsPerRequest { get; }

    /// <summary>Whether the workspace (user or team) exists and can be written; the importer cannot create teams.</summary>
    Task<bool> WorkspaceExistsAsync(string workspace, CancellationToken ct);

    /// <summary>Creates the project if it does not exist (<c>POST /projects/{ws}</c> and its legacy fallbacks); returns its cuid.</summary>
    Task<string> EnsureProjectAsync(string workspace, string project, string? description, string? visibility, CancellationToken ct);

    /// <summary>The run with this id in that project (<c>GET /project/{ws}/{project}/runs/{cuid}</c>); null when there is none.</summary>
    Task<CreatedRun?> FindRunAsync(string workspace, string project, string cuid, CancellationToken ct);

    /// <summary>
    /// <c>POST /project/{ws}/{project}/experiment</c> with the client-chosen <see cref="NewRun.Cuid"/>.
    /// </summary>
    /// <exception cref="TargetRunConflictException">409: the id belongs to a run in another project.</exception>
    /// <exception cref="TargetRunDeletedException">404 Disabled Resource: a run with that id was deleted.</exception>
    Task<CreatedRun> CreateRunAsync(string workspace, string project, NewRun run, CancellationToken ct);

    /// <summary>One profile field per PUT, as 0.9.7 sends it: "config" (wrapped), "metadata", "requirements", "conda".</summary>
    Task UpdateProfileAsync(TargetRun run, string field, JsonElement value, CancellationToken ct);

    /// <summary>The resume summary (<c>GET /house/metrics/summaries/...?all=True</c>): last step per key and type.</summary>
    Task<TargetSummary> ResumeSummaryAsync(TargetRun run, CancellationToken ct);

    /// <summary>One scalar batch (at most <see cref="MaxRecordsPerRequest"/> points, steps increasing).</summary>
    Task UploadScalarsAsync(TargetRun run, string key, ReadOnlyMemory<SeriesPoint> points, CancellationToken ct);

    /// <summary>One batch of console lines, epochs increasing.</summary>
    Task UploadLogsAsync(TargetRun run, IReadOnlyList<LogLine> lines, CancellationToken ct);

    /// <summary>
    /// Every media object of one key at one step: presigned PUTs of their bytes, then one <c>media</c> record listing
    /// them all with their captions (as the SDK sends a step), so a step is on the target whole or not at all.
    /// </summary>
    Task UploadMediaAsync(TargetRun run, IReadOnlyList<MediaUpload> step, CancellationToken ct);

    /// <summary><c>PUT .../state</c> with the run's original state and finishedAt.</summary>
    Task FinishRunAsync(TargetRun run, string state, string? finishedAt, CancellationToken ct);
}

/// <summary>What experiment create sends: the source's id, name, times and labels, kept as they were.</summary>
public sealed record NewRun(string Cuid, string Name, string? Description, string? CreatedAt, IReadOnlyList<string> Colors,
    IReadOnlyList<string> Labels, string? Group, string? JobType);

/// <summary>The answer to experiment create: 201 = <paramref name="Created"/>, 200 = the run already existed.</summary>
public sealed record CreatedRun(TargetRun Run, bool Created, string Name, string? CreatedAt);

/// <summary>A run on the target, by the ids the write API addresses it with.</summary>
public sealed record TargetRun(string Workspace, string Project, string ProjectCuid, string Cuid)
{
    public string Path => $"{Workspace}/{Project}/{Cuid}";
}

/// <summary>What the target says it holds for a run: last step per scalar and media key, last log epoch.</summary>
public sealed record TargetSummary(IReadOnlyDictionary<string, long> ScalarLastSteps, long? LastLogEpoch,
    IReadOnlyDictionary<string, long> MediaLastSteps)
{
    public static TargetSummary Empty { get; } = new(new Dictionary<string, long>(), null, new Dictionary<string, long>());
}

/// <summary>
/// One media object to upload: bytes already read (media files are small), hashed by the importer.
/// <paramref name="SourcePath"/> is the object path on the source server when known (migrate, and a backup's media.jsonl),
/// else the file name; <paramref name="Kind"/> the medium the source server reported, when known.
/// </summary>
public sealed record MediaUpload(string Key, long Step, string FileName, string? Caption, ReadOnlyMemory<byte> Bytes, string Sha256,
    long? TimestampMs, string? SourcePath = null, string? Kind = null);

/// <summary>409 on experiment create: the id is taken by a run in another project.</summary>
public sealed class TargetRunConflictException(string message) : Exception(message);

/// <summary>404 Disabled Resource on experiment create: the run with that id was deleted on the target.</summary>
public sealed class TargetRunDeletedException(string message) : Exception(message);
