using System.Reflection;

namespace SwanLab.Crawler.Cli.Output;

/// <summary>The tool's version as --version prints it (informational version: 0.1.0, or 0.1.0-local.… from install.sh).</summary>
internal static class VersionText
{
    public static string Current { get; } =
        typeof(VersionText).Assembly.GetCustomAttribute<AssemblyInformationalVersionAttribute>()?.InformationalVersion
        ?? typeof(VersionText).Assembly.GetName().Version?.ToString() ?? "unknown";
}
