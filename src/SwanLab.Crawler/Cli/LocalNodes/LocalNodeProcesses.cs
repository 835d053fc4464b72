using System.Diagnostics;
using System.Net;
using System.Net.Sockets;

namespace SwanLab.Crawler.Cli.LocalNodes;

/// <summary>
/// The extra crawler processes of <c>--nodes N</c>: started with this executable, their output in a log file each,
/// stopped when this process is done with them (and, through <see cref="ParentWatch"/>, when it dies).
/// </summary>
internal sealed class LocalNodeProcesses : IAsyncDisposable
{
    private readonly List<(Process Process, Task Pumps)> _children = [];
    private readonly TimeSpan _grace;

    private LocalNodeProcesses(TimeSpan grace) => _grace = grace;

    /// <summary>Process ids of the children, in node order.</summary>
    public IReadOnlyList<int> ProcessIds => _children.Select(c => c.Process.Id).ToList();

    /// <summary>Starts one child per command line; child i writes into <paramref name="logFolder"/>/node-&lt;i&gt;.log (from 1).</summary>
    /// <param name="grace">How long a child may take to end on its own, and again once told to stop, before it is killed.</param>
    /// <param name="executable">What to start (default: this crawler again, <see cref="CrawlerExecutable"/>).</param>
    public static LocalNodeProcesses Start(IReadOnlyList<IReadOnlyList<string>> commandLines, string logFolder,
        IReadOnlyDictionary<string, string> environment, TimeSpan grace,
        (string FileName, IReadOnlyList<string> Prefix)? executable = null)
    {
        Directory.CreateDirectory(logFolder);
        var nodes = new LocalNodeProcesses(grace);
        try
        {
            var (fileName, prefix) = executable ?? CrawlerExecutable();
            for (var i = 0; i < commandLines.Count; i++)
            {
                var start = new ProcessStartInfo(fileName)
                {
                    UseShellExecute = false,
                    RedirectStandardInput = true,
                    RedirectStandardOutput = true,
                    RedirectStandardError = true,
                    WorkingDirectory = Environment.CurrentDirectory,
                };
                foreach (var arg in prefix.Concat(commandLines[i])) start.ArgumentList.Add(arg);
                foreach (var (name, value) in environment) start.Environment[name] = value;
                var process = Process.Start(start) ?? throw new InvalidOperationException($"could not start {fileName}");
                var log = new FileStream(Path.Combine(logFolder, $"node-{i + 1}.log"), FileMode.Create, FileAccess.Write, FileShare.Read);
                nodes._children.Add((process, PumpAsync(process, log)));
            }
            return nodes;
        }
        catch
        {
            nodes.KillAll();
            throw;
        }
    }

    /// <summary>
    /// <paramref name="count"/> consecutive TCP ports free on 127.0.0.1, from <paramref name="first"/> when given
    /// (refused when one is taken), else from a free one the system picks.
    /// </summary>
    public static int[] FreeConsecutivePorts(int count, int? first)
    {
        if (first is { } given)
            return Enumerable.Range(given, count).All(IsFree) ? Enumerable.Range(given, count).ToArray()
                : throw new ArgumentException($"--nodes {count} needs ports {given}-{given + count - 1} free on 127.0.0.1; one is taken (choose another --cluster-port).");
        for (var attempt = 0; attempt < 50; attempt++)
        {
            var candidate = AnyFreePort();
            if (candidate + count <= 65536 && Enumerable.Range(candidate, count).All(IsFree))
                return Enumerable.Range(candidate, count).ToArray();
        }
        throw new ArgumentException($"--nodes {count}: found no {count} consecutive free ports on 127.0.0.1; give --cluster-port FIRST.");
    }

    /// <summary>Gives the children time to end on their own, then tells them to stop (closes their input), then kills them.</summary>
    public async ValueTask DisposeAsync()
    {
        if (!await AllExitedWithin(_grace))
        {
            TellToStop();
            if (!await AllExitedWithin(_grace))
            {
                KillAll();
                await AllExitedWithin(TimeSpan.FromSeconds(10));
            }
        }
        await Task.WhenAll(_children.Select(c => c.Pumps));
        _exitCodes = ExitCodes;
        foreach (var (process, _) in _children) process.Dispose();
    }

    private IReadOnlyList<int?>? _exitCodes;

    /// <summary>Closes every child's input: what a child hears when this process is gone (it then stops as if interrupted).</summary>
    public void TellToStop()
    {
        foreach (var (process, _) in _children)
            try { process.StandardInput.Close(); } catch (Exception e) when (e is IOException or InvalidOperationException) { }
    }

    /// <summary>Exit codes of the children that have exited (null for one still running).</summary>
    public IReadOnlyList<int?> ExitCodes => _exitCodes ?? _children.Select(c => c.Process.HasExited ? c.Process.ExitCode : (int?)null).ToList();

    public async Task<bool> AllExitedWithin(TimeSpan wait)
    {
        using var timeout = new CancellationTokenSource(wait);
        try
        {
            await Task.WhenAll(_children.Select(c => c.Process.WaitForExitAsync(timeout.Token)));
            return true;
        }
        catch (OperationCanceledException)
        {
            return false;
        }
    }

    private void KillAll()
    {
        foreach (var (process, _) in _children)
            try { if (!process.HasExited) process.Kill(entireProcessTree: true); }
            catch (Exception e) when (e is InvalidOperationException or System.ComponentModel.Win32Exception) { }
    }

    private static async Task PumpAsync(Process process, FileStream log)
    {
        await using (log)
        {
            // Both streams into one file, whole lines at a time, in the order they arrive.
            var gate = new SemaphoreSlim(1, 1);
            async Task Copy(StreamReader reader)
            {
                while (await reader.ReadLineAsync() is { } line)
                {
                    var bytes = System.Text.Encoding.UTF8.GetBytes(line + "\n");
                    await gate.WaitAsync();
                    try { await log.WriteAsync(bytes); await log.FlushAsync(); }
                    finally { gate.Release(); }
                }
            }
            await Task.WhenAll(Copy(process.StandardOutput), Copy(process.StandardError));
        }
    }

    /// <summary>
    /// How to start this crawler again: its own apphost when that is what runs, else <c>dotnet swanlab-crawler.dll</c>
    /// (under <c>dotnet run</c> or a test host).
    /// </summary>
    internal static (string FileName, IReadOnlyList<string> Prefix) CrawlerExecutable()
    {
        var dll = typeof(LocalNodeProcesses).Assembly.Location;
        var process = Environment.ProcessPath;
        if (process is not null && Path.GetFileNameWithoutExtension(process) == CrawlerCli.ToolName)
            return (process, []);
        var apphost = Path.Combine(Path.GetDirectoryName(dll)!, CrawlerCli.ToolName + (OperatingSystem.IsWindows() ? ".exe" : ""));
        if (File.Exists(apphost)) return (apphost, []);
        var dotnet = process is not null && Path.GetFileNameWithoutExtension(process) == "dotnet" ? process
            : Environment.GetEnvironmentVariable("DOTNET_HOST_PATH") ?? "dotnet";
        return (dotnet, [dll]);
    }

    private static bool IsFree(int port)
    {
        try
        {
            using var listener = new TcpListener(IPAddress.Loopback, port);
            listener.Start();
            listener.Stop();
            return true;
        }
        catch (SocketException)
        {
            return false;
        }
    }

    private static int AnyFreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        var port = ((IPEndPoint)listener.LocalEndpoint).Port;
        listener.Stop();
        return port;
    }
}
