using System.Threading.Channels;
using SwanLab.Crawler.Configuration;
using SwanLab.Crawler.Crawl;
using SwanLab.Crawler.Source;

namespace SwanLab.Crawler.Cli;

/// <summary>
/// Wires the CLI to SwanLab.Client, the crawl, the emulator and the backup readers.
/// Placeholder until those pieces land on main; each member says which piece it waits for.
/// </summary>
internal sealed class ProductionBackend : ICrawlerBackend
{
    public Task<DemoServer> StartDemoAsync(CancellationToken ct) => throw Pending("the emulator (EmulatorServer)");
    public Task<ConnectedSource> ConnectAsync(ConnectionSettings connection, CancellationToken ct) => throw Pending("SwanLab.Client");
    public Task<PlanView> PlanAsync(CrawlSettings settings, ICrawlSource source, CancellationToken ct) => throw Pending("CrawlPlanner");
    public Task<CrawlResult> RunAsync(CrawlSettings settings, ICrawlSource source, ChannelWriter<CrawlEvent> events, CancellationToken ct) =>
        throw Pending("CrawlRunner");
    public Task<StatusView> ReadStatusAsync(string backupFolder, CancellationToken ct) => throw Pending("BackupStatusReader");
    public Task<VerifyView> VerifyAsync(string backupFolder, CancellationToken ct) => throw Pending("BackupVerifier");

    static NotSupportedException Pending(string piece) => new($"this build does not include {piece} yet");
}
