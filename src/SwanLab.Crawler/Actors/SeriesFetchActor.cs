using System.Buffers;
using System.Threading.Channels;
using Akka.Actor;
using SwanLab.Crawler.Backup;
using SwanLab.Crawler.Crawl;
using SwanLab.Crawler.Source;

namespace SwanLab.Crawler.Actors;

/// <summary>What a <see cref="SeriesFetchActor"/> tells its run (its parent) when done.</summary>
public static class SeriesFetchProtocol
{
    /// <summary>Every series of the batch is durable; <paramref name="Entries"/> in the batch's order.</summary>
    public sealed record SeriesExported(string RunPath, string BatchToken, IReadOnlyList<SeriesIndexEntry> Entries);
    public sealed record SeriesFailed(string RunPath, string BatchToken, UnitFailure Failure);
}

/// <summary>
/// Streams a batch of metric series of one run (up to 16 keys, fetched as the server answers them: one export for
/// all) into one sink each. An async loop reads <see cref="ICrawlSource.StreamSeriesBatchAsync"/> into a bounded
/// <see cref="Channel{T}"/> of point chunks tagged with their series (at most <see cref="CrawlSettings.ChannelCapacity"/>
/// points in all), a writer loop drains it into the sinks, so a slow disk slows the download instead of filling memory.
/// The result returns as a message (PipeTo); the loops never touch the actor. Each streamed series is checked against
/// what the server reported (<see cref="SeriesInfo.LastStep"/>, <see cref="SeriesInfo.ExpectedPoints"/>) and its steps
/// must increase, so a silently truncated response fails.
/// On failure: every sink is disposed uncompleted (its temp file deleted) and <see cref="SeriesFetchProtocol.SeriesFailed"/>
/// goes to the run, which fails the whole run attempt (the run is retried as a unit). An unexpected crash stops this
/// actor; the run sees it stop without a result and treats that as a failure too.
/// </summary>
public sealed class SeriesFetchActor : UnitActor
{
    private const long ProgressBatch = 10_000;
    private const int MaxChunkPoints = 1024;

    private readonly RunDetail _run;
    private readonly string _token;
    private readonly IReadOnlyList<SeriesInfo> _series;

    public static Props Props(CrawlContext context, RunDetail run, string batchToken, IReadOnlyList<SeriesInfo> series) =>
        Akka.Actor.Props.Create(() => new SeriesFetchActor(context, run, batchToken, series));

    public SeriesFetchActor(CrawlContext context, RunDetail run, string batchToken, IReadOnlyList<SeriesInfo> series)
    {
        _run = run;
        _token = batchToken;
        _series = series;
        var source = context.Source;
        var writer = context.Writer;
        var progress = context.Progress;
        var settings = context.Settings;
        PipeWork(async ct => new Exported(await StreamAsync(source, writer, progress, settings, run, series, ct)));
    }

    private sealed record Exported(IReadOnlyList<SeriesIndexEntry> Entries);

    protected override void OnWorkDone(object result)
    {
        switch (result)
        {
            case Exported exported:
                Context.Parent.Tell(new SeriesFetchProtocol.SeriesExported(_run.Path, _token, exported.Entries));
                break;
            case Status.Failure failure:
                // A download's endpoint is a presigned URL, so errors from the CSV itself would not say which series.
                var unitFailure = UnitFailure.From(failure.Cause);
                if (unitFailure.Message.StartsWith("Metric CSV", StringComparison.Ordinal) ||
                    !_series.Any(s => unitFailure.Message.Contains($"'{s.Key}'", StringComparison.Ordinal)))
                    unitFailure = unitFailure with { Message = $"series '{string.Join(", ", _series.Select(s => s.Key))}': {unitFailure.Message}" };
                Context.Parent.Tell(new SeriesFetchProtocol.SeriesFailed(_run.Path, _token, unitFailure));
                break;
        }
    }

    internal static async Task<IReadOnlyList<SeriesIndexEntry>> StreamAsync(ICrawlSource source, IBackupWriter writer, IActorRef progress,
        CrawlSettings settings, RunDetail run, IReadOnlyList<SeriesInfo> series, CancellationToken unitToken)
    {
        using var loops = CancellationTokenSource.CreateLinkedTokenSource(unitToken);
        var ct = loops.Token;
        // Points cross the channel in chunks: handing over single points made the download and disk loops contend on
        // the channel's lock for every point, which cost more CPU than parsing and formatting together.
        var chunkPoints = Math.Clamp(settings.ChannelCapacity, 1, MaxChunkPoints);
        var chunks = Channel.CreateBounded<PointChunk>(new BoundedChannelOptions(Math.Max(1, settings.ChannelCapacity / chunkPoints))
        {
            SingleReader = true,
            SingleWriter = true,
            FullMode = BoundedChannelFullMode.Wait,
        });
        var producer = Task.Run(async () =>
        {
            // One chunk being filled per series: the source interleaves series, and each chunk must hold one series.
            var buffers = new SeriesPoint[]?[series.Count];
            var filled = new int[series.Count];
            try
            {
                await foreach (var batch in source.StreamSeriesBatchAsync(run, series, settings.Sample, ct))
                {
                    var s = batch.SeriesIndex;
                    if ((uint)s >= (uint)series.Count)
                        throw new InvalidOperationException($"the source sent points for series #{s} of a batch of {series.Count}");
                    // The source reuses its batch, so its points are copied into chunks the writer loop owns.
                    for (var taken = 0; taken < batch.Points.Length;)
                    {
                        buffers[s] ??= ArrayPool<SeriesPoint>.Shared.Rent(chunkPoints);
                        var count = Math.Min(chunkPoints - filled[s], batch.Points.Length - taken);
                        batch.Points.Span.Slice(taken, count).CopyTo(buffers[s]!.AsSpan(filled[s]));
                        taken += count;
                        filled[s] += count;
                        if (filled[s] < chunkPoints) continue;
                        await chunks.Writer.WriteAsync(new PointChunk(s, buffers[s]!, filled[s]), ct);
                        buffers[s] = null;
                        filled[s] = 0;
                    }
                }
                for (var s = 0; s < series.Count; s++)
                {
                    if (buffers[s] is not { } buffer) continue;
                    if (filled[s] > 0) await chunks.Writer.WriteAsync(new PointChunk(s, buffer, filled[s]), ct);
                    else ArrayPool<SeriesPoint>.Shared.Return(buffer);
                    buffers[s] = null;
                }
                chunks.Writer.TryComplete();
            }
            catch (Exception ex)
            {
                chunks.Writer.TryComplete(ex);
            }
        }, CancellationToken.None);

        var sinks = new List<ISeriesSink>(series.Count);
        try
        {
            foreach (var s in series) sinks.Add(writer.OpenSeries(run.Path, s.Key, settings.Format));
            var counts = new long[series.Count];
            var lastSteps = new long?[series.Count];
            long unreported = 0;
            await foreach (var chunk in chunks.Reader.ReadAllAsync(ct))
            {
                var s = chunk.SeriesIndex;
                var sink = sinks[s];
                for (var i = 0; i < chunk.Count; i++)
                {
                    var point = chunk.Points[i];
                    if (lastSteps[s] is { } previous && point.Step <= previous)
                        throw new SeriesIncompleteException(
                            $"{run.Path} series '{series[s].Key}': step {point.Step} after step {previous} (steps must increase)");
                    await sink.WriteAsync(point, ct);
                    lastSteps[s] = point.Step;
                }
                counts[s] += chunk.Count;
                unreported += chunk.Count;
                ArrayPool<SeriesPoint>.Shared.Return(chunk.Points);
                if (unreported >= ProgressBatch)
                {
                    progress.Tell(new CrawlEvent.PointsWritten(unreported, run.Path));
                    unreported = 0;
                }
            }
            for (var s = 0; s < series.Count; s++) CheckComplete(run, series[s], settings.Sample, counts[s], lastSteps[s]);
            var entries = new List<SeriesIndexEntry>(series.Count);
            for (var s = 0; s < series.Count; s++)
            {
                var file = await sinks[s].CompleteAsync(ct);
                entries.Add(new SeriesIndexEntry(series[s].Key, file, series[s].ExpectedPoints, series[s].LastStep));
            }
            if (unreported > 0) progress.Tell(new CrawlEvent.PointsWritten(unreported, run.Path));
            return entries;
        }
        finally
        {
            // Whatever ended the writer loop, the producer must not stay blocked on a full channel.
            await loops.CancelAsync();
            await producer;
            foreach (var sink in sinks) await sink.DisposeAsync();
        }
    }

    /// <summary>Points [0, Count) of a pooled array, of the batch's series #<see cref="SeriesIndex"/>; the consumer returns the array.</summary>
    private readonly record struct PointChunk(int SeriesIndex, SeriesPoint[] Points, int Count);

    /// <summary>The silent-truncation defence: what arrived must be what the server said exists.</summary>
    internal static void CheckComplete(RunDetail run, SeriesInfo series, int? sample, long count, long? lastStep)
    {
        if (series.LastStep is { } expectedLast && lastStep != expectedLast)
            throw new SeriesIncompleteException(
                $"{run.Path} series '{series.Key}': last step {Describe(lastStep)}, server reports {expectedLast}");
        if (series.ExpectedPoints is not { } expected) return;
        var wanted = sample is { } n ? Math.Min(expected, n) : expected;
        var ok = sample is null ? count == wanted : count <= wanted && (count > 0 || expected == 0);
        if (!ok)
            throw new SeriesIncompleteException(
                $"{run.Path} series '{series.Key}': {count} points, server reports {expected}");
    }

    private static string Describe(long? step) => step is { } s ? s.ToString(System.Globalization.CultureInfo.InvariantCulture) : "none";
}
