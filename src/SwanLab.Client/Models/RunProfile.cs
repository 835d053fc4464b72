using System.Buffers;
using System.Text.Json;
using SwanLab.Client.Http;

namespace SwanLab.Client;

/// <summary>
/// A run's profile. <see cref="Config"/> is cleaned as SDK 0.7.8 does: every object with a <c>value</c> member
/// (the <c>{"value", "desc", "sort"}</c> wrapper) is replaced by that value, recursively.
/// </summary>
public sealed class RunProfile
{
    private readonly JsonElement _json;

    internal RunProfile(JsonElement json)
    {
        _json = json;
        Config = Clean(json.Prop("config"));
    }

    /// <summary>Config with the desc/sort wrappers removed (an empty object when absent).</summary>
    public JsonElement Config { get; }

    /// <summary>Config exactly as sent (still wrapped).</summary>
    public JsonElement RawConfig => _json.Prop("config");

    /// <summary>System and hardware metadata (an empty object when absent).</summary>
    public JsonElement Metadata => _json.Prop("metadata") is { ValueKind: JsonValueKind.Object } m ? m : EmptyObject;

    /// <summary><c>pip freeze</c> text ("" when absent).</summary>
    public string Requirements => _json.Str("requirements");

    /// <summary>Conda environment YAML ("" when absent).</summary>
    public string Conda => _json.Str("conda");

    private static readonly JsonElement EmptyObject = JsonSerializer.Deserialize<JsonElement>("{}");

    internal static JsonElement Clean(JsonElement config)
    {
        if (config.ValueKind != JsonValueKind.Object)
            return EmptyObject;
        var buffer = new ArrayBufferWriter<byte>();
        using (var writer = new Utf8JsonWriter(buffer))
        {
            writer.WriteStartObject();
            foreach (var property in config.EnumerateObject())
            {
                writer.WritePropertyName(property.Name);
                WriteClean(writer, property.Value);
            }
            writer.WriteEndObject();
        }
        return JsonSerializer.Deserialize<JsonElement>(buffer.WrittenSpan);
    }

    private static void WriteClean(Utf8JsonWriter writer, JsonElement value)
    {
        switch (value.ValueKind)
        {
            case JsonValueKind.Object when value.TryGetProperty("value", out var inner):
                WriteClean(writer, inner);
                break;
            case JsonValueKind.Object:
                writer.WriteStartObject();
                foreach (var property in value.EnumerateObject())
                {
                    writer.WritePropertyName(property.Name);
                    WriteClean(writer, property.Value);
                }
                writer.WriteEndObject();
                break;
            case JsonValueKind.Array:
                writer.WriteStartArray();
                foreach (var item in value.EnumerateArray())
                    WriteClean(writer, item);
                writer.WriteEndArray();
                break;
            default:
                value.WriteTo(writer);
                break;
        }
    }
}
