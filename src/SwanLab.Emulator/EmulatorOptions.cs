namespace SwanLab.Emulator;

/// <summary>How much data the deterministic generator produces.</summary>
public enum DatasetSize
{
    /// <summary>A handful of runs with every awkward case; for unit tests.</summary>
    Tiny,

    /// <summary>Two workspaces (one a TEAM), &gt;20 projects in one workspace, ~60 runs.</summary>
    Demo,

    /// <summary>Benchmark scale; run/key/point counts come from <see cref="EmulatorOptions"/>.</summary>
    Large,

    /// <summary>An empty account, as an import target: the user and its workspaces (alice, team aurora-lab) exist, no projects.</summary>
    Empty,
}

/// <summary>Optional read routes a server may lack; each absent one answers 404 "No route" like a server without it.</summary>
[Flags]
public enum EmulatorRoutes
{
    None = 0,

    /// <summary><c>GET /api/house/metrics/log</c> and <c>POST /api/house/metrics/log/export</c>.</summary>
    Logs = 1,

    /// <summary><c>/api/house/metrics/media</c> (with <c>media/keys</c>, <c>media/availability</c>), <c>f_media</c>, <c>/api/resources/presigned/get</c>.</summary>
    Media = 2,

    /// <summary><c>POST /api/house/metrics/summaries</c>.</summary>
    Summaries = 4,
}

/// <summary>How <c>GET /api/house/metrics/log</c> reads its <c>epoch</c> parameter (the SDK leaves servers room here).</summary>
public enum LogPagingReading
{
    /// <summary>SDK 0.9.7's words: epoch is a shard index, "which shard"; shard k is lines [k*size, (k+1)*size) of the level's lines.</summary>
    Shard,

    /// <summary>epoch is the number of the level's lines to skip.</summary>
    Offset,

    /// <summary>epoch is a line epoch: the level's lines with a greater epoch come back.</summary>
    AfterEpoch,
}

/// <summary>What the <c>level</c> parameter of <c>GET /api/house/metrics/log</c> selects.</summary>
public enum LogLevelReading
{
    /// <summary>Only lines of that level.</summary>
    Exact,

    /// <summary>That level and higher (DEBUG &lt; INFO &lt; WARN &lt; ERROR): DEBUG selects every line.</summary>
    AtOrAbove,

    /// <summary>Every line, whatever the level asked.</summary>
    Ignored,
}

/// <summary>How the console lines' <c>epoch</c> numbers run (the SDKs number every line of a run with one counter).</summary>
public enum LogEpochReading
{
    /// <summary>SDK 0.7.8 and 0.9.7: one 1-based counter per run, across levels.</summary>
    PerRun,

    /// <summary>One 1-based counter per level: an INFO and a WARN line can share an epoch.</summary>
    PerLevel,
}

/// <summary>What <c>GET /api/house/metrics/summaries/{p}/{e}</c> (the resume summary) answers.</summary>
public enum ResumeSummaryReading
{
    /// <summary><c>scalar</c>, <c>media</c> (both lists, maybe empty) and <c>log</c> (omitted without logs), as the SDK reads them.</summary>
    Full,

    /// <summary>No <c>media</c> member at all (a server that does not track media there).</summary>
    WithoutMedia,

    /// <summary>The route is missing: 404 "No route".</summary>
    Absent,
}

/// <summary>Start-up settings of one emulator instance. Fault knobs are copied into <see cref="EmulatorFaults"/>.</summary>
public sealed class EmulatorOptions
{
    /// <summary>Loopback port; 0 picks a free one.</summary>
    public int Port { get; set; }

    /// <summary>Generator seed: same seed and size give byte-identical data.</summary>
    public int Seed { get; set; } = 7;

    public DatasetSize Size { get; set; } = DatasetSize.Tiny;

    /// <summary>Large size: number of runs (default 2000).</summary>
    public int? Runs { get; set; }

    /// <summary>Large size: scalar keys per run (default 8).</summary>
    public int? KeysPerRun { get; set; }

    /// <summary>Points per ordinary scalar key (any size; defaults 50 tiny, 200 demo, 5000 large).</summary>
    public int? PointsPerKey { get; set; }

    /// <summary>When set, adds project <c>huge-series</c> with one run whose key <c>huge/loss</c> has this many points.</summary>
    public int? HugeSeriesPoints { get; set; }

    /// <summary>The one API key accepted at start (21 letters/digits, like real SwanLab keys).</summary>
    public string ApiKey { get; set; } = "0123456789abcdefABCDE";

    /// <summary>Self-hosted mode: <c>/self_hosted/*</c> enabled, root user, presigned URLs path-only.</summary>
    public bool SelfHosted { get; set; }

    /// <summary>
    /// A server from before the House metric service (what SDK 0.7.8's read API was written against): every
    /// <c>/api/house/*</c> endpoint answers 404 Not Found, so clients must use <c>/experiment/{cuid}/column/csv</c>.
    /// </summary>
    public bool Legacy { get; set; }

    /// <summary>Optional read routes this server lacks (changeable at runtime through <see cref="EmulatorFaults.AbsentRoutes"/>).</summary>
    public EmulatorRoutes AbsentRoutes { get; set; }

    /// <summary>How the log route pages (default: shard index, as the SDK documents).</summary>
    public LogPagingReading LogPaging { get; set; } = LogPagingReading.Shard;

    /// <summary>What the log route's level filter means (default: exact level).</summary>
    public LogLevelReading LogLevels { get; set; } = LogLevelReading.Exact;

    /// <summary>How console lines are numbered (default: one counter per run, as the SDKs do).</summary>
    public LogEpochReading LogEpochs { get; set; } = LogEpochReading.PerRun;

    /// <summary>What the resume summary answers (default: every member, as the SDK reads them).</summary>
    public ResumeSummaryReading ResumeSummary { get; set; } = ResumeSummaryReading.Full;

    /// <summary>Console lines per generated run (any size; defaults 12 tiny, 60 demo, 20 large).</summary>
    public int? LogLinesPerRun { get; set; }

    /// <summary>How <c>/house/metrics/scalar/export</c> names and orders its CSV columns.</summary>
    public ExportColumnStyle ExportColumns { get; set; }

    /// <summary>
    /// How a client-chosen run id is kept (unknown in the SDK, §4.13). False (default): an id shaped like a server cuid
    /// (21 lowercase letters/digits) becomes the run's cuid, any other id only its slug. True: the server always makes its
    /// own cuid and keeps the client's id as the slug (what the 0.9.7 fixtures <c>{cuid, slug}</c> suggest).
    /// </summary>
    public bool ServerRunIds { get; set; }

    /// <summary>
    /// The server stamps a run's <c>createdAt</c> and <c>finishedAt</c> with its own clock and ignores the client's (a reading
    /// §4.13 leaves open: 0.7.8 never sends <c>createdAt</c>, so servers of its time may not read it).
    /// </summary>
    public bool ServerTimes { get; set; }

    /// <summary>
    /// A finished run ends the session that finished it: the next request with that sid gets 401 (what the 0.9.7 tests say
    /// the real server does, SDK issue #1715; the SDK logs in again for its next run).
    /// </summary>
    public bool EndSessionOnFinish { get; set; }

    public int LatencyMs { get; set; }
    public int JitterMs { get; set; }

    /// <summary>Token-bucket rate limit for <c>/api</c> requests per second; 0 = off.</summary>
    public double RateLimit { get; set; }

    public double FailRate { get; set; }
    public double ResetRate { get; set; }
    public double TruncateRate { get; set; }
    public double SlowRate { get; set; }

    /// <summary>Probability that a successful JSON or metric-CSV response body is spoiled (a kind fitting its content type, or garbage).</summary>
    public double MalformedRate { get; set; }

    /// <summary>Responses spoiled every time: requests matching these (e.g. a run cuid) get malformed bodies.</summary>
    public IReadOnlyList<MalformedTarget> Malformed { get; set; } = [];

    /// <summary>How long a slow response stalls.</summary>
    public TimeSpan SlowDelay { get; set; } = TimeSpan.FromSeconds(5);

    /// <summary>Lifetime of presigned URLs (X-Amz-Expires).</summary>
    public TimeSpan PresignExpiry { get; set; } = TimeSpan.FromSeconds(300);

    /// <summary>Lifetime of a login session; <c>expiredAt</c> is login time plus this.</summary>
    public TimeSpan SessionLifetime { get; set; } = TimeSpan.FromDays(30);

    /// <summary>Clock for sessions and presigned URLs (tests substitute a manual one).</summary>
    public TimeProvider Clock { get; set; } = TimeProvider.System;
}
