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
/// <see cref="ICrawlSource.StreamSeriesAsync"/> into a bounded <see cref="Channel{T}"/> (capacity
/// <see cref="CrawlSettings.ChannelCapacity"/>), a writer loop drains it into the <see cref="ISeriesSink"/>, so a slow
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
                Context.Parent.Tell(new SeriesFetchProtocol.SeriesFailed(_run.Path, _series.Key, UnitFailure.From(failure.Cause)));
                break;
        }
    }

    internal static async Task<SeriesIndexEntry> StreamAsync(ICrawlSource source, IBackupWriter writer, IActorRef progress,
        CrawlSettings settings, RunDetail run, SeriesInfo series, CancellationToken unitToken)
    {
        using var loops = CancellationTokenSource.CreateLinkedTokenSource(unitToken);
        var ct = loops.Token;
        var points = Channel.CreateBounded<SeriesPoint>(new BoundedChannelOptions(Math.Max(1, settings.ChannelCapacity))
        {
            SingleReader = true,
            SingleWriter = true,
            FullMode = BoundedChannelFullMode.Wait,
        });
        var producer = Task.Run(async () =>
        {
            try
            {
                await foreach (var point in source.StreamSeriesAsync(run, series.Key, settings.Sample, ct))
                    await points.Writer.WriteAsync(point, ct);
                points.Writer.TryComplete();
            }
            catch (Exception ex)
            {
                points.Writer.TryComplete(ex);
            }
        }, CancellationToken.None);

        try
        {
            await using var sink = writer.OpenSeries(run.Path, series.Key, settings.Format);
            long count = 0, unreported = 0;
            long? lastStep = null;
            await foreach (var point in points.Reader.ReadAllAsync(ct))
            {
                if (lastStep is { } previous && point.Step <= previous)
                    throw new SeriesIncompleteException(
                        $"{run.Path} series '{series.Key}': step {point.Step} after step {previous} (steps must increase)");
                await sink.WriteAsync(point, ct);
                lastStep = point.Step;
                count++;
                if (++unreported >= ProgressBatch)
                {
                    progress.Tell(new CrawlEvent.PointsWritten(unreported));
                    unreported = 0;
                }
            }
            CheckComplete(run, series, settings.Sample, count, lastStep);
            var file = await sink.CompleteAsync(ct);
            if (unreported > 0) progress.Tell(new CrawlEvent.PointsWritten(unreported));
            return new SeriesIndexEntry(series.Key, file, series.ExpectedPoints, series.LastStep);
        }
        finally
        {
            // Whatever ended the writer loop, the producer must not stay blocked on a full channel.
            await loops.CancelAsync();
            await producer;
        }
    }

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
