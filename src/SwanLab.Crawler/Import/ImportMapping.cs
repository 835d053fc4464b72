namespace SwanLab.Crawler.Import;

/// <summary>What the importer does when a run's id cannot be used as it is on the target.</summary>
public enum ConflictPolicy
{
    /// <summary>The run fails (exit 1); every other run goes on.</summary>
    Fail,
    /// <summary>The run is left out and reported as skipped.</summary>
    Skip,
    /// <summary>The run is created under a new id; the ledger records source id -> new id, so re-imports reuse it.</summary>
    NewId,
}

/// <summary>
/// Where source workspaces and projects go on the target: <c>--map-workspace alice=team-b</c> moves every project of
/// alice to team-b; <c>--map-project alice/mnist=team-b/digits</c> moves (and renames) one project and beats the
/// workspace mapping. Unmapped names stay as they are.
/// </summary>
public sealed class ImportMapping
{
    private readonly IReadOnlyDictionary<string, string> _workspaces;
    private readonly IReadOnlyDictionary<string, (string Workspace, string Project)> _projects;

    public ImportMapping(IReadOnlyDictionary<string, string>? workspaces = null,
        IReadOnlyDictionary<string, (string Workspace, string Project)>? projects = null)
    {
        _workspaces = workspaces ?? new Dictionary<string, string>();
        _projects = projects ?? new Dictionary<string, (string, string)>();
    }

    public static ImportMapping None { get; } = new();

    /// <summary>Parses <c>--map-workspace FROM=TO</c> and <c>--map-project WS/P=WS2/P2</c> values.</summary>
    /// <exception cref="ArgumentException">A value is not of that form, or one name is mapped twice.</exception>
    public static ImportMapping Parse(IEnumerable<string> workspaceMaps, IEnumerable<string> projectMaps)
    {
        var workspaces = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var map in workspaceMaps)
        {
            var (from, to) = Split(map, "--map-workspace", "FROM=TO");
            if (from.Contains('/') || to.Contains('/') || !workspaces.TryAdd(from, to))
                throw new ArgumentException($"--map-workspace '{map}': expected FROM=TO with workspace names, each FROM once", nameof(workspaceMaps));
        }
        var projects = new Dictionary<string, (string, string)>(StringComparer.Ordinal);
        foreach (var map in projectMaps)
        {
            var (from, to) = Split(map, "--map-project", "WS/PROJECT=WS/PROJECT");
            var target = to.Split('/');
            if (from.Split('/').Length != 2 || target.Length != 2 || target.Any(p => p.Length == 0)
                || !projects.TryAdd(from, (target[0], target[1])))
                throw new ArgumentException($"--map-project '{map}': expected WS/PROJECT=WS/PROJECT, each source project once", nameof(projectMaps));
        }
        return new ImportMapping(workspaces, projects);
    }

    public string Workspace(string sourceWorkspace) => _workspaces.GetValueOrDefault(sourceWorkspace, sourceWorkspace);

    public (string Workspace, string Project) Project(string sourceWorkspace, string sourceProject) =>
        _projects.TryGetValue($"{sourceWorkspace}/{sourceProject}", out var mapped) ? mapped : (Workspace(sourceWorkspace), sourceProject);

    /// <summary>Every target workspace the mapping can send projects to, besides the mapped source workspaces.</summary>
    public IEnumerable<string> ProjectTargetWorkspaces => _projects.Values.Select(p => p.Workspace);

    private static (string From, string To) Split(string map, string flag, string shape)
    {
        var parts = map.Split('=');
        if (parts.Length != 2 || parts[0].Trim().Length == 0 || parts[1].Trim().Length == 0)
            throw new ArgumentException($"{flag} '{map}' is not {shape}", nameof(map));
        return (parts[0].Trim().Trim('/'), parts[1].Trim().Trim('/'));
    }
}
