using System.Globalization;
using SwanLab.Emulator;

namespace SwanLab.Bench.Harness;

/// <summary>Shared plumbing for scenarios: scratch folders, emulators, crawler command lines.</summary>
public sealed class BenchContext(bool quick, TextWriter log) : IDisposable
{
    private readonly string _scratch = Directory.CreateTempSubdirectory("swanlab-bench-").FullName;
    private int _dirs;

    public bool Quick { get; } = quick;
    public TextWriter Log { get; } = log;

    /// <summary>Picks the quick or the full figure.</summary>
    public int Scale(int full, int quickValue) => Quick ? quickValue : full;

    public string NewOutputDirectory(string name) =>
        Path.Combine(_scratch, $"{Interlocked.Increment(ref _dirs):D2}-{name}");

    public static Task<EmulatorServer> StartEmulatorAsync(EmulatorOptions options) => EmulatorServer.StartAsync(options);

    /// <summary>`export` against <paramref name="server"/> into <paramref name="outDir"/>, plus extra flags.</summary>
    public static List<string> ExportArgs(EmulatorServer server, string outDir, params string[] extra)
    {
        var args = new List<string>
        {
            "export", "--host", server.BaseUrl.ToString().TrimEnd('/'), "--api-key", server.ApiKey, "--out", outDir,
        };
        args.AddRange(extra);
        return args;
    }

    public static string F(double value, string format = "F1") => value.ToString(format, CultureInfo.InvariantCulture);

    public static string Mb(long bytes) => F(bytes / (1024.0 * 1024), "F0") + " MB";

    /// <summary>Total bytes of every file under a folder whose relative path matches <paramref name="filter"/>.</summary>
    public static long BytesUnder(string root, Func<string, bool> filter) =>
        Directory.EnumerateFiles(root, "*", SearchOption.AllDirectories)
            .Where(f => filter(Path.GetRelativePath(root, f).Replace('\\', '/')))
            .Sum(f => new FileInfo(f).Length);

    public void Dispose()
    {
        try
        {
            Directory.Delete(_scratch, recursive: true);
        }
        catch (IOException)
        {
        }
    }
}

/// <summary>Thrown when the crawler process did not do what a scenario needs to measure it.</summary>
public sealed class BenchFailure(string message) : Exception(message);

public static class CrawlerRunChecks
{
    public static CrawlerRun EnsureExit(this CrawlerRun run, int expected = 0)
    {
        if (run.ExitCode != expected && !run.Killed)
        {
            var tail = string.Join('\n', run.Output.Split('\n').TakeLast(30));
            throw new BenchFailure($"crawler exited {run.ExitCode} (expected {expected}):\n{tail}");
        }

        return run;
    }
}
