using Akka.Actor;
using SwanLab.Crawler.Backup;
using SwanLab.Crawler.Crawl;
using SwanLab.Crawler.Source;

namespace SwanLab.Crawler.Actors;

/// <summary>
/// What every unit actor of one crawl needs, handed down by Props: settings, the thread-safe source and writer
/// services, and references to the crawl's shared actors. Immutable; holds no per-run state.
/// </summary>
/// <param name="Dispatch">
/// Where a run attempt executes: null = in this process (<see cref="LocalRunDispatch"/>); a cluster crawl gives one
/// that sends the attempt to the node owning the run.
/// </param>
public sealed record CrawlContext(
    CrawlSettings Settings,
    ICrawlSource Source,
    ICrawlDestination Writer,
    IActorRef Supervisor,
    IActorRef Checkpoint,
    IActorRef Progress,
    IActorRef RunSlots,
    IActorRef SeriesSlots,
    IRunDispatch? Dispatch = null)
{
    /// <summary>The dispatch in force: the given one, else this process.</summary>
    public IRunDispatch RunDispatch => Dispatch ?? LocalRunDispatch.Instance;
}

/// <summary>
/// The seam between a project and where its runs are exported. A project spawns one child per run attempt with
/// these Props; the child must behave like a <see cref="RunExportActor"/> towards its parent: exactly one
/// <see cref="RunExportProtocol.RunExported"/> or <see cref="RunExportProtocol.RunExportFailed"/>, or stopping without
/// one (a crash, counted as a failed attempt). What happens behind the child (this process, another node) is the
/// dispatch's business.
/// </summary>
public interface IRunDispatch
{
    Props AttemptProps(CrawlContext context, RunSummary run, int attempt, CheckpointEntry? previous);
}

/// <summary>Runs are exported in this process: the attempt child is the <see cref="RunExportActor"/> itself.</summary>
public sealed class LocalRunDispatch : IRunDispatch
{
    public static LocalRunDispatch Instance { get; } = new();

    private LocalRunDispatch()
    {
    }

    public Props AttemptProps(CrawlContext context, RunSummary run, int attempt, CheckpointEntry? previous) =>
        RunExportActor.Props(context, run, attempt, previous);
}
