using System.Globalization;
using System.Text;
using SwanLab.Crawler.Crawl;

namespace SwanLab.Crawler.Configuration;

/// <summary>
/// How to reach the server. The only settings object that holds the API key, and it never prints it.
/// </summary>
internal sealed record ConnectionSettings
{
    /// <summary>Null = let SwanLab.Client resolve it (SWANLAB_API_HOST, the netrc machine, the cloud default).</summary>
    public string? Host { get; init; }
    /// <summary>The host was given without a scheme and https:// was assumed (as the SDK does).</summary>
    public bool HttpsAssumed { get; init; }
    /// <summary>Null = let SwanLab.Client resolve it (SWANLAB_API_KEY, then ~/.swanlab/.netrc).</summary>
    public string? ApiKey { get; init; }
    public TimeSpan HttpTimeout { get; init; } = TimeSpan.FromSeconds(60);
    public int MaxRetries { get; init; } = 5;
    public TimeSpan BackoffBase { get; init; } = TimeSpan.FromMilliseconds(500);
    public TimeSpan BackoffMax { get; init; } = TimeSpan.FromSeconds(30);
    /// <summary>Null = adapt to the server's budget, starting at <see cref="InitialRequestsPerSecond"/> (0: slow start from 100/s until the first 429).</summary>
    public double? RequestsPerSecond { get; init; }
    public double InitialRequestsPerSecond { get; init; }
    /// <summary>
    /// Null = the process environment. Migrate gives each side its own, without SWANLAB_API_KEY/SWANLAB_API_HOST, so
    /// one side's key is never sent to the other host (each side: its flag, its variable, or the netrc entry for it).
    /// </summary>
    public SwanLab.Client.SwanLabEnvironment? ClientEnvironment { get; init; }

    /// <summary>What --host/SWANLAB_API_HOST would show a user: the host, or the client's default.</summary>
    public string DisplayHost => Host ?? "(SWANLAB_API_HOST / ~/.swanlab/.netrc / https://api.swanlab.cn)";

    // Records print every property by default; the key must never reach a log line or an exception message.
    bool PrintMembers(StringBuilder builder)
    {
        builder.Append(CultureInfo.InvariantCulture,
            $"Host = {Host ?? "(default)"}, ApiKey = {(ApiKey is null ? "(from SWANLAB_API_KEY or .netrc)" : "***")}, ");
        builder.Append(CultureInfo.InvariantCulture,
            $"HttpTimeout = {HttpTimeout}, MaxRetries = {MaxRetries}, BackoffBase = {BackoffBase}, BackoffMax = {BackoffMax}, ");
        builder.Append(CultureInfo.InvariantCulture,
            $"RequestsPerSecond = {(RequestsPerSecond?.ToString(CultureInfo.InvariantCulture) ?? "adaptive")}, InitialRequestsPerSecond = {InitialRequestsPerSecond}");
        return true;
    }
}

/// <summary>Everything `export` needs after config file, environment and flags are merged and validated.</summary>
internal sealed record ExportSettings(CrawlSettings Crawl, ConnectionSettings Connection, bool Demo, string ConfigOrigin);

/// <summary>What the user typed on the `export` command line (null / empty = not given).</summary>
internal sealed record ExportFlags
{
    public string? Out { get; init; }
    public string? Host { get; init; }
    public string? ApiKey { get; init; }
    public IReadOnlyList<string> Workspaces { get; init; } = [];
    public IReadOnlyList<string> Projects { get; init; } = [];
    public IReadOnlyList<string> Runs { get; init; } = [];
    public IReadOnlyList<string> States { get; init; } = [];
    public IReadOnlyList<string> ConfigFilters { get; init; } = [];
    public string? Format { get; init; }
    public int? Sample { get; init; }
    public int? Concurrency { get; init; }
    public double? RateLimit { get; init; }
    public bool NoLogs { get; init; }
    public bool NoMedia { get; init; }
    public bool DryRun { get; init; }
    public bool Restart { get; init; }
    /// <summary>--allow-non-empty: export into a folder that holds other files (they are left alone).</summary>
    public bool AllowNonEmpty { get; init; }
    public bool Refetch { get; init; }
    public bool VerifyExisting { get; init; }
    public bool AllowOtherSource { get; init; }
    public bool Demo { get; init; }
    public string? ConfigFile { get; init; }
    /// <summary>--cluster-host, --cluster-port, --seed-node (repeatable).</summary>
    public ClusterFlags Cluster { get; init; } = ClusterFlags.None;
    /// <summary>--nodes N: this process and N-1 local children form the cluster.</summary>
    public int? Nodes { get; init; }
    /// <summary>A --nodes child: read from the demo server at this URL (started by the parent), key from SWANLAB_API_KEY.</summary>
    public string? DemoServer { get; init; }
    /// <summary>The command line as parsed, from the command name on (what --nodes children are started with).</summary>
    public IReadOnlyList<string> CommandLine { get; init; } = [];

    public SettingsLayer ToLayer() => new()
    {
        Host = Host,
        Out = Out,
        Format = Format,
        Sample = Sample,
        Logs = NoLogs ? false : null,
        Media = NoMedia ? false : null,
        VerifyExisting = VerifyExisting ? true : null,
        RunConcurrency = Concurrency,
        RequestsPerSecond = RateLimit,
        ClusterHost = Cluster.Host,
        ClusterPort = Cluster.Port,
        ClusterSeedNodes = Cluster.SeedNodes.Count > 0 ? Cluster.SeedNodes : null,
    };
}
