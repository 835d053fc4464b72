using System.CommandLine;

namespace SwanLab.Crawler.Cli.Output;

/// <summary>How much a command prints, and where.</summary>
internal enum Verbosity
{
    /// <summary>Only errors (stderr); with --json, also the JSON result.</summary>
    Quiet,
    Normal,
    /// <summary>Also each retry and 429 as it happens, and the exception behind an error.</summary>
    Verbose,
}

/// <summary>The output mode a command was asked for: --json, --quiet, --verbose.</summary>
internal sealed record OutputMode(bool Json, Verbosity Verbosity)
{
    public static readonly OutputMode Default = new(false, Verbosity.Normal);
    public bool Quiet => Verbosity == Verbosity.Quiet;
    public bool Verbose => Verbosity == Verbosity.Verbose;
}

/// <summary>
/// --json, --quiet and --verbose, the same on every command: add them with <see cref="AddTo"/>, read them with
/// <see cref="Read"/>, then print through a <see cref="CommandOutput"/>. Fresh per command (symbols know their parent).
/// </summary>
internal sealed class OutputOptions
{
    public const string JsonFlag = "--json";

    readonly Option<bool> json = new(JsonFlag)
    {
        Description = "Print exactly one JSON object on stdout (counts, failures, paths, exitCode) and nothing else there; messages go to stderr.",
    };
    readonly Option<bool> quiet = new("--quiet", "-q")
    {
        Description = "Print only errors (the exit code says the rest); with --json, also the JSON result.",
    };
    readonly Option<bool> verbose = new("--verbose", "-v")
    {
        Description = "Also print each retry and 429 as it happens, and the error type and stack behind a failure.",
    };

    public static OutputOptions AddTo(Command command)
    {
        var options = new OutputOptions();
        command.Options.Add(options.json);
        command.Options.Add(options.quiet);
        command.Options.Add(options.verbose);
        command.Validators.Add(result =>
        {
            if (result.GetValue(options.quiet) && result.GetValue(options.verbose))
                result.AddError("--quiet and --verbose cannot be combined; give one of them.");
        });
        return options;
    }

    public OutputMode Read(ParseResult parse) => new(parse.GetValue(json),
        parse.GetValue(quiet) ? Verbosity.Quiet : parse.GetValue(verbose) ? Verbosity.Verbose : Verbosity.Normal);
}
