namespace SwanLab.Crawler.Backup;

/// <summary>
/// Every path of the backup format, in one place. Each SwanLab name becomes one <see cref="SafeName"/> segment and
/// every path is checked to stay inside <see cref="Root"/>, so no server-sent name can write elsewhere.
/// </summary>
/// <remarks>
/// <code>
/// DIR/backup.json  manifest.jsonl  errors.jsonl
/// DIR/&lt;ws&gt;/workspace.json
/// DIR/&lt;ws&gt;/&lt;project&gt;/project.json
/// DIR/&lt;ws&gt;/&lt;project&gt;/&lt;run-id&gt;/run.json  logs.jsonl
/// DIR/&lt;ws&gt;/&lt;project&gt;/&lt;run-id&gt;/metrics/&lt;key&gt;.csv|.jsonl  metrics/index.json
/// DIR/&lt;ws&gt;/&lt;project&gt;/&lt;run-id&gt;/media/&lt;key&gt;/&lt;step&gt;-&lt;file&gt;
/// DIR/.swanlab-crawler/checkpoint.jsonl   private state, never part of the manifest
/// </code>
/// </remarks>
public sealed class BackupLayout
{
    /// <summary>The private state folder's name; SafeName never yields a leading dot, so no SwanLab name can clash.</summary>
    public const string StateFolderName = ".swanlab-crawler";
    public const string BackupInfoFileName = "backup.json";
    public const string ManifestFileName = "manifest.jsonl";
    public const string ErrorsFileName = "errors.jsonl";
    public const string WorkspaceFileName = "workspace.json";
    public const string ProjectFileName = "project.json";
    public const string RunFileName = "run.json";
    public const string MetricsFolderName = "metrics";
    public const string MetricsIndexFileName = "index.json";
    public const string LogsFileName = "logs.jsonl";
    public const string MediaIndexFileName = "media.jsonl";
    public const string MediaFolderName = "media";
    public const string CheckpointFileName = "checkpoint.jsonl";

    private readonly string _rootWithSeparator;

    public BackupLayout(string root)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(root);
        Root = Path.TrimEndingDirectorySeparator(Path.GetFullPath(root));
        _rootWithSeparator = Root + Path.DirectorySeparatorChar;
    }

    /// <summary>Absolute, normalised backup folder.</summary>
    public string Root { get; }

    public string BackupInfoFile => Under(BackupInfoFileName);
    public string ManifestFile => Under(ManifestFileName);
    public string ErrorsFile => Under(ErrorsFileName);
    public string StateDirectory => Under(StateFolderName);
    public string CheckpointFile => Under(StateFolderName, CheckpointFileName);

    public string WorkspaceDirectory(string workspace) => Under(SafeName.Encode(workspace));
    public string WorkspaceFile(string workspace) => Under(SafeName.Encode(workspace), WorkspaceFileName);

    public string ProjectDirectory(string workspace, string project) =>
        Under(SafeName.Encode(workspace), SafeName.Encode(project));

    public string ProjectFile(string workspace, string project) =>
        Under(SafeName.Encode(workspace), SafeName.Encode(project), ProjectFileName);

    /// <summary>The folder of run "workspace/project/run-id".</summary>
    public string RunDirectory(string runPath)
    {
        var (ws, project, run) = SplitRunPath(runPath);
        return Under(SafeName.Encode(ws), SafeName.Encode(project), SafeName.Encode(run));
    }

    public string RunFile(string runPath) => Under(RunDirectory(runPath), RunFileName);
    public string LogsFile(string runPath) => Under(RunDirectory(runPath), LogsFileName);
    public string MediaIndexFile(string runPath) => Under(RunDirectory(runPath), MediaIndexFileName);
    public string MetricsDirectory(string runPath) => Under(RunDirectory(runPath), MetricsFolderName);
    public string MetricsIndexFile(string runPath) => Under(MetricsDirectory(runPath), MetricsIndexFileName);

    /// <summary>File name (no folder) of a series: the encoded key plus the format's extension.</summary>
    public static string SeriesFileName(string key, SeriesFormat format) =>
        SafeName.Encode(key) + SeriesExtension(format);

    public static string SeriesExtension(SeriesFormat format) => format switch
    {
        SeriesFormat.Csv => ".csv",
        SeriesFormat.Jsonl => ".jsonl",
        SeriesFormat.Parquet => ".parquet",
        _ => throw new ArgumentOutOfRangeException(nameof(format), format, "unknown series format"),
    };

    public string SeriesFile(string runPath, string key, SeriesFormat format) =>
        Under(MetricsDirectory(runPath), SeriesFileName(key, format));

    public string MediaDirectory(string runPath, string key) =>
        Under(RunDirectory(runPath), MediaFolderName, SafeName.Encode(key));

    /// <summary>
    /// One media object: "&lt;step&gt;-&lt;last segment of the server path&gt;", encoded; the step keeps files of
    /// different steps apart and in order, the server's file name keeps several objects of one step apart.
    /// </summary>
    public string MediaFile(string runPath, string key, long step, string serverPath)
    {
        ArgumentNullException.ThrowIfNull(serverPath);
        var slash = serverPath.LastIndexOf('/');
        var fileName = slash < 0 ? serverPath : serverPath[(slash + 1)..];
        return Under(MediaDirectory(runPath, key), SafeName.Encode(FormattableString.Invariant($"{step}-{fileName}")));
    }

    /// <summary>Path relative to <see cref="Root"/> with forward slashes; throws for anything outside it.</summary>
    public string RelativePath(string fullPath)
    {
        var normalised = EnsureInside(fullPath);
        return normalised[_rootWithSeparator.Length..].Replace(Path.DirectorySeparatorChar, '/');
    }

    /// <summary>Absolute path of a forward-slash relative path (e.g. from the manifest); throws if it leaves Root.</summary>
    public string FullPath(string relativePath)
    {
        ArgumentNullException.ThrowIfNull(relativePath);
        if (relativePath.Length == 0 || relativePath.Contains('\0') || Path.IsPathRooted(relativePath))
            throw new UnsafePathException(relativePath, Root);
        foreach (var segment in relativePath.Split('/'))
            if (segment is "" or "." or ".." || segment.Contains('\\'))
                throw new UnsafePathException(relativePath, Root);
        return EnsureInside(Path.Combine(Root, relativePath.Replace('/', Path.DirectorySeparatorChar)));
    }

    /// <summary>True for paths (relative, forward slashes) that belong to the tool, not to the backup's content.</summary>
    public static bool IsPrivate(string relativePath) =>
        relativePath == StateFolderName || relativePath.StartsWith(StateFolderName + "/", StringComparison.Ordinal)
        || AtomicFile.IsTempName(relativePath.Split('/')[^1]);

    /// <summary>Splits "workspace/project/run-id"; the three parts are SwanLab names, encoded separately.</summary>
    public static (string Workspace, string Project, string RunId) SplitRunPath(string runPath)
    {
        ArgumentNullException.ThrowIfNull(runPath);
        var parts = runPath.Split('/');
        if (parts.Length != 3)
            throw new ArgumentException($"A run path has the form workspace/project/run-id; got '{runPath}'.", nameof(runPath));
        return (parts[0], parts[1], parts[2]);
    }

    /// <summary>Splits "workspace/project".</summary>
    public static (string Workspace, string Project) SplitProjectPath(string projectPath)
    {
        ArgumentNullException.ThrowIfNull(projectPath);
        var parts = projectPath.Split('/');
        if (parts.Length != 2)
            throw new ArgumentException($"A project path has the form workspace/project; got '{projectPath}'.", nameof(projectPath));
        return (parts[0], parts[1]);
    }

    private string Under(params string[] segments) =>
        EnsureInside(Path.Combine([Root, .. segments]));

    private string EnsureInside(string path)
    {
        var full = Path.GetFullPath(path);
        if (!full.StartsWith(_rootWithSeparator, StringComparison.Ordinal) || full.Length == _rootWithSeparator.Length)
            throw new UnsafePathException(path, Root);
        return full;
    }
}

/// <summary>A path that would leave the backup folder; the name that caused it is in the message.</summary>
public sealed class UnsafePathException(string path, string root)
    : IOException($"Refusing path '{path}': it is not inside the backup folder '{root}'.");
