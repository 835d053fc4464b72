using SwanLab.Crawler.Backup;
using SwanLab.Crawler.Crawl;
using SwanLab.Crawler.Source;

namespace SwanLab.Crawler.Configuration;

/// <summary>
/// Merges built-in defaults &lt; crawler.hocon &lt; SWANLAB_* variables &lt; flags and validates the result.
/// Every problem becomes a <see cref="SettingsException"/> whose message names the flag, variable or file key.
/// </summary>
internal static class SettingsResolver
{
    /// <summary>The run states SwanLab reports.</summary>
    public static readonly IReadOnlyList<string> RunStates = ["RUNNING", "FINISHED", "CRASHED", "ABORTED", "OFFLINE"];

    /// <summary>
    /// Which file to read: --config-file, else SWANLAB_CRAWLER_CONFIG, else config/crawler.hocon next to the tool;
    /// null when there is none (the embedded defaults then stand alone).
    /// </summary>
    public static string? FindConfigFile(string? configFileFlag, Func<string, string?> getVariable, string toolDirectory)
    {
        var explicitPath = !string.IsNullOrWhiteSpace(configFileFlag) ? (Name: "--config-file", Path: configFileFlag)
            : getVariable(EnvironmentSettings.ConfigFileVariable) is { } v && !string.IsNullOrWhiteSpace(v)
                ? (Name: EnvironmentSettings.ConfigFileVariable, Path: v)
                : (Name: null, Path: null);
        if (explicitPath.Path is not null)
        {
            var full = Path.GetFullPath(explicitPath.Path);
            return File.Exists(full) ? full
                : throw new SettingsException($"{explicitPath.Name} '{explicitPath.Path}': no such file.");
        }
        var besideTool = Path.Combine(toolDirectory, "config", "crawler.hocon");
        return File.Exists(besideTool) ? besideTool : null;
    }

    /// <summary>Defaults, the config file and the environment merged (no flags yet), and where the file came from.</summary>
    public static (SettingsLayer Layer, string Origin) LoadBelowFlags(string? configFileFlag, Func<string, string?> getVariable,
        string toolDirectory)
    {
        var file = FindConfigFile(configFileFlag, getVariable, toolDirectory);
        var fileLayer = SettingsLayer.Empty;
        if (file is not null)
        {
            string text;
            try { text = File.ReadAllText(file); }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                throw new SettingsException($"{file}: cannot be read: {e.Message}");
            }
            fileLayer = HoconSettings.Parse(text, file);
        }
        var layer = EnvironmentSettings.Read(getVariable).Over(fileLayer).Over(HoconSettings.Defaults());
        return (layer, file ?? "built-in defaults");
    }

    public static ExportSettings ResolveExport(ExportFlags flags, Func<string, string?> getVariable, string toolDirectory)
    {
        ValidateFlags(flags);
        var (below, origin) = LoadBelowFlags(flags.ConfigFile, getVariable, toolDirectory);
        var s = flags.ToLayer().Over(below);

        var output = ResolveOutput(s.Out);
        if (!SeriesFormatNames.TryParse((s.Format ?? "csv").Trim().ToLowerInvariant(), out var format))
            throw new SettingsException($"format '{s.Format}' is not supported; use {SeriesFormatNames.Choices} (--format, SWANLAB_CRAWLER_FORMAT or export.format).");
        var sample = s.Sample switch
        {
            null or 0 => (int?)null,
            < 0 => throw new SettingsException($"sample {s.Sample} is negative; use 0 (file/environment) or leave --sample out for full resolution."),
            var n => n,
        };
        Require(s.RunConcurrency is >= 1, $"runs concurrency must be at least 1 (got {s.RunConcurrency}; --concurrency, SWANLAB_CRAWLER_CONCURRENCY or concurrency.runs).");
        Require(s.SeriesConcurrency is >= 1, $"series concurrency must be at least 1 (got {s.SeriesConcurrency}; SWANLAB_CRAWLER_SERIES_CONCURRENCY or concurrency.series).");
        Require(s.ChannelCapacity is >= 1, $"concurrency.channel-capacity must be at least 1 (got {s.ChannelCapacity}).");
        Require(s.RequestsPerSecond is >= 0, $"rate limit must be 0 (adaptive) or a positive number of requests per second (got {s.RequestsPerSecond}; --rate-limit, SWANLAB_CRAWLER_RATE_LIMIT or rate-limit.requests-per-second).");
        Require(s.InitialRequestsPerSecond is >= 0, $"rate-limit.initial-requests-per-second must be 0 (slow start until the first 429) or positive (got {s.InitialRequestsPerSecond}).");
        // The per-attempt timeout's bounds are Polly's (10 ms to 1 day); a value outside them is a settings error, not a crash.
        Require(s.HttpTimeout is { } t && t >= MinHttpTimeout && t <= MaxHttpTimeout,
            $"the HTTP timeout {Describe(s.HttpTimeout)} is out of range: give 10ms to 24h (SWANLAB_CRAWLER_TIMEOUT or http.timeout in crawler.hocon).");
        Require(s.BackoffMax is { } bm && bm <= MaxHttpTimeout, $"http.backoff-max {Describe(s.BackoffMax)} is out of range: give at most 24h.");
        Require(s.MaxRetries is >= 0, $"max retries must be 0 or more (got {s.MaxRetries}; SWANLAB_CRAWLER_MAX_RETRIES or http.max-retries).");
        Require(s.BackoffBase <= s.BackoffMax, $"http.backoff-base ({s.BackoffBase}) is longer than http.backoff-max ({s.BackoffMax}).");
        Require(s.MaxUnitAttempts is >= 1, $"supervision.max-unit-attempts must be at least 1 (got {s.MaxUnitAttempts}).");
        Require(s.UnitBackoffMin <= s.UnitBackoffMax, $"supervision.unit-backoff-min ({s.UnitBackoffMin}) is longer than supervision.unit-backoff-max ({s.UnitBackoffMax}).");

        var crawl = new CrawlSettings
        {
            OutputDirectory = output,
            Workspaces = Distinct(flags.Workspaces),
            Projects = Distinct(flags.Projects),
            Runs = Distinct(flags.Runs),
            Filter = BuildFilter(flags.States, flags.ConfigFilters),
            Format = format,
            Sample = sample,
            IncludeLogs = s.Logs ?? true,
            IncludeMedia = s.Media ?? true,
            DryRun = flags.DryRun,
            Restart = flags.Restart,
            AllowNonEmpty = flags.AllowNonEmpty,
            Refetch = flags.Refetch,
            VerifyExisting = s.VerifyExisting ?? false,
            AllowOtherSource = flags.AllowOtherSource,
            DemoSource = flags.Demo || flags.DemoServer is not null,
            RunConcurrency = s.RunConcurrency!.Value,
            SeriesConcurrency = s.SeriesConcurrency!.Value,
            ChannelCapacity = s.ChannelCapacity!.Value,
            MaxUnitAttempts = s.MaxUnitAttempts!.Value,
            UnitBackoffMin = s.UnitBackoffMin!.Value,
            UnitBackoffMax = s.UnitBackoffMax!.Value,
            Cluster = ClusterSettingsResolver.Resolve(s),
        };
        var connection = new ConnectionSettings
        {
            Host = flags.Demo ? null : flags.DemoServer ?? NormaliseHost(s.Host),
            HttpsAssumed = !flags.Demo && !string.IsNullOrWhiteSpace(s.Host) && !s.Host.Contains("://", StringComparison.Ordinal),
            ApiKey = flags.Demo ? null : flags.ApiKey,
            HttpTimeout = s.HttpTimeout!.Value,
            MaxRetries = s.MaxRetries!.Value,
            BackoffBase = s.BackoffBase!.Value,
            BackoffMax = s.BackoffMax!.Value,
            RequestsPerSecond = s.RequestsPerSecond is > 0 ? s.RequestsPerSecond : null,
            InitialRequestsPerSecond = s.InitialRequestsPerSecond!.Value,
        };
        return new ExportSettings(crawl, connection, flags.Demo, origin);
    }

    static readonly TimeSpan MinHttpTimeout = TimeSpan.FromMilliseconds(10);
    static readonly TimeSpan MaxHttpTimeout = TimeSpan.FromHours(24);

    static string Describe(TimeSpan? t) => t switch
    {
        null => "(none)",
        { TotalSeconds: < 1 } v => $"{v.TotalMilliseconds.ToString("0.###", System.Globalization.CultureInfo.InvariantCulture)}ms",
        var v => $"{v.Value.TotalSeconds.ToString("0.###", System.Globalization.CultureInfo.InvariantCulture)}s",
    };

    /// <summary>The backup folder for status/verify: --out, else SWANLAB_CRAWLER_OUT, else export.out.</summary>
    public static string ResolveBackupFolder(string? outFlag, string? configFileFlag, Func<string, string?> getVariable,
        string toolDirectory)
    {
        if (!string.IsNullOrWhiteSpace(outFlag))
            return ResolveOutput(outFlag, existing: true);
        var (below, _) = LoadBelowFlags(configFileFlag, getVariable, toolDirectory);
        return ResolveOutput(below.Out, existing: true);
    }

    /// <summary>Checks that need only the flags, so they fail before any file is read.</summary>
    static void ValidateFlags(ExportFlags flags)
    {
        if (flags.Sample is <= 0)
            throw new SettingsException($"--sample {flags.Sample}: give a positive number of points per series, or leave --sample out for full resolution.");
        if (flags.Concurrency is <= 0)
            throw new SettingsException($"--concurrency {flags.Concurrency}: give at least 1 run at once.");
        if (flags.RateLimit is < 0)
            throw new SettingsException($"--rate-limit {flags.RateLimit}: give requests per second, or 0 to adapt to the server.");
        if (flags.ApiKey is not null && string.IsNullOrWhiteSpace(flags.ApiKey))
            throw new SettingsException("--api-key is empty; leave it out to use SWANLAB_API_KEY or ~/.swanlab/.netrc.");
        if (flags.DemoServer is not null && (flags.Demo || flags.Host is not null))
            throw new SettingsException("--demo-server (a node --nodes started) cannot be combined with --demo or --host.");
        if (flags.Demo && (flags.Host is not null || flags.ApiKey is not null))
            throw new SettingsException("--demo exports from a built-in demo server; it cannot be combined with --host or --api-key.");
        // Without a selection "fetch again" means everything: that is --restart, and too costly to start by accident.
        if (flags.Refetch && flags.Workspaces.Count == 0 && flags.Projects.Count == 0 && flags.Runs.Count == 0)
            throw new SettingsException("--refetch exports the selected runs again: give --run WS/PROJ/ID, --project WS/PROJ or --workspace NAME (to export everything again use --restart).");
        if (flags.Refetch && flags.Restart)
            throw new SettingsException("--refetch and --restart cannot be combined: --restart already exports everything again.");
        foreach (var w in flags.Workspaces)
            if (string.IsNullOrWhiteSpace(w) || w.Contains('/', StringComparison.Ordinal))
                throw new SettingsException($"--workspace '{w}': give a workspace name (a username or team), without '/'. Example: --workspace alice");
        foreach (var p in flags.Projects)
            if (!IsPath(p, segments: 2))
                throw new SettingsException($"--project '{p}': give WORKSPACE/PROJECT, e.g. --project alice/mnist.");
        foreach (var r in flags.Runs)
            if (!IsPath(r, segments: 3))
                throw new SettingsException($"--run '{r}': give WORKSPACE/PROJECT/RUN-ID, e.g. --run alice/mnist/abc123.");
        foreach (var state in flags.States)
            if (!RunStates.Contains(state.Trim().ToUpperInvariant()))
                throw new SettingsException($"--state '{state}': use one of {string.Join(", ", RunStates)}.");
        foreach (var c in flags.ConfigFilters)
            if (c.IndexOf('=', StringComparison.Ordinal) is <= 0)
                throw new SettingsException($"--config '{c}': give KEY=VALUE, e.g. --config optimizer.lr=0.01.");
    }

    static RunFilter BuildFilter(IReadOnlyList<string> states, IReadOnlyList<string> configFilters)
    {
        if (states.Count == 0 && configFilters.Count == 0)
            return RunFilter.None;
        var config = new SortedDictionary<string, string>(StringComparer.Ordinal);
        foreach (var pair in configFilters)
        {
            var at = pair.IndexOf('=', StringComparison.Ordinal);
            var key = pair[..at].Trim();
            // The SDK's filter dict names config keys "config.<name>"; accept both spellings.
            if (!key.StartsWith("config.", StringComparison.Ordinal))
                key = "config." + key;
            config[key] = pair[(at + 1)..].Trim();
        }
        return new RunFilter(Distinct(states.Select(s => s.Trim().ToUpperInvariant()).ToList()), config);
    }

    /// <param name="existing">status/verify: the folder must be an existing backup, nothing is created.</param>
    static string ResolveOutput(string? output, bool existing = false)
    {
        if (string.IsNullOrWhiteSpace(output))
            throw new SettingsException("no backup folder: give --out DIR (or SWANLAB_CRAWLER_OUT, or export.out in crawler.hocon).");
        string full;
        try { full = Path.GetFullPath(output); }
        catch (Exception e) when (e is ArgumentException or NotSupportedException or PathTooLongException)
        {
            throw new SettingsException($"--out '{output}' is not a usable path: {e.Message}");
        }
        if (File.Exists(full))
            throw new SettingsException(existing
                ? $"--out '{output}' is a file; give the backup folder an export wrote."
                : $"--out '{output}' is a file; give a folder (it is created if missing).");
        return full;
    }

    /// <summary>
    /// Accepts what the SDK accepts ("my.host", "http://my.host:8000", "https://my.host/api") and adds the https
    /// scheme the SDK would assume; the client strips the /api suffix.
    /// </summary>
    static string? NormaliseHost(string? host)
    {
        if (string.IsNullOrWhiteSpace(host))
            return null;
        var text = host.Trim();
        if (!text.Contains("://", StringComparison.Ordinal))
            text = "https://" + text;
        if (!Uri.TryCreate(text, UriKind.Absolute, out var uri) || (uri.Scheme != Uri.UriSchemeHttp && uri.Scheme != Uri.UriSchemeHttps)
            || string.IsNullOrEmpty(uri.Host))
            throw new SettingsException($"host '{host}' is not an http(s) address; e.g. --host https://swanlab.example.com (also SWANLAB_API_HOST or host in crawler.hocon).");
        return text.TrimEnd('/');
    }

    static bool IsPath(string path, int segments)
    {
        var parts = path.Split('/');
        return parts.Length == segments && parts.All(p => p.Trim().Length > 0);
    }

    static IReadOnlyList<string> Distinct(IReadOnlyList<string> values) =>
        values.Select(v => v.Trim()).Distinct(StringComparer.Ordinal).ToList();

    static void Require(bool condition, string message)
    {
        if (!condition)
            throw new SettingsException(message);
    }
}
