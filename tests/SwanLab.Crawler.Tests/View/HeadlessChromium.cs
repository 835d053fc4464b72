using System.Diagnostics;
using System.Text.RegularExpressions;

namespace SwanLab.Crawler.Tests.View;

/// <summary>
/// Debian's `chromium` in headless mode. Missing on a fresh CI machine: installed with apt-get when the tests run as
/// root, otherwise the spec fails saying so (never skipped).
/// </summary>
internal static partial class HeadlessChromium
{
    static readonly Lazy<string> Binary = new(Find);

    /// <summary>Loads <paramref name="url"/>, lets its scripts run, and returns the attributes of #swv-status.</summary>
    public static async Task<IReadOnlyDictionary<string, string>> StatusAsync(string url) => (await PageAsync(url)).Status;

    /// <summary>The page's DOM after its scripts ran, and the attributes of #swv-status.</summary>
    public static async Task<(string Dom, IReadOnlyDictionary<string, string> Status)> PageAsync(string url)
    {
        var (dom, _) = await RunAsync("--virtual-time-budget=10000", "--dump-dom", url);
        var status = StatusElement().Match(dom);
        Assert.True(status.Success, $"the page at {url} wrote no #swv-status element:\n{dom[..Math.Min(dom.Length, 2000)]}");
        return (dom, Attribute().Matches(status.Value).ToDictionary(m => m.Groups[1].Value, m => System.Net.WebUtility.HtmlDecode(m.Groups[2].Value)));
    }

    public static async Task ScreenshotAsync(string url, string png) =>
        await RunAsync("--virtual-time-budget=10000", "--hide-scrollbars", "--window-size=1400,900", "--screenshot=" + png, url);

    static async Task<(string Out, string Err)> RunAsync(params string[] args)
    {
        var profile = Directory.CreateTempSubdirectory("swanlab-chromium-").FullName;
        try
        {
            var info = new ProcessStartInfo(Binary.Value)
            {
                RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false,
            };
            foreach (var a in new[] { "--headless=new", "--no-sandbox", "--disable-gpu", "--no-first-run", "--user-data-dir=" + profile })
                info.ArgumentList.Add(a);
            foreach (var a in args) info.ArgumentList.Add(a);
            using var process = Process.Start(info)!;
            var output = process.StandardOutput.ReadToEndAsync();
            var error = process.StandardError.ReadToEndAsync();
            using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(90));
            try { await process.WaitForExitAsync(timeout.Token); }
            catch (OperationCanceledException) { process.Kill(entireProcessTree: true); throw new TimeoutException($"chromium did not finish: {string.Join(' ', args)}"); }
            return (await output, await error);
        }
        finally
        {
            try { Directory.Delete(profile, recursive: true); } catch (IOException) { } catch (UnauthorizedAccessException) { }
        }
    }

    static string Find()
    {
        foreach (var name in new[] { "chromium", "chromium-browser" })
            if (OnPath(name) is { } found) return found;
        if (Environment.UserName != "root")
            throw new InvalidOperationException("The browser specs need Debian's chromium: run `sudo apt-get install -y chromium` (the tests install it themselves only when they run as root).");
        foreach (var args in new[] { "update -qq", "install -y -qq chromium" })
        {
            using var apt = Process.Start(new ProcessStartInfo("apt-get", args) { UseShellExecute = false, RedirectStandardOutput = true, RedirectStandardError = true })!;
            var err = apt.StandardError.ReadToEndAsync();
            apt.StandardOutput.ReadToEnd();
            apt.WaitForExit();
            if (apt.ExitCode != 0) throw new InvalidOperationException($"`apt-get {args}` failed ({apt.ExitCode}): {err.Result}");
        }
        return OnPath("chromium") ?? throw new InvalidOperationException("apt-get installed chromium but it is not on PATH.");
    }

    static string? OnPath(string name) =>
        (Environment.GetEnvironmentVariable("PATH") ?? "").Split(Path.PathSeparator)
            .Select(d => Path.Combine(d, name)).FirstOrDefault(File.Exists);

    [GeneratedRegex("<div id=\"swv-status\"[^>]*>")]
    private static partial Regex StatusElement();

    [GeneratedRegex("data-([a-z-]+)=\"([^\"]*)\"")]
    private static partial Regex Attribute();
}
