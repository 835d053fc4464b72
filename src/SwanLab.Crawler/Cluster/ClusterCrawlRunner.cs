using System.Threading.Channels;
using Akka.Actor;
using Akka.Cluster.Tools.PublishSubscribe;
using Akka.Hosting;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using SwanLab.Crawler.Actors;
using SwanLab.Crawler.Backup;
using SwanLab.Crawler.Crawl;
using SwanLab.Crawler.Source;

namespace SwanLab.Crawler.Cluster;

/// <summary>
/// The backup folder or selection cannot be used, as the cluster's coordinator found (exit 2, like the same refusal
/// of a one-process export); the message is the coordinator's.
/// </summary>
public sealed class ClusterCrawlRefusedException(string message) : ArgumentException(message);

/// <summary>This node left the cluster (downed, or its actor system stopped) before the crawl ended.</summary>
public sealed class ClusterNodeLeftException(string message) : InvalidOperationException(message);

/// <summary>
/// The edge of a cluster crawl on one node: starts this node (remoting, cluster, shard region, coordinator singleton
/// manager) on a generic host, waits until the coordinator says the crawl ended, and returns the same result (or
/// throws the same exceptions) as <see cref="CrawlRunner.RunAsync(CrawlSettings, ICrawlSource, ChannelWriter{CrawlEvent}?, CancellationToken, IEnumerable{string}?)"/>,
/// on every node: every node's CLI exits with the crawl's exit code. Progress reaches <paramref name="events"/> on the
/// node holding the coordinator. Ctrl+C (<c>ct</c>) makes this node leave the cluster gracefully (its runs are
/// re-homed on the others, the coordinator moves if it was here) and returns a Cancelled result.
/// </summary>
public static class ClusterCrawlRunner
{
    private static readonly TimeSpan LeaveTimeout = TimeSpan.FromSeconds(10);

    /// <exception cref="SourceAuthenticationException">The server rejected the credentials (exit code 3).</exception>
    /// <exception cref="CrawlAbortedException">The crawl could not go on at all.</exception>
    /// <exception cref="ClusterCrawlRefusedException">The folder or selection cannot be used (exit code 2).</exception>
    /// <exception cref="ClusterNodeLeftException">This node was removed from the cluster before the end.</exception>
    public static Task<CrawlResult> RunAsync(CrawlSettings settings, ICrawlSource source, ChannelWriter<CrawlEvent>? events,
        CancellationToken ct, IEnumerable<string>? secrets = null) =>
        RunAsync(settings, source, events, ClusterTimings.Default, ct, secrets);

    /// <summary>The same with the cluster's timings given (tests tighten failure detection).</summary>
    public static Task<CrawlResult> RunAsync(CrawlSettings settings, ICrawlSource source, ChannelWriter<CrawlEvent>? events,
        ClusterTimings timings, CancellationToken ct, IEnumerable<string>? secrets = null) =>
        RunAsync(settings, source, events, timings, ct, secrets, configure: null, started: null);

    /// <param name="configure">More of the node's configuration (tests: how its actor system stops).</param>
    /// <param name="started">Told this node's actor system once it runs (tests stop it abruptly).</param>
    internal static async Task<CrawlResult> RunAsync(CrawlSettings settings, ICrawlSource source, ChannelWriter<CrawlEvent>? events,
        ClusterTimings timings, CancellationToken ct, IEnumerable<string>? secrets, Action<AkkaConfigurationBuilder>? configure,
        Action<ActorSystem>? started)
    {
        ArgumentNullException.ThrowIfNull(settings);
        ArgumentNullException.ThrowIfNull(source);
        var cluster = settings.Cluster ?? throw new ArgumentException("not a cluster crawl: CrawlSettings.Cluster is null", nameof(settings));
        CrawlScopes.Build(settings); // malformed selections fail here, on every node, before joining
        var layout = new BackupLayout(settings.OutputDirectory);
        var node = new NodeServices(settings, source, new BackupWriter(layout, settings.Format, settings.Sample));

        var builder = Host.CreateEmptyApplicationBuilder(new HostApplicationBuilderSettings());
        builder.Services.AddSingleton<IHostLifetime, CrawlRunner.EdgeOwnedLifetime>();
        builder.Services.AddAkka(ClusterSettings.SystemName, (akka, _) =>
        {
            akka.AddCrawlClusterNode(cluster, node, events, (secrets ?? []).ToList(), timings);
            configure?.Invoke(akka);
        });
        using var host = builder.Build();
        await host.StartAsync(CancellationToken.None);
        var system = host.Services.GetRequiredService<ActorSystem>();
        started?.Invoke(system);
        var registry = host.Services.GetRequiredService<ActorRegistry>();
        var progress = registry.Get<ProgressPublisherActor>();
        var ended = new TaskCompletionSource<ClusterCrawlProtocol.CrawlEnded>(TaskCreationOptions.RunContinuationsAsynchronously);
        system.ActorOf(CrawlEndListener.Props(registry.Get<DistributedPubSub>(), registry.Get<CrawlCoordinator>(), ended),
            "crawl-end");
        try
        {
            var cancelled = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            await using var onCancel = ct.Register(() => cancelled.TrySetResult());
            var first = await Task.WhenAny(ended.Task, system.WhenTerminated, cancelled.Task);
            if (first == cancelled.Task && !ended.Task.IsCompleted)
                return new CrawlResult(0, 0, 0, 0, 0, 0, 0, Complete: false, Cancelled: true, []);
            if (!ended.Task.IsCompleted)
                throw new ClusterNodeLeftException("this node was removed from the crawl cluster before the crawl finished " +
                                                   "(the others go on without it); run the command again to rejoin");
            return await ended.Task switch
            {
                { Refused: true, Message: var message } => throw new ClusterCrawlRefusedException(message ?? "refused"),
                { AbortKind: "auth", Message: var message } => throw new SourceAuthenticationException(message ?? "rejected"),
                { AbortKind: { } kind, AbortPath: var path, Message: var message, Result: var partial } =>
                    throw new CrawlAbortedException(path ?? "cluster", kind, message ?? "", partial ?? Empty),
                { Result: { } result } => result,
                _ => throw new InvalidOperationException("the coordinator ended the crawl without a result"),
            };
        }
        finally
        {
            if (!system.WhenTerminated.IsCompleted) await CrawlRunner.DeliverRemainingProgressAsync(progress, events);
            events?.TryComplete();
            // Leaving gracefully hands this node's shards (and the singleton, if here) over to the others.
            using var stopping = new CancellationTokenSource(LeaveTimeout);
            try
            {
                await host.StopAsync(stopping.Token);
            }
            catch (OperationCanceledException)
            {
            }
        }
    }

    private static readonly CrawlResult Empty = new(0, 0, 0, 0, 0, 0, 0, false, false, []);

}

/// <summary>
/// Hears the end of the crawl on this node: subscribed to the coordinator's topic, and registered with the coordinator
/// itself (through the singleton proxy) in case the subscription has not spread yet. Completes the edge's task.
/// On failure: nothing it does can fail; it is restarted by the default strategy and subscribes again.
/// </summary>
internal sealed class CrawlEndListener : ReceiveActor
{
    public static Props Props(IActorRef mediator, IActorRef coordinator, TaskCompletionSource<ClusterCrawlProtocol.CrawlEnded> ended) =>
        Akka.Actor.Props.Create(() => new CrawlEndListener(mediator, coordinator, ended));

    public CrawlEndListener(IActorRef mediator, IActorRef coordinator, TaskCompletionSource<ClusterCrawlProtocol.CrawlEnded> ended)
    {
        mediator.Tell(new Subscribe(ClusterCrawlProtocol.EndTopic, Self));
        coordinator.Tell(new ClusterCrawlProtocol.AwaitCrawlEnd(Self));
        Receive<SubscribeAck>(_ => { });
        Receive<ClusterCrawlProtocol.CrawlEnded>(e => ended.TrySetResult(e));
    }
}
