using System.Threading.Channels;
using Akka.Actor;
using Akka.Hosting;
using SwanLab.Crawler.Actors;
using SwanLab.Crawler.Backup;

namespace SwanLab.Crawler.Crawl;

/// <summary>Akka.Hosting registration of the crawl's actors, one extension per top-level actor.</summary>
public static class CrawlerHosting
{
    /// <summary>
    /// Akka's own chatter would garble the console; warnings go through Microsoft.Extensions.Logging.
    /// The CLR shutdown hook is off because Akka's hook registers SIGINT/SIGTERM handlers that terminate the actor
    /// system at once: the crawl supervisor then never hears CancelCrawl, nothing drains or flushes, and the edge
    /// waits out its grace periods (measured: ~20 s from SIGTERM to exit). The CLI owns the signals and cancels the
    /// crawl, which drains and stops the actor system itself.
    /// </summary>
    internal const string QuietHocon = """
        akka {
          loglevel = WARNING
          stdout-loglevel = OFF
          log-dead-letters = off
          log-dead-letters-during-shutdown = off
          log-config-on-start = off
          coordinated-shutdown.run-by-clr-shutdown-hook = off
        }
        """;

    /// <summary>Everything one crawl needs: checkpoint writer, progress publisher and the crawl supervisor.</summary>
    public static AkkaConfigurationBuilder AddCrawler(this AkkaConfigurationBuilder builder, CrawlSettings settings,
        CrawlServices parts)
    {
        builder.AddHocon(QuietHocon, HoconAddMode.Prepend);
        return builder
            .AddCheckpointWriterActor(parts.Checkpoint)
            .AddProgressPublisherActor(parts.Events)
            .AddCrawlSupervisor(settings, parts);
    }

    public static AkkaConfigurationBuilder AddCheckpointWriterActor(this AkkaConfigurationBuilder builder,
        ICheckpointStore store)
    {
        builder.WithActors((system, registry) =>
            registry.Register<CheckpointWriterActor>(system.ActorOf(CheckpointWriterActor.Props(store), "checkpoint")));
        return builder;
    }

    public static AkkaConfigurationBuilder AddProgressPublisherActor(this AkkaConfigurationBuilder builder,
        ChannelWriter<CrawlEvent>? events)
    {
        builder.WithActors((system, registry) =>
            registry.Register<ProgressPublisherActor>(system.ActorOf(ProgressPublisherActor.Props(events), "progress")));
        return builder;
    }

    public static AkkaConfigurationBuilder AddCrawlSupervisor(this AkkaConfigurationBuilder builder,
        CrawlSettings settings, CrawlServices parts)
    {
        builder.WithActors((system, registry) =>
        {
            var supervisor = system.ActorOf(CrawlSupervisor.Props(settings, parts.Source, parts.Writer,
                registry.Get<CheckpointWriterActor>(), registry.Get<ProgressPublisherActor>()), "crawl");
            registry.Register<CrawlSupervisor>(supervisor);
        });
        return builder;
    }
}

/// <summary>The services one crawl reads from and writes to; the channel (if any) receives progress.</summary>
public sealed record CrawlServices(Source.ICrawlSource Source, ICrawlDestination Writer, ICheckpointStore Checkpoint,
    ChannelWriter<CrawlEvent>? Events);
