namespace SwanLab.Emulator.Data;

/// <summary>A SwanLab user account.</summary>
public sealed record EmulatorUser(string Username, string Name, string Email)
{
    public string Bio { get; init; } = "";
    public string Institution { get; init; } = "";
}

/// <summary>
/// Everything the emulator serves. Generated data is the ground truth for tests; uploads (importer writes)
/// add projects, runs and stored series at runtime, so collections are read as snapshots.
/// </summary>
public sealed class EmulatorDataset
{
    private readonly List<EmulatorWorkspace> _workspaces = [];
    private readonly Dictionary<string, EmulatorRun> _runsByCuid = new(StringComparer.Ordinal);
    private readonly Dictionary<string, EmulatorProject> _projectsByCuid = new(StringComparer.Ordinal);
    private readonly List<EmulatorUser> _users = [];
    private readonly HashSet<string> _deletedRuns = new(StringComparer.Ordinal);

    internal EmulatorDataset(int seed, DatasetSize size, EmulatorUser user)
    {
        Seed = seed;
        Size = size;
        User = user;
        _users.Add(user);
    }

    internal object Sync { get; } = new();

    public int Seed { get; }
    public DatasetSize Size { get; }

    /// <summary>The user the API key belongs to (also root in self-hosted mode).</summary>
    public EmulatorUser User { get; }

    /// <summary>All known users (self-hosted user management adds to it).</summary>
    public IReadOnlyList<EmulatorUser> Users
    {
        get
        {
            lock (Sync)
            {
                return _users.ToArray();
            }
        }
    }

    /// <summary>The user's own workspace first, then teams.</summary>
    public IReadOnlyList<EmulatorWorkspace> Workspaces
    {
        get
        {
            lock (Sync)
            {
                return _workspaces.ToArray();
            }
        }
    }

    public IReadOnlyList<EmulatorProject> Projects => Workspaces.SelectMany(w => w.Projects).ToArray();

    public IReadOnlyList<EmulatorRun> Runs => Projects.SelectMany(p => p.Runs).ToArray();

    public EmulatorWorkspace? FindWorkspace(string username)
    {
        lock (Sync)
        {
            return _workspaces.FirstOrDefault(w => w.Username == username);
        }
    }

    public EmulatorProject? FindProject(string workspace, string name) =>
        FindWorkspace(workspace)?.Projects.FirstOrDefault(p => p.Name == name);

    public EmulatorProject? FindProjectByCuid(string cuid)
    {
        lock (Sync)
        {
            return _projectsByCuid.GetValueOrDefault(cuid);
        }
    }

    public EmulatorRun? FindRun(string cuid)
    {
        lock (Sync)
        {
            return _runsByCuid.GetValueOrDefault(cuid);
        }
    }

    /// <summary>True for a run that existed and was deleted (the server then answers 404 "Disabled Resource").</summary>
    public bool WasDeleted(string cuid)
    {
        lock (Sync)
        {
            return _deletedRuns.Contains(cuid);
        }
    }

    /// <summary>A run of the project by cuid or slug (the 0.9.7 SDK sends either).</summary>
    public static EmulatorRun? FindRun(EmulatorProject project, string cuidOrSlug) =>
        project.Runs.FirstOrDefault(r => r.Cuid == cuidOrSlug) ?? project.Runs.FirstOrDefault(r => r.Slug == cuidOrSlug);

    /// <summary>The run whose House data a run shows: the root for clones, else itself.</summary>
    public EmulatorRun DataOwner(EmulatorRun run) =>
        run.RootExpId is { } root && FindRun(root) is { } owner ? owner : run;

    internal void AddUser(EmulatorUser user)
    {
        lock (Sync)
        {
            _users.Add(user);
        }
    }

    internal void AddWorkspace(EmulatorWorkspace workspace)
    {
        lock (Sync)
        {
            _workspaces.Add(workspace);
        }
    }

    internal void AddProject(EmulatorProject project)
    {
        lock (Sync)
        {
            lock (project.Workspace.ProjectList)
            {
                project.Workspace.ProjectList.Add(project);
            }

            _projectsByCuid[project.Cuid] = project;
        }
    }

    internal bool RemoveProject(EmulatorProject project)
    {
        lock (Sync)
        {
            foreach (var run in project.Runs)
            {
                _runsByCuid.Remove(run.Cuid);
                _deletedRuns.Add(run.Cuid);
                _deletedRuns.Add(run.Slug);
            }

            _projectsByCuid.Remove(project.Cuid);
            lock (project.Workspace.ProjectList)
            {
                return project.Workspace.ProjectList.Remove(project);
            }
        }
    }

    internal void AddRun(EmulatorRun run)
    {
        lock (Sync)
        {
            lock (run.Project.RunList)
            {
                run.Project.RunList.Add(run);
            }

            _runsByCuid[run.Cuid] = run;
        }
    }

    internal bool RemoveRun(EmulatorRun run)
    {
        lock (Sync)
        {
            _runsByCuid.Remove(run.Cuid);
            _deletedRuns.Add(run.Cuid);
            _deletedRuns.Add(run.Slug);
            lock (run.Project.RunList)
            {
                return run.Project.RunList.Remove(run);
            }
        }
    }
}
