using System.Globalization;
using System.Net;
using SwanLab.Crawler.Cluster;

namespace SwanLab.Crawler.Configuration;

/// <summary>What the user typed for cluster mode (null / empty = not given).</summary>
internal sealed record ClusterFlags(string? Host, int? Port, IReadOnlyList<string> SeedNodes)
{
    public static ClusterFlags None { get; } = new(null, null, []);
}

/// <summary>
/// Turns cluster.host/port/seed-nodes (file &lt; SWANLAB_CRAWLER_CLUSTER_* &lt; --cluster-host/--cluster-port/--seed-node)
/// into <see cref="ClusterSettings"/>: null when none is given (one process), else a checked node address and seeds.
/// </summary>
internal static class ClusterSettingsResolver
{
    /// <summary>The port a node that forms a cluster (no seed given) listens on when none is named.</summary>
    public const int DefaultSeedPort = 4053;

    public static ClusterSettings? Resolve(SettingsLayer s)
    {
        if (s.ClusterHost is null && s.ClusterPort is null && s.ClusterSeedNodes is not { Count: > 0 })
            return null;
        var seeds = (s.ClusterSeedNodes ?? []).Select(Seed).ToList();
        var host = s.ClusterHost is { } h ? Host(h, "cluster host (--cluster-host, SWANLAB_CRAWLER_CLUSTER_HOST or cluster.host)")
            : seeds.Count > 0 && seeds.All(IsLoopback) ? "127.0.0.1"
            : seeds.Count > 0 ? Dns.GetHostName()
            : "127.0.0.1";
        var port = s.ClusterPort ?? (seeds.Count == 0 ? DefaultSeedPort : 0);
        if (port is < 0 or > 65535)
            throw new SettingsException($"cluster port {port} is out of range: give 1-65535, or 0 for any free one (--cluster-port, SWANLAB_CRAWLER_CLUSTER_PORT or cluster.port).");
        if (seeds.Count == 0)
        {
            if (port == 0)
                throw new SettingsException("cluster port 0 with no seed node: a node that forms the cluster needs a fixed port the others can join. Give --cluster-port N, or --seed-node HOST:PORT to join a cluster.");
            // Without seeds this node is the cluster's first: it seeds itself and the others name it as their seed.
            seeds.Add(Format(host, port));
        }
        return new ClusterSettings(host, port, seeds.Distinct(StringComparer.OrdinalIgnoreCase).ToList());
    }

    /// <summary>"host:port" or "[v6]:port", port 1-65535; the canonical "host:port" back.</summary>
    public static string Seed(string text)
    {
        var value = text.Trim();
        var colon = value.LastIndexOf(':');
        string Problem(string why) =>
            $"seed node '{text}' {why}: give HOST:PORT, e.g. --seed-node 10.0.0.1:{DefaultSeedPort} (also SWANLAB_CRAWLER_CLUSTER_SEED_NODES, cluster.seed-nodes).";
        if (colon <= 0 || colon == value.Length - 1)
            throw new SettingsException(Problem("is not HOST:PORT"));
        var host = value[..colon];
        if (host.Contains(':', StringComparison.Ordinal) && !(host.StartsWith('[') && host.EndsWith(']')))
            throw new SettingsException(Problem("is not HOST:PORT (write an IPv6 address in brackets, e.g. [::1]:4053)"));
        if (!int.TryParse(value[(colon + 1)..], NumberStyles.None, CultureInfo.InvariantCulture, out var port) || port is < 1 or > 65535)
            throw new SettingsException(Problem("has no usable port (its port must be 1-65535)"));
        return Format(Host(host.Trim('[', ']'), $"seed node '{text}'"), port);
    }

    static string Host(string text, string what)
    {
        var host = text.Trim();
        if (host.Length == 0 || host.Any(c => char.IsWhiteSpace(c) || c is '/' or '@' or '#' or '?')
            || (!IPAddress.TryParse(host, out _) && Uri.CheckHostName(host) == UriHostNameType.Unknown))
            throw new SettingsException($"{what}: '{text}' is not a host name or IP address.");
        return host;
    }

    static string Format(string host, int port) =>
        host.Contains(':', StringComparison.Ordinal) ? $"[{host}]:{port}" : $"{host}:{port}";

    static bool IsLoopback(string seed)
    {
        var host = seed[..seed.LastIndexOf(':')].Trim('[', ']');
        return host.Equals("localhost", StringComparison.OrdinalIgnoreCase) || (IPAddress.TryParse(host, out var ip) && IPAddress.IsLoopback(ip));
    }
}
