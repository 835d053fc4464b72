using System.Globalization;
using System.Reflection;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using SwanLab.Crawler.Backup;
using SwanLab.Crawler.Source;

namespace SwanLab.Crawler.View;

/// <summary>What <see cref="ViewSite.WriteAsync"/> wrote.</summary>
public sealed record ViewSiteResult(string IndexFile, int Workspaces, int Projects, int Runs, int Files);

/// <summary>DIR/view holds a workspace of the backup (a workspace named "view"), so the site has nowhere to go.</summary>
public sealed class ViewFolderTakenException(string message) : IOException(message);

/// <summary>
/// Writes DIR/view/: a static site that browses the backup from disk (file://, no server, no network). One app page
/// (index.html + assets/) and JSONP-style data files (data/*.js; browsers refuse fetch() of file:// URLs but load
/// scripts): data/index.js with every workspace, project and run summary, data/r&lt;n&gt;.js per run (config, metadata,
/// requirements, logs, media links) and data/s&lt;n&gt;.js with its series down-sampled to at most
/// <see cref="DefaultMaxPoints"/> points each (the full series stay in the backup's metrics files).
/// </summary>
/// <remarks>
/// Deterministic: runs are numbered in ordinal order of their folders, JSON is canonical (sorted keys, invariant
/// round-trip numbers), nothing records when it was generated. Every file is listed in DIR/view/manifest.jsonl (same
/// line format as manifest.jsonl), which verify reads so the site is neither a data file of the backup nor "extra".
/// </remarks>
public static class ViewSite
{
    public const string FolderName = "view";
    public const string ManifestFileName = "manifest.jsonl";
    public const int DefaultMaxPoints = 2000;

    private static readonly string[] Assets = ["index.html", "app.js", "app.css", "uPlot.iife.min.js", "uPlot.min.css", "uPlot.LICENSE", "NOTICE.md"];

    /// <summary>Relative paths (forward slashes) of the files the last <see cref="WriteAsync"/> listed; empty if none.</summary>
    public static IReadOnlySet<string> ListedFiles(BackupLayout layout)
    {
        ArgumentNullException.ThrowIfNull(layout);
        var manifest = Path.Combine(layout.Root, FolderName, ManifestFileName);
        var result = new HashSet<string>(StringComparer.Ordinal);
        if (!File.Exists(manifest)) return result;
        result.Add(FolderName + "/" + ManifestFileName);
        foreach (var line in File.ReadLines(manifest))
        {
            if (line.Length == 0) continue;
            try
            {
                using var doc = JsonDocument.Parse(line);
                // Only paths inside view/: the site's manifest can never hide a file of the backup from verify.
                if (doc.RootElement.TryGetProperty("path", out var p) && p.GetString() is { } path
                    && path.StartsWith(FolderName + "/", StringComparison.Ordinal) && !path.Contains("/../", StringComparison.Ordinal))
                    result.Add(path);
            }
            catch (JsonException) { /* a damaged view manifest lists nothing: its files then show up as extra */ }
        }
        return result;
    }

    public static async Task<ViewSiteResult> WriteAsync(string root, int maxPoints, CancellationToken ct)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(maxPoints, 3);
        var layout = new BackupLayout(root);
        var viewDir = Path.Combine(layout.Root, FolderName);
        if (File.Exists(Path.Combine(viewDir, BackupLayout.WorkspaceFileName)))
            throw new ViewFolderTakenException($"'{viewDir}' is the folder of a workspace named \"{FolderName}\"; the site cannot be written there.");

        var previous = ListedFiles(layout);
        var written = new List<WrittenFile>();
        async Task Write(string relative, byte[] bytes) =>
            written.Add(await AtomicFile.WriteAllBytesAsync(layout, layout.FullPath(FolderName + "/" + relative), bytes, ct).ConfigureAwait(false));

        foreach (var asset in Assets)
            await Write(asset == "index.html" ? asset : "assets/" + asset, ReadAsset(asset)).ConfigureAwait(false);

        var workspaces = new JsonArray();
        var projects = new JsonArray();
        var runs = new JsonArray();
        var runIndex = 0;
        foreach (var wsDir in SortedDirectories(layout.Root))
        {
            var wsName = Path.GetFileName(wsDir);
            if (wsName == FolderName && !File.Exists(Path.Combine(wsDir, BackupLayout.WorkspaceFileName))) continue;
            if (BackupLayout.IsPrivate(wsName) || !File.Exists(Path.Combine(wsDir, BackupLayout.WorkspaceFileName))) continue;
            var ws = await ReadJsonAsync(Path.Combine(wsDir, BackupLayout.WorkspaceFileName), ct).ConfigureAwait(false);
            var wsId = Str(ws, "username") ?? Decode(wsName);
            var wsProjects = 0;
            foreach (var projectDir in SortedDirectories(wsDir))
            {
                var projectFile = Path.Combine(projectDir, BackupLayout.ProjectFileName);
                if (!File.Exists(projectFile)) continue;
                var project = await ReadJsonAsync(projectFile, ct).ConfigureAwait(false);
                var projectName = Str(project, "name") ?? Decode(Path.GetFileName(projectDir));
                var projectIndex = projects.Count;
                var projectRuns = 0;
                foreach (var runDir in SortedDirectories(projectDir))
                {
                    var runFile = Path.Combine(runDir, BackupLayout.RunFileName);
                    if (!File.Exists(runFile)) continue;
                    var n = runIndex++;
                    runs.Add(await WriteRunAsync(layout, runDir, n, projectIndex, wsId, projectName, maxPoints, Write, ct).ConfigureAwait(false));
                    projectRuns++;
                }
                projects.Add(new JsonObject
                {
                    ["i"] = projectIndex, ["workspace"] = wsId, ["name"] = projectName, ["runs"] = projectRuns,
                    ["description"] = Str(project, "description"), ["visibility"] = Str(project, "visibility"),
                    ["createdAt"] = Str(project, "createdAt"), ["updatedAt"] = Str(project, "updatedAt"),
                });
                wsProjects++;
            }
            workspaces.Add(new JsonObject
            {
                ["username"] = wsId, ["name"] = Str(ws, "name"), ["type"] = Str(ws, "type"),
                ["comment"] = Str(ws, "comment"), ["projects"] = wsProjects,
            });
        }

        JsonNode? backupInfo = null;
        if (File.Exists(layout.BackupInfoFile)) backupInfo = await ReadJsonAsync(layout.BackupInfoFile, ct).ConfigureAwait(false);
        var index = new JsonObject
        {
            ["backup"] = backupInfo is null ? null : new JsonObject
            {
                ["complete"] = backupInfo["complete"]?.DeepClone(), ["source"] = backupInfo["source"]?.DeepClone(),
                ["counts"] = backupInfo["counts"]?.DeepClone(), ["finishedAt"] = backupInfo["finishedAt"]?.DeepClone(),
            },
            ["maxPoints"] = maxPoints,
            ["workspaces"] = workspaces, ["projects"] = projects, ["runs"] = runs,
        };
        await Write("data/index.js", Jsonp("index", index)).ConfigureAwait(false);

        // Files of an earlier site that this one no longer has (e.g. fewer runs): only ones the view manifest listed.
        var now = written.Select(w => layout.RelativePath(layout.FullPath(w.RelativePath))).ToHashSet(StringComparer.Ordinal);
        foreach (var stale in previous.Where(p => p.StartsWith(FolderName + "/", StringComparison.Ordinal) && !now.Contains(p)
                                                  && p != FolderName + "/" + ManifestFileName))
        {
            try { File.Delete(layout.FullPath(stale)); } catch (UnsafePathException) { }
        }

        var manifest = new StringBuilder();
        foreach (var file in written.OrderBy(w => w.RelativePath, StringComparer.Ordinal))
            manifest.Append(Encoding.UTF8.GetString(CanonicalJson.SerializeLine(new JsonObject
            {
                ["path"] = file.RelativePath, ["bytes"] = file.Bytes, ["sha256"] = file.Sha256,
            }))).Append('\n');
        await AtomicFile.WriteAllBytesAsync(layout, layout.FullPath(FolderName + "/" + ManifestFileName),
            Encoding.UTF8.GetBytes(manifest.ToString()), ct).ConfigureAwait(false);

        return new ViewSiteResult(Path.Combine(viewDir, "index.html"), workspaces.Count, projects.Count, runs.Count, written.Count + 1);
    }

    private static async Task<JsonObject> WriteRunAsync(BackupLayout layout, string runDir, int n, int projectIndex, string ws,
        string project, int maxPoints, Func<string, byte[], Task> write, CancellationToken ct)
    {
        var run = await ReadJsonAsync(Path.Combine(runDir, BackupLayout.RunFileName), ct).ConfigureAwait(false) as JsonObject ?? new JsonObject();
        var runId = Str(run, "cuid") ?? Decode(Path.GetFileName(runDir));
        var profile = run["profile"] as JsonObject;
        var config = UnwrapConfig(profile?["config"]);
        var flatConfig = new JsonObject();
        Flatten(config, "", flatConfig);

        // Series: one streaming pass per file gives the last value and the down-sampled copy.
        var lastValues = new JsonObject();
        var series = new JsonObject();
        var indexFile = Path.Combine(runDir, BackupLayout.MetricsFolderName, BackupLayout.MetricsIndexFileName);
        if (File.Exists(indexFile))
        {
            var metrics = await MetricsIndex.ReadAsync(indexFile, ct).ConfigureAwait(false);
            foreach (var entry in metrics.Series.OrderBy(e => e.Key, StringComparer.Ordinal))
            {
                var file = Path.Combine(runDir, BackupLayout.MetricsFolderName, entry.File);
                if (!File.Exists(file) || Path.GetFileName(file) != entry.File) continue;
                var sampler = new StreamingLttb(entry.Points, maxPoints);
                double? last = null;
                IReadOnlyList<SeriesPoint> kept;
                try
                {
                    await foreach (var p in SeriesFileReader.ReadAsync(file, ct).ConfigureAwait(false))
                    {
                        sampler.Add(p);
                        if (double.IsFinite(p.Value)) last = p.Value;
                    }
                    kept = sampler.Finish();
                }
                catch (Exception e) when (e is InvalidOperationException or FormatException or IOException)
                {
                    // A damaged or changing series (verify reports it) must not cost the rest of the site: the page
                    // says why this chart is missing.
                    series[entry.Key] = new JsonObject { ["points"] = entry.Points, ["error"] = $"{entry.File}: {e.Message}" };
                    continue;
                }
                lastValues[entry.Key] = last;
                series[entry.Key] = new JsonObject
                {
                    ["points"] = entry.Points,
                    ["step"] = new JsonArray(kept.Select(p => (JsonNode?)JsonValue.Create(p.Step)).ToArray()),
                    ["value"] = new JsonArray(kept.Select(p => double.IsFinite(p.Value) ? (JsonNode?)JsonValue.Create(p.Value) : null).ToArray()),
                    ["time"] = new JsonArray(kept.Select(p => p.TimestampMs is { } t ? (JsonNode?)JsonValue.Create(t) : null).ToArray()),
                };
            }
        }
        await write($"data/s{n}.js", Jsonp($"s{n}", series)).ConfigureAwait(false);

        var logs = new JsonArray();
        var logsFile = Path.Combine(runDir, BackupLayout.LogsFileName);
        if (File.Exists(logsFile))
            foreach (var line in File.ReadLines(logsFile))
            {
                if (line.Length == 0) continue;
                try { logs.Add(JsonNode.Parse(line)); }
                catch (JsonException) { logs.Add(new JsonObject { ["message"] = line, ["level"] = "UNPARSED" }); }
            }

        var media = new JsonArray();
        var mediaDir = Path.Combine(runDir, BackupLayout.MediaFolderName);
        if (Directory.Exists(mediaDir))
            foreach (var keyDir in SortedDirectories(mediaDir))
                foreach (var file in Directory.EnumerateFiles(keyDir).Where(f => !BackupLayout.IsPrivate(Path.GetFileName(f)))
                             .OrderBy(f => f, StringComparer.Ordinal))
                {
                    var relative = layout.RelativePath(file);
                    var fileName = Path.GetFileName(file);
                    var dash = fileName.IndexOf('-', StringComparison.Ordinal);
                    media.Add(new JsonObject
                    {
                        ["key"] = Decode(Path.GetFileName(keyDir)),
                        ["step"] = dash > 0 && long.TryParse(fileName[..dash], NumberStyles.None, CultureInfo.InvariantCulture, out var s) ? s : null,
                        ["name"] = Decode(fileName),
                        // From DIR/view/index.html; each segment URL-escaped, since safe names contain '%'.
                        ["href"] = "../" + string.Join('/', relative.Split('/').Select(Uri.EscapeDataString)),
                    });
                }

        var detail = new JsonObject
        {
            ["config"] = config?.DeepClone(),
            ["metadata"] = profile?["metadata"]?.DeepClone(),
            ["requirements"] = profile?["requirements"]?.DeepClone(),
            ["conda"] = profile?["conda"]?.DeepClone(),
            ["run"] = WithoutProfile(run),
            ["logs"] = logs,
            ["media"] = media,
            ["folder"] = layout.RelativePath(runDir),
        };
        await write($"data/r{n}.js", Jsonp($"r{n}", detail)).ConfigureAwait(false);

        return new JsonObject
        {
            ["i"] = n, ["p"] = projectIndex, ["workspace"] = ws, ["project"] = project, ["id"] = runId,
            ["name"] = Str(run, "name") ?? runId, ["state"] = Str(run, "state"),
            ["createdAt"] = Str(run, "createdAt"), ["finishedAt"] = Str(run, "finishedAt"),
            ["group"] = Str(run, "cluster") ?? Str(run, "group"), ["job"] = Str(run, "job"),
            ["labels"] = Labels(run["labels"]), ["description"] = Str(run, "description"),
            ["config"] = flatConfig, ["last"] = lastValues,
        };
    }

    /// <summary>SwanLab 0.9.x sends config as {key: {value, desc, sort}}; the page shows the values, in sort order.</summary>
    private static JsonNode? UnwrapConfig(JsonNode? config)
    {
        if (config is not JsonObject obj || obj.Count == 0) return config?.DeepClone();
        var wrapped = obj.All(kv => kv.Value is JsonObject v && v.ContainsKey("value"));
        if (!wrapped) return obj.DeepClone();
        var result = new JsonObject();
        foreach (var kv in obj.OrderBy(kv => kv.Value!["sort"] is JsonValue s && s.TryGetValue<double>(out var d) ? d : double.MaxValue)
                     .ThenBy(kv => kv.Key, StringComparer.Ordinal))
            result[kv.Key] = kv.Value!["value"]?.DeepClone();
        return result;
    }

    private static void Flatten(JsonNode? node, string prefix, JsonObject into)
    {
        if (node is JsonObject obj && obj.Count > 0 && (prefix.Length == 0 || into.Count < 500))
        {
            foreach (var kv in obj) Flatten(kv.Value, prefix.Length == 0 ? kv.Key : prefix + "." + kv.Key, into);
            return;
        }
        if (prefix.Length == 0) return;
        into[prefix] = node is JsonArray or JsonObject ? node.ToJsonString() : node?.DeepClone();
    }

    private static JsonArray Labels(JsonNode? labels)
    {
        var result = new JsonArray();
        if (labels is JsonArray array)
            foreach (var l in array)
                result.Add(l is JsonObject o ? Str(o, "name") ?? o.ToJsonString() : l?.ToString());
        return result;
    }

    private static JsonObject WithoutProfile(JsonObject run)
    {
        var copy = new JsonObject();
        foreach (var kv in run)
            if (kv.Key != "profile") copy[kv.Key] = kv.Value?.DeepClone();
        return copy;
    }

    private static string? Str(JsonNode? node, string name) =>
        node is JsonObject o && o[name] is JsonValue v && v.TryGetValue<string>(out var s) ? s : null;

    private static string Decode(string encoded) => SafeName.TryDecode(encoded, out var name, out _) ? name : encoded;

    private static IEnumerable<string> SortedDirectories(string dir) =>
        Directory.EnumerateDirectories(dir).Where(d => !BackupLayout.IsPrivate(Path.GetFileName(d)))
            .OrderBy(d => Path.GetFileName(d), StringComparer.Ordinal);

    private static async Task<JsonNode?> ReadJsonAsync(string path, CancellationToken ct)
    {
        var bytes = await File.ReadAllBytesAsync(path, ct).ConfigureAwait(false);
        try { return JsonNode.Parse(bytes); }
        catch (JsonException e) { throw new FormatException($"{path} is not valid JSON: {e.Message}", e); }
    }

    /// <summary>`SWV.put("name", {...});` — JSON is a JavaScript expression; the file is loaded by a script tag.</summary>
    internal static byte[] Jsonp(string name, JsonNode node)
    {
        var json = CanonicalJson.SerializeLine(node);
        var head = Encoding.UTF8.GetBytes("SWV.put(\"" + name + "\",");
        var tail = ");\n"u8.ToArray();
        return [.. head, .. json.AsSpan().TrimEnd((byte)'\n'), .. tail];
    }

    private static byte[] ReadAsset(string name)
    {
        using var stream = Assembly.GetExecutingAssembly().GetManifestResourceStream("SwanLab.Crawler.View.assets." + name)
            ?? throw new InvalidOperationException($"The view asset '{name}' is not embedded in the tool.");
        using var copy = new MemoryStream();
        stream.CopyTo(copy);
        return copy.ToArray();
    }
}
