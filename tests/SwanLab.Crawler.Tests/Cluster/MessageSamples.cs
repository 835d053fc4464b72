using System.Collections;
using System.Globalization;
using System.Reflection;
using System.Text;
using System.Text.Json;
using Akka.Actor;
using SwanLab.Crawler.Cluster.Serialization;

namespace SwanLab.Crawler.Tests.Cluster;

/// <summary>
/// Builds a sample of any message type by reflection (every constructor parameter and settable property given a
/// value that is not its type's default, so a value lost on the way shows) and checks it survives the serializer.
/// </summary>
public static class MessageSamples
{
    /// <summary>Null when a sample of <paramref name="type"/> comes back equal; otherwise what went wrong.</summary>
    public static string? RoundTripProblem(Type type, ActorSystem system)
    {
        try
        {
            var sample = Of(type, system);
            var serializer = system.Serialization.FindSerializerFor(sample);
            if (serializer is not CrawlJsonSerializer json) return $"{type.FullName}: bound to {serializer.GetType().Name}";
            var bytes = json.ToBinary(sample);
            var back = json.FromBinary(bytes, json.Manifest(sample));
            if (back.GetType() != type) return $"{type.FullName}: came back as {back.GetType().FullName}";
            var (before, after) = (Describe(sample), Describe(back));
            return before == after ? null : $"{type.FullName}: sent {before}, received {after}";
        }
        catch (Exception ex)
        {
            return $"{type.FullName}: {ex.GetType().Name}: {ex.Message}";
        }
    }

    public static object Of(Type type, ActorSystem system) => Value(type, "sample", system, depth: 0)!;

    private static object? Value(Type type, string name, ActorSystem system, int depth)
    {
        if (depth > 8) return null;
        var underlying = Nullable.GetUnderlyingType(type);
        if (underlying is not null) return Value(underlying, name, system, depth);
        if (type == typeof(string)) return "x-" + name;
        if (type == typeof(bool)) return true;
        if (type == typeof(int)) return 7;
        if (type == typeof(long)) return 9_000_000_001L;
        if (type == typeof(double)) return 1.0000000000000002;
        if (type == typeof(float)) return 1.5f;
        if (type == typeof(decimal)) return 2.5m;
        if (type == typeof(Guid)) return new Guid("0f8fad5b-d9cb-469f-a165-70867728950e");
        if (type == typeof(DateTimeOffset)) return new DateTimeOffset(2026, 12, 4, 21, 30, 15, 123, TimeSpan.FromHours(2));
        if (type == typeof(DateTime)) return new DateTime(2026, 12, 4, 21, 30, 15, DateTimeKind.Utc);
        if (type == typeof(TimeSpan)) return TimeSpan.FromMilliseconds(2500.25);
        if (type == typeof(JsonElement)) return JsonDocument.Parse($$"""{"{{name}}":[1,2.5,"t",null,{"n":true}]}""").RootElement;
        if (type.IsEnum) return Enum.GetValues(type).Cast<object>().Last();
        if (typeof(IActorRef).IsAssignableFrom(type)) return system.DeadLetters;
        if (type == typeof(object)) return "x-" + name;
        if (type.IsArray)
        {
            var array = Array.CreateInstance(type.GetElementType()!, 1);
            array.SetValue(Value(type.GetElementType()!, name, system, depth + 1), 0);
            return array;
        }
        if (type.IsGenericType && Generic(type) is { } collection) return collection(name, system, depth);
        if (type.IsAbstract || type.IsInterface)
        {
            var concrete = type.Assembly.GetTypes()
                .Where(t => type.IsAssignableFrom(t) && t is { IsAbstract: false, IsInterface: false })
                .OrderBy(t => t.FullName, StringComparer.Ordinal).FirstOrDefault()
                ?? throw new InvalidOperationException($"no concrete type for {type.FullName}");
            return Value(concrete, name, system, depth);
        }
        return Construct(type, system, depth);
    }

    private static Func<string, ActorSystem, int, object>? Generic(Type type)
    {
        var definition = type.GetGenericTypeDefinition();
        var args = type.GetGenericArguments();
        if (definition == typeof(IReadOnlyList<>) || definition == typeof(IReadOnlyCollection<>) || definition == typeof(IEnumerable<>)
            || definition == typeof(List<>) || definition == typeof(IList<>))
            return (name, system, depth) =>
            {
                var list = (IList)Activator.CreateInstance(typeof(List<>).MakeGenericType(args[0]))!;
                list.Add(Value(args[0], name, system, depth + 1));
                return list;
            };
        if (definition == typeof(IReadOnlySet<>) || definition == typeof(ISet<>) || definition == typeof(HashSet<>))
            return (name, system, depth) =>
            {
                var set = Activator.CreateInstance(typeof(HashSet<>).MakeGenericType(args[0]))!;
                set.GetType().GetMethod("Add")!.Invoke(set, [Value(args[0], name, system, depth + 1)]);
                return set;
            };
        if (definition == typeof(IReadOnlyDictionary<,>) || definition == typeof(IDictionary<,>) || definition == typeof(Dictionary<,>))
            return (name, system, depth) =>
            {
                var dictionary = (IDictionary)Activator.CreateInstance(typeof(Dictionary<,>).MakeGenericType(args))!;
                dictionary.Add(Value(args[0], name + "-key", system, depth + 1)!, Value(args[1], name, system, depth + 1));
                return dictionary;
            };
        return null;
    }

    private static object Construct(Type type, ActorSystem system, int depth)
    {
        var constructor = type.GetConstructors().OrderByDescending(c => c.GetParameters().Length).FirstOrDefault()
            ?? throw new InvalidOperationException($"{type.FullName} has no public constructor");
        var instance = constructor.Invoke(constructor.GetParameters()
            .Select(p => Value(p.ParameterType, p.Name!, system, depth + 1)).ToArray());
        var parameters = constructor.GetParameters().Select(p => p.Name!).ToHashSet(StringComparer.OrdinalIgnoreCase);
        foreach (var property in type.GetProperties(BindingFlags.Public | BindingFlags.Instance))
            if (property.SetMethod is { } setter && !parameters.Contains(property.Name) && property.GetIndexParameters().Length == 0)
                setter.Invoke(instance, [Value(property.PropertyType, property.Name, system, depth + 1)]);
        return instance;
    }

    /// <summary>A structural description: public properties at every depth, JSON by its text, actors by path.</summary>
    public static string Describe(object? value)
    {
        var text = new StringBuilder();
        Describe(value, text, depth: 0);
        return text.ToString();
    }

    private static void Describe(object? value, StringBuilder text, int depth)
    {
        switch (value)
        {
            case null: text.Append("null"); return;
            case string s: text.Append('"').Append(s).Append('"'); return;
            case JsonElement e: text.Append(e.ValueKind == JsonValueKind.Undefined ? "undefined" : e.GetRawText()); return;
            case IActorRef actor: text.Append(actor.Path.ToStringWithoutAddress()); return;
            case DateTimeOffset d: text.Append(d.ToString("O", CultureInfo.InvariantCulture)); return;
            case double d: text.Append(d.ToString("R", CultureInfo.InvariantCulture)); return;
            case IFormattable f when value.GetType().IsPrimitive || value is decimal or Guid or TimeSpan or DateTime || value.GetType().IsEnum:
                text.Append(f.ToString(null, CultureInfo.InvariantCulture)); return;
            case bool b: text.Append(b); return;
            case IDictionary dictionary:
                text.Append('{');
                foreach (var key in dictionary.Keys.Cast<object>().OrderBy(k => k.ToString(), StringComparer.Ordinal))
                {
                    text.Append(key).Append('=');
                    Describe(dictionary[key], text, depth + 1);
                    text.Append(';');
                }
                text.Append('}');
                return;
            case IEnumerable items:
                text.Append('[');
                foreach (var item in items) { Describe(item, text, depth + 1); text.Append(','); }
                text.Append(']');
                return;
        }
        if (depth > 16) { text.Append("..."); return; }
        text.Append(value.GetType().Name).Append('{');
        foreach (var property in value.GetType().GetProperties(BindingFlags.Public | BindingFlags.Instance)
                     .Where(p => p.GetIndexParameters().Length == 0 && p.Name != "EqualityContract").OrderBy(p => p.Name, StringComparer.Ordinal))
        {
            text.Append(property.Name).Append('=');
            Describe(property.GetValue(value), text, depth + 1);
            text.Append(';');
        }
        text.Append('}');
    }
}
