using System.Text;

namespace SwanLab.Client;

/// <summary>
/// Turns the SDK's dict form of run filters (<c>{"state": "FINISHED", "config.optimizer.lr": "0.01"}</c>) into the
/// wire filter list of <c>POST .../runs/shows</c>, exactly as SDK 0.7.8 builds it: the text before the first dot picks
/// the type (<c>config</c> → CONFIG, <c>summary</c> → SCALAR, anything else → STABLE), CONFIG/SCALAR keys are the text
/// after the first dot, STABLE keys are converted snake_case → camelCase, <c>op</c> is always <c>EQ</c>,
/// <c>active</c> always true and <c>value</c> a one-element list holding the value as given.
/// </summary>
public static class RunFilters
{
    /// <summary>One wire filter item, in the field order the SDK sends.</summary>
    /// <param name="Key">The key as the server knows it.</param>
    /// <param name="Active">Always true.</param>
    /// <param name="Value">One-element list with the user's value.</param>
    /// <param name="Op">Always <c>EQ</c>.</param>
    /// <param name="Type"><c>STABLE</c>, <c>CONFIG</c> or <c>SCALAR</c>.</param>
    public sealed record WireFilter(string Key, bool Active, IReadOnlyList<object?> Value, string Op, string Type);

    /// <summary>Builds the wire list; empty for null or no filters. Dictionary order is kept.</summary>
    public static IReadOnlyList<WireFilter> ToWire(IReadOnlyDictionary<string, object?>? filters)
    {
        if (filters is null || filters.Count == 0)
            return [];
        var result = new List<WireFilter>(filters.Count);
        foreach (var (key, value) in filters)
        {
            if (string.IsNullOrEmpty(key))
                throw new ArgumentException("A run filter has an empty key.", nameof(filters));
            var type = ColumnType(key);
            var wireKey = type == "STABLE" ? ToCamelCase(key) : AfterFirstDot(key);
            result.Add(new WireFilter(wireKey, true, [value], "EQ", type));
        }
        return result;
    }

    private static string ColumnType(string key) => key.Split('.', 2)[0] switch
    {
        "summary" => "SCALAR",
        "config" => "CONFIG",
        _ => "STABLE",
    };

    private static string AfterFirstDot(string key)
    {
        var dot = key.IndexOf('.', StringComparison.Ordinal);
        return dot < 0 ? key : key[(dot + 1)..];
    }

    /// <summary>Python's <c>''.join(w.capitalize() if i else w for i, w in enumerate(name.split('_')))</c>.</summary>
    internal static string ToCamelCase(string name)
    {
        var words = name.Split('_');
        var builder = new StringBuilder(words[0]);
        for (var i = 1; i < words.Length; i++)
        {
            var word = words[i];
            if (word.Length == 0)
                continue;
            builder.Append(char.ToUpperInvariant(word[0])).Append(word[1..].ToLowerInvariant());
        }
        return builder.ToString();
    }
}
