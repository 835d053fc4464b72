using System.Text.Json;
using System.Text.Json.Nodes;

namespace SwanLab.Crawler.Backup;

/// <summary>A server and the user signed in to it, as backup.json names a backup's source.</summary>
public sealed record BackupSource(string Host, string User)
{
    /// <summary>What the built-in demo server is recorded as: it listens on a new port each time.</summary>
    public const string DemoHost = "demo";

    public bool SameAs(BackupSource other)
    {
        ArgumentNullException.ThrowIfNull(other);
        return string.Equals(Host.TrimEnd('/'), other.Host.TrimEnd('/'), StringComparison.OrdinalIgnoreCase)
               && string.Equals(User, other.User, StringComparison.Ordinal);
    }

    public JsonObject ToJson() => new() { ["host"] = Host, ["user"] = User };

    public static BackupSource FromJson(JsonElement e) =>
        new(e.GetProperty("host").GetString()!, e.GetProperty("user").GetString()!);

    public override string ToString() => $"{User} at {Host}";
}

/// <summary>
/// What one export selected: --workspace, --project, --run, --state and --config (all empty = everything the user can
/// read). Lists sorted, so equal selections compare and serialise equal.
/// </summary>
public sealed record BackupSelection(IReadOnlyList<string> Workspaces, IReadOnlyList<string> Projects,
    IReadOnlyList<string> Runs, IReadOnlyList<string> States, IReadOnlyDictionary<string, string> Config)
{
    public static BackupSelection Create(IEnumerable<string> workspaces, IEnumerable<string> projects, IEnumerable<string> runs,
        IEnumerable<string> states, IEnumerable<KeyValuePair<string, string>> config) =>
        new(Sorted(workspaces), Sorted(projects), Sorted(runs), Sorted(states),
            new SortedDictionary<string, string>(config.ToDictionary(p => p.Key, p => p.Value, StringComparer.Ordinal), StringComparer.Ordinal));

    public JsonObject ToJson()
    {
        var config = new JsonObject();
        foreach (var (key, value) in Config.OrderBy(p => p.Key, StringComparer.Ordinal)) config[key] = value;
        return new JsonObject
        {
            ["workspaces"] = Array(Workspaces), ["projects"] = Array(Projects), ["runs"] = Array(Runs),
            ["states"] = Array(States), ["config"] = config,
        };
    }

    public static BackupSelection FromJson(JsonElement e) => Create(
        Strings(e, "workspaces"), Strings(e, "projects"), Strings(e, "runs"), Strings(e, "states"),
        e.TryGetProperty("config", out var c) && c.ValueKind == JsonValueKind.Object
            ? c.EnumerateObject().Select(p => KeyValuePair.Create(p.Name, p.Value.GetString() ?? ""))
            : []);

    /// <summary>One string per distinct selection (canonical JSON), for de-duplication and ordering.</summary>
    public string Key => System.Text.Encoding.UTF8.GetString(CanonicalJson.SerializeLine(ToJson()));

    private static List<string> Sorted(IEnumerable<string> values) =>
        values.Distinct(StringComparer.Ordinal).Order(StringComparer.Ordinal).ToList();

    private static JsonArray Array(IEnumerable<string> values)
    {
        var array = new JsonArray();
        foreach (var v in values) array.Add(v);
        return array;
    }

    private static IEnumerable<string> Strings(JsonElement e, string name) =>
        e.TryGetProperty(name, out var a) && a.ValueKind == JsonValueKind.Array
            ? a.EnumerateArray().Select(x => x.GetString()).OfType<string>().ToList()
            : [];
}

/// <summary>
/// Where a backup came from and what produced it, over every export into the folder since it was started (or last
/// --restart): the sources (the first is the backup's own; others only with --allow-other-source) and the distinct
/// selections. Private state (<c>.swanlab-crawler/scope.json</c>), written before an export writes anything else,
/// so backup.json can describe the whole backup even when the export that wrote it selected only a part.
/// </summary>
public sealed record BackupScope(IReadOnlyList<BackupSource> Sources, IReadOnlyList<BackupSelection> Selections)
{
    public const string FileName = "scope.json";

    public static string FilePath(BackupLayout layout)
    {
        ArgumentNullException.ThrowIfNull(layout);
        return Path.Combine(layout.StateDirectory, FileName);
    }

    /// <summary>This scope plus one export: its source added if new, its selection added if not there yet.</summary>
    public BackupScope With(BackupSource source, BackupSelection selection)
    {
        ArgumentNullException.ThrowIfNull(source);
        ArgumentNullException.ThrowIfNull(selection);
        var sources = Sources.Any(s => s.SameAs(source)) ? Sources : [.. Sources, source];
        var selections = Selections.Append(selection).DistinctBy(s => s.Key, StringComparer.Ordinal)
            .OrderBy(s => s.Key, StringComparer.Ordinal).ToList();
        return new BackupScope(sources, selections);
    }

    public async Task WriteAsync(BackupLayout layout, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(layout);
        Directory.CreateDirectory(layout.StateDirectory);
        var sources = new JsonArray();
        foreach (var s in Sources) sources.Add(s.ToJson());
        var selections = new JsonArray();
        foreach (var s in Selections) selections.Add(s.ToJson());
        await AtomicFile.WriteAllBytesAsync(layout, FilePath(layout),
            CanonicalJson.Serialize(new JsonObject { ["sources"] = sources, ["selections"] = selections }), ct).ConfigureAwait(false);
    }

    /// <summary>The recorded scope; null when there is none (a new folder, or a backup made before it was recorded).</summary>
    public static async Task<BackupScope?> ReadAsync(BackupLayout layout, CancellationToken ct)
    {
        var path = FilePath(layout);
        if (!File.Exists(path)) return null;
        try
        {
            using var doc = JsonDocument.Parse(await File.ReadAllBytesAsync(path, ct).ConfigureAwait(false));
            var root = doc.RootElement;
            return new BackupScope(
                root.GetProperty("sources").EnumerateArray().Select(BackupSource.FromJson).ToList(),
                root.GetProperty("selections").EnumerateArray().Select(BackupSelection.FromJson).ToList());
        }
        catch (Exception e) when (e is JsonException or KeyNotFoundException or InvalidOperationException)
        {
            throw new FormatException($"{path} is malformed: {e.Message}", e);
        }
    }
}
