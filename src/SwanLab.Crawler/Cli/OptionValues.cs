using System.CommandLine;
using System.CommandLine.Parsing;
using System.Globalization;

namespace SwanLab.Crawler.Cli;

/// <summary>
/// Parsers for numeric options whose errors speak the user's language ("--sample expects a whole number, got 'abc'")
/// instead of System.CommandLine's, which names the .NET type.
/// </summary>
internal static class OptionValues
{
    public static Option<int?> WholeNumber(Option<int?> option)
    {
        option.CustomParser = result =>
        {
            var text = Single(result);
            if (int.TryParse(text, NumberStyles.Integer, CultureInfo.InvariantCulture, out var value))
                return value;
            result.AddError($"{Name(result)} expects a whole number, got '{text}'.");
            return null;
        };
        return option;
    }

    public static Option<double?> Number(Option<double?> option)
    {
        option.CustomParser = result =>
        {
            var text = Single(result);
            if (double.TryParse(text, NumberStyles.Float, CultureInfo.InvariantCulture, out var value) && double.IsFinite(value))
                return value;
            result.AddError($"{Name(result)} expects a number, got '{text}'.");
            return null;
        };
        return option;
    }

    static string Single(ArgumentResult result) => result.Tokens.Count > 0 ? result.Tokens[^1].Value : "";

    static string Name(ArgumentResult result) => (result.Parent as OptionResult)?.Option.Name ?? "the value";
}
