using System.Globalization;
using System.Text.Json;

namespace SwanLab.Crawler.Source;

/// <summary>
/// The <c>--state</c>/<c>--config</c> selection applied to a run of a backup folder, which has
/// no server to filter it. Same meaning as the server's filter: every state listed is
/// accepted (case-insensitive), and every <c>KEY=VALUE</c> must equal the run's config value at that dotted path
/// (the SDK's <c>{"value": ..., "desc": ..., "sort": ...}</c> wrapper is looked through).
/// </summary>
internal static class FolderRunSelection
{
    public static bool Matches(JsonElement run, string state, RunFilter filter)
    {
        ArgumentNullException.ThrowIfNull(filter);
        if (filter.States.Count > 0 && !filter.States.Contains(state, StringComparer.OrdinalIgnoreCase)) return false;
        if (filter.Config.Count == 0) return true;
        if (!(run.ValueKind == JsonValueKind.Object && run.TryGetProperty("profile", out var profile)
              && profile.ValueKind == JsonValueKind.Object && profile.TryGetProperty("config", out var config)))
            return false;
        foreach (var (key, expected) in filter.Config)
        {
            var path = key.StartsWith("config.", StringComparison.Ordinal) ? key["config.".Length..] : key;
            if (Find(config, path) is not { } value || !Equal(value, expected)) return false;
        }
        return true;
    }

    private static JsonElement? Find(JsonElement config, string dottedPath)
    {
        var node = config;
        foreach (var part in dottedPath.Split('.'))
        {
            node = Unwrap(node);
            if (node.ValueKind != JsonValueKind.Object || !node.TryGetProperty(part, out var next)) return null;
            node = next;
        }
        return Unwrap(node);
    }

    private static JsonElement Unwrap(JsonElement node) =>
        node.ValueKind == JsonValueKind.Object && node.TryGetProperty("value", out var inner)
        && (node.TryGetProperty("sort", out _) || node.TryGetProperty("desc", out _))
            ? inner
            : node;

    private static bool Equal(JsonElement value, string expected) => value.ValueKind switch
    {
        JsonValueKind.String => value.GetString() == expected,
        JsonValueKind.Number => value.GetRawText() == expected
            || (double.TryParse(expected, NumberStyles.Float, CultureInfo.InvariantCulture, out var wanted)
                && value.TryGetDouble(out var actual) && actual.Equals(wanted)),
        JsonValueKind.True => expected.Equals("true", StringComparison.OrdinalIgnoreCase),
        JsonValueKind.False => expected.Equals("false", StringComparison.OrdinalIgnoreCase),
        JsonValueKind.Null => expected is "null" or "None",
        _ => value.GetRawText() == expected,
    };
}
