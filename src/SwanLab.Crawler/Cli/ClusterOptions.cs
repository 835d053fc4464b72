using System.CommandLine;
using SwanLab.Crawler.Configuration;

namespace SwanLab.Crawler.Cli;

/// <summary>The cluster-mode options of export and migrate (fresh per command tree).</summary>
internal sealed class ClusterOptions
{
    public readonly Option<string?> Host = new("--cluster-host")
    {
        Description = "Cluster mode: the address other nodes reach this one at, e.g. 10.0.0.1. Default: cluster.host; env SWANLAB_CRAWLER_CLUSTER_HOST; 127.0.0.1 when every seed is on this machine, else this machine's name.",
        HelpName = "HOST",
    };
    public readonly Option<int?> Port = OptionValues.WholeNumber(new("--cluster-port")
    {
        Description = $"Cluster mode: this node's TCP port (0 = any free one). Default: cluster.port; env SWANLAB_CRAWLER_CLUSTER_PORT; {ClusterSettingsResolver.DefaultSeedPort} for a node without --seed-node (it forms the cluster), else 0.",
        HelpName = "PORT",
    });
    public readonly Option<string[]> SeedNodes = new("--seed-node")
    {
        Description = "Cluster mode: a node to join, HOST:PORT; repeatable (the first one forms the cluster). Every node runs the same command into the same --out folder. Default: cluster.seed-nodes; env SWANLAB_CRAWLER_CLUSTER_SEED_NODES (comma separated). Example: --seed-node 10.0.0.1:4053",
        HelpName = "HOST:PORT",
    };
    public readonly Option<int?> Nodes = OptionValues.WholeNumber(new("--nodes")
    {
        Description = "Start N-1 more crawler processes on this machine (127.0.0.1, consecutive ports from --cluster-port), all joined to this one, their output in DIR/.swanlab-crawler/node-<i>.log; this process shows the progress. Example: --nodes 3",
        HelpName = "N",
    });

    public IEnumerable<Option> All => [Host, Port, SeedNodes, Nodes];

    public ClusterFlags Read(ParseResult parse) =>
        new(parse.GetValue(Host), parse.GetValue(Port), parse.GetValue(SeedNodes) ?? []);

    public int? ReadNodes(ParseResult parse) => parse.GetValue(Nodes);
}
