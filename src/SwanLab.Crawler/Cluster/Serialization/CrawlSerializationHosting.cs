using Akka.Hosting;

namespace SwanLab.Crawler.Cluster.Serialization;

/// <summary>Akka.Hosting registration of the cross-node serializer.</summary>
public static class CrawlSerializationHosting
{
    /// <summary>Binds <see cref="CrawlJsonSerializer"/> to every <see cref="ICrawlClusterMessage"/>.</summary>
    public static AkkaConfigurationBuilder AddCrawlClusterSerializer(this AkkaConfigurationBuilder builder) =>
        builder.WithCustomSerializer(CrawlJsonSerializer.Name, [typeof(ICrawlClusterMessage)],
            system => new CrawlJsonSerializer(system));
}
