namespace SwanLab.Crawler.Cluster.Serialization;

/// <summary>
/// Marks a message that may cross from one cluster node to another. Such messages (and everything they hold) are
/// serialized by the crawl's own System.Text.Json serializer, which keeps JsonElement payloads and records intact
/// where Akka's default Newtonsoft serializer would not.
/// </summary>
public interface ICrawlClusterMessage;
