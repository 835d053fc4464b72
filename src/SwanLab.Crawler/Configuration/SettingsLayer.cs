namespace SwanLab.Crawler.Configuration;

/// <summary>
/// One source of settings (built-in defaults, crawler.hocon, SWANLAB_* variables, flags). Null means "this source
/// does not say"; <see cref="Over"/> stacks a higher-precedence layer on top of a lower one.
/// </summary>
internal sealed record SettingsLayer
{
    public string? Host { get; init; }
    public string? Out { get; init; }
    public string? Format { get; init; }
    /// <summary>0 = full resolution (the file's way of saying "no sampling").</summary>
    public int? Sample { get; init; }
    public bool? Logs { get; init; }
    public bool? Media { get; init; }
    public bool? VerifyExisting { get; init; }
    public int? RunConcurrency { get; init; }
    public int? SeriesConcurrency { get; init; }
    public int? ChannelCapacity { get; init; }
    /// <summary>0 = discover the server's budget.</summary>
    public double? RequestsPerSecond { get; init; }
    public double? InitialRequestsPerSecond { get; init; }
    public TimeSpan? HttpTimeout { get; init; }
    public int? MaxRetries { get; init; }
    public TimeSpan? BackoffBase { get; init; }
    public TimeSpan? BackoffMax { get; init; }
    public int? MaxUnitAttempts { get; init; }
    public TimeSpan? UnitBackoffMin { get; init; }
    public TimeSpan? UnitBackoffMax { get; init; }
    /// <summary>Cluster mode: this node's address and the seeds it joins (<see cref="ClusterSettingsResolver"/>).</summary>
    public string? ClusterHost { get; init; }
    public int? ClusterPort { get; init; }
    public IReadOnlyList<string>? ClusterSeedNodes { get; init; }

    public static SettingsLayer Empty { get; } = new();

    /// <summary>This layer's values where it has them, <paramref name="lower"/>'s elsewhere.</summary>
    public SettingsLayer Over(SettingsLayer lower) => new()
    {
        Host = Host ?? lower.Host,
        Out = Out ?? lower.Out,
        Format = Format ?? lower.Format,
        Sample = Sample ?? lower.Sample,
        Logs = Logs ?? lower.Logs,
        Media = Media ?? lower.Media,
        VerifyExisting = VerifyExisting ?? lower.VerifyExisting,
        RunConcurrency = RunConcurrency ?? lower.RunConcurrency,
        SeriesConcurrency = SeriesConcurrency ?? lower.SeriesConcurrency,
        ChannelCapacity = ChannelCapacity ?? lower.ChannelCapacity,
        RequestsPerSecond = RequestsPerSecond ?? lower.RequestsPerSecond,
        InitialRequestsPerSecond = InitialRequestsPerSecond ?? lower.InitialRequestsPerSecond,
        HttpTimeout = HttpTimeout ?? lower.HttpTimeout,
        MaxRetries = MaxRetries ?? lower.MaxRetries,
        BackoffBase = BackoffBase ?? lower.BackoffBase,
        BackoffMax = BackoffMax ?? lower.BackoffMax,
        MaxUnitAttempts = MaxUnitAttempts ?? lower.MaxUnitAttempts,
        UnitBackoffMin = UnitBackoffMin ?? lower.UnitBackoffMin,
        UnitBackoffMax = UnitBackoffMax ?? lower.UnitBackoffMax,
        ClusterHost = ClusterHost ?? lower.ClusterHost,
        ClusterPort = ClusterPort ?? lower.ClusterPort,
        ClusterSeedNodes = ClusterSeedNodes ?? lower.ClusterSeedNodes,
    };
}
