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
    public sealed record SeriesExported(string RunPath, string Key, SeriesIndexEntry Entry);
    public sealed record SeriesFailed(string RunPath, string Key, UnitFailure Failure);
}

/// <summary>
/// Streams one metric series of one run into its sink. An async loop reads
/// <see cref="ICrawlSource.StreamSeriesAsync"/> into a bounded <see cref="Channel{T}"/> of point chunks (at most
/// <see cref="CrawlSettings.ChannelCapacity"/> points in all), a writer loop drains it into the <see cref="ISeriesSink"/>, so a slow
/// disk slows the download instead of filling memory. The result returns as a message (PipeTo); the loops never touch
/// the actor. The streamed series is checked against what the server reported (<see cref="SeriesInfo.LastStep"/>,
/// <see cref="SeriesInfo.ExpectedPoints"/>) and steps must increase, so a silently truncated response fails.
/// On failure: the sink is disposed uncompleted (its temp file deleted) and <see cref="SeriesFetchProtocol.SeriesFailed"/>
/// goes to the run, which fails the whole run attempt (the run is retried as a unit). An unexpected crash stops this
/// actor; the run sees it stop without a result and treats that as a failure too.
/// </summary>
public sealed class SeriesFetchActor : UnitActor
{
    private const long ProgressBatch = 10_000;
    private const int MaxChunkPoints = 1024;

    private readonly RunDetail _run;
    private readonly SeriesInfo _series;

    public static Props Props(CrawlContext context, RunDetail run, SeriesInfo series) =>
        Akka.Actor.Props.Create(() => new SeriesFetchActor(context, run, series));

    public SeriesFetchActor(CrawlContext context, RunDetail run, SeriesInfo series)
    {
        _run = run;
        _series = series;
        var source = context.Source;
        var writer = context.Writer;
        var progress = context.Progress;
        var settings = context.Settings;
        PipeWork(ct => StreamAsync(source, writer, progress, settings, run, series, ct));
    }

    protected override void OnWorkDone(object result)
    {
        switch (result)
        {
            case SeriesIndexEntry entry:
                Context.Parent.Tell(new SeriesFetchProtocol.SeriesExported(_run.Path, _series.Key, entry));
                break;
            case Status.Failure failure:
                // A download's endpoint is a presigned URL, so errors from the CSV itself would not say which series.
                var unitFailure = UnitFailure.From(failure.Cause);
                if (!unitFailure.Message.Contains($"'{_series.Key}'", StringComparison.Ordinal))
                    unitFailure = unitFailure with { Message = $"series '{_series.Key}': {unitFailure.Message}" };
                Context.Parent.Tell(new SeriesFetchProtocol.SeriesFailed(_run.Path, _series.Key, unitFailure));
                break;
        }
    }

    internal static async Task<SeriesIndexEntry> StreamAsync(ICrawlSource source, ICrawlDestination writer, IActorRef progress,
        CrawlSettings settings, RunDetail run, SeriesInfo series, CancellationToken unitToken)
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
            try
            {
                var buffer = ArrayPool<SeriesPoint>.Shared.Rent(chunkPoints);
                var filled = 0;
                await foreach (var batch in source.StreamSeriesAsync(run, series, settings.Sample, ct))
                {
                    // The source reuses its batch, so its points are copied into chunks the writer loop owns.
                    for (var taken = 0; taken < batch.Length;)
                    {
                        var count = Math.Min(chunkPoints - filled, batch.Length - taken);
                        batch.Span.Slice(taken, count).CopyTo(buffer.AsSpan(filled));
                        taken += count;
                        filled += count;
                        if (filled < chunkPoints) continue;
                        await chunks.Writer.WriteAsync(new PointChunk(buffer, filled), ct);
                        buffer = ArrayPool<SeriesPoint>.Shared.Rent(chunkPoints);
                        filled = 0;
                    }
                }
                if (filled > 0) await chunks.Writer.WriteAsync(new PointChunk(buffer, filled), ct);
                else ArrayPool<SeriesPoint>.Shared.Return(buffer);
                chunks.Writer.TryComplete();
            }
            catch (Exception ex)
            {
                chunks.Writer.TryComplete(ex);
            }
        }, CancellationToken.None);

        try
        {
            await using var sink = writer.OpenSeries(run.Path, series.Key, settings.Format);
            long count = 0, unreported = 0;
            long? lastStep = null;
            await foreach (var chunk in chunks.Reader.ReadAllAsync(ct))
            {
                for (var i = 0; i < chunk.Count; i++)
                {
                    var point = chunk.Points[i];
                    if (lastStep is { } previous && point.Step <= previous)
                        throw new SeriesIncompleteException(
                            $"{run.Path} series '{series.Key}': step {point.Step} after step {previous} (steps must increase)");
                    await sink.WriteAsync(point, ct);
                    lastStep = point.Step;
                }
                count += chunk.Count;
                unreported += chunk.Count;
                ArrayPool<SeriesPoint>.Shared.Return(chunk.Points);
                if (unreported >= ProgressBatch)
                {
                    progress.Tell(new CrawlEvent.PointsWritten(unreported, run.Path));
                    unreported = 0;
                }
            }
            CheckComplete(run, series, settings.Sample, count, lastStep);
            var file = await sink.CompleteAsync(ct);
            if (unreported > 0) progress.Tell(new CrawlEvent.PointsWritten(unreported, run.Path));
            return new SeriesIndexEntry(series.Key, file, series.ExpectedPoints, series.LastStep);
        }
        finally
        {
            // Whatever ended the writer loop, the producer must not stay blocked on a full channel.
            await loops.CancelAsync();
            await producer;
        }
    }

    /// <summary>Points [0, Count) of a pooled array; the consumer returns the array to the pool.</summary>
    private readonly record struct PointChunk(SeriesPoint[] Points, int Count);

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
