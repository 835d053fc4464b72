namespace SwanLab.Client.Upload;

/// <summary>
/// What a metric upload may do when a request fails. A <c>POST /house/metrics</c> is not idempotent as far as anyone can
/// tell from the SDK: nothing says the server deduplicates a (run, key, step) sent twice (the 0.9.7 SDK skips repeated
/// steps itself, "until the backend is ready", SwanLab#1576), so a blind repeat of a batch the server did store can
/// duplicate points.
/// </summary>
public enum MetricRetry
{
    /// <summary>One attempt; every failure throws (5xx, broken connection and timeout as <see cref="SwanLabUploadUncertainException"/>).</summary>
    Never,

    /// <summary>
    /// Repeat only when the server certainly did not take the batch: HTTP 429 and a connection that was never made.
    /// Anything else (5xx, connection broken after sending, timeout) throws <see cref="SwanLabUploadUncertainException"/>.
    /// </summary>
    IfNotDelivered,

    /// <summary>
    /// As <see cref="IfNotDelivered"/>, and after an uncertain failure read the run's resume summary and send again only
    /// the items it does not hold (step above the key's last step; epoch above the last log epoch), up to
    /// <see cref="SwanLabApiOptions.MaxRetries"/> times. Correct when the batch only appends: for each key its steps are above
    /// what the server held before the call and increase within the batch (the SDK's own resume rule); checked for the
    /// batch, not for the server.
    /// </summary>
    Reconcile,

    /// <summary>Repeat on every transient failure like a read (what 0.9.7's transport does: it re-queues a batch on 5xx and
    /// network errors). Only for servers known to deduplicate.</summary>
    Always,
}

/// <summary>How non-finite values are spelled in scalar uploads.</summary>
public enum NonFiniteSpelling
{
    /// <summary><c>"NaN"</c>, <c>"INF"</c>, <c>"-INF"</c>: what the read side returns, so a copy keeps the sign of an infinity (default).</summary>
    ReadSide,
    /// <summary><c>"nan"</c> for NaN and both infinities, exactly as the 0.9.7 SDK sends them (the sign is lost).</summary>
    Sdk097,
    /// <summary><c>"NaN"</c> and <c>"INF"</c> (both infinities), as the 0.7.8 SDK sends them.</summary>
    Sdk078,
}

/// <summary>Settings of a <see cref="SwanLabUploader"/>; immutable, the uploader keeps no other state.</summary>
public sealed record SwanLabUploadOptions
{
    /// <summary>Items per <c>POST /house/metrics</c> (0.9.7: <c>record_batch</c> = 10,000; 0.7.8: 1,000). 1..100,000.</summary>
    public int MaxRecordsPerRequest { get; init; } = 10_000;

    /// <summary>Columns per columns/series request (both SDKs: 3,000).</summary>
    public int MaxColumnsPerRequest { get; init; } = 3_000;

    /// <summary>Media files PUT at once (both SDKs: 10).</summary>
    public int ParallelFileUploads { get; init; } = 10;

    /// <summary>Spelling of NaN/±infinity.</summary>
    public NonFiniteSpelling NonFinite { get; init; } = NonFiniteSpelling.ReadSide;

    /// <summary>
    /// Adds the 0.7.8 fields older self-hosted servers read: <c>epoch</c> on scalar and media items (the item's 1-based
    /// position among the key's items of the call, offset by the caller's <c>firstEpoch</c>). The envelope's
    /// <c>flagId</c> is sent whenever the server issued one, whatever this says.
    /// </summary>
    public bool LegacyItemFields { get; init; }
}
