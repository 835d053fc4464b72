using System.Globalization;
using System.Text.Json;

namespace SwanLab.Client.Http;

/// <summary>Tolerant field access on server JSON: a missing or null field reads as the given default.</summary>
internal static class JsonRead
{
    public static JsonElement Prop(this JsonElement obj, string name) =>
        obj.ValueKind == JsonValueKind.Object && obj.TryGetProperty(name, out var value) ? value : default;

    public static string Str(this JsonElement obj, string name, string fallback = "") =>
        obj.Prop(name) is { ValueKind: JsonValueKind.String } value ? value.GetString()! : fallback;

    public static string? StrOrNull(this JsonElement obj, string name) =>
        obj.Prop(name) is { ValueKind: JsonValueKind.String } value && value.GetString() is { Length: > 0 } text ? text : null;

    public static bool Bool(this JsonElement obj, string name, bool fallback) => obj.Prop(name).ValueKind switch
    {
        JsonValueKind.True => true,
        JsonValueKind.False => false,
        _ => fallback,
    };

    public static long? Long(this JsonElement obj, string name) => AsLong(obj.Prop(name));

    public static long? AsLong(JsonElement value) => value.ValueKind switch
    {
        JsonValueKind.Number when value.TryGetInt64(out var l) => l,
        JsonValueKind.Number => (long)value.GetDouble(),
        JsonValueKind.String when long.TryParse(value.GetString(), NumberStyles.Integer, CultureInfo.InvariantCulture, out var l) => l,
        _ => null,
    };

    /// <summary>A metric value: a number, or the strings NaN/INF/-INF/inf/nan the SDKs send for non-finite values.</summary>
    public static double? AsDouble(JsonElement value) => value.ValueKind switch
    {
        JsonValueKind.Number => value.GetDouble(),
        JsonValueKind.String => MetricNumbers.TryParse(value.GetString(), out var d) ? d : null,
        _ => null,
    };

    public static IEnumerable<JsonElement> Items(this JsonElement array) =>
        array.ValueKind == JsonValueKind.Array ? array.EnumerateArray() : [];
}
