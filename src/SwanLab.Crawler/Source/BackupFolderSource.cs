using System.Globalization;
using System.Runtime.CompilerServices;
using System.Security.Cryptography;
using System.Text.Json;
using SwanLab.Crawler.Backup;
using SwanLab.Crawler.Crawl;

namespace SwanLab.Crawler.Source;

/// <summary>
/// <see cref="ICrawlSource"/> over a backup folder (format v1), so <c>import</c> runs the same actors as export.
/// Nothing is trusted that the manifest does not vouch for: every file is checked against manifest.jsonl (size and
/// SHA-256) before its content is used, and a file that is missing, changed or not in the manifest fails its run with
/// a <see cref="BackupFileDamagedException"/> naming the file. Series are hashed, then streamed a batch at a time
/// (never held whole). Names come from the JSON files themselves (workspace.json, project.json, run.json,
/// metrics/index.json), never from decoding folder names, because encoded names may be shortened or hashed.
/// The catalogue (which folder holds which run) is built once when the source is opened.
/// </summary>
public sealed class BackupFolderSource : ICrawlSource
{
    private const int BatchPoints = 1024;

    private readonly BackupLayout _layout;
    private readonly IReadOnlyDictionary<string, WrittenFile> _manifest;
    private readonly SortedDictionary<string, WorkspaceEntry> _workspaces;
    private readonly Dictionary<string, ProjectEntry> _projects;
    private readonly Dictionary<string, RunEntry> _runs;

    private sealed record WorkspaceEntry(WorkspaceInfo Info, List<string> Projects);
    private sealed record ProjectEntry(ProjectInfo Info, List<string> Runs);
    private sealed record RunEntry(string Path, string Directory, ProjectInfo Project, string ContentFingerprint);

    private BackupFolderSource(BackupLayout layout, SourceIdentity identity, IReadOnlyDictionary<string, WrittenFile> manifest,
        SortedDictionary<string, WorkspaceEntry> workspaces, Dictionary<string, ProjectEntry> projects, Dictionary<string, RunEntry> runs)
    {
        _layout = layout;
        Identity = identity;
        _manifest = manifest;
        _workspaces = workspaces;
        _projects = projects;
        _runs = runs;
    }

    /// <summary>The source the backup was exported from (host, user), as backup.json records it; null when unknown.</summary>
    public SourceIdentity? ExportedFrom { get; private init; }

    public SourceIdentity Identity { get; }

    /// <summary>
    /// Opens a backup folder: reads manifest.jsonl and backup.json and catalogues workspaces, projects and runs.
    /// </summary>
    /// <exception cref="NotABackupFolderException">No manifest.jsonl (not a finished backup) or it is malformed.</exception>
    public static async Task<BackupFolderSource> OpenAsync(string folder, CancellationToken ct)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(folder);
        var layout = new BackupLayout(folder);
        if (!File.Exists(layout.ManifestFile))
            throw new NotABackupFolderException(layout.Root, $"'{layout.Root}' holds no {BackupLayout.ManifestFileName} (not a finished swanlab-crawler backup)");
        IReadOnlyList<WrittenFile> listed;
        BackupInfo? info;
        try
        {
            listed = await ManifestWriter.ReadAsync(layout, ct).ConfigureAwait(false);
            info = await BackupInfo.ReadAsync(layout, ct).ConfigureAwait(false);
        }
        catch (FormatException e)
        {
            throw new NotABackupFolderException(layout.Root, e.Message);
        }
        var manifest = new Dictionary<string, WrittenFile>(StringComparer.Ordinal);
        foreach (var file in listed) manifest[file.RelativePath] = file;
        var filesByRun = listed.GroupBy(f => RunFolderOf(f.RelativePath), StringComparer.Ordinal)
            .Where(g => g.Key is not null).ToDictionary(g => g.Key!, g => g.ToList(), StringComparer.Ordinal);

        var workspaces = new SortedDictionary<string, WorkspaceEntry>(StringComparer.Ordinal);
        var projects = new Dictionary<string, ProjectEntry>(StringComparer.Ordinal);
        var runs = new Dictionary<string, RunEntry>(StringComparer.Ordinal);
        foreach (var workspaceDir in Directory.EnumerateDirectories(layout.Root).Order(StringComparer.Ordinal))
        {
            if (BackupLayout.IsPrivate(layout.RelativePath(workspaceDir))) continue;
            var workspaceFile = Path.Combine(workspaceDir, BackupLayout.WorkspaceFileName);
            if (!File.Exists(workspaceFile)) continue;
            var workspaceJson = await ReadJsonAsync(layout, manifest, workspaceFile, ct).ConfigureAwait(false);
            var workspace = new WorkspaceInfo(Str(workspaceJson, "username") ?? "", Str(workspaceJson, "name") ?? "",
                Str(workspaceJson, "type") ?? "", workspaceJson);
            if (workspace.Username.Length == 0)
                throw new BackupFileDamagedException(layout.RelativePath(workspaceFile), "has no \"username\"");
            var workspaceEntry = new WorkspaceEntry(workspace, []);
            workspaces[workspace.Username] = workspaceEntry;
            foreach (var projectDir in Directory.EnumerateDirectories(workspaceDir).Order(StringComparer.Ordinal))
            {
                var projectFile = Path.Combine(projectDir, BackupLayout.ProjectFileName);
                if (!File.Exists(projectFile)) continue;
                var projectJson = await ReadJsonAsync(layout, manifest, projectFile, ct).ConfigureAwait(false);
                var name = Str(projectJson, "name") ?? "";
                var count = projectJson.TryGetProperty("_count", out var c) && c.ValueKind == JsonValueKind.Object
                    && c.TryGetProperty("experiments", out var n) && n.TryGetInt32(out var runCount) ? runCount : (int?)null;
                var project = new ProjectInfo(workspace.Username, name, $"{workspace.Username}/{name}", Str(projectJson, "cuid") ?? "",
                    count, projectJson);
                var projectEntry = new ProjectEntry(project, []);
                projects[project.Path] = projectEntry;
                workspaceEntry.Projects.Add(project.Path);
                foreach (var runDir in Directory.EnumerateDirectories(projectDir).Order(StringComparer.Ordinal))
                {
                    var runFile = Path.Combine(runDir, BackupLayout.RunFileName);
                    if (!File.Exists(runFile)) continue;
                    // The run id is the run's cuid, as in every run path the exporter wrote; run.json is read (and
                    // checked) again when the run is imported.
                    using var doc = JsonDocument.Parse(await File.ReadAllBytesAsync(runFile, ct).ConfigureAwait(false));
                    var cuid = Str(doc.RootElement, "cuid");
                    if (string.IsNullOrEmpty(cuid)) continue;
                    var path = $"{project.Path}/{cuid}";
                    runs[path] = new RunEntry(path, runDir, project, ContentFingerprint(filesByRun.GetValueOrDefault(layout.RelativePath(runDir)) ?? []));
                    projectEntry.Runs.Add(path);
                }
                projectEntry.Runs.Sort(StringComparer.Ordinal);
            }
            workspaceEntry.Projects.Sort(StringComparer.Ordinal);
        }
        var identity = new SourceIdentity("backup:" + layout.Root, info?.Source.User ?? "", "backup-v1");
        return new BackupFolderSource(layout, identity, manifest, workspaces, projects, runs)
        {
            ExportedFrom = info is null ? null : new SourceIdentity(info.Source.Host, info.Source.User, ""),
        };
    }

    public async IAsyncEnumerable<WorkspaceInfo> WorkspacesAsync([EnumeratorCancellation] CancellationToken ct)
    {
        await Task.CompletedTask.ConfigureAwait(false);
        foreach (var workspace in _workspaces.Values) yield return workspace.Info;
    }

    public Task<WorkspaceInfo> WorkspaceAsync(string workspace, CancellationToken ct) =>
        _workspaces.TryGetValue(workspace, out var entry)
            ? Task.FromResult(entry.Info)
            : Task.FromException<WorkspaceInfo>(new BackupEntryNotFoundException($"workspace '{workspace}' is not in the backup"));

    public async IAsyncEnumerable<ProjectInfo> ProjectsAsync(string workspace, [EnumeratorCancellation] CancellationToken ct)
    {
        await Task.CompletedTask.ConfigureAwait(false);
        if (!_workspaces.TryGetValue(workspace, out var entry)) throw new BackupEntryNotFoundException($"workspace '{workspace}' is not in the backup");
        foreach (var path in entry.Projects) yield return _projects[path].Info;
    }

    public Task<ProjectInfo> ProjectAsync(string projectPath, CancellationToken ct) =>
        _projects.TryGetValue(projectPath, out var entry)
            ? Task.FromResult(entry.Info)
            : Task.FromException<ProjectInfo>(new BackupEntryNotFoundException($"project '{projectPath}' is not in the backup"));

    public async IAsyncEnumerable<RunSummary> RunsAsync(string projectPath, RunFilter filter, [EnumeratorCancellation] CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(filter);
        if (!_projects.TryGetValue(projectPath, out var entry)) throw new BackupEntryNotFoundException($"project '{projectPath}' is not in the backup");
        foreach (var path in entry.Runs)
        {
            var run = await RunAsync(path, ct).ConfigureAwait(false);
            if (!RunSelection.Matches(filter, run)) continue;
            yield return run.ToSummary();
        }
    }

    public async Task<RunDetail> RunAsync(string runPath, CancellationToken ct)
    {
        if (!_runs.TryGetValue(runPath, out var entry)) throw new BackupEntryNotFoundException($"run '{runPath}' is not in the backup");
        var json = await ReadJsonAsync(_layout, _manifest, Path.Combine(entry.Directory, BackupLayout.RunFileName), ct).ConfigureAwait(false);
        var projectCuid = Str(json, "project_id") ?? Str(json, "projectId") ?? entry.Project.Cuid;
        return new RunDetail(runPath, Str(json, "cuid") ?? "", projectCuid, Str(json, "name") ?? "", Str(json, "state") ?? "",
            Str(json, "createdAt") ?? "", NullIfEmpty(Str(json, "finishedAt")), Str(json, "rootProId"), Str(json, "rootExpId"), json)
        {
            ContentFingerprint = entry.ContentFingerprint,
        };
    }

    /// <summary>
    /// SHA-256 over the manifest lines (path, bytes, sha256) of every file of the run, in path order: the backup's own
    /// record of what the run holds, so it changes exactly when an export rewrote the run. A RUNNING run whose
    /// fingerprint is unchanged since the last import is the same data, and a re-import need not touch it.
    /// </summary>
    private static string ContentFingerprint(List<WrittenFile> files)
    {
        using var hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        foreach (var file in files.OrderBy(f => f.RelativePath, StringComparer.Ordinal))
            hash.AppendData(System.Text.Encoding.UTF8.GetBytes(FormattableString.Invariant($"{file.RelativePath}\u0001{file.Bytes}\u0001{file.Sha256}\n")));
        return Convert.ToHexStringLower(hash.GetHashAndReset())[..16];
    }

    /// <summary>"ws/project/run" of a file inside a run folder (workspace/project/run/...); null for any other file.</summary>
    private static string? RunFolderOf(string relativePath)
    {
        var first = relativePath.IndexOf('/', StringComparison.Ordinal);
        var second = first < 0 ? -1 : relativePath.IndexOf('/', first + 1);
        var third = second < 0 ? -1 : relativePath.IndexOf('/', second + 1);
        return third < 0 ? null : relativePath[..third];
    }

    public async Task<IReadOnlyList<SeriesInfo>> SeriesAsync(RunDetail run, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(run);
        var index = await ReadIndexAsync(run.Path, ct).ConfigureAwait(false);
        // What the exporting server reported is passed on unchanged (so a backup exported again is the same backup);
        // what the file itself holds is checked while it is streamed.
        return index?.Series.OrderBy(s => s.Key, StringComparer.Ordinal)
            .Select(s => new SeriesInfo(s.Key, s.ExpectedPoints, s.ExpectedLastStep)).ToList() ?? [];
    }

    public async IAsyncEnumerable<ReadOnlyMemory<SeriesPoint>> StreamSeriesAsync(RunDetail run, SeriesInfo series, int? sample,
        [EnumeratorCancellation] CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(run);
        ArgumentNullException.ThrowIfNull(series);
        var index = await ReadIndexAsync(run.Path, ct).ConfigureAwait(false);
        var entry = index?.Series.FirstOrDefault(s => s.Key == series.Key)
                    ?? throw new BackupEntryNotFoundException($"series '{series.Key}' of run '{run.Path}' is not in its metrics/index.json");
        var full = Path.Combine(_layout.MetricsDirectory(run.Path), entry.File);
        var checkedFile = await CheckAsync(_layout, _manifest, full, ct).ConfigureAwait(false);
        if (checkedFile.Bytes != entry.Bytes || !string.Equals(checkedFile.Sha256, entry.Sha256, StringComparison.Ordinal))
            throw new BackupFileDamagedException(_layout.RelativePath(full), "differs from what metrics/index.json records for it");
        var buffer = new SeriesPoint[BatchPoints];
        var filled = 0;
        long count = 0;
        long? first = null, last = null;
        await foreach (var point in SeriesFileReader.ReadAsync(full, ct).ConfigureAwait(false))
        {
            first ??= point.Step;
            last = point.Step;
            count++;
            buffer[filled++] = point;
            if (filled < buffer.Length) continue;
            yield return buffer.AsMemory(0, filled);
            filled = 0;
        }
        if (count != entry.Points || first != entry.FirstStep || last != entry.LastStep)
            throw new BackupFileDamagedException(_layout.RelativePath(full),
                $"holds {count} points (steps {first}..{last}), metrics/index.json says {entry.Points} ({entry.FirstStep}..{entry.LastStep})");
        if (filled > 0) yield return buffer.AsMemory(0, filled);
    }

    public async IAsyncEnumerable<LogLine> LogsAsync(RunDetail run, [EnumeratorCancellation] CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(run);
        var file = _layout.LogsFile(run.Path);
        var relative = _layout.RelativePath(file);
        if (!File.Exists(file) && !_manifest.ContainsKey(relative)) yield break;
        await CheckAsync(_layout, _manifest, file, ct).ConfigureAwait(false);
        using var reader = new StreamReader(file, new System.Text.UTF8Encoding(false, true), detectEncodingFromByteOrderMarks: false);
        var number = 0;
        while (await reader.ReadLineAsync(ct).ConfigureAwait(false) is { } line)
        {
            number++;
            if (line.Length == 0) continue;
            JsonElement raw;
            try
            {
                using var doc = JsonDocument.Parse(line);
                raw = doc.RootElement.Clone();
            }
            catch (JsonException e)
            {
                throw new BackupFileDamagedException($"{relative}:{number}", e.Message);
            }
            var epoch = raw.TryGetProperty("epoch", out var ep) && ep.TryGetInt64(out var value) ? value : 0;
            yield return new LogLine(epoch, Str(raw, "level") ?? "INFO", Str(raw, "message") ?? "",
                Str(raw, "timestamp") ?? Str(raw, "create_time"), raw);
        }
    }

    /// <summary>
    /// Media files of the run from media/&lt;key&gt;/&lt;step&gt;-&lt;file&gt;, in key, step, file order. The key is the
    /// folder name decoded. Caption, kind and the server's object path come from the run's media.jsonl; a backup
    /// written before it existed has none of them: <see cref="MediaItem.CaptionKnown"/> is false,
    /// <see cref="MediaItem.ServerPath"/> is the file name and <see cref="MediaItem.Kind"/> null.
    /// </summary>
    public async IAsyncEnumerable<MediaItem> MediaAsync(RunDetail run, [EnumeratorCancellation] CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(run);
        var mediaRoot = Path.Combine(_layout.RunDirectory(run.Path), BackupLayout.MediaFolderName);
        var prefix = _layout.RelativePath(mediaRoot) + "/";
        var index = await ReadMediaIndexAsync(run, ct).ConfigureAwait(false);
        // The manifest is the list of what the backup holds: a media file it names but the disk lacks is a failure
        // (reported when it is read), one on disk that it does not name is not part of the backup.
        var items = new List<MediaItem>();
        foreach (var relative in _manifest.Keys.Where(p => p.StartsWith(prefix, StringComparison.Ordinal)))
        {
            var parts = relative[prefix.Length..].Split('/');
            if (parts.Length != 2) continue;
            if (!SafeName.TryDecode(parts[0], out var key, out var keyError))
                throw new BackupFileDamagedException(relative, $"media folder name cannot be decoded ({keyError})");
            if (!SafeName.TryDecode(parts[1], out var fileName, out var nameError))
                throw new BackupFileDamagedException(relative, $"media file name cannot be decoded ({nameError})");
            var dash = fileName.IndexOf('-', StringComparison.Ordinal);
            if (dash <= 0 || !long.TryParse(fileName.AsSpan(0, dash), NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var step))
                throw new BackupFileDamagedException(relative, "media file name does not start with '<step>-'");
            var name = fileName[(dash + 1)..];
            items.Add(index is not null && index.TryGetValue((key, step, name), out var entry)
                ? new MediaItem(key, step, entry.Path, entry.Caption, entry.Line) { Kind = entry.Kind }
                : new MediaItem(key, step, name, null, default) { CaptionKnown = false });
        }
        foreach (var item in items.OrderBy(i => i.Key, StringComparer.Ordinal).ThenBy(i => i.Step).ThenBy(i => i.ServerPath, StringComparer.Ordinal))
        {
            ct.ThrowIfCancellationRequested();
            yield return item;
        }
    }

    private sealed record MediaIndexEntry(string Path, string? Caption, string? Kind, JsonElement Line);

    /// <summary>
    /// media.jsonl by (key, step, last segment of the object path, which names the file on disk); null when the run has
    /// none (a backup written before media.jsonl, or a run without media).
    /// </summary>
    private async Task<Dictionary<(string Key, long Step, string File), MediaIndexEntry>?> ReadMediaIndexAsync(RunDetail run, CancellationToken ct)
    {
        var file = _layout.MediaIndexFile(run.Path);
        var relative = _layout.RelativePath(file);
        if (!_manifest.ContainsKey(relative)) return null;
        await CheckAsync(_layout, _manifest, file, ct).ConfigureAwait(false);
        var entries = new Dictionary<(string, long, string), MediaIndexEntry>();
        var number = 0;
        foreach (var line in await File.ReadAllLinesAsync(file, new System.Text.UTF8Encoding(false, true), ct).ConfigureAwait(false))
        {
            number++;
            if (line.Length == 0) continue;
            JsonElement json;
            try
            {
                using var doc = JsonDocument.Parse(line);
                json = doc.RootElement.Clone();
            }
            catch (JsonException e)
            {
                throw new BackupFileDamagedException($"{relative}:{number}", e.Message);
            }
            var key = Str(json, "key");
            var path = Str(json, "path");
            if (key is null || path is null || !json.TryGetProperty("step", out var s) || !s.TryGetInt64(out var step))
                throw new BackupFileDamagedException($"{relative}:{number}", "needs key, step and path");
            var slash = path.LastIndexOf('/');
            entries[(key, step, slash < 0 ? path : path[(slash + 1)..])] = new MediaIndexEntry(path, Str(json, "caption"), Str(json, "kind"), json);
        }
        return entries;
    }

    public async Task DownloadMediaAsync(RunDetail run, MediaItem item, Stream destination, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(run);
        ArgumentNullException.ThrowIfNull(item);
        ArgumentNullException.ThrowIfNull(destination);
        var file = _layout.MediaFile(run.Path, item.Key, item.Step, item.ServerPath);
        await CheckAsync(_layout, _manifest, file, ct).ConfigureAwait(false);
        await using var stream = new FileStream(file, FileMode.Open, FileAccess.Read, FileShare.Read, 1 << 16, useAsync: true);
        await stream.CopyToAsync(destination, ct).ConfigureAwait(false);
    }

    private async Task<MetricsIndex?> ReadIndexAsync(string runPath, CancellationToken ct)
    {
        var file = _layout.MetricsIndexFile(runPath);
        if (!File.Exists(file) && !_manifest.ContainsKey(_layout.RelativePath(file))) return null;
        await CheckAsync(_layout, _manifest, file, ct).ConfigureAwait(false);
        return await MetricsIndex.ReadAsync(file, ct).ConfigureAwait(false);
    }

    private static async Task<JsonElement> ReadJsonAsync(BackupLayout layout, IReadOnlyDictionary<string, WrittenFile> manifest,
        string file, CancellationToken ct)
    {
        var relative = layout.RelativePath(file);
        var expected = Expected(manifest, relative);
        byte[] bytes;
        try
        {
            bytes = await File.ReadAllBytesAsync(file, ct).ConfigureAwait(false);
        }
        catch (FileNotFoundException)
        {
            throw new BackupFileDamagedException(relative, "is missing (manifest.jsonl lists it)");
        }
        Compare(relative, expected, bytes.LongLength, Convert.ToHexStringLower(SHA256.HashData(bytes)));
        try
        {
            using var doc = JsonDocument.Parse(bytes);
            return doc.RootElement.Clone();
        }
        catch (JsonException e)
        {
            throw new BackupFileDamagedException(relative, e.Message);
        }
    }

    /// <summary>Hashes the file from disk (streaming) and compares it with its manifest line.</summary>
    private static async Task<WrittenFile> CheckAsync(BackupLayout layout, IReadOnlyDictionary<string, WrittenFile> manifest,
        string file, CancellationToken ct)
    {
        var relative = layout.RelativePath(file);
        var expected = Expected(manifest, relative);
        if (!File.Exists(file)) throw new BackupFileDamagedException(relative, "is missing (manifest.jsonl lists it)");
        var actual = await ManifestWriter.HashFileAsync(relative, file, ct).ConfigureAwait(false);
        Compare(relative, expected, actual.Bytes, actual.Sha256);
        return actual;
    }

    private static WrittenFile Expected(IReadOnlyDictionary<string, WrittenFile> manifest, string relative) =>
        manifest.TryGetValue(relative, out var expected)
            ? expected
            : throw new BackupFileDamagedException(relative, "is not in manifest.jsonl (a run that failed in the export, or a file added later)");

    private static void Compare(string relative, WrittenFile expected, long bytes, string sha256)
    {
        if (bytes != expected.Bytes)
            throw new BackupFileDamagedException(relative, $"has {bytes} bytes, manifest.jsonl says {expected.Bytes}");
        if (!string.Equals(sha256, expected.Sha256, StringComparison.Ordinal))
            throw new BackupFileDamagedException(relative, "does not match its SHA-256 in manifest.jsonl");
    }

    private static string? Str(JsonElement json, string name) =>
        json.ValueKind == JsonValueKind.Object && json.TryGetProperty(name, out var value) && value.ValueKind == JsonValueKind.String
            ? value.GetString()
            : null;

    private static string? NullIfEmpty(string? text) => string.IsNullOrEmpty(text) ? null : text;
}

/// <summary>A backup file that is missing, changed, or not vouched for by manifest.jsonl; never imported.</summary>
public sealed class BackupFileDamagedException(string relativePath, string problem)
    : IOException($"backup file '{relativePath}' {problem}")
{
    public string RelativePath { get; } = relativePath;
}

/// <summary>A workspace, project, run or series asked for by name that the backup does not hold.</summary>
public sealed class BackupEntryNotFoundException(string message) : Exception(message);

/// <summary>The folder is not a finished backup (no or malformed manifest.jsonl / backup.json).</summary>
public sealed class NotABackupFolderException(string folder, string reason) : Exception(reason)
{
    public string Folder { get; } = folder;
}
