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
                var properties = new List<(string Name, JsonElement Value)>();
                var rawNames = (List<string>?)null;
                var i = 0;
                foreach (var property in element.EnumerateObject())
                {
                    string name;
                    try { name = property.Name; }
                    catch (InvalidOperationException)
                    {
                        // A key with a lone surrogate (valid JSON, not valid UTF-16 text): keep it, decoded by hand.
                        rawNames ??= RawPropertyNames(element);
                        name = rawNames[i];
                    }
                    // Sort by the name as written, so re-canonicalising the output gives the same bytes.
                    properties.Add((HasLoneSurrogate(name) ? EscapeLoneSurrogatesAsText(name) : name, property.Value));
                    i++;
                }
                // OrderBy is stable, so duplicate keys keep their order.
                foreach (var (name, value) in properties.OrderBy(p => p.Name, StringComparer.Ordinal))
                {
                    writer.WritePropertyName(name);
                    Write(writer, value);
                }
                writer.WriteEndObject();
                break;
            case JsonValueKind.Array:
                writer.WriteStartArray();
                foreach (var item in element.EnumerateArray()) Write(writer, item);
                writer.WriteEndArray();
                break;
            case JsonValueKind.String:
                string text;
                try { text = element.GetString()!; }
                catch (InvalidOperationException)
                {
                    // A lone surrogate ("\ud800"): System.Text.Json refuses to decode it and an encoder would replace
                    // it with U+FFFD. Write it escaped, as the server sent it, so nothing is lost.
                    writer.WriteRawValue(EscapeStrict(DecodeRawString(element.GetRawText())), skipInputValidation: true);
                    break;
                }
                writer.WriteStringValue(text);
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

    private static List<string> RawPropertyNames(JsonElement obj)
    {
        var names = new List<string>();
        var reader = new Utf8JsonReader(System.Text.Encoding.UTF8.GetBytes(obj.GetRawText()));
        while (reader.Read())
        {
            if (reader.TokenType == JsonTokenType.PropertyName && reader.CurrentDepth == 1)
                names.Add(DecodeRawString("\"" + System.Text.Encoding.UTF8.GetString(reader.ValueSpan) + "\""));
        }
        return names;
    }

    /// <summary>Decodes a JSON string token (with quotes) to UTF-16, keeping lone surrogates.</summary>
    private static string DecodeRawString(string raw)
    {
        var sb = new System.Text.StringBuilder(raw.Length);
        for (var i = 1; i < raw.Length - 1; i++)
        {
            var c = raw[i];
            if (c != '\\') { sb.Append(c); continue; }
            var e = raw[++i];
            switch (e)
            {
                case 'n': sb.Append('\n'); break;
                case 'r': sb.Append('\r'); break;
                case 't': sb.Append('\t'); break;
                case 'b': sb.Append('\b'); break;
                case 'f': sb.Append('\f'); break;
                case 'u':
                    sb.Append((char)int.Parse(raw.AsSpan(i + 1, 4), System.Globalization.NumberStyles.HexNumber,
                        System.Globalization.CultureInfo.InvariantCulture));
                    i += 4;
                    break;
                default: sb.Append(e); break; // \" \\ \/
            }
        }
        return sb.ToString();
    }

    /// <summary>A JSON string token for text that may hold lone surrogates; ASCII controls and surrogates escaped.</summary>
    private static string EscapeStrict(string text)
    {
        var sb = new System.Text.StringBuilder(text.Length + 2).Append('"');
        for (var i = 0; i < text.Length; i++)
        {
            var c = text[i];
            if (char.IsHighSurrogate(c) && i + 1 < text.Length && char.IsLowSurrogate(text[i + 1]))
            {
                sb.Append(c).Append(text[++i]);
                continue;
            }
            if (c == '"') sb.Append("\\\"");
            else if (c == '\\') sb.Append("\\\\");
            else if (c < 0x20 || c == 0x7F || char.IsSurrogate(c))
                sb.Append("\\u").Append(((int)c).ToString("X4", System.Globalization.CultureInfo.InvariantCulture));
            else sb.Append(c);
        }
        return sb.Append('"').ToString();
    }

    private static bool HasLoneSurrogate(string text)
    {
        for (var i = 0; i < text.Length; i++)
        {
            if (char.IsHighSurrogate(text[i]) && i + 1 < text.Length && char.IsLowSurrogate(text[i + 1])) { i++; continue; }
            if (char.IsSurrogate(text[i])) return true;
        }
        return false;
    }

    /// <summary>
    /// Property names cannot be written raw, so a lone surrogate in a key becomes the visible text "\\uD800"
    /// (the key gains a backslash; deterministic, and nothing is silently replaced).
    /// </summary>
    private static string EscapeLoneSurrogatesAsText(string name)
    {
        var sb = new System.Text.StringBuilder(name.Length + 8);
        for (var i = 0; i < name.Length; i++)
        {
            var c = name[i];
            if (char.IsHighSurrogate(c) && i + 1 < name.Length && char.IsLowSurrogate(name[i + 1])) { sb.Append(c).Append(name[++i]); continue; }
            if (char.IsSurrogate(c)) sb.Append("\\u").Append(((int)c).ToString("X4", System.Globalization.CultureInfo.InvariantCulture));
            else sb.Append(c);
        }
        return sb.ToString();
    }

    private static JsonElement ToElement(JsonNode? node) =>
        node is null ? JsonDocument.Parse("null").RootElement.Clone() : JsonSerializer.SerializeToElement(node);
}
