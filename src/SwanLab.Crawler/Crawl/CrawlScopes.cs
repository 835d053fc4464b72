using SwanLab.Crawler.Actors;

namespace SwanLab.Crawler.Crawl;

/// <summary>Turns --workspace/--project/--run selections into per-workspace scopes.</summary>
public static class CrawlScopes
{
    /// <summary>
    /// Null when nothing is selected (= every workspace the user can read). A workspace selection takes all its
    /// projects; a project selection all its runs; a run selection only that run. Broader selections win.
    /// </summary>
    /// <exception cref="ArgumentException">A selection is not "ws", "ws/project" or "ws/project/run-id".</exception>
    public static IReadOnlyList<WorkspaceProtocol.WorkspaceScope>? Build(CrawlSettings settings)
    {
        if (settings.Workspaces.Count == 0 && settings.Projects.Count == 0 && settings.Runs.Count == 0) return null;

        var allOf = new HashSet<string>(StringComparer.Ordinal);
        foreach (var workspace in settings.Workspaces) allOf.Add(Split(workspace, 1, "--workspace", "WS")[0]);

        // workspace -> project -> null (all runs) or run ids
        var projects = new SortedDictionary<string, SortedDictionary<string, SortedSet<string>?>>(StringComparer.Ordinal);
        foreach (var project in settings.Projects)
        {
            var parts = Split(project, 2, "--project", "WS/PROJECT");
            Projects(parts[0])[parts[1]] = null;
        }
        foreach (var run in settings.Runs)
        {
            var parts = Split(run, 3, "--run", "WS/PROJECT/RUN-ID");
            var inWorkspace = Projects(parts[0]);
            if (inWorkspace.TryGetValue(parts[1], out var ids) && ids is null) continue;
            (inWorkspace[parts[1]] = ids ?? new SortedSet<string>(StringComparer.Ordinal)).Add(parts[2]);
        }

        var scopes = allOf.OrderBy(w => w, StringComparer.Ordinal)
            .Select(w => new WorkspaceProtocol.WorkspaceScope(w, null, null)).ToList();
        foreach (var (workspace, selected) in projects)
        {
            if (allOf.Contains(workspace)) continue;
            scopes.Add(new WorkspaceProtocol.WorkspaceScope(workspace, null, selected
                .Select(p => new ProjectProtocol.ProjectScope(workspace, p.Key, null, p.Value?.ToList()))
                .ToList()));
        }
        return scopes;

        SortedDictionary<string, SortedSet<string>?> Projects(string workspace)
        {
            if (!projects.TryGetValue(workspace, out var inWorkspace))
                projects[workspace] = inWorkspace = new SortedDictionary<string, SortedSet<string>?>(StringComparer.Ordinal);
            return inWorkspace;
        }
    }

    private static string[] Split(string selection, int parts, string flag, string shape)
    {
        var split = selection.Trim().Trim('/').Split('/');
        if (split.Length != parts || split.Any(p => p.Trim().Length == 0))
            throw new ArgumentException($"{flag} '{selection}' is not {shape}", nameof(selection));
        return split;
    }
}
