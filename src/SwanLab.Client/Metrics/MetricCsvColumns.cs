namespace SwanLab.Client.Metrics;

/// <summary>
/// Which cells of a metric CSV row hold each requested key's value and timestamp. The SDK skips the header and reads
/// the columns by position (<c>1 + 2i</c>, <c>2 + 2i</c> for the i-th requested key), so the header's names are a point
/// servers may spell differently: the experiment part can be the run name, its cuid or anything else, and the keys may
/// come in another order. Columns are therefore matched by name, <c>{prefix}{key}_step</c> (the value, despite its
/// name) and <c>{prefix}{key}_timestamp</c> (optional: a CSV without it has no timestamps), with one <c>prefix</c> shared by all columns of the export, chosen as the
/// one that explains the most keys (so <c>loss</c> is never taken for <c>train-loss</c>); only a header that names none
/// of the keys is read by position, as the SDK does. A key without its columns, or whose timestamp column comes before
/// its value column (a header with the two names swapped), is a <see cref="SwanLabProtocolException"/>.
/// </summary>
internal sealed class MetricCsvColumns
{
    private const string ValueSuffix = "_step";
    private const string TimestampSuffix = "_timestamp";

    private MetricCsvColumns(int[] value, int[] timestamp)
    {
        ValueColumn = value;
        TimestampColumn = timestamp;
    }

    /// <summary>Cell index of each key's value (request order).</summary>
    public IReadOnlyList<int> ValueColumn { get; }

    /// <summary>Cell index of each key's timestamp (request order); -1 where the CSV has none.</summary>
    public IReadOnlyList<int> TimestampColumn { get; }

    /// <summary>
    /// Resolves <paramref name="keys"/> against the header's cell <paramref name="names"/>; <paramref name="keys"/> null
    /// means one series read by position (a caller that does not know the key). <paramref name="preferredPrefixes"/>
    /// break ties between equally good prefixes (e.g. <c>"{run name}-"</c>, <c>"{cuid}-"</c>).
    /// </summary>
    public static MetricCsvColumns Resolve(IReadOnlyList<string> names, IReadOnlyList<string>? keys,
        IReadOnlyList<string> preferredPrefixes, Func<string, SwanLabProtocolException> fail)
    {
        if (keys is null)
            return Positional(names, 1, fail);

        var values = new Dictionary<string, int>(StringComparer.Ordinal);
        var timestamps = new Dictionary<string, int>(StringComparer.Ordinal);
        for (var i = 1; i < names.Count; i++)
        {
            var name = names[i];
            if (name.EndsWith(TimestampSuffix, StringComparison.Ordinal))
                timestamps.TryAdd(name[..^TimestampSuffix.Length], i);
            else
                values.TryAdd(name.EndsWith(ValueSuffix, StringComparison.Ordinal) ? name[..^ValueSuffix.Length] : name, i);
        }

        // Every prefix some value column would have if it belonged to some key, scored by the keys it explains.
        var scores = new Dictionary<string, int>(StringComparer.Ordinal);
        foreach (var key in keys)
        {
            var seen = new HashSet<string>(StringComparer.Ordinal);
            foreach (var stem in values.Keys)
            {
                if (!stem.EndsWith(key, StringComparison.Ordinal))
                    continue;
                var prefix = stem[..^key.Length];
                if (seen.Add(prefix))
                    scores[prefix] = scores.GetValueOrDefault(prefix) + 1;
            }
        }

        if (scores.Count == 0)
        {
            // Nothing in the header names a requested key: read by position, like the SDK.
            if (names.Count == 1 + (2 * keys.Count) || (keys.Count == 1 && names.Count == 2))
                return Positional(names, keys.Count, fail);
            throw fail($"names none of the requested key(s) {Quote(keys)}");
        }

        var best = scores
            .OrderByDescending(s => s.Value)
            .ThenBy(s => Preference(s.Key, preferredPrefixes))
            .ThenBy(s => s.Key.Length)
            .ThenBy(s => s.Key, StringComparer.Ordinal)
            .First().Key;
        var value = new int[keys.Count];
        var timestamp = new int[keys.Count];
        var missing = new List<string>();
        for (var k = 0; k < keys.Count; k++)
        {
            var stem = best + keys[k];
            if (!values.TryGetValue(stem, out value[k]))
            {
                missing.Add(keys[k]);
                continue;
            }
            // A server without timestamps is fine: the points just have none.
            timestamp[k] = timestamps.GetValueOrDefault(stem, -1);
            if (timestamp[k] >= 0 && timestamp[k] < value[k])
                throw fail($"names the timestamp column of '{keys[k]}' ('{names[timestamp[k]]}') before its value column");
        }
        if (missing.Count > 0)
            throw fail($"has no value column for the requested key(s) {Quote(missing)}");
        return new MetricCsvColumns(value, timestamp);
    }

    private static MetricCsvColumns Positional(IReadOnlyList<string> names, int keys, Func<string, SwanLabProtocolException> fail)
    {
        var value = new int[keys];
        var timestamp = new int[keys];
        for (var k = 0; k < keys; k++)
        {
            value[k] = 1 + (2 * k);
            timestamp[k] = 2 + (2 * k);
            if (names.Count <= value[k])
                throw fail($"has {names.Count} column(s), no value column");
            if (IsTimestampName(names[value[k]]))
                throw fail($"names a timestamp column ('{names[value[k]]}') where the value column should be");
            if (names.Count <= timestamp[k] && keys == 1)
                timestamp[k] = -1; // step,value: a series without timestamps
            else if (names.Count <= timestamp[k] || !IsTimestampName(names[timestamp[k]]))
                throw fail(names.Count <= timestamp[k]
                    ? $"has no _timestamp column after '{names[value[k]]}'"
                    : $"names '{names[timestamp[k]]}' where the value's _timestamp column should be");
        }
        return new MetricCsvColumns(value, timestamp);
    }

    // By position the names only have to look like what they hold ("x_timestamp", "timestamp", "Timestamp").
    private static bool IsTimestampName(string name) => name.EndsWith("timestamp", StringComparison.OrdinalIgnoreCase);

    private static int Preference(string prefix, IReadOnlyList<string> preferred)
    {
        for (var i = 0; i < preferred.Count; i++)
            if (string.Equals(preferred[i], prefix, StringComparison.Ordinal))
                return i;
        return preferred.Count;
    }

    private static string Quote(IEnumerable<string> keys) => string.Join(", ", keys.Select(k => $"'{k}'"));
}
