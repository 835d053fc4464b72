using System.Text.Json;
using System.Text.RegularExpressions;

namespace SwanLab.Client.Http;

/// <summary>What a 404 says it is about.</summary>
internal enum NotFoundMeaning
{
    /// <summary>The server has no such route ("No route", "Cannot GET /api/...", "404 page not found").</summary>
    RouteMissing,

    /// <summary>The route exists; the run (experiment, project) does not ("experiment not found", "Disabled_Resource").</summary>
    RunMissing,

    /// <summary>The answer does not say (an empty body, a bare "Not Found"): the caller has to check the run itself.</summary>
    Ambiguous,
}

/// <summary>
/// Reads a 404's body the way servers of different make write it: plain text, or JSON with <c>message</c>,
/// <c>errmsg</c>, <c>error</c>, <c>msg</c> or <c>code</c>. Route words win over run words, because a router's
/// "Cannot GET /api/house/metrics/log?experimentId=..." names the experiment only as part of the path.
/// </summary>
internal static partial class NotFoundAnswer
{
    private const int MaxText = 200;

    public static (NotFoundMeaning Meaning, string Text) Classify(string body)
    {
        var text = Summarize(body);
        if (RouteWords().IsMatch(text))
            return (NotFoundMeaning.RouteMissing, text);
        if (RunWords().IsMatch(text))
            return (NotFoundMeaning.RunMissing, text);
        return (NotFoundMeaning.Ambiguous, text);
    }

    /// <summary>The body's message on one line, at most 200 characters.</summary>
    internal static string Summarize(string body)
    {
        var trimmed = body.Trim();
        if (trimmed.StartsWith('{'))
        {
            try
            {
                using var doc = JsonDocument.Parse(trimmed);
                var parts = new List<string>();
                foreach (var name in (string[])["message", "errmsg", "error", "msg", "code"])
                {
                    if (doc.RootElement.TryGetProperty(name, out var value) && value.ValueKind is JsonValueKind.String or JsonValueKind.Number)
                    {
                        var part = value.ValueKind == JsonValueKind.String ? value.GetString()! : value.GetRawText();
                        if (part.Length > 0 && !parts.Contains(part, StringComparer.OrdinalIgnoreCase))
                            parts.Add(part);
                    }
                }
                if (parts.Count > 0)
                    trimmed = string.Join(" / ", parts);
            }
            catch (JsonException)
            {
                // Not JSON after all: the text itself is the answer.
            }
        }
        var oneLine = Whitespace().Replace(trimmed, " ");
        return oneLine.Length <= MaxText ? oneLine : oneLine[..MaxText] + "...";
    }

    [GeneratedRegex(@"\bno\s+route|route\s+not\s+found|unknown\s+(route|endpoint|path)|no\s+such\s+(route|endpoint|path)|cannot\s+(get|post|put|delete)\b|page\s+not\s+found|no\s+handler|not\s+implemented|\broute\b", RegexOptions.IgnoreCase | RegexOptions.CultureInvariant)]
    private static partial Regex RouteWords();

    [GeneratedRegex(@"\b(experiment|run|project)s?\b|disabled|deleted", RegexOptions.IgnoreCase | RegexOptions.CultureInvariant)]
    private static partial Regex RunWords();

    [GeneratedRegex(@"\s+")]
    private static partial Regex Whitespace();
}
