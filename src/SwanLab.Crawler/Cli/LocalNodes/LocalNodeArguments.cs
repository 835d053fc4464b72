using System.Globalization;

namespace SwanLab.Crawler.Cli.LocalNodes;

/// <summary>
/// The command line of each extra node <c>--nodes N</c> starts: the user's own arguments, minus what only this
/// process does (start more nodes, the demo server, the view site) and minus the API key (children get it through
/// their environment, so it never shows in a process list), plus the child's loopback address and this node as seed.
/// </summary>
internal static class LocalNodeArguments
{
    /// <summary>Hidden flag of a child: read from the demo server its parent started (recorded as the demo source).</summary>
    public const string DemoServerFlag = "--demo-server";

    public const string LoopbackHost = "127.0.0.1";

    static readonly HashSet<string> DroppedWithValue = new(StringComparer.Ordinal)
    {
        "--nodes", "--cluster-host", "--cluster-port", "--seed-node", "--api-key", "--from-api-key", "--to-api-key", DemoServerFlag,
    };

    static readonly HashSet<string> DroppedSwitches = new(StringComparer.Ordinal) { "--demo", "--view" };

    /// <param name="args">The parent's arguments from the command name on (e.g. "export", "--out", "b", "--nodes", "3").</param>
    /// <param name="port">The child's cluster port.</param>
    /// <param name="seedPort">The parent's cluster port: every child joins it.</param>
    /// <param name="demoServer">The parent's demo server, when it exports from one.</param>
    public static IReadOnlyList<string> ForChild(IReadOnlyList<string> args, int port, int seedPort, string? demoServer)
    {
        var child = new List<string>();
        for (var i = 0; i < args.Count; i++)
        {
            var arg = args[i];
            var name = OptionName(arg);
            if (DroppedWithValue.Contains(name))
            {
                // "--flag value" drops the next token too; "--flag=value" is one token.
                if (name.Length == arg.Length && i + 1 < args.Count) i++;
                continue;
            }
            if (DroppedSwitches.Contains(name)) continue;
            child.Add(arg);
        }
        child.AddRange(["--cluster-host", LoopbackHost, "--cluster-port", Text(port), "--seed-node", $"{LoopbackHost}:{Text(seedPort)}"]);
        if (demoServer is not null) child.AddRange([DemoServerFlag, demoServer]);
        return child;
    }

    /// <summary>The variables a child gets on top of this process's own environment.</summary>
    public static IReadOnlyDictionary<string, string> ChildEnvironment(string? apiKey)
    {
        var variables = new Dictionary<string, string>(StringComparer.Ordinal) { [ParentWatch.Variable] = ParentWatch.StandardInput };
        if (!string.IsNullOrEmpty(apiKey)) variables["SWANLAB_API_KEY"] = apiKey;
        return variables;
    }

    static string OptionName(string arg)
    {
        if (!arg.StartsWith("--", StringComparison.Ordinal)) return arg;
        var end = arg.IndexOfAny(['=', ':']);
        return end < 0 ? arg : arg[..end];
    }

    static string Text(int value) => value.ToString(CultureInfo.InvariantCulture);
}
