using System.Globalization;
using System.Reflection;
using Akka.Configuration;
using Akka.Configuration.Hocon;

namespace SwanLab.Crawler.Configuration;

/// <summary>
/// Reads <c>config/crawler.hocon</c>. The copy embedded in the tool supplies every default, so a user's file may set
/// only what it changes; a key the tool does not know is an error rather than a silently ignored typo.
/// </summary>
internal static class HoconSettings
{
    public const string Root = "swanlab-crawler";
    const string EmbeddedName = "SwanLab.Crawler.config.crawler.hocon";

    delegate SettingsLayer Binder(SettingsLayer layer, Config config, string path);

    static readonly IReadOnlyDictionary<string, Binder> Keys = new Dictionary<string, Binder>(StringComparer.Ordinal)
    {
        ["host"] = (l, c, p) => l with { Host = NonEmpty(c.GetString(p)) },
        ["export.out"] = (l, c, p) => l with { Out = NonEmpty(c.GetString(p)) },
        ["export.format"] = (l, c, p) => l with { Format = NonEmpty(c.GetString(p)) },
        ["export.sample"] = (l, c, p) => l with { Sample = Int(c, p) },
        ["export.logs"] = (l, c, p) => l with { Logs = Bool(c, p) },
        ["export.media"] = (l, c, p) => l with { Media = Bool(c, p) },
        ["export.verify-existing"] = (l, c, p) => l with { VerifyExisting = Bool(c, p) },
        ["concurrency.runs"] = (l, c, p) => l with { RunConcurrency = Int(c, p) },
        ["concurrency.series"] = (l, c, p) => l with { SeriesConcurrency = Int(c, p) },
        ["concurrency.channel-capacity"] = (l, c, p) => l with { ChannelCapacity = Int(c, p) },
        ["rate-limit.requests-per-second"] = (l, c, p) => l with { RequestsPerSecond = Double(c, p) },
        ["rate-limit.initial-requests-per-second"] = (l, c, p) => l with { InitialRequestsPerSecond = Double(c, p) },
        ["http.timeout"] = (l, c, p) => l with { HttpTimeout = Duration(c, p) },
        ["http.max-retries"] = (l, c, p) => l with { MaxRetries = Int(c, p) },
        ["http.backoff-base"] = (l, c, p) => l with { BackoffBase = Duration(c, p) },
        ["http.backoff-max"] = (l, c, p) => l with { BackoffMax = Duration(c, p) },
        ["supervision.max-unit-attempts"] = (l, c, p) => l with { MaxUnitAttempts = Int(c, p) },
        ["supervision.unit-backoff-min"] = (l, c, p) => l with { UnitBackoffMin = Duration(c, p) },
        ["supervision.unit-backoff-max"] = (l, c, p) => l with { UnitBackoffMax = Duration(c, p) },
        ["cluster.host"] = (l, c, p) => l with { ClusterHost = NonEmpty(c.GetString(p)) },
        ["cluster.port"] = (l, c, p) => l with { ClusterPort = Int(c, p) },
        ["cluster.seed-nodes"] = (l, c, p) => l with { ClusterSeedNodes = c.GetStringList(p).Select(v => v.Trim()).ToList() },
    };

    /// <summary>Every key the file may hold, relative to <c>swanlab-crawler</c>.</summary>
    public static IReadOnlyCollection<string> KnownKeys => (IReadOnlyCollection<string>)Keys.Keys;

    /// <summary>The defaults shipped inside the tool (the same text as config/crawler.hocon in the repository).</summary>
    public static string EmbeddedDefaultsText()
    {
        using var stream = Assembly.GetExecutingAssembly().GetManifestResourceStream(EmbeddedName)
            ?? throw new InvalidOperationException($"the tool was built without its {EmbeddedName} resource");
        using var reader = new StreamReader(stream);
        return reader.ReadToEnd();
    }

    public static SettingsLayer Defaults() => Parse(EmbeddedDefaultsText(), "built-in defaults");

    /// <summary>Binds HOCON text; <paramref name="origin"/> names the file in error messages.</summary>
    public static SettingsLayer Parse(string text, string origin)
    {
        if (UnbalancedBracket(text) is { } problem)
            throw new SettingsException($"{origin}: not valid HOCON: {problem}");
        Config config;
        try
        {
            // Akka's parser loops forever on some malformed input the bracket check cannot see; a user's typo
            // must end in a message, not a hung tool.
            var parsing = Task.Run(() => ConfigurationFactory.ParseString(text));
            if (!parsing.Wait(ParseTimeout))
                throw new SettingsException($"{origin}: not valid HOCON: the parser did not finish; check brackets and quotes.");
            config = parsing.Result;
        }
        catch (AggregateException e) when (e.InnerException is { } inner and not OutOfMemoryException)
        {
            throw new SettingsException($"{origin}: not valid HOCON: {inner.Message}");
        }

        var layer = SettingsLayer.Empty;
        if (!config.HasPath(Root))
            return layer;
        foreach (var key in LeafKeys(config.GetValue(Root), prefix: ""))
        {
            if (!Keys.TryGetValue(key, out var bind))
                throw new SettingsException(
                    $"{origin}: unknown setting '{Root}.{key}'. Known settings: {string.Join(", ", Keys.Keys)}.");
            var path = $"{Root}.{key}";
            try
            {
                layer = bind(layer, config, path);
            }
            catch (Exception e) when (e is not SettingsException and not OutOfMemoryException)
            {
                throw new SettingsException($"{origin}: '{path}' = '{Raw(config, path)}' is not valid: {e.Message}");
            }
        }
        return layer;
    }

    static readonly TimeSpan ParseTimeout = TimeSpan.FromSeconds(5);

    /// <summary>First unmatched {, [, } or ] outside strings and comments, with its line; null when balanced.</summary>
    static string? UnbalancedBracket(string text)
    {
        var open = new Stack<(char Bracket, int Line)>();
        var line = 1;
        for (var i = 0; i < text.Length; i++)
        {
            var c = text[i];
            if (c == '\n')
                line++;
            else if (c == '"')
            {
                var tripleQuoted = string.CompareOrdinal(text, i, "\"\"\"", 0, 3) == 0;
                var end = tripleQuoted ? text.IndexOf("\"\"\"", i + 3, StringComparison.Ordinal) : text.IndexOf('"', i + 1);
                while (!tripleQuoted && end > 0 && text[end - 1] == '\\')
                    end = text.IndexOf('"', end + 1);
                if (end < 0)
                    return $"unterminated string on line {line}";
                line += text.AsSpan(i, end - i).Count('\n');
                i = end + (tripleQuoted ? 2 : 0);
            }
            else if (c == '#' || (c == '/' && i + 1 < text.Length && text[i + 1] == '/'))
            {
                var end = text.IndexOf('\n', i);
                if (end < 0)
                    break;
                i = end - 1;
            }
            else if (c is '{' or '[')
                open.Push((c, line));
            else if (c is '}' or ']')
            {
                if (open.Count == 0 || open.Pop().Bracket != (c == '}' ? '{' : '['))
                    return $"unexpected '{c}' on line {line}";
            }
        }
        return open.Count > 0 ? $"'{open.Peek().Bracket}' opened on line {open.Peek().Line} is never closed" : null;
    }

    static IEnumerable<string> LeafKeys(HoconValue value, string prefix)
    {
        if (!value.IsObject())
        {
            yield return prefix;
            yield break;
        }
        foreach (var (name, child) in value.GetObject().Items)
        {
            var path = prefix.Length == 0 ? name : $"{prefix}.{name}";
            foreach (var leaf in LeafKeys(child, path))
                yield return leaf;
        }
    }

    static string Raw(Config config, string path)
    {
        try { return config.GetValue(path)?.ToString() ?? ""; }
        catch (Exception e) when (e is not OutOfMemoryException) { return "?"; }
    }

    static string? NonEmpty(string? value) => string.IsNullOrWhiteSpace(value) ? null : value.Trim();

    static int Int(Config c, string p) =>
        int.TryParse(c.GetString(p), NumberStyles.Integer, CultureInfo.InvariantCulture, out var v)
            ? v : throw new FormatException("expected a whole number");

    static double Double(Config c, string p) =>
        double.TryParse(c.GetString(p), NumberStyles.Float, CultureInfo.InvariantCulture, out var v) && double.IsFinite(v)
            ? v : throw new FormatException("expected a number");

    static bool Bool(Config c, string p) =>
        SettingValues.ParseBool(c.GetString(p)) ?? throw new FormatException("expected on/off, true/false or yes/no");

    static TimeSpan Duration(Config c, string p) =>
        SettingValues.ParseDuration(c.GetString(p)) ?? throw new FormatException("expected a duration such as 500ms, 30s, 2m");
}
