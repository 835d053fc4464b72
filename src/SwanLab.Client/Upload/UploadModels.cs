using System.Text.Json;

namespace SwanLab.Client.Upload;

/// <summary>A project to create, or find when it exists.</summary>
/// <param name="Workspace">The owning workspace (user or team username); it must exist: the API cannot create teams.</param>
/// <param name="Name">The project name (1–100 of <c>[0-9a-zA-Z-_.+]</c>).</param>
public sealed record ProjectSpec(string Workspace, string Name)
{
    /// <summary><c>PRIVATE</c> (default) or <c>PUBLIC</c>.</summary>
    public string Visibility { get; init; } = "PRIVATE";

    /// <summary>Description; sent only when not null (the 0.9.7 runtime never sends one, <c>swanlab.Api.create_project</c> does).</summary>
    public string? Description { get; init; }
}

/// <summary>A project as the server describes it after create-or-get (<c>GET /project/{ws}/{name}</c>).</summary>
/// <param name="Workspace">The workspace the server says owns it (<c>group.username</c>).</param>
/// <param name="Name">Name.</param>
/// <param name="Cuid">The project id House uploads carry as <c>projectId</c>.</param>
/// <param name="Version"><c>1</c> for a multi-view project (columns go to <c>/projects/{ws}/{p}/series</c>), else null.</param>
/// <param name="Created">True when this call got a 201; false when the project already existed (200/409).</param>
/// <param name="ExperimentCount"><c>_count.experiments</c> at the time of the GET.</param>
/// <param name="Json">The project object as sent.</param>
public sealed record UploadProject(string Workspace, string Name, string Cuid, int? Version, bool Created, long ExperimentCount, JsonElement Json)
{
    /// <summary><c>workspace/name</c>.</summary>
    public string Path => $"{Workspace}/{Name}";
}

/// <summary>
/// An experiment (run) to create with a client-chosen id. Everything is sent as the 0.9.7 SDK sends it: nulls and
/// empty strings left out.
/// </summary>
/// <param name="Cuid">The run id to create or resume (1–512 characters); sending the source run's id makes a re-import find its earlier copy.</param>
/// <param name="Name">Run name.</param>
public sealed record ExperimentSpec(string Cuid, string Name)
{
    /// <summary>The original start time (<c>createdAt</c>); null lets the server use its own clock.</summary>
    public DateTimeOffset? CreatedAt { get; init; }

    /// <summary>Description.</summary>
    public string? Description { get; init; }

    /// <summary>Tag names (<c>labels: [{name}]</c>).</summary>
    public IReadOnlyList<string> Labels { get; init; } = [];

    /// <summary>Group (wire field <c>cluster</c>).</summary>
    public string? Group { get; init; }

    /// <summary>Job type (wire field <c>job</c>).</summary>
    public string? JobType { get; init; }

    /// <summary>Colours <c>[light, dark]</c>; one colour is sent twice as 0.9.7 does; empty = let the server pick.</summary>
    public IReadOnlyList<string> Colors { get; init; } = [];
}

/// <summary>The run uploads go to: ids as the server answered the experiment create.</summary>
/// <param name="Project">Its project.</param>
/// <param name="Cuid">The server's run id (used in every later path).</param>
/// <param name="Slug">The user-facing id, when the server keeps one apart from the cuid.</param>
/// <param name="Name">Name as the server stored it.</param>
/// <param name="CreatedAt">The run's <c>createdAt</c> as the server holds it (ISO text), the lower bound of House reads.</param>
/// <param name="FlagId">The upload session id a 0.7.8-era server issues (sent back in every metric envelope); null on 0.9.x servers.</param>
/// <param name="Created">True for 201 (new run), false for 200 (the id existed in this project: a resume). After a
/// retried create the 200 can answer this call's own first attempt, so decide "new or resumed" from
/// <see cref="SwanLabUploader.ResumeSummaryAsync"/>, not from this flag alone.</param>
/// <param name="Json">The create answer as sent.</param>
public sealed record UploadRun(UploadProject Project, string Cuid, string? Slug, string Name, string CreatedAt, string? FlagId, bool Created, JsonElement Json)
{
    /// <summary><c>workspace/project/cuid</c>.</summary>
    public string Path => $"{Project.Path}/{Cuid}";
}

/// <summary>One scalar point to upload.</summary>
/// <param name="Key">Metric key, e.g. <c>train/loss</c>.</param>
/// <param name="Step">Step (<c>index</c>).</param>
/// <param name="Value">Value; NaN and ±infinity are sent as <see cref="SwanLabUploadOptions.NonFinite"/> spells them.</param>
/// <param name="TimestampMs">When the source logged it (Unix ms, sent as <c>create_time</c>); null = omitted, the server stamps it.</param>
public readonly record struct ScalarUpload(string Key, long Step, double Value, long? TimestampMs);

/// <summary>One console line to upload.</summary>
/// <param name="Epoch">Line number (1-based, increasing).</param>
/// <param name="Level"><c>INFO</c>, <c>WARN</c>, <c>ERROR</c> (or <c>DEBUG</c>), sent as given.</param>
/// <param name="Message">Text.</param>
/// <param name="Time">When it was logged; null = omitted.</param>
public readonly record struct LogUpload(long Epoch, string Level, string Message, DateTimeOffset? Time);

/// <summary>One media object of a media item.</summary>
/// <param name="Path">The object path the server stores and returns (e.g. <c>media/image/005-1a2b3c4d.png</c>, see
/// <see cref="MediaPaths"/>); for 0.7.8 text media without a file, the text itself.</param>
/// <param name="Content">The file bytes, PUT to a presigned URL first; null for 0.7.8 text (data only, no file).</param>
/// <param name="ContentType">MIME type of the PUT (0.9.7 guesses it from the name).</param>
/// <param name="Caption">Caption, or null.</param>
public sealed record MediaFile(string Path, ReadOnlyMemory<byte>? Content, string ContentType = "application/octet-stream", string? Caption = null);

/// <summary>The media of one key at one step.</summary>
/// <param name="Key">Media key.</param>
/// <param name="Step">Step (<c>index</c>).</param>
/// <param name="Files">Objects at that step, in order.</param>
/// <param name="TimestampMs">When it was logged (Unix ms); null = omitted.</param>
public sealed record MediaUpload(string Key, long Step, IReadOnlyList<MediaFile> Files, long? TimestampMs);

/// <summary>A chart column (series definition).</summary>
/// <param name="Key">Key.</param>
/// <param name="Type"><c>FLOAT</c>, <c>IMAGE</c>, <c>AUDIO</c>, <c>VIDEO</c>, <c>TEXT</c>, <c>ECHARTS</c>, <c>OBJECT3D</c>, <c>MOLECULE</c>, <c>HTML</c>.</param>
/// <param name="System">A hardware-monitor column (<c>__swanlab__.</c> keys): type <c>SYSTEM</c> / class <c>SYSTEM</c>.</param>
/// <param name="SectionName">Chart section; default (null) = the key's prefix before the first <c>/</c>, as the SDK does.</param>
public sealed record ColumnSpec(string Key, string Type = "FLOAT", bool System = false, string? SectionName = null);

/// <summary>What the server already holds for a run (<c>GET /house/metrics/summaries/{p}/{e}</c>).</summary>
/// <param name="ScalarSteps">Last stored step per scalar key.</param>
/// <param name="MediaSteps">Last stored step per media key.</param>
/// <param name="LastLogEpoch">Last stored console line number, null when none.</param>
/// <param name="Json">The answer as sent.</param>
public sealed record ResumeSummary(IReadOnlyDictionary<string, long> ScalarSteps, IReadOnlyDictionary<string, long> MediaSteps,
    long? LastLogEpoch, JsonElement Json);

/// <summary>Final states a run can be finished with.</summary>
public enum RunFinalState
{
    /// <summary><c>FINISHED</c>.</summary>
    Finished,
    /// <summary><c>CRASHED</c>.</summary>
    Crashed,
    /// <summary><c>ABORTED</c>.</summary>
    Aborted,
}

/// <summary>What one upload call did.</summary>
/// <param name="Requests"><c>POST /house/metrics</c> requests sent (first tries and resends).</param>
/// <param name="Records">Items the server confirmed (or, after a reconcile, reports as stored).</param>
/// <param name="Resent">Items sent again after a reconcile found them missing.</param>
/// <param name="FoundStored">Items of an unanswered request that the reconcile found already stored (not sent again).</param>
/// <param name="TakenOver">Answers 202: a 0.7.8-era server saying another process took the run over (stored anyway).</param>
public sealed record UploadReport(int Requests, int Records, int Resent, int FoundStored, int TakenOver)
{
    /// <summary>Nothing sent.</summary>
    public static UploadReport Empty { get; } = new(0, 0, 0, 0, 0);

    internal UploadReport Add(UploadReport other) => new(Requests + other.Requests, Records + other.Records, Resent + other.Resent,
        FoundStored + other.FoundStored, TakenOver + other.TakenOver);
}
