using System.Diagnostics;
using System.Globalization;

namespace SwanLab.Bench.Harness;

/// <summary>What one run of the real `swanlab-crawler` process did.</summary>
public sealed record CrawlerRun(int ExitCode, TimeSpan Wall, long PeakRssBytes, string Output, bool Killed)
{
    /// <summary>User + system CPU of the process, as last sampled before it exited (within ~20 ms of its end).</summary>
    public TimeSpan Cpu { get; init; }
}

/// <summary>
/// Runs the crawler as its own process, the way users run it, so its wall time and peak memory (VmHWM) are its own
/// and not mixed with the emulator's, which lives in the bench process.
/// </summary>
public static class CrawlerProcess
{
    private static string CrawlerDll => Path.Combine(AppContext.BaseDirectory, "swanlab-crawler.dll");

    /// <summary>
    /// Runs `swanlab-crawler args...`. When <paramref name="killWhen"/> is given it is polled while the process runs;
    /// once it returns true the process is killed with SIGKILL, like a crash.
    /// </summary>
    public static async Task<CrawlerRun> RunAsync(IEnumerable<string> args, Func<bool>? killWhen = null,
        TimeSpan? timeout = null, CancellationToken ct = default)
    {
        var info = new ProcessStartInfo("dotnet")
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        info.ArgumentList.Add(CrawlerDll);
        foreach (var arg in args)
        {
            info.ArgumentList.Add(arg);
        }

        // The bench measures the tool, not the user's environment.
        info.Environment.Remove("SWANLAB_API_KEY");
        info.Environment.Remove("SWANLAB_API_HOST");
        info.Environment["DOTNET_gcServer"] = "0";

        var output = new System.Text.StringBuilder();
        var stopwatch = Stopwatch.StartNew();
        using var process = new Process { StartInfo = info };
        process.OutputDataReceived += (_, e) => { if (e.Data is not null) { lock (output) { output.AppendLine(e.Data); } } };
        process.ErrorDataReceived += (_, e) => { if (e.Data is not null) { lock (output) { output.AppendLine(e.Data); } } };
        process.Start();
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();

        long peak = 0;
        var cpu = TimeSpan.Zero;
        var killed = false;
        var deadline = timeout ?? TimeSpan.FromMinutes(20);
        while (!process.HasExited)
        {
            peak = Math.Max(peak, ReadPeakRss(process.Id));
            cpu = ReadCpu(process.Id) is { } used && used > cpu ? used : cpu;
            if (killWhen is not null && killWhen())
            {
                process.Kill(entireProcessTree: true);
                killed = true;
                break;
            }

            if (stopwatch.Elapsed > deadline)
            {
                process.Kill(entireProcessTree: true);
                throw new TimeoutException($"the crawler ran longer than {deadline}; output:\n{output}");
            }

            await Task.Delay(20, ct);
        }

        await process.WaitForExitAsync(ct);
        stopwatch.Stop();
        string text;
        lock (output)
        {
            text = output.ToString();
        }

        return new CrawlerRun(process.ExitCode, stopwatch.Elapsed, peak, text, killed) { Cpu = cpu };
    }

    /// <summary>utime + stime of a live process (fields 14 and 15 of /proc/pid/stat, in clock ticks of 10 ms).</summary>
    private static TimeSpan? ReadCpu(int pid)
    {
        try
        {
            var stat = File.ReadAllText($"/proc/{pid}/stat");
            var fields = stat[(stat.LastIndexOf(')') + 2)..].Split(' ');
            var ticks = long.Parse(fields[11], CultureInfo.InvariantCulture) + long.Parse(fields[12], CultureInfo.InvariantCulture);
            return TimeSpan.FromMilliseconds(ticks * 10);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or FormatException or IndexOutOfRangeException)
        {
            return null;
        }
    }

    /// <summary>VmHWM (peak resident set) of a live process, in bytes; 0 once it is gone.</summary>
    private static long ReadPeakRss(int pid)
    {
        try
        {
            foreach (var line in File.ReadLines($"/proc/{pid}/status"))
            {
                if (line.StartsWith("VmHWM:", StringComparison.Ordinal))
                {
                    var kb = line["VmHWM:".Length..].Trim().Split(' ')[0];
                    return long.Parse(kb, CultureInfo.InvariantCulture) * 1024;
                }
            }
        }
        catch (IOException)
        {
        }
        catch (UnauthorizedAccessException)
        {
        }

        return 0;
    }
}
