using Spectre.Console;

namespace SwanLab.Crawler.Cli;

/// <summary>
/// The process around the CLI: consoles, environment variables, where the tool lives. Tests pass their own to
/// capture output and fake the environment; <see cref="FromProcess"/> is the real one.
/// </summary>
internal sealed class CliEnvironment
{
    /// <summary>Standard output: progress, tables, help.</summary>
    public required IAnsiConsole Out { get; init; }
    /// <summary>The writer behind <see cref="Out"/>, for System.CommandLine's help and version output.</summary>
    public required TextWriter OutWriter { get; init; }
    /// <summary>Standard error: problems and their fixes.</summary>
    public required IAnsiConsole Error { get; init; }
    public required TextWriter ErrorWriter { get; init; }
    public required Func<string, string?> GetVariable { get; init; }
    /// <summary>Folder of the tool; its config/crawler.hocon is the default settings file.</summary>
    public required string ToolDirectory { get; init; }
    /// <summary>True when stdout is a terminal: live progress instead of periodic lines.</summary>
    public required bool Interactive { get; init; }
    public TimeSpan PlainProgressInterval { get; init; } = TimeSpan.FromSeconds(5);
    /// <summary>Where the signal handler's "Stopping..." goes (a live panel takes it over while it draws).</summary>
    public StopNotice StopNotice { get; } = new();

    public static CliEnvironment FromProcess()
    {
        var interactive = !Console.IsOutputRedirected && Environment.GetEnvironmentVariable("CI") is null;
        var stdout = Console.Out;
        var stderr = Console.Error;
        return new CliEnvironment
        {
            Out = interactive
                ? AnsiConsole.Create(new AnsiConsoleSettings
                {
                    Out = new AnsiConsoleOutput(stdout),
                    Interactive = InteractionSupport.Yes,
                    Ansi = AnsiSupport.Detect,
                })
                : Plain(stdout),
            OutWriter = stdout,
            Error = Console.IsErrorRedirected
                ? Plain(stderr)
                : AnsiConsole.Create(new AnsiConsoleSettings
                {
                    Out = new AnsiConsoleOutput(stderr),
                    Interactive = InteractionSupport.No,
                    Ansi = AnsiSupport.Detect,
                }),
            ErrorWriter = stderr,
            GetVariable = Environment.GetEnvironmentVariable,
            ToolDirectory = AppContext.BaseDirectory,
            Interactive = interactive,
        };
    }

    /// <summary>A plain, non-interactive environment writing into the given writers (tests, embedding).</summary>
    public static CliEnvironment Captured(TextWriter output, TextWriter error, Func<string, string?> getVariable,
        string? toolDirectory = null) => new()
    {
        Out = Plain(output),
        OutWriter = output,
        Error = Plain(error),
        ErrorWriter = error,
        GetVariable = getVariable,
        ToolDirectory = toolDirectory ?? AppContext.BaseDirectory,
        Interactive = false,
        PlainProgressInterval = TimeSpan.FromSeconds(1),
    };

    static IAnsiConsole Plain(TextWriter writer)
    {
        var console = AnsiConsole.Create(new AnsiConsoleSettings
        {
            Out = new AnsiConsoleOutput(writer),
            Ansi = AnsiSupport.No,
            ColorSystem = ColorSystemSupport.NoColors,
            Interactive = InteractionSupport.No,
        });
        // Logs have no terminal width; wide enough that tables and paths do not wrap mid-word.
        console.Profile.Width = 160;
        return console;
    }
}
