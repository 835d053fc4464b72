using System.Threading.Channels;
using Akka.Actor;
using Akka.Hosting;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using SwanLab.Crawler.Actors;
using SwanLab.Crawler.Backup;
using SwanLab.Crawler.Source;

namespace SwanLab.Crawler.Crawl;

/// <summary>The crawl could not go on (e.g. the account cannot be listed, the backup folder cannot be written).</summary>
public sealed class CrawlAbortedException(string path, string kind, string message, CrawlResult partial)
    : Exception($"{path}: {message}")
{
    public string Path { get; } = path;
    public string Kind { get; } = kind;
    public CrawlResult Partial { get; } = partial;
}

/// <summary>
/// The edge between the command line and the actor system: starts an actor system on a generic host, asks the
/// crawl supervisor to crawl, and returns how it ended. Ctrl+C (<c>ct</c>) stops the crawl cleanly; the result then
/// says <see cref="CrawlResult.Cancelled"/>. The progress channel is completed when this returns.
/// </summary>
public static class CrawlRunner
{
    /// <summary>How long a cancelled crawl may take to drain before the edge stops waiting for it.</summary>
    private static readonly TimeSpan CancelGrace = TimeSpan.FromSeconds(15);
    private static readonly TimeSpan EdgeAskTimeout = TimeSpan.FromSeconds(5);

    /// <summary>
    /// Exports into <see cref="CrawlSettings.OutputDirectory"/>: resumes from its checkpoint (or starts over with
    /// <see cref="CrawlSettings.Restart"/>), and removes temp files a crashed earlier export left behind.
    /// </summary>
    /// <exception cref="SourceAuthenticationException">The server rejected the credentials (exit code 3).</exception>
    /// <exception cref="CrawlAbortedException">The crawl could not go on at all.</exception>
    /// <exception cref="ArgumentException">A --workspace/--project/--run selection is malformed.</exception>
    /// <exception cref="SelectionNotFoundException">A --workspace/--project/--run selection does not exist.</exception>
    /// <exception cref="UnsafePathException">The output folder cannot be used.</exception>
    /// <exception cref="FolderNotABackupException">The output folder holds other files (and AllowNonEmpty is off).</exception>
    /// <exception cref="BackupInUseException">Another process is exporting (or importing) with the same folder.</exception>
    /// <exception cref="OtherSourceException">The folder holds a backup of another server or user (exit code 2).</exception>
    public static async Task<CrawlResult> RunAsync(CrawlSettings settings, ICrawlSource source,
        ChannelWriter<CrawlEvent>? events, CancellationToken ct, IEnumerable<string>? secrets = null)
    {
        ArgumentNullException.ThrowIfNull(settings);
        ArgumentNullException.ThrowIfNull(source);
        await using var session = await BackupSession.OpenAsync(settings, source, secrets, ct);
        return await RunAsync(settings, source, session.Writer, session.Checkpoint, events, ct);
    }

    /// <summary>
    /// The checks of the output folder that need no server (someone else's files; an export already writing into it),
    /// so the command line can refuse at once, before signing in. Writes nothing. The lock itself is taken later, by
    /// <see cref="RunAsync(CrawlSettings, ICrawlSource, ChannelWriter{CrawlEvent}?, CancellationToken, IEnumerable{string}?)"/>.
    /// </summary>
    /// <exception cref="FolderNotABackupException">The folder holds other files (and AllowNonEmpty is off).</exception>
    /// <exception cref="BackupInUseException">A live export is recorded as writing into the folder.</exception>
    public static FolderKind CheckOutputFolder(CrawlSettings settings)
    {
        ArgumentNullException.ThrowIfNull(settings);
        var layout = new BackupLayout(settings.OutputDirectory);
        var kind = BackupFolder.EnsureExportable(layout, settings.AllowNonEmpty);
        // Only a holder this host can see alive refuses early; one on another host is left to the OS lock in Acquire.
        if (BackupLock.RunningWriter(layout) is { IsOnThisHost: true } writer) throw new BackupInUseException(layout, writer, null);
        return kind;
    }

    /// <summary>The same with the storage given explicitly (tests, other stores).</summary>
    /// <exception cref="SourceAuthenticationException">The server rejected the credentials (exit code 3).</exception>
    /// <exception cref="CrawlAbortedException">The crawl could not go on at all.</exception>
    /// <exception cref="ArgumentException">A --workspace/--project/--run selection is malformed.</exception>
    public static async Task<CrawlResult> RunAsync(CrawlSettings settings, ICrawlSource source, ICrawlDestination writer,
        ICheckpointStore checkpoint, ChannelWriter<CrawlEvent>? events, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(settings);
        ArgumentNullException.ThrowIfNull(source);
        // Only export has a cluster engine (ClusterCrawlRunner); running this tree alone on each node would do the
        // work once per node, so a cluster setting here is refused rather than ignored.
        if (settings.Cluster is not null)
            throw new ArgumentException("cluster mode (--cluster-host, --cluster-port, --seed-node) is only built for export so " +
                                        "far; run this command as one process, without them.");
        CrawlScopes.Build(settings); // malformed selections fail here, before anything is started

        var builder = Host.CreateEmptyApplicationBuilder(new HostApplicationBuilderSettings());
        // The CLI owns Ctrl+C (it cancels ct); the host must not shut Akka down under the draining crawl.
        builder.Services.AddSingleton<IHostLifetime, EdgeOwnedLifetime>();
        builder.Services.AddAkka("swanlab-crawler", (akka, _) =>
            akka.AddCrawler(settings, new CrawlServices(source, writer, checkpoint, events)));

        using var host = builder.Build();
        await host.StartAsync(CancellationToken.None);
        var system = host.Services.GetRequiredService<ActorSystem>();
        var registry = host.Services.GetRequiredService<ActorRegistry>();
        var supervisor = registry.Get<CrawlSupervisor>();
        var progress = registry.Get<ProgressPublisherActor>();
        try
        {
            // A crawl may legitimately run for hours, so the Ask is bounded by the caller's cancellation (plus a
            // grace period to drain) instead of a fixed timeout.
            using var abandon = new CancellationTokenSource();
            var answer = supervisor.Ask<object>(CrawlProtocol.StartCrawl.Instance, timeout: null, abandon.Token);
            await using var onCancel = ct.Register(() =>
            {
                supervisor.Tell(CrawlProtocol.CancelCrawl.Instance);
                abandon.CancelAfter(CancelGrace);
            });
            // An actor system that stops under the crawl (a shutdown hook, a crash) can never answer: stop waiting.
            if (await Task.WhenAny(answer, system.WhenTerminated) != answer)
            {
                ct.ThrowIfCancellationRequested();
                throw new InvalidOperationException("the actor system stopped before the crawl finished");
            }
            return await answer switch
            {
                CrawlProtocol.CrawlFinished finished => finished.Result,
                CrawlProtocol.CrawlAborted { Failure.Kind: "auth" } auth =>
                    throw new SourceAuthenticationException(auth.Failure.Message),
                CrawlProtocol.CrawlAborted aborted =>
                    throw new CrawlAbortedException(aborted.Path, aborted.Failure.Kind, aborted.Failure.Message, aborted.Partial),
                var other => throw new InvalidOperationException($"unexpected answer {other.GetType().Name}"),
            };
        }
        finally
        {
            if (!system.WhenTerminated.IsCompleted)
                await DeliverRemainingProgressAsync(progress, events);
            events?.TryComplete();
            // Everything worth keeping is durable by now; do not let a slow actor-system shutdown hold up the exit.
            using var stopping = new CancellationTokenSource(EdgeAskTimeout);
            try
            {
                await host.StopAsync(stopping.Token);
            }
            catch (OperationCanceledException)
            {
            }
        }
    }

    /// <summary>Hands the progress publisher's last events to the edge's channel (both runners end this way).</summary>
    internal static async Task DeliverRemainingProgressAsync(IActorRef progress, ChannelWriter<CrawlEvent>? events)
    {
        if (events is null) return;
        try
        {
            var remainder = await progress.Ask<ProgressProtocol.ProgressRemainder>(
                ProgressProtocol.TakeRemainder.Instance, EdgeAskTimeout);
            using var timeout = new CancellationTokenSource(EdgeAskTimeout);
            foreach (var e in remainder.Events) await events.WriteAsync(e, timeout.Token);
        }
        catch (Exception ex) when (ex is OperationCanceledException or AskTimeoutException or ChannelClosedException)
        {
            // Progress is advisory: a reader that stopped reading must not hold up the end of the crawl.
        }
    }

    /// <summary>A host lifetime that leaves process signals to the caller.</summary>
    internal sealed class EdgeOwnedLifetime : IHostLifetime
    {
        public Task WaitForStartAsync(CancellationToken cancellationToken) => Task.CompletedTask;
        public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;
    }
}
