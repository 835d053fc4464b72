using System.CommandLine;

namespace SwanLab.Crawler.Cli;

/// <summary>
/// Turns System.CommandLine's parse errors into one message per problem: an unknown option is one error (not one
/// for it and another for its value) with the closest known option ("did you mean --format?").
/// </summary>
internal static class ParseErrors
{
    public static IReadOnlyList<string> Describe(ParseResult parse, IReadOnlyList<string> args)
    {
        var command = parse.CommandResult.Command;
        var unmatched = parse.UnmatchedTokens;
        var messages = new List<string>();
        string? previousUnknownOption = null;
        var position = 0;
        foreach (var token in unmatched)
        {
            var at = IndexOf(args, token, position);
            var follows = at > 0 && previousUnknownOption is not null && args[at - 1] == previousUnknownOption;
            position = at < 0 ? position : at + 1;
            if (token.StartsWith('-') && token.Length > 1)
            {
                messages.Add(UnknownOption(token, command));
                previousUnknownOption = token;
            }
            else if (follows)
            {
                // The value of the unknown option just reported.
                previousUnknownOption = null;
            }
            else
            {
                messages.Add(UnexpectedArgument(token, command));
                previousUnknownOption = null;
            }
        }
        foreach (var error in parse.Errors)
            if (!unmatched.Any(token => error.Message.Contains($"'{token}'", StringComparison.Ordinal)))
                messages.Add(error.Message);
        return messages;
    }

    static string UnknownOption(string token, Command command)
    {
        var name = token.Split('=', 2)[0];
        var suggestion = Closest(name, OptionNames(command));
        return suggestion is null
            ? $"unknown option '{name}'."
            : $"unknown option '{name}'; did you mean {suggestion}?";
    }

    static string UnexpectedArgument(string token, Command command)
    {
        if (command is RootCommand && Closest(token, command.Subcommands.Select(c => c.Name)) is { } subcommand)
            return $"unknown command '{token}'; did you mean {subcommand}?";
        return command is RootCommand
            ? $"unknown command '{token}'; the commands are {string.Join(", ", command.Subcommands.Select(c => c.Name))}."
            : $"unexpected argument '{token}' (every value belongs to an option, e.g. --out DIR).";
    }

    static IEnumerable<string> OptionNames(Command command)
    {
        for (var c = command; c is not null; c = c.Parents.OfType<Command>().FirstOrDefault())
            foreach (var option in c.Options)
                if (c == command || option.Recursive)
                    foreach (var name in option.Aliases.Prepend(option.Name))
                        if (name.StartsWith("--", StringComparison.Ordinal))
                            yield return name;
    }

    /// <summary>The candidate a typo most likely meant: a prefix of it, or at most a third of its letters away.</summary>
    internal static string? Closest(string typed, IEnumerable<string> candidates)
    {
        string? best = null;
        var bestDistance = int.MaxValue;
        foreach (var candidate in candidates.Distinct(StringComparer.Ordinal))
        {
            var distance = candidate.StartsWith(typed, StringComparison.OrdinalIgnoreCase) && typed.TrimStart('-').Length >= 2
                ? 0
                : Distance(typed.ToLowerInvariant(), candidate.ToLowerInvariant());
            if (distance < bestDistance)
                (best, bestDistance) = (candidate, distance);
        }
        var allowed = Math.Max(1, typed.TrimStart('-').Length / 3);
        return bestDistance <= allowed ? best : null;
    }

    /// <summary>Optimal string alignment distance: insertions, deletions, substitutions and adjacent swaps cost 1.</summary>
    static int Distance(string a, string b)
    {
        var d = new int[a.Length + 1, b.Length + 1];
        for (var i = 0; i <= a.Length; i++) d[i, 0] = i;
        for (var j = 0; j <= b.Length; j++) d[0, j] = j;
        for (var i = 1; i <= a.Length; i++)
        for (var j = 1; j <= b.Length; j++)
        {
            var cost = a[i - 1] == b[j - 1] ? 0 : 1;
            d[i, j] = Math.Min(Math.Min(d[i - 1, j] + 1, d[i, j - 1] + 1), d[i - 1, j - 1] + cost);
            if (i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1])
                d[i, j] = Math.Min(d[i, j], d[i - 2, j - 2] + 1);
        }
        return d[a.Length, b.Length];
    }

    static int IndexOf(IReadOnlyList<string> args, string token, int from)
    {
        for (var i = from; i < args.Count; i++)
            if (args[i] == token)
                return i;
        return -1;
    }
}
