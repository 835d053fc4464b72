using System.Buffers.Binary;
using System.Collections.Concurrent;
using System.Globalization;
using System.Security.Cryptography;
using System.Text.Json;
using SwanLab.Crawler.Backup;
using SwanLab.Crawler.Crawl;
using SwanLab.Crawler.Source;

namespace SwanLab.Crawler.Import;

/// <summary>
/// <see cref="ICrawlDestination"/> over a SwanLab server (import and migrate): the same actors that export a run
/// upload it. Idempotent by construction: the source run id is sent as the target run id, so an existing run is
/// resumed, never duplicated; what to upload is decided per series, log stream and media key from the target's resume
/// summary (steps at or below the target's last step are already there, because points are sent in step order and
/// a batch is only sent after the one before it was accepted), and the ledger records what was confirmed, which turns
/// a repeated import of an unchanged run into a summary check with no uploads at all.
/// </summary>
/// <remarks>
/// Per-run upload state lives from <see cref="WriteRunAsync"/> to <see cref="WriteSeriesIndexAsync"/> (the run's
/// last write, which also finishes the run with its original state and appends its ledger line). "Files" returned to
/// the actors are ledger receipts (path = the target path plus what it covers), not files.
/// </remarks>
public sealed class ServerDestination : ICrawlDestination
{
    private const string ProtocolLimitClone = "clone lineage (rootExpId/rootProId): imported as a normal run with all its data";

    private readonly IImportTarget _target;
    private readonly ImportLedger _ledger;
    private readonly ImportMapping _mapping;
    private readonly ConflictPolicy _policy;
    private readonly ConcurrentDictionary<string, string> _projectCuids = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, RunUpload> _uploads = new(StringComparer.Ordinal);
    private long _created, _resumed, _uploadedPoints, _uploadedLogs, _uploadedMedia;

    public ServerDestination(IImportTarget target, ImportLedger ledger, ImportMapping mapping, ConflictPolicy policy)
    {
        _target = target ?? throw new ArgumentNullException(nameof(target));
        _ledger = ledger ?? throw new ArgumentNullException(nameof(ledger));
        _mapping = mapping ?? throw new ArgumentNullException(nameof(mapping));
        _policy = policy;
    }

    /// <summary>What this destination did so far: runs created and resumed, points, log lines and media uploaded.</summary>
    public ImportCounts Counts => new(Interlocked.Read(ref _created), Interlocked.Read(ref _resumed),
        Interlocked.Read(ref _uploadedPoints), Interlocked.Read(ref _uploadedLogs), Interlocked.Read(ref _uploadedMedia));

    public ImportLedger Ledger => _ledger;

    /// <summary>Source runs this import wrote or found complete on the target (what verification reads back).</summary>
    public IReadOnlyCollection<string> RunsSeen => _seen.Keys.ToList();

    private readonly ConcurrentDictionary<string, byte> _seen = new(StringComparer.Ordinal);

    public async Task<WrittenFile> WriteWorkspaceAsync(WorkspaceInfo workspace, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(workspace);
        var target = _mapping.Workspace(workspace.Username);
        if (!await _target.WorkspaceExistsAsync(target, ct).ConfigureAwait(false))
            throw new ImportTargetException("workspace",
                $"workspace '{target}' does not exist on {_target.Identity.Host} (or is not writable by {_target.Identity.Username}); " +
                "the importer cannot create users or teams: create it there, or map it with --map-workspace " +
                $"{workspace.Username}=EXISTING");
        return new WrittenFile($"{target}", 0, "");
    }

    public async Task<WrittenFile> WriteProjectAsync(ProjectInfo project, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(project);
        var (workspace, name) = _mapping.Project(project.Workspace, project.Name);
        var cuid = await ProjectCuidAsync(workspace, name, project.Raw, ct).ConfigureAwait(false);
        return new WrittenFile($"{workspace}/{name}", 0, cuid);
    }

    private async Task<string> ProjectCuidAsync(string workspace, string name, JsonElement raw, CancellationToken ct)
    {
        var path = $"{workspace}/{name}";
        if (_projectCuids.TryGetValue(path, out var known)) return known;
        var cuid = await _target.EnsureProjectAsync(workspace, name, Str(raw, "description"), Str(raw, "visibility"), ct)
            .ConfigureAwait(false);
        _projectCuids[path] = cuid;
        return cuid;
    }

    public async Task<WrittenFile> WriteRunAsync(RunDetail run, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(run);
        var (sourceWorkspace, sourceProject, _) = BackupLayout.SplitRunPath(run.Path);
        var (workspace, project) = _mapping.Project(sourceWorkspace, sourceProject);
        var projectCuid = await ProjectCuidAsync(workspace, project, default, ct).ConfigureAwait(false);
        _seen[run.Path] = 0;
        var newRun = NewRunFrom(run, _ledger.NewId(run.Path) ?? run.Cuid);
        var newId = newRun.Cuid != run.Cuid;

        CreatedRun created;
        try
        {
            created = await _target.CreateRunAsync(workspace, project, newRun, ct).ConfigureAwait(false);
            if (!created.Created && Differs(run, created) is { } difference)
                throw new TargetRunDiffersException($"run {workspace}/{project}/{newRun.Cuid} exists on the target and differs from the source: {difference}");
        }
        catch (Exception e) when (e is TargetRunConflictException or TargetRunDeletedException or TargetRunDiffersException)
        {
            var conflict = e switch
            {
                TargetRunConflictException => "id taken by a run in another project (409)",
                TargetRunDeletedException => "a run with this id was deleted on the target (404 Disabled Resource)",
                _ => e.Message,
            };
            switch (_policy)
            {
                case ConflictPolicy.Skip:
                    _uploads[run.Path] = RunUpload.Skipped(run, conflict);
                    return new WrittenFile(run.Path, 0, "");
                case ConflictPolicy.NewId when !newId:
                    newRun = newRun with { Cuid = NewCuid() };
                    newId = true;
                    await _ledger.RecordNewIdAsync(run.Path, newRun.Cuid, ct).ConfigureAwait(false);
                    created = await _target.CreateRunAsync(workspace, project, newRun, ct).ConfigureAwait(false);
                    break;
                default:
                    throw new ImportConflictException($"{run.Path}: {conflict}; --on-conflict skip leaves it out, --on-conflict new-id imports it under a new id");
            }
        }

        if (created.Created) Interlocked.Increment(ref _created);
        else Interlocked.Increment(ref _resumed);
        var target = created.Run;
        var previous = _ledger.Run(run.Path);
        var summary = created.Created ? TargetSummary.Empty : await _target.ResumeSummaryAsync(target, ct).ConfigureAwait(false);
        var upload = new RunUpload(run, target, newId, summary, previous, null);
        _uploads[run.Path] = upload;
        // Profile PUTs replace each field, so sending them again is harmless; they are left out only when the ledger
        // confirms this very run was imported before, unchanged (a re-import then uploads nothing at all).
        var confirmedBefore = !created.Created && previous is not null && previous.SourceFingerprint == run.Fingerprint
                              && previous.Target == target;
        if (!confirmedBefore) await UploadProfileAsync(target, run.Raw, ct).ConfigureAwait(false);
        return new WrittenFile(target.Path, 0, "");
    }

    private async Task UploadProfileAsync(TargetRun target, JsonElement raw, CancellationToken ct)
    {
        if (!(raw.ValueKind == JsonValueKind.Object && raw.TryGetProperty("profile", out var profile) && profile.ValueKind == JsonValueKind.Object))
            return;
        foreach (var field in new[] { "config", "metadata", "requirements", "conda" })
        {
            if (!profile.TryGetProperty(field, out var value)) continue;
            if (value.ValueKind is JsonValueKind.Null or JsonValueKind.Undefined) continue;
            if (value.ValueKind == JsonValueKind.String && value.GetString()!.Length == 0) continue;
            await _target.UpdateProfileAsync(target, field, value, ct).ConfigureAwait(false);
        }
    }

    public ISeriesSink OpenSeries(string runPath, string key, SeriesFormat format) =>
        new ServerSeriesSink(this, Upload(runPath), key);

    public async Task<WrittenFile?> WriteLogsAsync(string runPath, IAsyncEnumerable<LogLine> lines, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(lines);
        var upload = Upload(runPath);
        using var hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        var batch = new List<LogLine>();
        long count = 0, uploaded = 0;
        long? lastEpoch = null;
        await foreach (var line in lines.WithCancellation(ct).ConfigureAwait(false))
        {
            count++;
            lastEpoch = line.Epoch;
            hash.AppendData(line.Raw.ValueKind == JsonValueKind.Undefined ? [] : CanonicalJson.SerializeLine(line.Raw));
            hash.AppendData("\n"u8);
            if (upload.Skip || (upload.Summary.LastLogEpoch is { } there && line.Epoch <= there)) continue;
            batch.Add(line);
            if (batch.Count < _target.MaxRecordsPerRequest) continue;
            await _target.UploadLogsAsync(upload.Target, batch, ct).ConfigureAwait(false);
            uploaded += batch.Count;
            batch = [];
        }
        if (batch.Count > 0)
        {
            await _target.UploadLogsAsync(upload.Target, batch, ct).ConfigureAwait(false);
            uploaded += batch.Count;
        }
        Interlocked.Add(ref _uploadedLogs, uploaded);
        if (count == 0) return null;
        var sha = Convert.ToHexStringLower(hash.GetHashAndReset());
        upload.Logs = new LogsLedger(count, lastEpoch, sha, uploaded);
        return new WrittenFile($"{upload.Target.Path}#logs", count, sha);
    }

    /// <summary>
    /// A run the checkpoint holds as imported is skipped only if the target still agrees with its ledger line (the
    /// target may have been reset or the run deleted since): same last step for every series, same last log epoch.
    /// Null when it does; else why not, and the run is imported again (which uploads only what is missing).
    /// </summary>
    public async Task<string?> FindDamageAsync(IReadOnlyList<WrittenFile> files, bool rehash, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(files);
        var receipt = files.FirstOrDefault(f => f.RelativePath.StartsWith(LedgerReceipt, StringComparison.Ordinal));
        if (receipt is null) return "no ledger receipt";
        var runPath = receipt.RelativePath[LedgerReceipt.Length..];
        if (_ledger.Run(runPath) is not { } entry) return "not in the ledger";
        if (entry.Target is not { } target) return "skipped by --on-conflict before";
        TargetSummary summary;
        try
        {
            summary = await _target.ResumeSummaryAsync(target, ct).ConfigureAwait(false);
        }
        catch (Exception e) when (e is not OperationCanceledException and not SourceAuthenticationException)
        {
            return $"the target's summary cannot be read: {e.Message}";
        }
        foreach (var (key, series) in entry.Series)
        {
            if (series.LastStep is { } last && summary.ScalarLastSteps.GetValueOrDefault(key, long.MinValue) != last)
                return $"series '{key}' ends at another step on the target";
        }
        if (entry.Logs?.LastEpoch is { } epoch && summary.LastLogEpoch != epoch) return "logs end at another epoch on the target";
        _seen[runPath] = 0;
        return null;
    }

    /// <summary>Nothing to delete on a server: a series the source no longer has stays on the target.</summary>
    public Task RemoveFilesAsync(IReadOnlyList<string> relativePaths, CancellationToken ct) => Task.CompletedTask;

    private const string LedgerReceipt = "ledger:";

    public Task RecordDiscoveryAsync(IReadOnlyList<string> runPaths, CancellationToken ct) => Task.CompletedTask;

    public async Task<WrittenFile> WriteMediaAsync(string runPath, MediaItem item, Func<Stream, CancellationToken, Task> download,
        CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(item);
        ArgumentNullException.ThrowIfNull(download);
        var upload = Upload(runPath);
        using var buffer = new MemoryStream();
        await download(buffer, ct).ConfigureAwait(false);
        var bytes = buffer.GetBuffer().AsMemory(0, (int)buffer.Length);
        var sha = Convert.ToHexStringLower(SHA256.HashData(bytes.Span));
        var slash = item.ServerPath.LastIndexOf('/');
        var fileName = slash < 0 ? item.ServerPath : item.ServerPath[(slash + 1)..];
        // A key's step is uploaded whole (one record), so a step at or below the target's last one is there entirely.
        var present = upload.Summary.MediaLastSteps.TryGetValue(item.Key, out var last) && item.Step <= last;
        var send = !upload.Skip && !present;
        if (!item.CaptionKnown) upload.CaptionsUnknown = true;
        if (send)
        {
            if (upload.PendingMedia.Count > 0 && (upload.PendingMedia[0].Key != item.Key || upload.PendingMedia[0].Step != item.Step))
                await FlushMediaAsync(upload, ct).ConfigureAwait(false);
            upload.PendingMedia.Add(new MediaUpload(item.Key, item.Step, fileName, item.Caption, bytes.ToArray(), sha, null, item.ServerPath, item.Kind));
        }
        upload.Media.Add(new MediaLedger(item.Key, item.Step, fileName, sha, send));
        return new WrittenFile($"{upload.Target.Path}#media/{item.Key}/{item.Step}-{fileName}", bytes.Length, sha);
    }

    public async Task<WrittenFile> WriteSeriesIndexAsync(string runPath, IReadOnlyList<SeriesIndexEntry> series, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(series);
        if (!_uploads.TryRemove(runPath, out var upload)) throw new InvalidOperationException($"{runPath}: no run upload in progress");
        if (upload.Skip)
        {
            await _ledger.RecordRunAsync(new RunLedger(runPath, null, false, upload.Conflict, upload.Run.Fingerprint,
                new Dictionary<string, SeriesLedger>(), null, [], []), ct).ConfigureAwait(false);
            return new WrittenFile($"{runPath}#skipped", 0, "");
        }
        await FlushMediaAsync(upload, ct).ConfigureAwait(false);
        if (!string.Equals(upload.Run.State, "RUNNING", StringComparison.OrdinalIgnoreCase))
            await _target.FinishRunAsync(upload.Target, upload.Run.State, upload.Run.FinishedAt, ct).ConfigureAwait(false);
        var ledger = new RunLedger(runPath, upload.Target, upload.NewId, null, upload.Run.Fingerprint,
            new SortedDictionary<string, SeriesLedger>(upload.Series, StringComparer.Ordinal), upload.Logs,
            upload.Media.OrderBy(m => m.Key, StringComparer.Ordinal).ThenBy(m => m.Step).ThenBy(m => m.File, StringComparer.Ordinal).ToList(),
            NotCarried(upload));
        await _ledger.RecordRunAsync(ledger, ct).ConfigureAwait(false);
        return new WrittenFile(LedgerReceipt + runPath, ledger.Points, "");
    }

    private List<string> NotCarried(RunUpload upload)
    {
        var list = new List<string>();
        if (upload.Run.RootRunCuid is not null) list.Add(ProtocolLimitClone);
        if (upload.CaptionsUnknown)
            list.Add("media captions and object paths (this backup predates media.jsonl, which keeps them: export the run again to carry them)");
        if (upload.NewId) list.Add($"run id: imported as {upload.Target.Cuid} (--on-conflict new-id)");
        if (string.Equals(upload.Run.State, "RUNNING", StringComparison.OrdinalIgnoreCase))
            list.Add("state RUNNING: the run is left running on the target (no finish is sent)");
        list.Add("creator (runs are created by the importing user), pin/show flags, updatedAt");
        return list;
    }

    public Task FinishAsync(BackupSummary summary, CancellationToken ct) => Task.CompletedTask;

    internal long MaxRecords => _target.MaxRecordsPerRequest;

    internal async Task UploadScalarsAsync(RunUpload upload, string key, ReadOnlyMemory<SeriesPoint> points, CancellationToken ct)
    {
        await _target.UploadScalarsAsync(upload.Target, key, points, ct).ConfigureAwait(false);
        Interlocked.Add(ref _uploadedPoints, points.Length);
    }

    private async Task FlushMediaAsync(RunUpload upload, CancellationToken ct)
    {
        if (upload.PendingMedia.Count == 0) return;
        await _target.UploadMediaAsync(upload.Target, upload.PendingMedia.ToList(), ct).ConfigureAwait(false);
        Interlocked.Add(ref _uploadedMedia, upload.PendingMedia.Count);
        upload.PendingMedia.Clear();
    }

    private RunUpload Upload(string runPath) =>
        _uploads.TryGetValue(runPath, out var upload) ? upload : throw new InvalidOperationException($"{runPath}: run.json was not written first");

    private static NewRun NewRunFrom(RunDetail run, string cuid)
    {
        var raw = run.Raw;
        var colors = raw.TryGetProperty("colors", out var c) && c.ValueKind == JsonValueKind.Array
            ? c.EnumerateArray().Where(x => x.ValueKind == JsonValueKind.String).Select(x => x.GetString()!).ToList()
            : [];
        var labels = raw.TryGetProperty("labels", out var l) && l.ValueKind == JsonValueKind.Array
            ? l.EnumerateArray().Select(x => x.ValueKind == JsonValueKind.String ? x.GetString() : Str(x, "name")).OfType<string>().ToList()
            : [];
        return new NewRun(cuid, run.Name, NullIfEmpty(Str(raw, "description")), NullIfEmpty(run.CreatedAt), colors, labels,
            NullIfEmpty(Str(raw, "cluster")), NullIfEmpty(Str(raw, "job")));
    }

    /// <summary>Why an existing target run is not this source run (name or creation time differ); null when it is.</summary>
    internal static string? Differs(RunDetail run, CreatedRun existing)
    {
        if (!string.Equals(existing.Name, run.Name, StringComparison.Ordinal))
            return $"name '{existing.Name}' on the target, '{run.Name}' in the source";
        if (existing.CreatedAt is { } there && Instant(there) is { } a && Instant(run.CreatedAt) is { } b && a != b)
            return $"created {there} on the target, {run.CreatedAt} in the source";
        return null;
    }

    private static DateTimeOffset? Instant(string? text) =>
        DateTimeOffset.TryParse(text, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal | DateTimeStyles.AdjustToUniversal, out var t)
            ? t : null;

    private static string NewCuid()
    {
        const string alphabet = "0123456789abcdefghijklmnopqrstuvwxyz";
        return string.Create(21, 0, (span, _) =>
        {
            for (var i = 0; i < span.Length; i++) span[i] = alphabet[RandomNumberGenerator.GetInt32(alphabet.Length)];
        });
    }

    private static string? Str(JsonElement json, string name) =>
        json.ValueKind == JsonValueKind.Object && json.TryGetProperty(name, out var value) && value.ValueKind == JsonValueKind.String
            ? value.GetString()
            : null;

    private static string? NullIfEmpty(string? text) => string.IsNullOrEmpty(text) ? null : text;

    /// <summary>One run being uploaded: where it goes, what the target already had, what was confirmed so far.</summary>
    internal sealed class RunUpload(RunDetail run, TargetRun target, bool newId, TargetSummary summary, RunLedger? previous, string? conflict)
    {
        public RunDetail Run { get; } = run;
        public TargetRun Target { get; } = target;
        public bool NewId { get; } = newId;
        public TargetSummary Summary { get; } = summary;
        public RunLedger? Previous { get; } = previous;
        public string? Conflict { get; } = conflict;
        public bool Skip => Conflict is not null;
        public ConcurrentDictionary<string, SeriesLedger> Series { get; } = new(StringComparer.Ordinal);
        public ConcurrentBag<MediaLedger> Media { get; } = [];
        public LogsLedger? Logs { get; set; }
        /// <summary>Some media came without knowing their captions (a backup written before media.jsonl).</summary>
        public bool CaptionsUnknown { get; set; }
        /// <summary>Media of the current key and step, uploaded together when the step ends (items come in key, step order).</summary>
        public List<MediaUpload> PendingMedia { get; } = [];

        public static RunUpload Skipped(RunDetail run, string conflict) =>
            new(run, new TargetRun("", "", "", run.Cuid), false, TargetSummary.Empty, null, conflict);
    }

    /// <summary>
    /// Streams one series to the target: skips what the target has, batches the rest, hashes every point. One batch is
    /// in flight while the next one fills (read from the source and encoded meanwhile), never two: a batch is sent
    /// only after the one before it was accepted, so the target's last step always bounds what it holds and a retry
    /// or a resume can never leave a gap. Series of a run upload in parallel, each in its own order.
    /// </summary>
    private sealed class ServerSeriesSink(ServerDestination destination, RunUpload upload, string key) : ISeriesSink
    {
        private const int HashChunkPoints = 1024;
        private readonly IncrementalHash _hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        private readonly long? _targetLast = upload.Summary.ScalarLastSteps.TryGetValue(key, out var last) ? last : null;
        // Points are hashed 1,024 at a time: one AppendData per point cost more than the rest of the sink.
        private readonly byte[] _hashChunk = new byte[HashChunkPoints * 24];
        private int _hashFilled;
        private SeriesPoint[] _batch = [];
        private SeriesPoint[] _spare = [];
        private int _filled;
        private Task? _inFlight;
        private long _points, _uploaded;
        private long? _first, _last;

        public async ValueTask WriteAsync(SeriesPoint point, CancellationToken ct)
        {
            _points++;
            _first ??= point.Step;
            _last = point.Step;
            Hash(point);
            if (upload.Skip || (_targetLast is { } there && point.Step <= there)) return;
            if (_batch.Length == 0) _batch = new SeriesPoint[(int)Math.Clamp(destination.MaxRecords, 1, 10_000)];
            _batch[_filled++] = point;
            if (_filled == _batch.Length) await SendAsync(ct).ConfigureAwait(false);
        }

        /// <summary>Waits for the batch in flight, then starts this one and returns while it is on its way.</summary>
        private async Task SendAsync(CancellationToken ct)
        {
            if (_inFlight is { } previous)
            {
                _inFlight = null;
                await previous.ConfigureAwait(false);
            }
            if (_filled == 0) return;
            var batch = _batch.AsMemory(0, _filled);
            _uploaded += _filled;
            _filled = 0;
            _inFlight = destination.UploadScalarsAsync(upload, key, batch, ct);
            // The batch in flight keeps its array; the next one fills the other.
            if (_spare.Length == 0) _spare = new SeriesPoint[_batch.Length];
            (_batch, _spare) = (_spare, _batch);
        }

        private void Hash(SeriesPoint point)
        {
            var bytes = _hashChunk.AsSpan(_hashFilled * 24, 24);
            BinaryPrimitives.WriteInt64LittleEndian(bytes, point.Step);
            BinaryPrimitives.WriteInt64LittleEndian(bytes[8..], BitConverter.DoubleToInt64Bits(point.Value));
            BinaryPrimitives.WriteInt64LittleEndian(bytes[16..], point.TimestampMs ?? long.MinValue);
            if (++_hashFilled < HashChunkPoints) return;
            _hash.AppendData(_hashChunk);
            _hashFilled = 0;
        }

        public async Task<SeriesFileInfo> CompleteAsync(CancellationToken ct)
        {
            await SendAsync(ct).ConfigureAwait(false);
            await SendAsync(ct).ConfigureAwait(false);
            _hash.AppendData(_hashChunk, 0, _hashFilled * 24);
            _hashFilled = 0;
            var sha = Convert.ToHexStringLower(_hash.GetHashAndReset());
            upload.Series[key] = new SeriesLedger(_points, _first, _last, sha, _uploaded);
            return new SeriesFileInfo($"{upload.Target.Path}#{key}", _points, _first, _last, 0, sha);
        }

        public async ValueTask DisposeAsync()
        {
            // An abandoned sink (the run failed) still lets its last request finish: its outcome is the target's.
            if (_inFlight is { } pending)
            {
                _inFlight = null;
                try
                {
                    await pending.ConfigureAwait(false);
                }
                catch (Exception e) when (e is not OutOfMemoryException)
                {
                    // The run already failed for another reason; this batch is reconciled by the next import.
                }
            }
            _hash.Dispose();
        }
    }
}

/// <summary>What an import did: runs created and resumed on the target, and what was uploaded.</summary>
public sealed record ImportCounts(long RunsCreated, long RunsResumed, long PointsUploaded, long LogLinesUploaded, long MediaUploaded);

/// <summary>The target cannot take what is imported (e.g. a workspace that does not exist there).</summary>
public sealed class ImportTargetException(string what, string message) : Exception(message)
{
    public string What { get; } = what;
}

/// <summary>A run's id cannot be used on the target and <c>--on-conflict fail</c> (the default) applies.</summary>
public sealed class ImportConflictException(string message) : Exception(message);

/// <summary>The target holds a run with the source's id that is not this run (another name or creation time).</summary>
public sealed class TargetRunDiffersException(string message) : Exception(message);
