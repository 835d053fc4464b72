using System.Text.Json;
using SwanLab.Client.Http;

namespace SwanLab.Client;

/// <summary>A project (<c>GET /project/{workspace}/{project}</c> or an item of the project list).</summary>
public sealed class Project
{
    private readonly SwanLabApi _api;
    private readonly JsonElement _json;

    internal Project(SwanLabApi api, JsonElement json, string fallbackWorkspace)
    {
        _api = api;
        _json = json;
        var path = json.Str("path").Trim('/');
        if (path.Split('/').Length != 2)
        {
            var workspace = json.Prop("group").Str("username", json.Str("username", fallbackWorkspace));
            path = $"{workspace}/{json.Str("name")}";
        }
        Path = path;
    }

    /// <summary>Project name.</summary>
    public string Name => _json.Str("name");

    /// <summary><c>workspace/project</c> (a leading slash some servers send is removed).</summary>
    public string Path { get; }

    /// <summary>The owning workspace's username.</summary>
    public string Workspace => Path.Split('/')[0];

    /// <summary>The server's project id (used as <c>projectId</c> in metric queries).</summary>
    public string Cuid => _json.Str("cuid");

    /// <summary>Description.</summary>
    public string Description => _json.Str("description");

    /// <summary>Label names.</summary>
    public IReadOnlyList<string> Labels => _json.Prop("projectLabels").Items().Select(l => l.Str("name")).ToList();

    /// <summary>Creation time as sent (ISO 8601).</summary>
    public string CreatedAt => _json.Str("createdAt");

    /// <summary>Last update time as sent (ISO 8601).</summary>
    public string UpdatedAt => _json.Str("updatedAt");

    /// <summary>Web URL: <c>{web}/@{workspace}/{project}</c>.</summary>
    public string Url => $"{_api.WebHost}/@{Path}";

    /// <summary><c>PUBLIC</c> or <c>PRIVATE</c>.</summary>
    public string Visibility => _json.Str("visibility");

    /// <summary>Counters from <c>_count</c> (experiments, contributors, collaborators, ...).</summary>
    public IReadOnlyDictionary<string, long> Count =>
        _json.Prop("_count") is { ValueKind: JsonValueKind.Object } count
            ? count.EnumerateObject().Where(p => JsonRead.AsLong(p.Value) is not null)
                .ToDictionary(p => p.Name, p => JsonRead.AsLong(p.Value)!.Value, StringComparer.Ordinal)
            : new Dictionary<string, long>();

    /// <summary>Runs of this project, filtered as in <see cref="SwanLabApi.RunsAsync"/>.</summary>
    public IAsyncEnumerable<Run> RunsAsync(IReadOnlyDictionary<string, object?>? filters = null, CancellationToken ct = default) =>
        _api.RunsAsync(Path, filters, ct);

    /// <summary>The owning workspace (one request).</summary>
    public Task<Workspace> WorkspaceAsync(CancellationToken ct = default) => _api.WorkspaceAsync(Workspace, ct);

    /// <summary>The project object exactly as the server sent it.</summary>
    public JsonElement Json() => _json;

    /// <inheritdoc />
    public override string ToString() => $"Project {Path}";
}
