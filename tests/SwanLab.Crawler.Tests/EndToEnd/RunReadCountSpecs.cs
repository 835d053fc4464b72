using System.Net.Http.Json;
using System.Text.Json;
using SwanLab.Crawler.Crawl;
using SwanLab.Crawler.Tests.Backup;
using SwanLab.Crawler.Tests.Import;
using SwanLab.Emulator;

namespace SwanLab.Crawler.Tests.EndToEnd;

/// <summary>The emulator counts, per run, its detail and metric export reads: how a test sees a run exported twice.</summary>
public sealed class RunReadCountSpecs
{
    [Fact]
    public async Task Should_count_each_runs_detail_once_per_export_that_exports_it()
    {
        using var dir = new TempDir();
        await using var server = await EmulatorServer.StartAsync(new EmulatorOptions { Size = DatasetSize.Tiny });
        var settings = new CrawlSettings { OutputDirectory = Path.Combine(dir.Path, "backup"), RunConcurrency = 4 };

        await BackupFolderSourceSpecs.ExportEmulatorAsync(server, settings);
        var first = server.Stats.Snapshot().RunReads;
        await BackupFolderSourceSpecs.ExportEmulatorAsync(server, settings);
        var afterResume = server.Stats.Snapshot().RunReads;

        var runs = server.Dataset.Runs;
        Assert.NotEmpty(runs);
        foreach (var run in runs)
        {
            var path = run.Project.Path + "/" + run.Cuid;
            Assert.Equal(1, first[path].Detail);
            // A resume exports again only what may have changed: RUNNING runs.
            if (run.State == "RUNNING")
                Assert.Equal(2, server.Stats.ReadsOf(path).Detail);
            else
                Assert.Equal(first[path], afterResume[path]);
            if (server.Dataset.DataOwner(run).Scalars.Count > 0)
                Assert.True(first[path].MetricExports >= 1, $"{path}: no metric export counted");
        }
        Assert.Equal(runs.Count, first.Count);
    }

    [Fact]
    public async Task Should_report_the_per_run_reads_in_the_stats_endpoint()
    {
        await using var server = await EmulatorServer.StartAsync(new EmulatorOptions { Size = DatasetSize.Tiny });
        var run = server.Dataset.Runs[0];
        using var http = new HttpClient { BaseAddress = server.BaseUrl };
        http.DefaultRequestHeaders.Add("Cookie", "sid=none");

        await http.GetAsync($"api/project/{run.Project.Path}/runs/{run.Cuid}");
        var stats = await http.GetFromJsonAsync<JsonElement>("__emulator/stats");

        Assert.Equal(JsonValueKind.Object, stats.GetProperty("runReads").ValueKind);
    }
}
