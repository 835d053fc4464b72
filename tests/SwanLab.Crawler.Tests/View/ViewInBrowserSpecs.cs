using System.Text.Json;
using SwanLab.Crawler.Cli;
using SwanLab.Crawler.Tests.Cli;
using SwanLab.Crawler.View;

namespace SwanLab.Crawler.Tests.View;

/// <summary>The demo backup, exported once with --view, shared by the browser specs.</summary>
public sealed class DemoSiteFixture : IAsyncLifetime
{
    readonly CliHarness _cli = new();
    public string Backup => Path.Combine(_cli.WorkDirectory, "backup");
    internal CliOutcome Export { get; private set; } = null!;
    internal CliOutcome Verify { get; private set; } = null!;

    public async Task InitializeAsync()
    {
        Export = await _cli.RunAsync(new ProductionBackend(), "export", "--demo", "--out", Backup, "--view");
        Verify = await _cli.RunAsync(new ProductionBackend(), "verify", "--out", Backup);
    }

    public Task DisposeAsync()
    {
        _cli.Dispose();
        return Task.CompletedTask;
    }

    public string Url(string hash) => new Uri(Path.Combine(Backup, ViewSite.FolderName, "index.html")).AbsoluteUri + hash;
}

public sealed class ViewInBrowserSpecs(DemoSiteFixture demo) : IClassFixture<DemoSiteFixture>
{
    [Fact]
    public void Should_write_the_site_at_the_end_of_export_and_still_verify()
    {
        Assert.True(demo.Export.ExitCode == 0, demo.Export.ToString());
        Assert.Contains("view/index.html", demo.Export.Out.Replace('\\', '/'), StringComparison.Ordinal);
        Assert.True(demo.Verify.ExitCode == 0, demo.Verify.ToString());
        Assert.DoesNotContain("extra", demo.Verify.All, StringComparison.OrdinalIgnoreCase);
    }

    [Fact]
    public async Task Should_list_every_run_of_the_backup_on_the_start_page_without_console_errors()
    {
        var runs = Directory.EnumerateFiles(demo.Backup, "run.json", SearchOption.AllDirectories).Count();

        var status = await HeadlessChromium.StatusAsync(demo.Url("#/"));

        Assert.Equal("home", status["page"]);
        Assert.Equal(runs.ToString(System.Globalization.CultureInfo.InvariantCulture), status["rows"]);
        Assert.True(status["errors"] == "0", status["error-text"]);
    }

    [Fact]
    public async Task Should_draw_one_chart_per_metric_of_a_run_with_one_series_each()
    {
        var index = ViewSiteSpecs.ReadJsonp(Path.Combine(demo.Backup, "view/data/index.js"));
        var run = index.GetProperty("runs").EnumerateArray().First(r => r.GetProperty("last").EnumerateObject().Count() >= 3);
        var n = run.GetProperty("i").GetInt32();
        var folder = ViewSiteSpecs.ReadJsonp(Path.Combine(demo.Backup, $"view/data/r{n}.js")).GetProperty("folder").GetString()!;
        using var metrics = JsonDocument.Parse(File.ReadAllBytes(Path.Combine(demo.Backup, folder, "metrics", "index.json")));
        var keys = metrics.RootElement.GetProperty("series").EnumerateObject().Count();

        var status = await HeadlessChromium.StatusAsync(demo.Url($"#/r/{n}"));

        Assert.Equal("run", status["page"]);
        Assert.Equal(keys.ToString(System.Globalization.CultureInfo.InvariantCulture), status["charts"]);
        Assert.Equal(keys.ToString(System.Globalization.CultureInfo.InvariantCulture), status["series"]);
        Assert.True(status["errors"] == "0", status["error-text"]);
    }

    [Fact]
    public async Task Should_draw_the_same_charts_on_a_time_axis_with_log_scale_and_smoothing()
    {
        var index = ViewSiteSpecs.ReadJsonp(Path.Combine(demo.Backup, "view/data/index.js"));
        var run = index.GetProperty("runs").EnumerateArray().First(r => r.GetProperty("last").EnumerateObject().Count() >= 2);
        var keys = run.GetProperty("last").EnumerateObject().Count();

        var status = await HeadlessChromium.StatusAsync(demo.Url($"#/r/{run.GetProperty("i").GetInt32()}?x=time&log=1&smooth=0.9"));

        Assert.Equal(keys.ToString(System.Globalization.CultureInfo.InvariantCulture), status["charts"]);
        Assert.True(status["errors"] == "0", status["error-text"]);
    }

    [Fact]
    public async Task Should_overlay_every_run_of_a_project_on_its_page()
    {
        var index = ViewSiteSpecs.ReadJsonp(Path.Combine(demo.Backup, "view/data/index.js"));
        var project = index.GetProperty("projects").EnumerateArray().First(p => p.GetProperty("runs").GetInt32() >= 2);
        var p = project.GetProperty("i").GetInt32();
        var runs = index.GetProperty("runs").EnumerateArray().Where(r => r.GetProperty("p").GetInt32() == p).ToList();
        var expectedSeries = runs.Sum(r => r.GetProperty("last").EnumerateObject().Count());

        var status = await HeadlessChromium.StatusAsync(demo.Url($"#/p/{p}"));

        Assert.Equal("project", status["page"]);
        Assert.Equal(runs.Count.ToString(System.Globalization.CultureInfo.InvariantCulture), status["rows"]);
        Assert.Equal(expectedSeries.ToString(System.Globalization.CultureInfo.InvariantCulture), status["series"]);
        Assert.True(status["errors"] == "0", status["error-text"]);
    }

    [Fact]
    public async Task Should_show_a_run_named_like_markup_as_text_without_running_it()
    {
        var root = ViewFixture.Create(100);
        try
        {
            await ViewSite.WriteAsync(root, ViewSite.DefaultMaxPoints, CancellationToken.None);
            var url = new Uri(Path.Combine(root, "view", "index.html")).AbsoluteUri;

            var (homeDom, home) = await HeadlessChromium.PageAsync(url + "#/");
            var (runDom, run) = await HeadlessChromium.PageAsync(url + "#/r/0");

            Assert.Equal("2", home["rows"]);
            Assert.True(home["errors"] == "0", home["error-text"]);
            Assert.Equal("1", run["charts"]);
            Assert.True(run["errors"] == "0", run["error-text"]);
            foreach (var dom in new[] { homeDom, runDom })
            {
                Assert.Contains("&lt;script&gt;window.SWV_ERRORS.push('xss')&lt;/script&gt;", dom, StringComparison.Ordinal);
                Assert.DoesNotContain("<img src=\"x\"", dom, StringComparison.Ordinal);
            }
            Assert.Contains(ViewFixture.UnicodeName, homeDom, StringComparison.Ordinal);
        }
        finally
        {
            Directory.Delete(root, recursive: true);
        }
    }
}
