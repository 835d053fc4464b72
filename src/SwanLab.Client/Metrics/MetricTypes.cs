using System.Text.Json;

namespace SwanLab.Client;

/// <summary>Which wire protocol a server speaks for metric reads.</summary>
public enum SwanLabProtocol
{
    /// <summary>Not known yet: no metric endpoint has been called.</summary>
    Unknown,
    /// <summary>SDK 0.9.x reads: the <c>/house/metrics/...</c> endpoints and presigned exports.</summary>
    House,
    /// <summary>SDK 0.7.8 reads: <c>/experiment/{cuid}/column/csv</c> (older self-hosted servers answer 404 on <c>/house</c> reads).</summary>
    Legacy,
}

/// <summary>One point of a scalar series. NaN and ±Infinity are kept as such.</summary>
/// <param name="Step">The step (x index).</param>
/// <param name="Value">The value.</param>
/// <param name="TimestampMs">When it was logged, Unix milliseconds, if the server said.</param>
public readonly record struct MetricPoint(long Step, double Value, long? TimestampMs);

/// <summary>Scalar or media series.</summary>
public enum SeriesKind
{
    /// <summary>Numbers (charts).</summary>
    Scalar,
    /// <summary>Images, audio, text and other media.</summary>
    Media,
}

/// <summary>A series key of a run.</summary>
/// <param name="Key">The key, e.g. <c>train/loss</c>.</param>
/// <param name="Kind">Scalar or media.</param>
/// <param name="Class"><c>SYSTEM</c> for hardware monitors (<c>__swanlab__.</c> prefix), else <c>CUSTOM</c>.</param>
public sealed record SeriesKey(string Key, SeriesKind Kind, string Class);

/// <summary>One statistic of a series: where (step), what (value) and when (timestamp) it occurred.</summary>
/// <param name="Step">The step (<c>index</c> of the step-axis answer).</param>
/// <param name="Value">The value (<c>data</c>).</param>
/// <param name="TimestampMs">The <c>index</c> of the same statistic on the timestamp axis, when sent.</param>
public sealed record MetricStat(long? Step, double? Value, long? TimestampMs);

/// <summary>
/// Value statistics of a series (<c>POST /house/metrics/scalar/value</c>, step and timestamp axes merged as the SDK does).
/// <see cref="Latest"/>'s step is the last step of the series.
/// </summary>
/// <param name="Key">The key.</param>
/// <param name="Min">Minimum.</param>
/// <param name="Max">Maximum.</param>
/// <param name="Avg">Average.</param>
/// <param name="Median">Median.</param>
/// <param name="Latest">Last logged point.</param>
public sealed record MetricValueStats(string Key, MetricStat? Min, MetricStat? Max, MetricStat? Avg, MetricStat? Median, MetricStat? Latest);

/// <summary>Server-side summary of one key (<c>POST /house/metrics/summaries</c>).</summary>
/// <param name="Key">The key.</param>
/// <param name="Step">Last step.</param>
/// <param name="Value">Last value.</param>
/// <param name="Min">Minimum.</param>
/// <param name="Max">Maximum.</param>
/// <param name="Avg">Average, when sent.</param>
/// <param name="Median">Median, when sent.</param>
/// <param name="StdDev">Standard deviation, when sent.</param>
/// <param name="Json">The summary object as sent.</param>
public sealed record MetricSummary(string Key, long? Step, double? Value, double? Min, double? Max, double? Avg, double? Median,
    double? StdDev, JsonElement Json);

/// <summary>One console log line.</summary>
/// <param name="Epoch">Line number (1-based counter the SDK assigns).</param>
/// <param name="Level"><c>INFO</c>, <c>WARN</c>, <c>ERROR</c> or <c>DEBUG</c>.</param>
/// <param name="Message">The text.</param>
/// <param name="Timestamp">When it was logged, as sent.</param>
/// <param name="Json">The object as sent.</param>
public sealed record LogEntry(long Epoch, string Level, string Message, string? Timestamp, JsonElement Json);

/// <summary>One media object at one step of one key, with a presigned download URL.</summary>
/// <param name="Key">The media key.</param>
/// <param name="Step">The step.</param>
/// <param name="Path">The server's object path (e.g. <c>media/image/005-1a2b3c4d.png</c>) or, for 0.7.8 text, the text.</param>
/// <param name="Url">A presigned download URL (may expire; <see cref="Run.DownloadMediaAsync"/> renews it).</param>
/// <param name="Caption">The caption, when sent.</param>
/// <param name="Json">The step entry as sent (<c>index</c>, <c>data</c>, <c>more</c>).</param>
public sealed record MediaItem(string Key, long Step, string Path, string? Url, string? Caption, JsonElement Json);
