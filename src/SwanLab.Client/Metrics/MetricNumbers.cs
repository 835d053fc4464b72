using System.Globalization;

namespace SwanLab.Client;

/// <summary>Parsing and formatting of metric numbers, including the non-finite spellings SwanLab uses.</summary>
public static class MetricNumbers
{
    /// <summary>Parses a value as SwanLab writes it: decimal/exponent numbers, <c>NaN</c>, <c>INF</c>, <c>-INF</c>, <c>inf</c>, <c>Infinity</c> (any case).</summary>
    public static bool TryParse(ReadOnlySpan<char> text, out double value)
    {
        text = text.Trim();
        if (double.TryParse(text, NumberStyles.Float, CultureInfo.InvariantCulture, out value))
            return true;
        return TryParseNonFinite(text, out value);
    }

    /// <summary>UTF-8 variant of <see cref="TryParse(ReadOnlySpan{char}, out double)"/> (no allocation).</summary>
    public static bool TryParse(ReadOnlySpan<byte> utf8, out double value)
    {
        if (double.TryParse(utf8, NumberStyles.Float, CultureInfo.InvariantCulture, out value))
            return true;
        Span<char> chars = stackalloc char[16];
        if (utf8.Length > chars.Length)
            return false;
        for (var i = 0; i < utf8.Length; i++)
            chars[i] = (char)utf8[i];
        return TryParseNonFinite(chars[..utf8.Length].Trim(), out value);
    }

    private static bool TryParseNonFinite(ReadOnlySpan<char> text, out double value)
    {
        var negative = false;
        if (text.Length > 0 && (text[0] == '-' || text[0] == '+'))
        {
            negative = text[0] == '-';
            text = text[1..];
        }
        if (text.Equals("nan", StringComparison.OrdinalIgnoreCase))
        {
            value = double.NaN;
            return true;
        }
        if (text.Equals("inf", StringComparison.OrdinalIgnoreCase) || text.Equals("infinity", StringComparison.OrdinalIgnoreCase) ||
            text.Equals("∞", StringComparison.Ordinal))
        {
            value = negative ? double.NegativeInfinity : double.PositiveInfinity;
            return true;
        }
        value = 0;
        return false;
    }

    /// <summary>
    /// Formats a value for CSV: shortest round-trip invariant text; NaN as <c>NaN</c>, infinities as <c>inf</c>/<c>-inf</c>
    /// (both read back by pandas and by <see cref="TryParse(ReadOnlySpan{char}, out double)"/>).
    /// </summary>
    public static string Format(double value)
    {
        if (double.IsNaN(value))
            return "NaN";
        if (double.IsPositiveInfinity(value))
            return "inf";
        if (double.IsNegativeInfinity(value))
            return "-inf";
        return value.ToString("R", CultureInfo.InvariantCulture);
    }
}
