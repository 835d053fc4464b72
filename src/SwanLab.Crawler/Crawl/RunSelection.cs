using System.Globalization;
using System.Text.Json;
using SwanLab.Crawler.Source;

namespace SwanLab.Crawler.Crawl;

/// <summary>
/// Applies --state and --config to the runs a server returns. The server-side filter is still sent (it saves
/// traffic), but SwanLab never filters out pinned runs and servers differ in how they read a filter, so every run is
/// checked again here against its own state and config before it is exported: a selection is exact.
/// </summary>
/// <remarks>
/// Config is read from <c>profile.config</c> (else a top-level <c>config</c>). An entry wrapped as
/// <c>{value, desc, sort}</c> (0.9.x) and a plain value (0.7.8 shapes) both work, at any depth, as the SDK's
/// <c>Profile._clean_field</c> reads it; where an object has a real "value" key both readings are tried. A key is a
/// top-level name or a dotted path (<c>optimizer.lr</c>), and a top-level name may itself hold dots. Values compare as
/// the SDK documents for the server: numerically when both sides are numbers (<c>"0.01"</c> equals 0.01 and
/// <c>1e-2</c>), else as strings; booleans case-insensitively (<c>true</c>, <c>True</c>); a missing or null value
/// equals only <c>""</c>, <c>null</c> and <c>None</c>; a list matches its JSON text or any one of its elements.
/// </remarks>
public static class RunSelection
{
    /// <summary>True when <paramref name="state"/> and the config in <paramref name="raw"/> satisfy the filter.</summary>
    public static bool Matches(RunFilter filter, string state, JsonElement raw)
    {
        ArgumentNullException.ThrowIfNull(filter);
        if (filter.States.Count > 0 && !filter.States.Contains(state, StringComparer.OrdinalIgnoreCase)) return false;
        if (filter.Config.Count == 0) return true;
        if (ConfigOf(raw) is not { } config) return false;
        foreach (var (key, expected) in filter.Config)
        {
            var path = key.StartsWith("config.", StringComparison.Ordinal) ? key["config.".Length..] : key;
            if (!Candidates(config, path.Split('.'), 0).DefaultIfEmpty(default).Any(v => ValueEquals(v, expected)))
                return false;
        }
        return true;
    }

    public static bool Matches(RunFilter filter, RunSummary run) => Matches(filter, run.State, run.Raw);

    public static bool Matches(RunFilter filter, RunDetail run) => Matches(filter, run.State, run.Raw);

    /// <summary>
    /// True when the listed run cannot be checked against --config because the listing carries no config: the full
    /// run must be fetched first (the SDK does the same when a listed run lacks its profile).
    /// </summary>
    public static bool NeedsDetail(RunFilter filter, JsonElement raw) =>
        filter.Config.Count > 0 && ConfigOf(raw) is null;

    /// <summary>The runs of a listing that match, fetching a run's detail where the listing lacks its config.</summary>
    public static async Task<List<RunSummary>> SelectAsync(ICrawlSource source, RunFilter filter,
        IEnumerable<RunSummary> listed, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(source);
        var result = new List<RunSummary>();
        foreach (var run in listed)
        {
            if (NeedsDetail(filter, run.Raw))
            {
                var detail = await source.RunAsync(run.Path, ct).ConfigureAwait(false);
                if (Matches(filter, detail)) result.Add(run);
            }
            else if (Matches(filter, run))
            {
                result.Add(run);
            }
        }
        return result;
    }

    private static JsonElement? ConfigOf(JsonElement raw)
    {
        if (raw.ValueKind != JsonValueKind.Object) return null;
        if (raw.TryGetProperty("profile", out var profile) && profile.ValueKind == JsonValueKind.Object
            && profile.TryGetProperty("config", out var inProfile) && inProfile.ValueKind == JsonValueKind.Object)
            return inProfile;
        if (raw.TryGetProperty("config", out var top) && top.ValueKind == JsonValueKind.Object) return top;
        return null;
    }

    /// <summary>Every value the path can name in <paramref name="node"/>, under both readings of wrapped entries.</summary>
    private static IEnumerable<JsonElement> Candidates(JsonElement node, string[] path, int from)
    {
        if (from == path.Length)
        {
            foreach (var reading in Readings(node)) yield return reading;
            yield break;
        }
        foreach (var reading in Readings(node))
        {
            if (reading.ValueKind != JsonValueKind.Object) continue;
            // A name may hold dots itself ("optimizer.lr" as one key), so every split of the rest is tried.
            for (var to = from + 1; to <= path.Length; to++)
            {
                if (!reading.TryGetProperty(string.Join('.', path[from..to]), out var child)) continue;
                foreach (var found in Candidates(child, path, to)) yield return found;
            }
        }
    }

    /// <summary>The node itself and, when it is an object with a "value" member, that wrapped value.</summary>
    private static IEnumerable<JsonElement> Readings(JsonElement node)
    {
        if (node.ValueKind == JsonValueKind.Object && node.TryGetProperty("value", out var wrapped))
        {
            foreach (var inner in Readings(wrapped)) yield return inner;
        }
        yield return node;
    }

    private static bool ValueEquals(JsonElement actual, string expected)
    {
        switch (actual.ValueKind)
        {
            case JsonValueKind.Undefined or JsonValueKind.Null:
                return expected is "" or "null" or "None";
            case JsonValueKind.True or JsonValueKind.False:
                return expected.Equals(actual.ValueKind == JsonValueKind.True ? "true" : "false", StringComparison.OrdinalIgnoreCase);
            case JsonValueKind.Array:
                return string.Equals(actual.GetRawText(), expected, StringComparison.Ordinal)
                       || string.Equals(JsonSerializer.Serialize(actual), expected, StringComparison.Ordinal)
                       || actual.EnumerateArray().Any(e => e.ValueKind != JsonValueKind.Array && ValueEquals(e, expected));
            case JsonValueKind.Object:
                return string.Equals(actual.GetRawText(), expected, StringComparison.Ordinal);
        }
        var text = actual.ValueKind == JsonValueKind.String ? actual.GetString()! : actual.GetRawText();
        if (double.TryParse(text, NumberStyles.Float, CultureInfo.InvariantCulture, out var a)
            && double.TryParse(expected, NumberStyles.Float, CultureInfo.InvariantCulture, out var b))
            return a.Equals(b);
        return string.Equals(text, expected, StringComparison.Ordinal);
    }
}
