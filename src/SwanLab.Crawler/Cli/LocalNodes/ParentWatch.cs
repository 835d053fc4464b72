namespace SwanLab.Crawler.Cli.LocalNodes;

/// <summary>
/// A node started by <c>--nodes</c> stops when the process that started it is gone, however it went (kill -9
/// included): its standard input is a pipe only the parent holds, and the pipe's end is the parent's end.
/// </summary>
internal static class ParentWatch
{
    public const string Variable = "SWANLAB_CRAWLER_PARENT_WATCH";
    public const string StandardInput = "stdin";

    /// <summary>When this process is such a node, calls <paramref name="parentGone"/> (once) when its parent ends.</summary>
    public static void StartIfChild(Func<string, string?> getVariable, Action parentGone)
    {
        if (getVariable(Variable) != StandardInput) return;
        var watcher = new Thread(() =>
        {
            try
            {
                using var input = Console.OpenStandardInput();
                var buffer = new byte[256];
                while (input.Read(buffer, 0, buffer.Length) > 0) { }
            }
            catch (IOException) { }
            parentGone();
        })
        { IsBackground = true, Name = "parent-watch" };
        watcher.Start();
    }
}
