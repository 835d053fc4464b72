using System.Diagnostics;
using System.Runtime.InteropServices;
using SwanLab.Crawler.Backup;
using SwanLab.Emulator;

namespace SwanLab.Crawler.Tests.Cli;

/// <summary>Launches the real `swanlab-crawler` process (the built dll next to the tests) against an emulator.</summary>
internal static class CrawlerProcess
{
    /// <summary>Starts `export` into <paramref name="output"/> with no SWANLAB_* variables inherited from the machine.</summary>
    public static Process StartExport(EmulatorServer server, string output, IReadOnlyDictionary<string, string>? environment = null) =>
        Start(["export", "--host", server.BaseUrl.ToString().TrimEnd('/'), "--api-key", server.ApiKey,
            "--out", output, "--concurrency", "3", "--rate-limit", "2000"], environment);

    /// <summary>Starts `swanlab-crawler ARGS` with no SWANLAB_* variables inherited, plus <paramref name="environment"/>.</summary>
    public static Process Start(IEnumerable<string> args, IReadOnlyDictionary<string, string>? environment = null)
    {
        var info = new ProcessStartInfo(DotnetHost())
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        foreach (var name in info.Environment.Keys.Where(k => k.StartsWith("SWANLAB_", StringComparison.Ordinal)).ToList())
            info.Environment.Remove(name);
        info.Environment["DOTNET_CLI_TELEMETRY_OPTOUT"] = "1";
        foreach (var (name, value) in environment ?? new Dictionary<string, string>())
            info.Environment[name] = value;
        info.ArgumentList.Add(Path.Combine(AppContext.BaseDirectory, "swanlab-crawler.dll"));
        foreach (var arg in args)
            info.ArgumentList.Add(arg);
        return Process.Start(info) ?? throw new InvalidOperationException("could not start swanlab-crawler");
    }

    /// <summary>Runs `swanlab-crawler ARGS` to its end (60 s hang guard): exit code and all it printed.</summary>
    public static async Task<(int ExitCode, string Output)> RunToEndAsync(IEnumerable<string> args,
        IReadOnlyDictionary<string, string>? environment = null)
    {
        using var process = Start(args, environment);
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(60));
        await process.WaitForExitAsync(timeout.Token);
        return (process.ExitCode, await stdout + await stderr);
    }

    /// <summary>Runs an export to its end (60 s hang guard) and returns its exit code and all it printed.</summary>
    public static async Task<(int ExitCode, string Output)> RunExportToEndAsync(EmulatorServer server, string output,
        IReadOnlyDictionary<string, string>? environment = null)
    {
        using var process = StartExport(server, output, environment);
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(60));
        await process.WaitForExitAsync(timeout.Token);
        return (process.ExitCode, await stdout + await stderr);
    }

    /// <summary>Lines in the checkpoint journal so far (each is one finished or failed unit).</summary>
    public static int CheckpointLines(string output)
    {
        var file = new BackupLayout(output).CheckpointFile;
        if (!File.Exists(file))
            return 0;
        using var stream = new FileStream(file, FileMode.Open, FileAccess.Read, FileShare.ReadWrite | FileShare.Delete);
        using var reader = new StreamReader(stream);
        return reader.ReadToEnd().Count(c => c == '\n');
    }

    /// <summary>Sends a POSIX signal (SIGTERM = 15, SIGINT = 2); Process.Kill only knows SIGKILL.</summary>
    public static void Signal(Process process, int signal)
    {
        if (SysKill(process.Id, signal) != 0)
            throw new InvalidOperationException($"kill({process.Id}, {signal}) failed: errno {Marshal.GetLastPInvokeError()}");
    }

    [DllImport("libc", EntryPoint = "kill", SetLastError = true)]
    private static extern int SysKill(int pid, int signal);

    static string DotnetHost() =>
        Environment.GetEnvironmentVariable("DOTNET_HOST_PATH") is { Length: > 0 } host && File.Exists(host) ? host : "dotnet";
}
