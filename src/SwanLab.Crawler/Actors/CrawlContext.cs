using Akka.Actor;
using SwanLab.Crawler.Crawl;
using SwanLab.Crawler.Source;

namespace SwanLab.Crawler.Actors;

/// <summary>
/// What every unit actor of one crawl needs, handed down by Props: settings, the thread-safe source and writer
/// services, and references to the crawl's shared actors. Immutable; holds no per-run state.
/// </summary>
public sealed record CrawlContext(
    CrawlSettings Settings,
    ICrawlSource Source,
    ICrawlDestination Writer,
    IActorRef Supervisor,
    IActorRef Checkpoint,
    IActorRef Progress,
    IActorRef RunSlots,
    IActorRef SeriesSlots);
