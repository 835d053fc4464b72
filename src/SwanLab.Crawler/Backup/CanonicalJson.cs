using System.Buffers;
using System.Text.Encodings.Web;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace SwanLab.Crawler.Backup;

/// <summary>
/// Deterministic JSON: the same value gives the same bytes, whatever order the server sent keys in.
/// </summary>
/// <remarks>
/// Policy (part of the backup format): object keys sorted by ordinal UTF-16 order at every depth (duplicate keys
/// kept, in their original order); arrays in order; numbers written with exactly the digits the server sent
/// (<c>1.0</c> stays <c>1.0</c>, <c>1e400</c> stays <c>1e400</c>); strings re-escaped by one fixed policy,
/// <see cref="JavaScriptEncoder.UnsafeRelaxedJsonEscaping"/> (readable non-ASCII text; quotes, backslash and control
/// characters escaped, characters outside the BMP escaped as surrogate pairs); files indented by two spaces with LF
/// and end in one LF. <see cref="SerializeLine"/> is the compact one-line form for JSON Lines.
/// </remarks>
public static class CanonicalJson
{
    private static readonly JsonWriterOptions IndentedOptions = new()
    {
        Indented = true, IndentSize = 2, NewLine = "\n", Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping,
        SkipValidation = false,
    };

    private static readonly JsonWriterOptions CompactOptions = new()
    {
        Indented = false, Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping,
    };

    /// <summary>Shared so every JSON the backup writes escapes strings the same way.</summary>
    public static JavaScriptEncoder Encoder => JavaScriptEncoder.UnsafeRelaxedJsonEscaping;

    /// <summary>Indented canonical form with a trailing LF, as UTF-8 bytes (for whole files).</summary>
    public static byte[] Serialize(JsonElement element)
    {
        var buffer = new ArrayBufferWriter<byte>();
        using (var writer = new Utf8JsonWriter(buffer, IndentedOptions)) Write(writer, element);
        buffer.Write("\n"u8);
        return buffer.WrittenSpan.ToArray();
    }

    /// <inheritdoc cref="Serialize(JsonElement)"/>
    public static byte[] Serialize(JsonNode? node) => Serialize(ToElement(node));

    /// <summary>Compact canonical form without a newline (one JSON Lines record).</summary>
    public static byte[] SerializeLine(JsonElement element)
    {
        var buffer = new ArrayBufferWriter<byte>();
        using (var writer = new Utf8JsonWriter(buffer, CompactOptions)) Write(writer, element);
        return buffer.WrittenSpan.ToArray();
    }

    /// <inheritdoc cref="SerializeLine(JsonElement)"/>
    public static byte[] SerializeLine(JsonNode? node) => SerializeLine(ToElement(node));

    /// <summary>Writes <paramref name="element"/> canonically into an existing writer (e.g. inside a larger document).</summary>
    public static void Write(Utf8JsonWriter writer, JsonElement element)
    {
        ArgumentNullException.ThrowIfNull(writer);
        switch (element.ValueKind)
        {
            case JsonValueKind.Object:
                writer.WriteStartObject();
                var properties = new List<JsonProperty>();
                foreach (var property in element.EnumerateObject()) properties.Add(property);
                // OrderBy is stable, so duplicate keys keep their order.
                foreach (var property in properties.OrderBy(p => p.Name, StringComparer.Ordinal))
                {
                    writer.WritePropertyName(property.Name);
                    Write(writer, property.Value);
                }
                writer.WriteEndObject();
                break;
            case JsonValueKind.Array:
                writer.WriteStartArray();
                foreach (var item in element.EnumerateArray()) Write(writer, item);
                writer.WriteEndArray();
                break;
            case JsonValueKind.String:
                writer.WriteStringValue(element.GetString());
                break;
            case JsonValueKind.Number:
                // WriteTo copies the server's own digits (re-formatting a double could turn 1.0 into 1 or round a
                // big integer) and, unlike WriteRawValue, keeps the indentation.
                element.WriteTo(writer);
                break;
            case JsonValueKind.True:
                writer.WriteBooleanValue(true);
                break;
            case JsonValueKind.False:
                writer.WriteBooleanValue(false);
                break;
            case JsonValueKind.Null:
                writer.WriteNullValue();
                break;
            default:
                throw new ArgumentException($"Cannot write a JSON value of kind {element.ValueKind}.", nameof(element));
        }
    }

    private static JsonElement ToElement(JsonNode? node) =>
        node is null ? JsonDocument.Parse("null").RootElement.Clone() : JsonSerializer.SerializeToElement(node);
}
