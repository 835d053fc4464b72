using System.Text.Json.Nodes;

namespace SwanLab.Emulator.Data;

/// <summary>A workspace: a person's own space or a team ("group" in the API).</summary>
public sealed class EmulatorWorkspace
{
    public required string Username { get; init; }
    public required string Name { get; init; }

    /// <summary><c>PERSON</c> or <c>TEAM</c>.</summary>
    public required string Type { get; init; }

    /// <summary>The login user's role: OWNER, MEMBER, VIEWER or VISITOR.</summary>
    public string Role { get; init; } = "OWNER";

    public string Comment { get; init; } = "";

    internal List<EmulatorProject> ProjectList { get; } = [];

    /// <summary>Projects in creation order (a snapshot).</summary>
    public IReadOnlyList<EmulatorProject> Projects
    {
        get
        {
            lock (ProjectList)
            {
                return ProjectList.ToArray();
            }
        }
    }
}

public sealed class EmulatorProject
{
    public required string Cuid { get; init; }
    public required string Name { get; init; }
    public required EmulatorWorkspace Workspace { get; init; }
    public string Description { get; set; } = "";
    public string Visibility { get; set; } = "PRIVATE";
    public required DateTimeOffset CreatedAt { get; init; }
    public DateTimeOffset UpdatedAt { get; set; }
    public IReadOnlyList<string> Labels { get; init; } = [];

    /// <summary><c>1</c> for a multi-view project (columns via <c>/projects/{ws}/{p}/series</c>); null on servers from before views (<c>--legacy</c>).</summary>
    public int? Version { get; init; } = 1;

    /// <summary>A saved server-side grouping (STABLE keys) applied to <c>runs/shows</c> when the request has none.</summary>
    public IReadOnlyList<string> DefaultGroupKeys { get; init; } = [];

    /// <summary><c>workspace/project</c>, without a leading slash (both SDKs split it).</summary>
    public string Path => Workspace.Username + "/" + Name;

    internal List<EmulatorRun> RunList { get; } = [];

    /// <summary>Columns registered by uploads (<c>/experiment/{cuid}/columns</c>, <c>/projects/{ws}/{p}/series</c>).</summary>
    internal List<JsonObject> SeriesColumns { get; } = [];

    public IReadOnlyList<EmulatorRun> Runs
    {
        get
        {
            lock (RunList)
            {
                return RunList.ToArray();
            }
        }
    }
}

public sealed class EmulatorRun
{
    public required string Cuid { get; init; }
    public required string Slug { get; init; }
    public required string Name { get; set; }
    public required EmulatorProject Project { get; init; }
    public string Description { get; set; } = "";
    public string State { get; set; } = "FINISHED";
    public IReadOnlyList<string> Labels { get; set; } = [];
    public IReadOnlyList<string> Colors { get; set; } = ["#528d59", "#528d59"];
    public string Cluster { get; set; } = "";
    public string Job { get; set; } = "";
    public bool Show { get; set; } = true;
    public bool Pinned { get; set; }

    /// <summary>Username of the creator.</summary>
    public string CreatedBy { get; init; } = "alice";
    public required DateTimeOffset CreatedAt { get; init; }
    public DateTimeOffset? FinishedAt { get; set; }
    /// <summary>The upload session of the process that created or last resumed the run; a resume issues a new one.</summary>
    public string FlagId { get; set; } = "";

    /// <summary>Set for cloned runs: their metric data lives under the root run.</summary>
    public string? RootExpId { get; init; }

    public string? RootProId { get; init; }

    /// <summary>Config as the server stores it: every top-level entry wrapped as {value, desc, sort}.</summary>
    public JsonObject Config { get; set; } = new();

    public JsonObject Metadata { get; set; } = new();
    public string Requirements { get; set; } = "";
    public string Conda { get; set; } = "";

    internal List<ScalarSeries> ScalarList { get; } = [];

    /// <summary>Files saved with <c>swanlab.save</c> (0.9.7): path to UPLOADED/FAILED/PENDING.</summary>
    internal Dictionary<string, string> FileStates { get; } = new(StringComparer.Ordinal);

    public IReadOnlyDictionary<string, string> SavedFiles
    {
        get
        {
            lock (FileStates)
            {
                return new Dictionary<string, string>(FileStates, StringComparer.Ordinal);
            }
        }
    }
    internal List<MediaSeries> MediaList { get; } = [];
    internal LogStream Logs { get; set; } = LogStream.Empty;

    /// <summary>This run's own scalar keys (a clone has none: read the root run).</summary>
    public IReadOnlyList<ScalarSeries> Scalars
    {
        get
        {
            lock (ScalarList)
            {
                return ScalarList.ToArray();
            }
        }
    }

    public IReadOnlyList<MediaSeries> Media
    {
        get
        {
            lock (MediaList)
            {
                return MediaList.ToArray();
            }
        }
    }

    public LogStream LogLines => Logs;

    public ScalarSeries? FindScalar(string key)
    {
        lock (ScalarList)
        {
            return ScalarList.FirstOrDefault(s => s.Key == key);
        }
    }

    public MediaSeries? FindMedia(string key)
    {
        lock (MediaList)
        {
            return MediaList.FirstOrDefault(s => s.Key == key);
        }
    }

    /// <summary>The uploadable series of a key; null when the key is generated (read-only).</summary>
    internal StoredScalarSeries? GetOrAddStoredScalar(string key)
    {
        lock (ScalarList)
        {
            var existing = ScalarList.FirstOrDefault(s => s.Key == key);
            if (existing is not null)
            {
                return existing as StoredScalarSeries;
            }

            var created = new StoredScalarSeries(key);
            ScalarList.Add(created);
            return created;
        }
    }

    internal MediaSeries GetOrAddMedia(string key)
    {
        lock (MediaList)
        {
            var found = MediaList.FirstOrDefault(s => s.Key == key);
            if (found is null)
            {
                found = new MediaSeries(key);
                MediaList.Add(found);
            }

            return found;
        }
    }
}

/// <summary>One media item: a stored object path and its optional caption.</summary>
public sealed record MediaItem(string Path, string? Caption);

/// <summary>Media logged at one step.</summary>
public sealed record MediaStep(long Step, IReadOnlyList<MediaItem> Items);

/// <summary>A media key (images, text...). Files are generated on download (see <see cref="MediaBytes"/>).</summary>
public sealed class MediaSeries(string key)
{
    private readonly SortedDictionary<long, MediaStep> _steps = new();

    public string Key { get; } = key;

    public IReadOnlyList<MediaStep> Steps
    {
        get
        {
            lock (_steps)
            {
                return _steps.Values.ToArray();
            }
        }
    }

    /// <summary>Stores a step's media; true when the step was new.</summary>
    internal bool Put(MediaStep step)
    {
        lock (_steps)
        {
            var isNew = !_steps.ContainsKey(step.Step);
            _steps[step.Step] = step;
            return isNew;
        }
    }
}

/// <summary>One console line.</summary>
public sealed record LogLine(long Epoch, string Level, string Message, DateTimeOffset Timestamp);

/// <summary>Console output of a run: generated lines computed on demand plus uploaded ones.</summary>
public class LogStream
{
    public static LogStream Empty { get; } = new(0, null);

    private readonly Func<int, LogLine>? _generate;
    private readonly int _generatedCount;

    internal LogStream(int count, Func<int, LogLine>? generate)
    {
        _generatedCount = count;
        _generate = generate;
    }

    public virtual int Count => _generatedCount;

    public virtual LogLine At(int index) => _generate!(index);

    public IEnumerable<LogLine> All()
    {
        for (var i = 0; i < Count; i++)
        {
            yield return At(i);
        }
    }
}

internal sealed class StoredLogStream() : LogStream(0, null)
{
    private readonly SortedDictionary<long, LogLine> _lines = new();
    private LogLine[]? _snapshot;

    public override int Count => Snapshot().Length;

    public override LogLine At(int index) => Snapshot()[index];

    /// <summary>Stores a line; true when its epoch was new.</summary>
    public bool Put(LogLine line)
    {
        lock (_lines)
        {
            var isNew = !_lines.ContainsKey(line.Epoch);
            _lines[line.Epoch] = line;
            _snapshot = null;
            return isNew;
        }
    }

    private LogLine[] Snapshot()
    {
        lock (_lines)
        {
            return _snapshot ??= _lines.Values.ToArray();
        }
    }
}
