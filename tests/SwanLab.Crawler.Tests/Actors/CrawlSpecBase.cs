using System.Threading.Channels;
using Akka.Actor;
using SwanLab.Crawler.Actors;
using SwanLab.Crawler.Backup;
using SwanLab.Crawler.Crawl;
using Xunit.Abstractions;

namespace SwanLab.Crawler.Tests.Actors;

/// <summary>Runs a whole crawl tree inside the TestKit's actor system against a scripted source.</summary>
public abstract class CrawlSpecBase : Akka.TestKit.Xunit2.TestKit, IDisposable
{
    protected string Root { get; } = Path.Combine(Path.GetTempPath(), "swanlab-crawl-spec-" + Guid.NewGuid().ToString("N"));

    protected CrawlSpecBase(ITestOutputHelper output) : base("akka.loglevel = WARNING", output: output)
    {
        Directory.CreateDirectory(Root);
    }

    protected CrawlSettings Settings(Func<CrawlSettings, CrawlSettings>? change = null)
    {
        var settings = new CrawlSettings
        {
            OutputDirectory = Root,
            RunConcurrency = 4,
            SeriesConcurrency = 4,
            ChannelCapacity = 2,
            MaxUnitAttempts = 3,
            UnitBackoffMin = TimeSpan.FromMilliseconds(1),
            UnitBackoffMax = TimeSpan.FromMilliseconds(20),
        };
        return change is null ? settings : change(settings);
    }

    /// <summary>Starts a crawl and returns the supervisor's answer (CrawlFinished or CrawlAborted).</summary>
    protected object Crawl(CrawlSettings settings, ScriptedSource source, IBackupWriter writer, ICheckpointStore store,
        ChannelWriter<CrawlEvent>? events = null, Action<IActorRef>? whileRunning = null)
    {
        var checkpoint = Sys.ActorOf(CheckpointWriterActor.Props(store));
        var progress = Sys.ActorOf(ProgressPublisherActor.Props(events));
        var supervisor = Sys.ActorOf(CrawlSupervisor.Props(settings, source, writer, checkpoint, progress));
        var probe = CreateTestProbe();
        supervisor.Tell(CrawlProtocol.StartCrawl.Instance, probe.Ref);
        whileRunning?.Invoke(supervisor);
        var answer = probe.ExpectMsg<object>(TimeSpan.FromSeconds(30));
        if (events is not null)
        {
            var remainder = progress.Ask<ProgressProtocol.ProgressRemainder>(ProgressProtocol.TakeRemainder.Instance,
                TimeSpan.FromSeconds(5)).GetAwaiter().GetResult();
            foreach (var e in remainder.Events) events.WriteAsync(e).AsTask().GetAwaiter().GetResult();
        }
        Sys.Stop(checkpoint);
        Sys.Stop(progress);
        return answer;
    }

    protected CrawlResult CrawlToEnd(CrawlSettings settings, ScriptedSource source, IBackupWriter writer, ICheckpointStore store,
        ChannelWriter<CrawlEvent>? events = null)
    {
        var answer = Crawl(settings, source, writer, store, events);
        return Assert.IsType<CrawlProtocol.CrawlFinished>(answer).Result;
    }

    protected IEnumerable<string> TempFiles() =>
        Directory.EnumerateFiles(Root, "*.tmp", SearchOption.AllDirectories);

    public new void Dispose()
    {
        base.Dispose();
        try { Directory.Delete(Root, recursive: true); } catch (IOException) { }
        GC.SuppressFinalize(this);
    }
}
