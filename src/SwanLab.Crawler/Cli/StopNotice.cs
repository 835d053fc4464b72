namespace SwanLab.Crawler.Cli;

/// <summary>
/// "Stopping... (press Ctrl+C again ...)": printed by whoever owns the console when the signal lands. A live panel
/// redirects it (it stops drawing first, then prints the notice below itself); otherwise it goes straight to stderr.
/// </summary>
internal sealed class StopNotice
{
    public const string Text = "Stopping... (press Ctrl+C again to quit immediately)";
    Action? redirect;

    public IDisposable Redirect(Action handler)
    {
        Volatile.Write(ref redirect, handler);
        return new Release(this, handler);
    }

    /// <summary>Called from the signal handler.</summary>
    public void Announce(TextWriter fallback)
    {
        if (Volatile.Read(ref redirect) is { } handler)
            handler();
        else
            fallback.WriteLine(Text);
    }

    sealed class Release(StopNotice owner, Action handler) : IDisposable
    {
        public void Dispose() => Interlocked.CompareExchange(ref owner.redirect, null, handler);
    }
}
