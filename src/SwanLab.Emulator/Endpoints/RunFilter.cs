using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;
using SwanLab.Emulator.Data;
using SwanLab.Emulator.Http;

namespace SwanLab.Emulator.Endpoints;

/// <summary>
/// The server semantics the SDK documents for <c>runs/shows</c>: STABLE/CONFIG/SCALAR keys, AND-ed filters,
/// numbers compared numerically with a string fallback, dates as dates, arrays (labels) by membership.
/// CONFIG keys are top-level config names, or dotted paths into nested config values (<c>model.encoder.layers</c>).
/// </summary>
internal static class RunFilter
{
    public static object? Field(EmulatorDataset dataset, EmulatorRun run, string key, string type)
    {
        switch (type.ToUpperInvariant())
        {
            case "CONFIG":
                return ConfigValue(run.Config, key);
            case "SCALAR":
                var series = dataset.DataOwner(run).FindScalar(key)?.Read();
                return series is { Count: > 0 } ? series.ValueAt(series.Count - 1) : null;
            default:
                return key switch
                {
                    "state" => run.State,
                    "name" => run.Name,
                    "description" => run.Description,
                    "show" => run.Show,
                    "pin" => run.Pinned,
                    "baseline" => false,
                    "colors" => run.Colors,
                    "cluster" => run.Cluster,
                    "job" => run.Job,
                    "createdAt" => run.CreatedAt,
                    "updatedAt" => run.FinishedAt ?? run.CreatedAt,
                    "finishedAt" => run.FinishedAt,
                    "labels" => run.Labels,
                    _ => null,
                };
        }
    }

    private static object? ConfigValue(JsonObject config, string key)
    {
        if (config.TryGetPropertyValue(key, out var direct))
        {
            return FromNode(Writers.Unwrap(direct));
        }

        var parts = key.Split('.');
        if (!config.TryGetPropertyValue(parts[0], out var top))
        {
            return null;
        }

        var node = Writers.Unwrap(top);
        foreach (var part in parts.Skip(1))
        {
            if (node is not JsonObject obj || !obj.TryGetPropertyValue(part, out node))
            {
                return null;
            }
        }

        return FromNode(node);
    }

    private static object? FromNode(JsonNode? node)
    {
        if (node is not JsonValue value)
        {
            return node;
        }

        return value.GetValueKind() switch
        {
            JsonValueKind.String => value.GetValue<string>(),
            JsonValueKind.Number => double.Parse(value.ToJsonString(), NumberStyles.Float, CultureInfo.InvariantCulture),
            JsonValueKind.True => true,
            JsonValueKind.False => false,
            _ => null,
        };
    }

    public static object? Scalar(object? value) => value is IReadOnlyList<string> list ? string.Join(", ", list.Order(StringComparer.Ordinal)) : value;

    public static string Text(object? value) => value switch
    {
        null => "",
        string s => s,
        double d => d.ToString("R", CultureInfo.InvariantCulture),
        bool flag => flag ? "true" : "false",
        DateTimeOffset t => Json.Iso(t),
        IReadOnlyList<string> list => string.Join(", ", list.Order(StringComparer.Ordinal)),
        JsonNode node => node.ToJsonString(),
        _ => Convert.ToString(value, CultureInfo.InvariantCulture) ?? "",
    };

    public static string GroupValue(EmulatorDataset dataset, EmulatorRun run, string key, string type) =>
        Text(Field(dataset, run, key, type));

    public static bool Matches(EmulatorDataset dataset, EmulatorRun run, JsonObject filter)
    {
        var key = Json.Str(filter["key"]) ?? "";
        var type = Json.Str(filter["type"]) ?? "STABLE";
        var op = (Json.Str(filter["op"]) ?? "EQ").ToUpperInvariant();
        var values = (filter["value"] is JsonArray array ? array.ToArray() : [filter["value"]]).Select(ValueText).ToArray();
        var actual = Field(dataset, run, key, type);
        if (actual is IReadOnlyList<string> list)
        {
            var any = values.Any(v => list.Contains(v, StringComparer.Ordinal));
            return op is "NEQ" or "NOT IN" ? !any : any;
        }

        return op switch
        {
            "EQ" or "IN" => values.Any(v => Equal(actual, v)),
            "NEQ" or "NOT IN" => !values.Any(v => Equal(actual, v)),
            "GTE" => values.Length > 0 && actual is not null && CompareValues(actual, values[0]) >= 0,
            "LTE" => values.Length > 0 && actual is not null && CompareValues(actual, values[0]) <= 0,
            "CONTAIN" => values.Any(v => Text(actual).Contains(v, StringComparison.OrdinalIgnoreCase)),
            _ => false,
        };
    }

    private static string ValueText(JsonNode? node) => node switch
    {
        null => "",
        JsonValue v when v.GetValueKind() == JsonValueKind.String => v.GetValue<string>(),
        JsonValue v when v.GetValueKind() == JsonValueKind.True => "true",
        JsonValue v when v.GetValueKind() == JsonValueKind.False => "false",
        _ => node.ToJsonString(),
    };

    private static bool Equal(object? actual, string value)
    {
        if (actual is null)
        {
            return value is "" or "null" or "None";
        }

        if (actual is bool flag)
        {
            return value.Equals(flag ? "true" : "false", StringComparison.OrdinalIgnoreCase);
        }

        var text = Text(actual);
        if (double.TryParse(text, NumberStyles.Float, CultureInfo.InvariantCulture, out var a)
            && double.TryParse(value, NumberStyles.Float, CultureInfo.InvariantCulture, out var b))
        {
            return a.Equals(b);
        }

        return string.Equals(text, value, StringComparison.Ordinal);
    }

    /// <summary>Dates as dates, numbers numerically, otherwise ordinal strings; null sorts first.</summary>
    public static int CompareValues(object? left, object? right)
    {
        if (left is null || right is null)
        {
            return left is null ? (right is null ? 0 : -1) : 1;
        }

        var l = Text(left);
        var r = Text(right);
        if (left is DateTimeOffset || right is DateTimeOffset)
        {
            if (DateTimeOffset.TryParse(l, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal, out var dl)
                && DateTimeOffset.TryParse(r, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal, out var dr))
            {
                return dl.CompareTo(dr);
            }
        }

        if (double.TryParse(l, NumberStyles.Float, CultureInfo.InvariantCulture, out var nl)
            && double.TryParse(r, NumberStyles.Float, CultureInfo.InvariantCulture, out var nr))
        {
            return nl.CompareTo(nr);
        }

        return string.CompareOrdinal(l, r);
    }
}
