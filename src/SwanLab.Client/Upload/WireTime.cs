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
    public static string FromUnixMs(long ms)
    {
        Span<byte> utf8 = stackalloc byte[MsLength];
        return System.Text.Encoding.ASCII.GetString(utf8[..FormatUnixMs(ms, utf8)]);
    }

    public const int MsLength = 24;

    /// <summary>
    /// Writes <c>yyyy-MM-ddTHH:mm:ss.fffZ</c> as UTF-8 without allocating (a million points carry a million of these);
    /// years outside 0001..9999 are refused by <see cref="DateTime"/> as elsewhere.
    /// </summary>
    public static int FormatUnixMs(long ms, Span<byte> utf8)
    {
        var time = DateTime.UnixEpoch.AddMilliseconds(ms);
        time.Deconstruct(out DateOnly date, out TimeOnly clock);
        date.Deconstruct(out var year, out var month, out var day);
        Digits(utf8[..4], year);
        utf8[4] = (byte)'-';
        Digits(utf8.Slice(5, 2), month);
        utf8[7] = (byte)'-';
        Digits(utf8.Slice(8, 2), day);
        utf8[10] = (byte)'T';
        Digits(utf8.Slice(11, 2), clock.Hour);
        utf8[13] = (byte)':';
        Digits(utf8.Slice(14, 2), clock.Minute);
        utf8[16] = (byte)':';
        Digits(utf8.Slice(17, 2), clock.Second);
        utf8[19] = (byte)'.';
        Digits(utf8.Slice(20, 3), clock.Millisecond);
        utf8[23] = (byte)'Z';
        return MsLength;
    }

    private static void Digits(Span<byte> into, int value)
    {
        for (var i = into.Length - 1; i >= 0; i--)
        {
            into[i] = (byte)('0' + (value % 10));
            value /= 10;
        }
    }
}
