using SwanLab.Crawler.Cluster;
using SwanLab.Crawler.Crawl;
using SwanLab.Crawler.Tests.Actors;
using Xunit.Abstractions;

namespace SwanLab.Crawler.Tests.Cluster;

/// <summary>The one-process crawl tree (what import and migrate run) refuses cluster settings instead of ignoring them.</summary>
public sealed class OneProcessCrawlSpecs(ITestOutputHelper output) : CrawlSpecBase(output)
{
    [Fact]
    public async Task Should_refuse_cluster_settings_where_only_one_process_would_crawl()
    {
        var source = new ScriptedSource();
        source.AddRun("alice", "mnist", "run-1");
        var settings = Settings() with { Cluster = new ClusterSettings("127.0.0.1", 4053, ["127.0.0.1:4053"]) };

        var refused = await Assert.ThrowsAsync<ArgumentException>(() => CrawlRunner.RunAsync(settings, source,
            new TestBackupWriter(Root), new VerifyingCheckpointStore(Root), null, CancellationToken.None));

        Assert.Contains("only built for export", refused.Message, StringComparison.Ordinal);
        Assert.Equal(0, source.TotalDetailCalls);
    }
}
