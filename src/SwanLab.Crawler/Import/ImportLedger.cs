using System.Collections.Concurrent;
using System.Text.Json;
using System.Text.Json.Nodes;
using SwanLab.Crawler.Backup;

namespace SwanLab.Crawler.Import;

/// <summary>What was confirmed for one series on the target: every point of the source, counted and hashed.</summary>
public sealed record SeriesLedger(long Points, long? FirstStep, long? LastStep, string Sha256, long Uploaded);

/// <summary>What was confirmed for the run's console lines.</summary>
public sealed record LogsLedger(long Lines, long? LastEpoch, string Sha256, long Uploaded);

/// <summary>One media object confirmed on the target.</summary>
public sealed record MediaLedger(string Key, long Step, string File, string Sha256, bool Uploaded);

/// <summary>
/// The per-run "done" record of an import or migrate, the server-side counterpart of a checkpoint entry's file list:
/// which target run the source run went to (its ids, and whether a new id was chosen for it), what the target holds
/// of it afterwards (per series: points, first/last step, SHA-256 of the points; logs; media hashes), how much this
/// attempt uploaded, and what the protocol could not carry. A run skipped by <c>--on-conflict skip</c> is recorded
/// with its <see cref="Conflict"/> and nothing else.
/// </summary>
public sealed record RunLedger(
    string SourcePath,
    TargetRun? Target,
    bool NewId,
    string? Conflict,
    string SourceFingerprint,
    IReadOnlyDictionary<string, SeriesLedger> Series,
    LogsLedger? Logs,
    IReadOnlyList<MediaLedger> Media,
    IReadOnlyList<string> NotCarried)
{
    public long Points => Series.Values.Sum(s => s.Points);
    public long UploadedPoints => Series.Values.Sum(s => s.Uploaded);
}

/// <summary>
/// The import ledger of one target host: an append-only JSON Lines file (latest line per source run wins; a line
/// torn by a crash is ignored), fsynced before each append returns. Two kinds of line: <c>"kind":"id"</c> records a
/// new id chosen for a source run <em>before</em> the run is created with it (so a crash between the two cannot make
/// a second new run next time), <c>"kind":"run"</c> is a finished run's <see cref="RunLedger"/>. One ledger per target
/// host and state folder; appends are serialised here, so the destination is its only writer.
/// </summary>
public sealed class ImportLedger : IAsyncDisposable
{
    private readonly string _path;
    private readonly SemaphoreSlim _gate = new(1, 1);
    private readonly ConcurrentDictionary<string, RunLedger> _runs = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, string> _newIds = new(StringComparer.Ordinal);
    private FileStream? _append;

    private ImportLedger(string path) => _path = path;

    public string FilePath => _path;

    public static async Task<ImportLedger> OpenAsync(string path, CancellationToken ct)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        var ledger = new ImportLedger(path);
        if (!File.Exists(path)) return ledger;
        foreach (var line in await File.ReadAllLinesAsync(path, ct).ConfigureAwait(false))
        {
            if (line.Length == 0) continue;
            try
            {
                using var doc = JsonDocument.Parse(line);
                var r = doc.RootElement;
                var source = r.GetProperty("source").GetString()!;
                if (r.GetProperty("kind").GetString() == "id") ledger._newIds[source] = r.GetProperty("cuid").GetString()!;
                else ledger._runs[source] = Parse(r);
            }
            catch (Exception e) when (e is JsonException or KeyNotFoundException or InvalidOperationException)
            {
                // A line torn by a crash mid-append: what it described is re-checked against the target next time.
            }
        }
        return ledger;
    }

    public RunLedger? Run(string sourcePath) => _runs.GetValueOrDefault(sourcePath);

    public IReadOnlyCollection<RunLedger> Runs => _runs.Values.ToList();

    /// <summary>The id an earlier <c>--on-conflict new-id</c> chose for this source run, if any.</summary>
    public string? NewId(string sourcePath) => _newIds.GetValueOrDefault(sourcePath);

    public Task RecordNewIdAsync(string sourcePath, string cuid, CancellationToken ct)
    {
        _newIds[sourcePath] = cuid;
        return AppendAsync(new JsonObject { ["kind"] = "id", ["source"] = sourcePath, ["cuid"] = cuid }, ct);
    }

    public Task RecordRunAsync(RunLedger run, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(run);
        _runs[run.SourcePath] = run;
        return AppendAsync(ToJson(run), ct);
    }

    private async Task AppendAsync(JsonObject line, CancellationToken ct)
    {
        var bytes = CanonicalJson.SerializeLine(line);
        await _gate.WaitAsync(ct).ConfigureAwait(false);
        try
        {
            if (_append is null)
            {
                Directory.CreateDirectory(Path.GetDirectoryName(_path)!);
                _append = new FileStream(_path, FileMode.Append, FileAccess.Write, FileShare.Read);
            }
            await _append.WriteAsync(bytes, ct).ConfigureAwait(false);
            _append.WriteByte((byte)'\n');
            await _append.FlushAsync(ct).ConfigureAwait(false);
            _append.Flush(flushToDisk: true);
        }
        finally
        {
            _gate.Release();
        }
    }

    private static JsonObject ToJson(RunLedger run)
    {
        var series = new JsonObject();
        foreach (var (key, s) in run.Series.OrderBy(s => s.Key, StringComparer.Ordinal))
            series[key] = new JsonObject
            {
                ["points"] = s.Points, ["firstStep"] = s.FirstStep, ["lastStep"] = s.LastStep, ["sha256"] = s.Sha256,
                ["uploaded"] = s.Uploaded,
            };
        var media = new JsonArray();
        foreach (var m in run.Media)
            media.Add(new JsonObject { ["key"] = m.Key, ["step"] = m.Step, ["file"] = m.File, ["sha256"] = m.Sha256, ["uploaded"] = m.Uploaded });
        return new JsonObject
        {
            ["kind"] = "run",
            ["source"] = run.SourcePath,
            ["fingerprint"] = run.SourceFingerprint,
            ["target"] = run.Target is { } t
                ? new JsonObject { ["workspace"] = t.Workspace, ["project"] = t.Project, ["projectCuid"] = t.ProjectCuid, ["cuid"] = t.Cuid }
                : null,
            ["newId"] = run.NewId,
            ["conflict"] = run.Conflict,
            ["series"] = series,
            ["logs"] = run.Logs is { } l
                ? new JsonObject { ["lines"] = l.Lines, ["lastEpoch"] = l.LastEpoch, ["sha256"] = l.Sha256, ["uploaded"] = l.Uploaded }
                : null,
            ["media"] = media,
            ["notCarried"] = new JsonArray(run.NotCarried.Select(n => (JsonNode?)JsonValue.Create(n)).ToArray()),
        };
    }

    private static RunLedger Parse(JsonElement r)
    {
        TargetRun? target = null;
        if (r.GetProperty("target") is { ValueKind: JsonValueKind.Object } t)
            target = new TargetRun(t.GetProperty("workspace").GetString()!, t.GetProperty("project").GetString()!,
                t.GetProperty("projectCuid").GetString()!, t.GetProperty("cuid").GetString()!);
        var series = new Dictionary<string, SeriesLedger>(StringComparer.Ordinal);
        foreach (var p in r.GetProperty("series").EnumerateObject())
            series[p.Name] = new SeriesLedger(p.Value.GetProperty("points").GetInt64(), Long(p.Value, "firstStep"),
                Long(p.Value, "lastStep"), p.Value.GetProperty("sha256").GetString()!, p.Value.GetProperty("uploaded").GetInt64());
        LogsLedger? logs = null;
        if (r.GetProperty("logs") is { ValueKind: JsonValueKind.Object } l)
            logs = new LogsLedger(l.GetProperty("lines").GetInt64(), Long(l, "lastEpoch"), l.GetProperty("sha256").GetString()!,
                l.GetProperty("uploaded").GetInt64());
        var media = r.GetProperty("media").EnumerateArray().Select(m => new MediaLedger(m.GetProperty("key").GetString()!,
            m.GetProperty("step").GetInt64(), m.GetProperty("file").GetString()!, m.GetProperty("sha256").GetString()!,
            m.GetProperty("uploaded").GetBoolean())).ToList();
        var conflict = r.GetProperty("conflict");
        return new RunLedger(r.GetProperty("source").GetString()!, target, r.GetProperty("newId").GetBoolean(),
            conflict.ValueKind == JsonValueKind.String ? conflict.GetString() : null, r.GetProperty("fingerprint").GetString()!,
            series, logs, media, r.GetProperty("notCarried").EnumerateArray().Select(n => n.GetString()!).ToList());
    }

    private static long? Long(JsonElement obj, string name) =>
        obj.TryGetProperty(name, out var v) && v.ValueKind == JsonValueKind.Number ? v.GetInt64() : null;

    public async ValueTask DisposeAsync()
    {
        if (_append is not null) await _append.DisposeAsync().ConfigureAwait(false);
        _gate.Dispose();
    }
}
