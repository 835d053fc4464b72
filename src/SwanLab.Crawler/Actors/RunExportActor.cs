using Akka.Actor;
using SwanLab.Crawler.Backup;
using SwanLab.Crawler.Cluster.Serialization;
using SwanLab.Crawler.Crawl;
using SwanLab.Crawler.Source;

namespace SwanLab.Crawler.Actors;

/// <summary>What a <see cref="RunExportActor"/> tells its project (its parent) when the attempt ends.</summary>
public static class RunExportProtocol
{
    /// <summary>Every file is durable and the Done entry is in the checkpoint.</summary>
    public sealed record RunExported(string RunPath, long Points, CheckpointEntry Entry) : ICrawlClusterMessage;

    /// <summary>The attempt failed; everything it started has finished and its temp files are gone.</summary>
    public sealed record RunExportFailed(string RunPath, UnitFailure Failure) : ICrawlClusterMessage;
}

/// <summary>
/// Exports one run, addressed by its path (no state shared with other runs, so it could be a sharded entity):
/// run.json, then its series in batches of up to 16 keys (one server export each) through a <see cref="SeriesFetchActor"/>
/// admitted by the shared series gate with one slot per series of the batch (so the gate still bounds open sinks), logs and
/// media alongside, then metrics/index.json, then the files its previous export recorded and this one did not write
/// again are removed; only after all of that is durable is the Done entry (files, and what the run holds) sent to the
/// checkpoint writer, and only after the writer confirms does the project hear <see cref="RunExportProtocol.RunExported"/>.
/// On failure (a source call, a write, a series, the checkpoint): the attempt drains (cancels and awaits everything,
/// so no temp file or late write outlives it) and then reports <see cref="RunExportProtocol.RunExportFailed"/>; the
/// project decides about retrying. One instance = one attempt; a retry is a fresh actor.
/// </summary>
public sealed class RunExportActor : UnitActor
{
    private sealed record RunPrepared(RunDetail Run, WrittenFile RunFile, IReadOnlyList<SeriesInfo> Series);
    private sealed record ExtrasWritten(IReadOnlyList<WrittenFile> Files);
    private sealed record IndexWritten(WrittenFile File);
    private sealed record StaleFilesRemoved
    {
        public static StaleFilesRemoved Instance { get; } = new();
    }

    private readonly CrawlContext _context;
    private readonly RunSummary _summary;
    private readonly int _attempt;
    private readonly CheckpointEntry? _previous;
    private readonly string _runPath;
    /// <summary>Keys per House query (the SDK's MAX_METRIC_KEY_BATCH_SIZE).</summary>
    internal const int MaxSeriesPerBatch = 16;

    private readonly Dictionary<string, IReadOnlyList<SeriesInfo>> _waitingForSlot = new(StringComparer.Ordinal);
    private readonly Dictionary<IActorRef, string> _fetching = new();
    private readonly List<SeriesIndexEntry> _exported = [];
    private readonly List<WrittenFile> _files = [];
    private RunDetail? _run;
    private bool _extrasDone;
    private bool _indexing;

    /// <param name="previous">The run's checkpoint entry from an earlier export, if any (its files may be superseded).</param>
    public static Props Props(CrawlContext context, RunSummary summary, int attempt, CheckpointEntry? previous = null) =>
        Akka.Actor.Props.Create(() => new RunExportActor(context, summary, attempt, previous));

    public RunExportActor(CrawlContext context, RunSummary summary, int attempt, CheckpointEntry? previous)
    {
        _context = context;
        _summary = summary;
        _attempt = attempt;
        _previous = previous;
        _runPath = summary.Path;

        Receive<SlotGateProtocol.SlotGranted>(OnSeriesSlot);
        Receive<SeriesFetchProtocol.SeriesExported>(OnSeriesExported);
        Receive<SeriesFetchProtocol.SeriesFailed>(f => Fail(f.Failure));
        Receive<CheckpointProtocol.UnitRecorded>(_ =>
        {
            var points = _exported.Sum(e => e.File.Points);
            Context.Parent.Tell(new RunExportProtocol.RunExported(_runPath, points, DoneEntry()));
        });
        Receive<CheckpointProtocol.UnitNotRecorded>(n => Fail(new UnitFailure("checkpoint", n.Error, false)));

        var source = context.Source;
        var writer = context.Writer;
        var runPath = summary.Path;
        PipeWork(async ct =>
        {
            var run = await source.RunAsync(runPath, ct);
            var runFile = await writer.WriteRunAsync(run, ct);
            var series = await source.SeriesAsync(run, ct);
            return new RunPrepared(run, runFile, series);
        });
    }

    protected override SupervisorStrategy SupervisorStrategy() =>
        // A crashed series fetch is a failed series: stop it; OnChildStopped turns its silence into a failure.
        new OneForOneStrategy(_ => Directive.Stop);

    protected override void OnWorkDone(object result)
    {
        switch (result)
        {
            case RunPrepared prepared:
                OnPrepared(prepared);
                break;
            case ExtrasWritten extras:
                _files.AddRange(extras.Files);
                _extrasDone = true;
                TryFinish();
                break;
            case IndexWritten index:
                _files.Add(index.File);
                RemoveStaleFiles();
                break;
            case StaleFilesRemoved:
                RecordDone();
                break;
            case Status.Failure failure:
                Fail(UnitFailure.From(failure.Cause));
                break;
        }
    }

    protected override void OnChildStopped(IActorRef child)
    {
        if (_fetching.Remove(child, out var token))
            Fail(new UnitFailure("crash", $"series {token} stopped without a result", false));
    }

    private void OnPrepared(RunPrepared prepared)
    {
        _run = prepared.Run;
        _files.Add(prepared.RunFile);
        var perBatch = BatchSize(_context.Settings);
        var batches = prepared.Series.DistinctBy(s => s.Key, StringComparer.Ordinal).Chunk(perBatch).ToList();
        for (var b = 0; b < batches.Count; b++)
        {
            var token = "batch-" + b.ToString(System.Globalization.CultureInfo.InvariantCulture);
            _waitingForSlot[token] = batches[b];
            _context.SeriesSlots.Tell(new SlotGateProtocol.RequestSlot(token, batches[b].Length));
        }

        var source = _context.Source;
        var writer = _context.Writer;
        var settings = _context.Settings;
        var run = prepared.Run;
        PipeWork(async ct =>
        {
            var files = new List<WrittenFile>();
            if (settings.IncludeLogs && await writer.WriteLogsAsync(run.Path, source.LogsAsync(run, ct), ct) is { } logs)
                files.Add(logs);
            if (settings.IncludeMedia)
            {
                var media = new List<MediaItem>();
                await foreach (var item in source.MediaAsync(run, ct))
                {
                    files.Add(await writer.WriteMediaAsync(run.Path, item,
                        (destination, token) => source.DownloadMediaAsync(run, item, destination, token), ct));
                    media.Add(item);
                }
                if (await writer.WriteMediaIndexAsync(run.Path, media, ct) is { } index)
                    files.Add(index);
            }
            return new ExtrasWritten(files);
        });
    }

    /// <summary>Series per download: 16 as the SDK asks, fewer when the series gate has fewer slots than that.</summary>
    internal static int BatchSize(CrawlSettings settings) => Math.Clamp(settings.SeriesConcurrency, 1, MaxSeriesPerBatch);

    private void OnSeriesSlot(SlotGateProtocol.SlotGranted granted)
    {
        if (_run is null || !_waitingForSlot.Remove(granted.Token, out var series))
        {
            Sender.Tell(new SlotGateProtocol.ReleaseSlot(granted.Token));
            return;
        }
        var child = SpawnChild(SeriesFetchActor.Props(_context, _run, granted.Token, series), ActorNames.For("series", granted.Token));
        _fetching[child] = granted.Token;
    }

    private void OnSeriesExported(SeriesFetchProtocol.SeriesExported exported)
    {
        if (!_fetching.Remove(Sender)) return;
        StopChild(Sender);
        _context.SeriesSlots.Tell(new SlotGateProtocol.ReleaseSlot(exported.BatchToken));
        _exported.AddRange(exported.Entries);
        TryFinish();
    }

    private void TryFinish()
    {
        if (_indexing || !_extrasDone || _waitingForSlot.Count > 0 || _fetching.Count > 0) return;
        _indexing = true;
        var writer = _context.Writer;
        var runPath = _runPath;
        var entries = _exported.OrderBy(e => e.Key, StringComparer.Ordinal).ToList();
        PipeWork(async ct => new IndexWritten(await writer.WriteSeriesIndexAsync(runPath, entries, ct)));
    }

    /// <summary>
    /// Before the new entry replaces the old one: a crash in between leaves the old entry naming files that are gone,
    /// so the next resume exports the run again instead of leaving unrecorded files behind.
    /// </summary>
    private void RemoveStaleFiles()
    {
        var written = DoneEntry().Files.Select(f => f.RelativePath).ToHashSet(StringComparer.Ordinal);
        var stale = (_previous?.Files ?? []).Select(f => f.RelativePath).Where(p => !written.Contains(p))
            .Order(StringComparer.Ordinal).ToList();
        if (stale.Count == 0)
        {
            RecordDone();
            return;
        }
        var writer = _context.Writer;
        PipeWork(async ct =>
        {
            await writer.RemoveFilesAsync(stale, ct);
            return StaleFilesRemoved.Instance;
        });
    }

    private void RecordDone() => _context.Checkpoint.Tell(new CheckpointProtocol.RecordUnit(DoneEntry()));

    private CheckpointEntry DoneEntry()
    {
        var files = _exported.Select(e => new WrittenFile(e.File.RelativePath, e.File.Bytes, e.File.Sha256))
            .Concat(_files)
            .DistinctBy(f => f.RelativePath, StringComparer.Ordinal)
            .OrderBy(f => f.RelativePath, StringComparer.Ordinal)
            .ToList();
        return new CheckpointEntry(_runPath, UnitStatus.Done, _summary.Fingerprint, files, null, null, _attempt)
        {
            Content = ResumeRule.ContentOf(_context.Settings, _exported.Sum(e => e.File.Points)),
        };
    }

    private void Fail(UnitFailure failure) => BeginDrain(new RunExportProtocol.RunExportFailed(_runPath, failure));
}
