using System.Globalization;

namespace SwanLab.Crawler.Configuration;

/// <summary>
/// The SWANLAB_* environment variables the crawler reads. They beat crawler.hocon and lose to flags.
/// SWANLAB_API_KEY is not read here: SwanLab.Client resolves it (and ~/.swanlab/.netrc) itself, so the key
/// passes through as few hands as possible.
/// </summary>
internal static class EnvironmentSettings
{
    /// <summary>Variable name, what it sets, for --help and the README.</summary>
    public static readonly IReadOnlyList<(string Name, string Meaning)> Variables =
    [
        ("SWANLAB_API_KEY", "API key (read by SwanLab.Client; --api-key wins, ~/.swanlab/.netrc is the fallback)"),
        ("SWANLAB_API_HOST", "server, e.g. https://swanlab.example.com (as in the Python SDK; a trailing /api is fine)"),
        ("SWANLAB_HOST", "alias of SWANLAB_API_HOST (SWANLAB_API_HOST wins when both are set)"),
        ("SWANLAB_SAVE_DIR", "folder holding the .netrc written by `swanlab login` (default ~/.swanlab)"),
        ("SWANLAB_CRAWLER_CONFIG", "settings file to use instead of the crawler.hocon next to the tool"),
        ("SWANLAB_CRAWLER_OUT", "backup folder (export.out)"),
        ("SWANLAB_CRAWLER_FORMAT", "csv | jsonl | parquet (export.format)"),
        ("SWANLAB_CRAWLER_SAMPLE", "points per series, 0 = full resolution (export.sample)"),
        ("SWANLAB_CRAWLER_LOGS", "on | off: export console logs (export.logs)"),
        ("SWANLAB_CRAWLER_MEDIA", "on | off: export media files (export.media)"),
        ("SWANLAB_CRAWLER_VERIFY_EXISTING", "on | off: re-hash a run's files before a resume skips it (export.verify-existing)"),
        ("SWANLAB_CRAWLER_CONCURRENCY", "runs exported at once (concurrency.runs)"),
        ("SWANLAB_CRAWLER_SERIES_CONCURRENCY", "series streamed at once (concurrency.series)"),
        ("SWANLAB_CRAWLER_RATE_LIMIT", "requests per second, 0 = adapt to the server (rate-limit.requests-per-second)"),
        ("SWANLAB_CRAWLER_TIMEOUT", "per-request timeout, 10ms to 24h, e.g. 30s (http.timeout)"),
        ("SWANLAB_CRAWLER_MAX_RETRIES", "retries of a failing request (http.max-retries)"),
        ("SWANLAB_CRAWLER_CLUSTER_HOST", "cluster mode: the address other nodes reach this one at (cluster.host)"),
        ("SWANLAB_CRAWLER_CLUSTER_PORT", "cluster mode: this node's TCP port, 0 = any free one (cluster.port)"),
        ("SWANLAB_CRAWLER_CLUSTER_SEED_NODES", "cluster mode: seed nodes, comma separated, e.g. 10.0.0.1:4053,10.0.0.2:4053 (cluster.seed-nodes)"),
    ];

    public const string ConfigFileVariable = "SWANLAB_CRAWLER_CONFIG";

    public static SettingsLayer Read(Func<string, string?> getVariable)
    {
        string? Get(string name) => getVariable(name) is { } v && !string.IsNullOrWhiteSpace(v) ? v.Trim() : null;

        return new SettingsLayer
        {
            Host = Get("SWANLAB_API_HOST") ?? Get("SWANLAB_HOST"),
            Out = Get("SWANLAB_CRAWLER_OUT"),
            Format = Get("SWANLAB_CRAWLER_FORMAT"),
            Sample = Int(Get, "SWANLAB_CRAWLER_SAMPLE"),
            Logs = Bool(Get, "SWANLAB_CRAWLER_LOGS"),
            Media = Bool(Get, "SWANLAB_CRAWLER_MEDIA"),
            VerifyExisting = Bool(Get, "SWANLAB_CRAWLER_VERIFY_EXISTING"),
            RunConcurrency = Int(Get, "SWANLAB_CRAWLER_CONCURRENCY"),
            SeriesConcurrency = Int(Get, "SWANLAB_CRAWLER_SERIES_CONCURRENCY"),
            RequestsPerSecond = Double(Get, "SWANLAB_CRAWLER_RATE_LIMIT"),
            HttpTimeout = Duration(Get, "SWANLAB_CRAWLER_TIMEOUT"),
            MaxRetries = Int(Get, "SWANLAB_CRAWLER_MAX_RETRIES"),
            ClusterHost = Get("SWANLAB_CRAWLER_CLUSTER_HOST"),
            ClusterPort = Int(Get, "SWANLAB_CRAWLER_CLUSTER_PORT"),
            ClusterSeedNodes = Get("SWANLAB_CRAWLER_CLUSTER_SEED_NODES") is { } seeds
                ? seeds.Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries)
                : null,
        };
    }

    static int? Int(Func<string, string?> get, string name) => get(name) is not { } v ? null
        : int.TryParse(v, NumberStyles.Integer, CultureInfo.InvariantCulture, out var i) ? i
        : throw new SettingsException($"{name}='{v}' is not a whole number.");

    static double? Double(Func<string, string?> get, string name) => get(name) is not { } v ? null
        : double.TryParse(v, NumberStyles.Float, CultureInfo.InvariantCulture, out var d) && double.IsFinite(d) ? d
        : throw new SettingsException($"{name}='{v}' is not a number.");

    static bool? Bool(Func<string, string?> get, string name) => get(name) is not { } v ? null
        : SettingValues.ParseBool(v) ?? throw new SettingsException($"{name}='{v}' is not on/off, true/false or yes/no.");

    static TimeSpan? Duration(Func<string, string?> get, string name) => get(name) is not { } v ? null
        : SettingValues.ParseDuration(v) ?? throw new SettingsException($"{name}='{v}' is not a duration such as 500ms, 30s or 2m.");
}
