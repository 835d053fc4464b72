using System.Collections.Concurrent;
using System.Reflection;
using System.Runtime.Serialization;
using System.Text.Json;
using System.Text.Json.Serialization;
using Akka.Actor;
using Akka.Serialization;

namespace SwanLab.Crawler.Cluster.Serialization;

/// <summary>
/// Serializes every <see cref="ICrawlClusterMessage"/> that crosses nodes as UTF-8 JSON (System.Text.Json): records
/// through their constructors, <see cref="JsonElement"/> payloads (a run's or project's raw server object) kept as
/// they were, enums by name, actor references by their serialized path. The manifest is the message's type name
/// (<see cref="CrawlMessageTypes.ManifestOf"/>); a manifest that names no crawl message is refused, never instantiated.
/// </summary>
public sealed class CrawlJsonSerializer : SerializerWithStringManifest
{
    /// <summary>The serializer's id in Akka's registry: unique among the system's serializers (Akka keeps 0-100).</summary>
    public const int Id = 1313;

    /// <summary>The name the serializer is bound under in <c>akka.actor.serializers</c>.</summary>
    public const string Name = "swanlab-crawl-json";

    private readonly JsonSerializerOptions _options;

    public CrawlJsonSerializer(ExtendedActorSystem system) : base(system)
    {
        _options = CrawlJson.Options(system);
    }

    public override int Identifier => Id;

    public override string Manifest(object o) => CrawlMessageTypes.ManifestOf(o.GetType());

    public override byte[] ToBinary(object obj)
    {
        if (obj is not ICrawlClusterMessage)
            throw new SerializationException(
                $"{obj.GetType().FullName} is not an {nameof(ICrawlClusterMessage)}; the crawl's JSON serializer only carries those.");
        return JsonSerializer.SerializeToUtf8Bytes(obj, obj.GetType(), _options);
    }

    public override object FromBinary(byte[] bytes, string manifest)
    {
        var type = CrawlMessageTypes.Resolve(manifest);
        try
        {
            return JsonSerializer.Deserialize(bytes, type, _options)
                ?? throw new SerializationException($"A {manifest} message arrived as JSON null.");
        }
        catch (JsonException ex)
        {
            throw new SerializationException($"A {manifest} message could not be read: {ex.Message}", ex);
        }
    }
}

/// <summary>The manifests of crawl messages: a stable type name, resolved back only to crawl message types.</summary>
public static class CrawlMessageTypes
{
    private static readonly Assembly CrawlerAssembly = typeof(ICrawlClusterMessage).Assembly;
    private static readonly ConcurrentDictionary<string, Type> Resolved = new(StringComparer.Ordinal);

    /// <summary>
    /// The full type name for the crawler's own messages (every node runs the same crawler), "name, assembly" for
    /// messages defined elsewhere (tests); never an assembly version, so nodes of two builds still understand each other.
    /// </summary>
    public static string ManifestOf(Type type) =>
        type.Assembly == CrawlerAssembly ? type.FullName! : $"{type.FullName}, {type.Assembly.GetName().Name}";

    public static Type Resolve(string manifest) => Resolved.GetOrAdd(manifest, static m =>
    {
        var type = (m.Contains(',', StringComparison.Ordinal) ? Type.GetType(m, throwOnError: false) : CrawlerAssembly.GetType(m))
            ?? throw new SerializationException(
                $"Unknown crawl message manifest '{m}': no such type here (is every node running the same crawler version?).");
        if (!typeof(ICrawlClusterMessage).IsAssignableFrom(type) || type.IsAbstract)
            throw new SerializationException(
                $"Manifest '{m}' names {type.FullName}, which is not a concrete {nameof(ICrawlClusterMessage)}; refused.");
        return type;
    });

    /// <summary>Every concrete crawl message type the crawler defines.</summary>
    public static IReadOnlyList<Type> InCrawler() =>
        CrawlerAssembly.GetTypes()
            .Where(t => typeof(ICrawlClusterMessage).IsAssignableFrom(t) && t is { IsAbstract: false, IsInterface: false })
            .OrderBy(t => t.FullName, StringComparer.Ordinal)
            .ToList();
}

/// <summary>The JSON options cross-node messages are written with.</summary>
internal static class CrawlJson
{
    public static JsonSerializerOptions Options(ActorSystem system)
    {
        var options = new JsonSerializerOptions
        {
            // Metric values can be NaN or infinite; JSON has no literal for them.
            NumberHandling = JsonNumberHandling.AllowNamedFloatingPointLiterals,
            // A message with a field added on a newer node still reads on an older one.
            UnmappedMemberHandling = JsonUnmappedMemberHandling.Skip,
            IncludeFields = false,
            MaxDepth = 256,
        };
        options.Converters.Add(new JsonStringEnumConverter());
        options.Converters.Add(new UndefinedSafeJsonElementConverter());
        options.Converters.Add(new ActorRefConverterFactory(system));
        options.Converters.Add(new NestedMessageConverterFactory());
        options.Converters.Add(new ReadOnlySetConverterFactory());
        options.MakeReadOnly(populateMissingResolver: true);
        return options;
    }
}

/// <summary>
/// JsonElement as it is; a default (undefined) element, which System.Text.Json refuses to write, goes as null.
/// </summary>
internal sealed class UndefinedSafeJsonElementConverter : JsonConverter<JsonElement>
{
    public override JsonElement Read(ref Utf8JsonReader reader, Type typeToConvert, JsonSerializerOptions options) =>
        JsonElement.ParseValue(ref reader);

    public override void Write(Utf8JsonWriter writer, JsonElement value, JsonSerializerOptions options)
    {
        if (value.ValueKind == JsonValueKind.Undefined) writer.WriteNullValue();
        else value.WriteTo(writer);
    }
}

/// <summary>
/// Actor references as <see cref="Akka.Serialization.Serialization.SerializedActorPath"/> writes them (with this
/// node's address when sent over remoting), resolved back through the receiving system's provider.
/// </summary>
internal sealed class ActorRefConverterFactory(ActorSystem system) : JsonConverterFactory
{
    public override bool CanConvert(Type typeToConvert) => typeof(IActorRef).IsAssignableFrom(typeToConvert);

    public override JsonConverter CreateConverter(Type typeToConvert, JsonSerializerOptions options) =>
        (JsonConverter)Activator.CreateInstance(typeof(ActorRefConverter<>).MakeGenericType(typeToConvert), system)!;

    private sealed class ActorRefConverter<T>(ActorSystem system) : JsonConverter<T> where T : class, IActorRef
    {
        public override T? Read(ref Utf8JsonReader reader, Type typeToConvert, JsonSerializerOptions options)
        {
            if (reader.TokenType == JsonTokenType.Null) return null;
            var path = reader.GetString() ?? throw new JsonException("An actor reference must be a path string.");
            var resolved = ((ExtendedActorSystem)system).Provider.ResolveActorRef(path);
            return resolved as T ?? throw new JsonException($"Actor {path} resolved to a {resolved.GetType().Name}, not a {typeof(T).Name}.");
        }

        public override void Write(Utf8JsonWriter writer, T value, JsonSerializerOptions options) =>
            writer.WriteStringValue(Akka.Serialization.Serialization.SerializedActorPath(value));
    }
}

/// <summary>
/// A field typed as an abstract crawl message (or the marker itself) carries its concrete type:
/// <c>{"$type": manifest, "value": {...}}</c>, resolved like a top-level manifest.
/// </summary>
internal sealed class NestedMessageConverterFactory : JsonConverterFactory
{
    public override bool CanConvert(Type typeToConvert) =>
        typeof(ICrawlClusterMessage).IsAssignableFrom(typeToConvert) && (typeToConvert.IsAbstract || typeToConvert.IsInterface);

    public override JsonConverter CreateConverter(Type typeToConvert, JsonSerializerOptions options) =>
        (JsonConverter)Activator.CreateInstance(typeof(NestedMessageConverter<>).MakeGenericType(typeToConvert))!;

    private sealed class NestedMessageConverter<T> : JsonConverter<T> where T : class
    {
        public override T? Read(ref Utf8JsonReader reader, Type typeToConvert, JsonSerializerOptions options)
        {
            if (reader.TokenType == JsonTokenType.Null) return null;
            using var document = JsonDocument.ParseValue(ref reader);
            var root = document.RootElement;
            if (!root.TryGetProperty("$type", out var manifest) || !root.TryGetProperty("value", out var value))
                throw new JsonException($"A {typeof(T).Name} field must hold {{\"$type\", \"value\"}}.");
            Type type;
            try { type = CrawlMessageTypes.Resolve(manifest.GetString() ?? ""); }
            catch (SerializationException ex) { throw new JsonException(ex.Message, ex); }
            if (!typeToConvert.IsAssignableFrom(type))
                throw new JsonException($"{type.FullName} is not a {typeToConvert.Name}.");
            return (T?)value.Deserialize(type, options);
        }

        public override void Write(Utf8JsonWriter writer, T value, JsonSerializerOptions options)
        {
            writer.WriteStartObject();
            writer.WriteString("$type", CrawlMessageTypes.ManifestOf(value.GetType()));
            writer.WritePropertyName("value");
            JsonSerializer.Serialize(writer, value, value.GetType(), options);
            writer.WriteEndObject();
        }
    }
}

/// <summary>System.Text.Json reads no <see cref="IReadOnlySet{T}"/>: it arrives as a <see cref="HashSet{T}"/>.</summary>
internal sealed class ReadOnlySetConverterFactory : JsonConverterFactory
{
    public override bool CanConvert(Type typeToConvert) =>
        typeToConvert.IsGenericType && typeToConvert.GetGenericTypeDefinition() == typeof(IReadOnlySet<>);

    public override JsonConverter CreateConverter(Type typeToConvert, JsonSerializerOptions options) =>
        (JsonConverter)Activator.CreateInstance(typeof(ReadOnlySetConverter<>).MakeGenericType(typeToConvert.GetGenericArguments()))!;

    private sealed class ReadOnlySetConverter<T> : JsonConverter<IReadOnlySet<T>>
    {
        public override IReadOnlySet<T>? Read(ref Utf8JsonReader reader, Type typeToConvert, JsonSerializerOptions options) =>
            JsonSerializer.Deserialize<HashSet<T>>(ref reader, options);

        public override void Write(Utf8JsonWriter writer, IReadOnlySet<T> value, JsonSerializerOptions options) =>
            JsonSerializer.Serialize<IEnumerable<T>>(writer, value, options);
    }
}
