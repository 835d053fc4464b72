using System.Text.Json;
using SwanLab.Client.Http;

namespace SwanLab.Client;

/// <summary>A personal or team workspace (<c>GET /group/{username}</c>).</summary>
public sealed class Workspace
{
    private readonly SwanLabApi _api;
    private readonly JsonElement _json;

    internal Workspace(SwanLabApi api, JsonElement json)
    {
        _api = api;
        _json = json;
    }

    /// <summary>The workspace id used in paths (e.g. <c>alice</c>, <c>team-a</c>).</summary>
    public string Username => _json.Str("username");

    /// <summary>Display name.</summary>
    public string Name => _json.Str("name");

    /// <summary><c>PERSON</c> or <c>TEAM</c>.</summary>
    public string WorkspaceType => _json.Str("type");

    /// <summary>The logged-in user's role in a team (<c>VISITOR</c>, <c>VIEWER</c>, <c>MEMBER</c>, <c>OWNER</c>); empty when absent.</summary>
    public string Role => _json.Str("role");

    /// <summary>Workspace comment.</summary>
    public string Comment => _json.Str("comment");

    /// <summary>Profile fields (bio, url, institution, school, email, location) as sent.</summary>
    public IReadOnlyDictionary<string, string?> Profile =>
        _json.Prop("profile") is { ValueKind: JsonValueKind.Object } profile
            ? profile.EnumerateObject().ToDictionary(p => p.Name, p => p.Value.ValueKind == JsonValueKind.String ? p.Value.GetString() : p.Value.GetRawText(), StringComparer.Ordinal)
            : new Dictionary<string, string?>();

    /// <summary>The projects of this workspace, lazily across pages.</summary>
    public IAsyncEnumerable<Project> ProjectsAsync(string? sort = null, string? search = null, bool detail = true,
        CancellationToken ct = default) => _api.ProjectsAsync(Username, sort, search, detail, ct);

    /// <summary>The workspace object exactly as the server sent it.</summary>
    public JsonElement Json() => _json;

    /// <inheritdoc />
    public override string ToString() => $"Workspace {Username} ({WorkspaceType})";
}
