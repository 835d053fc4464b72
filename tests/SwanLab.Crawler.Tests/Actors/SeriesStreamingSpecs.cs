using System.Runtime.CompilerServices;
using System.Text.Json;
using Akka.Actor;
using SwanLab.Crawler.Actors;
using SwanLab.Crawler.Backup;
using SwanLab.Crawler.Crawl;
using SwanLab.Crawler.Source;

namespace SwanLab.Crawler.Tests.Actors;

/// <summary>The download-to-disk loop of <see cref="SeriesFetchActor"/>, without an actor system around it.</summary>
public sealed class SeriesStreamingSpecs : IDisposable
{
    private readonly string _dir = Path.Combine(Path.GetTempPath(), "series-streaming-" + Guid.NewGuid().ToString("N"));

    public void Dispose()
    {
        if (Directory.Exists(_dir)) Directory.Delete(_dir, recursive: true);
    }

    [Theory]
    [InlineData(700, 1000)]    // batches smaller than a chunk, and not a divisor of it
    [InlineData(2500, 1000)]   // batches spanning several chunks
    [InlineData(3, 1)]         // a channel of one point
    public async Task Should_write_every_point_in_order_when_the_source_reuses_its_batch_buffer(int batchSize, int channelCapacity)
    {
        var points = Enumerable.Range(0, 10_007).Select(i => new SeriesPoint(i * 2, i / 7.0, 1_700_000_000_000 + i)).ToArray();
        var source = new ReusingBatchSource(points, batchSize);
        var layout = new BackupLayout(_dir);
        var writer = new BackupWriter(layout, SeriesFormat.Csv, sample: null);
        var settings = new CrawlSettings { OutputDirectory = _dir, ChannelCapacity = channelCapacity };
        var run = ReusingBatchSource.Run;

        var entry = Assert.Single(await SeriesFetchActor.StreamAsync(source, writer, ActorRefs.Nobody, settings, run,
            [new SeriesInfo("train/loss", points.Length, points[^1].Step)], CancellationToken.None));

        var read = new List<SeriesPoint>();
        await foreach (var point in SeriesFileReader.ReadAsync(Path.Combine(_dir, entry.File.RelativePath), CancellationToken.None))
            read.Add(point);
        Assert.Equal(points, read);
        Assert.Equal(points.Length, entry.File.Points);
    }

    [Theory]
    [InlineData(300, 1000)]
    [InlineData(1500, 64)]
    public async Task Should_split_interleaved_batches_of_several_series_into_one_file_each(int batchSize, int channelCapacity)
    {
        // Series of different lengths and step patterns, as one multi-key export delivers them: interleaved.
        var series = Enumerable.Range(0, 5).Select(s =>
            Enumerable.Range(0, 2_000 + (s * 777)).Select(i => new SeriesPoint((i * (s + 1)) + s, (i * 0.5) - s, 1_700_000_000_000 + i)).ToArray()).ToArray();
        var source = new ReusingBatchSource(series, batchSize);
        var layout = new BackupLayout(_dir);
        var writer = new BackupWriter(layout, SeriesFormat.Csv, sample: null);
        var settings = new CrawlSettings { OutputDirectory = _dir, ChannelCapacity = channelCapacity };
        var infos = series.Select((points, s) => new SeriesInfo("key" + s, points.Length, points[^1].Step)).ToList();

        var entries = await SeriesFetchActor.StreamAsync(source, writer, ActorRefs.Nobody, settings, ReusingBatchSource.Run, infos, CancellationToken.None);

        Assert.Equal(infos.Select(i => i.Key), entries.Select(e => e.Key));
        for (var s = 0; s < series.Length; s++)
        {
            var read = new List<SeriesPoint>();
            await foreach (var point in SeriesFileReader.ReadAsync(Path.Combine(_dir, entries[s].File.RelativePath), CancellationToken.None))
                read.Add(point);
            Assert.Equal(series[s], read);
        }
    }

    /// <summary>Yields the series in batches of one reused array, as the real source does.</summary>
    private sealed class ReusingBatchSource(SeriesPoint[][] allSeries, int batchSize) : ICrawlSource
    {
        public ReusingBatchSource(SeriesPoint[] points, int batchSize) : this([points], batchSize)
        {
        }

        /// <summary>Round-robin over the series, one reused buffer for all, as a multi-key export arrives.</summary>
        public async IAsyncEnumerable<SeriesChunk> StreamSeriesBatchAsync(RunDetail run, IReadOnlyList<SeriesInfo> series, int? sample,
            [EnumeratorCancellation] CancellationToken ct)
        {
            var buffer = new SeriesPoint[batchSize];
            var at = new int[allSeries.Length];
            while (at.Where((position, s) => position < allSeries[s].Length).Any())
            {
                for (var s = 0; s < allSeries.Length; s++)
                {
                    var count = Math.Min(batchSize, allSeries[s].Length - at[s]);
                    if (count <= 0) continue;
                    allSeries[s].AsSpan(at[s], count).CopyTo(buffer);
                    at[s] += count;
                    yield return new SeriesChunk(s, buffer.AsMemory(0, count));
                    Array.Fill(buffer, new SeriesPoint(-1, double.NaN, null));
                    await Task.Yield();
                }
            }
        }

        public static readonly RunDetail Run = new("alice/proj/run1", "run1", "proj-cuid", "run1", "FINISHED",
            "2026-01-01T00:00:00Z", "2026-01-01T01:00:00Z", null, null, JsonDocument.Parse("{}").RootElement);

        public SourceIdentity Identity => new("http://127.0.0.1", "alice", "House");

        public async IAsyncEnumerable<ReadOnlyMemory<SeriesPoint>> StreamSeriesAsync(RunDetail run, SeriesInfo series, int? sample,
            [EnumeratorCancellation] CancellationToken ct)
        {
            var points = allSeries[0];
            var buffer = new SeriesPoint[batchSize];
            for (var at = 0; at < points.Length; at += batchSize)
            {
                var count = Math.Min(batchSize, points.Length - at);
                points.AsSpan(at, count).CopyTo(buffer);
                yield return buffer.AsMemory(0, count);
                // Scribble over the batch once it was handed out: a consumer that kept it instead of copying breaks.
                Array.Fill(buffer, new SeriesPoint(-1, double.NaN, null));
                await Task.Yield();
            }
        }

        public IAsyncEnumerable<WorkspaceInfo> WorkspacesAsync(CancellationToken ct) => throw new NotSupportedException();
        public Task<WorkspaceInfo> WorkspaceAsync(string workspace, CancellationToken ct) => throw new NotSupportedException();
        public IAsyncEnumerable<ProjectInfo> ProjectsAsync(string workspace, CancellationToken ct) => throw new NotSupportedException();
        public Task<ProjectInfo> ProjectAsync(string projectPath, CancellationToken ct) => throw new NotSupportedException();
        public IAsyncEnumerable<RunSummary> RunsAsync(string projectPath, RunFilter filter, CancellationToken ct) => throw new NotSupportedException();
        public Task<RunDetail> RunAsync(string runPath, CancellationToken ct) => throw new NotSupportedException();
        public Task<IReadOnlyList<SeriesInfo>> SeriesAsync(RunDetail run, CancellationToken ct) => throw new NotSupportedException();
        public IAsyncEnumerable<LogLine> LogsAsync(RunDetail run, CancellationToken ct) => throw new NotSupportedException();
        public IAsyncEnumerable<MediaItem> MediaAsync(RunDetail run, CancellationToken ct) => throw new NotSupportedException();
        public Task DownloadMediaAsync(RunDetail run, MediaItem item, Stream destination, CancellationToken ct) => throw new NotSupportedException();
    }
}
