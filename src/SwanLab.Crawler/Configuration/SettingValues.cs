using System.Globalization;

namespace SwanLab.Crawler.Configuration;

/// <summary>Parsing shared by the config file and environment variables, so both accept the same spellings.</summary>
internal static class SettingValues
{
    public static bool? ParseBool(string? text) => text?.Trim().ToLowerInvariant() switch
    {
        "on" or "true" or "yes" or "1" => true,
        "off" or "false" or "no" or "0" => false,
        _ => null,
    };

    /// <summary>"500ms", "30s", "2m", "1h", "1.5s"; a bare number means seconds.</summary>
    public static TimeSpan? ParseDuration(string? text)
    {
        if (string.IsNullOrWhiteSpace(text))
            return null;
        var s = text.Trim().ToLowerInvariant();
        var (number, scale) = s switch
        {
            _ when s.EndsWith("ms", StringComparison.Ordinal) => (s[..^2], 0.001),
            _ when s.EndsWith('s') => (s[..^1], 1.0),
            _ when s.EndsWith('m') => (s[..^1], 60.0),
            _ when s.EndsWith('h') => (s[..^1], 3600.0),
            _ => (s, 1.0),
        };
        return double.TryParse(number.Trim(), NumberStyles.Float, CultureInfo.InvariantCulture, out var value)
               && double.IsFinite(value) && value >= 0
            ? TimeSpan.FromSeconds(value * scale)
            : null;
    }
}
