using System.Text.Json;
using System.Text.Json.Nodes;
using Spectre.Console;

namespace SwanLab.Crawler.Cli.Output;

/// <summary>
/// Everything one command prints, in the mode it was asked for. Human text (progress, tables, notes) goes to
/// <see cref="Human"/>: stdout normally, stderr under --json (stdout then holds only the JSON result), nowhere under
/// --quiet. Errors always go to stderr, as one "error:" line plus advice; .NET type names and stacks only under
/// --verbose. <see cref="Exit"/> ends the command: under --json it prints <see cref="Result"/> with the exit code,
/// exactly once. Every line worth keeping also goes to the <see cref="Log"/> when one is attached.
/// </summary>
internal sealed class CommandOutput
{
    static readonly JsonSerializerOptions Indented = new() { WriteIndented = true };
    readonly CliEnvironment env;
    bool finished;

    public CommandOutput(CliEnvironment env, string command, OutputMode mode)
    {
        this.env = env;
        Command = command;
        Mode = mode;
        Human = mode.Quiet ? Silent : mode.Json ? env.Error : env.Out;
        Result["command"] = command;
    }

    public CliEnvironment Environment => env;
    public string Command { get; }
    public OutputMode Mode { get; }
    public IAnsiConsole Human { get; }
    public IAnsiConsole Errors => env.Error;
    /// <summary>
    /// A live panel is drawn only on a terminal that holds nothing else: not under --json or --quiet, nor under
    /// --verbose (its lines on stderr would tear the panel).
    /// </summary>
    public bool Live => env.Interactive && Mode == OutputMode.Default;
    public TimeSpan PlainProgressInterval => env.PlainProgressInterval;
    /// <summary>The fields of the JSON result; commands fill it as they go.</summary>
    public JsonObject Result { get; } = new();
    public CrawlerLog? Log { get; set; }
    /// <summary>Scrubs every message printed from elsewhere (exceptions, server text).</summary>
    public Redactor Secrets { get; set; } = new();

    /// <summary>A line only --verbose shows (stderr, so it never mixes with a --json result).</summary>
    public void Detail(string text)
    {
        if (Mode.Verbose)
            env.Error.WriteLine(Secrets.Redact(text));
    }

    /// <summary>A warning: stderr unless --quiet, and the log.</summary>
    public void Warn(string text)
    {
        Log?.Warn(text);
        if (!Mode.Quiet)
            env.Error.MarkupLineInterpolated($"[yellow]warning:[/] {Secrets.Redact(text)}");
    }

    /// <summary>
    /// Reports a failure and ends the command with <paramref name="exitCode"/>: "error: message", then the advice;
    /// under --verbose also what .NET threw.
    /// </summary>
    public int Fail(int exitCode, string message, string? advice = null, Exception? cause = null)
    {
        message = Secrets.Redact(message);
        advice = advice is null ? null : Secrets.Redact(advice);
        env.Error.MarkupLineInterpolated($"[red]error:[/] {message}");
        if (advice is not null)
            env.Error.WriteLine(advice);
        if (cause is not null && Mode.Verbose)
            env.Error.WriteLine(Secrets.Redact(cause.ToString()));
        Log?.Error(advice is null ? message : $"{message} {advice}");
        if (cause is not null)
            Log?.Error(cause.ToString());
        var error = new JsonObject { ["message"] = message };
        if (advice is not null)
            error["advice"] = advice;
        Result["error"] = error;
        return Exit(exitCode);
    }

    /// <summary>A usage problem (exit 2), with the pointer to the command's help.</summary>
    public int Usage(string message) =>
        Fail(ExitCodes.UsageError, message, $"See '{CrawlerCli.ToolName} {Command} --help' for usage and examples.");

    /// <summary>Ctrl+C / SIGTERM (exit 130).</summary>
    public int Interrupted()
    {
        Log?.Warn("interrupted; what finished is in the checkpoint");
        if (!Mode.Quiet)
            env.Error.MarkupLine("[yellow]Interrupted.[/] Runs finished so far are in the checkpoint; " +
                                 "run the same command again to resume.");
        Result["interrupted"] = true;
        return Exit(ExitCodes.Interrupted);
    }

    /// <summary>Ends the command: prints the JSON result (once) under --json and returns the exit code.</summary>
    public int Exit(int exitCode)
    {
        if (finished)
            return exitCode;
        finished = true;
        Log?.Info($"{Command} exited {exitCode}");
        if (Mode.Json)
        {
            Result["exitCode"] = exitCode;
            env.OutWriter.WriteLine(Result.ToJsonString(Indented));
            env.OutWriter.Flush();
        }
        return exitCode;
    }

    static readonly IAnsiConsole Silent = AnsiConsole.Create(new AnsiConsoleSettings
    {
        Out = new AnsiConsoleOutput(TextWriter.Null),
        Ansi = AnsiSupport.No,
        ColorSystem = ColorSystemSupport.NoColors,
        Interactive = InteractionSupport.No,
    });
}
