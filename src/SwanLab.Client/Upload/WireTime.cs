using System.Globalization;

namespace SwanLab.Client.Upload;

/// <summary>Times as the 0.9.7 SDK writes them: UTC ISO 8601 with <c>Z</c> and 0, 3, 6 or 9 fractional digits.</summary>
internal static class WireTime
{
    public static string Iso(DateTimeOffset time)
    {
        var utc = time.UtcDateTime;
        var subSecondTicks = utc.Ticks % TimeSpan.TicksPerSecond;
        var format = subSecondTicks == 0 ? "yyyy-MM-dd'T'HH:mm:ss'Z'"
            : subSecondTicks % TimeSpan.TicksPerMillisecond == 0 ? "yyyy-MM-dd'T'HH:mm:ss.fff'Z'"
            : subSecondTicks % 10 == 0 ? "yyyy-MM-dd'T'HH:mm:ss.ffffff'Z'"
            : "yyyy-MM-dd'T'HH:mm:ss.fffffff'00Z'";
        return utc.ToString(format, CultureInfo.InvariantCulture);
    }

    /// <summary>Unix milliseconds, always with 3 fractional digits (the form the read side's timestamps round-trip to).</summary>
    public static string FromUnixMs(long ms) =>
        DateTimeOffset.FromUnixTimeMilliseconds(ms).UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss.fff'Z'", CultureInfo.InvariantCulture);
}
