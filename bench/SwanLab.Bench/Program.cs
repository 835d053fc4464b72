using System.Diagnostics;
using SwanLab.Bench.Harness;
using SwanLab.Bench.Scenarios;

// SwanLab Crawler benchmarks (issue 5). `--quick` runs smaller datasets in under 3 minutes; the full run takes
// under 30. Results go to bench/results.md (or --results PATH), with the machine and date.
var quick = args.Contains("--quick");
var only = args.SkipWhile(a => a != "--only").Skip(1).FirstOrDefault()?.Split(',').ToHashSet();
var resultsPath = args.SkipWhile(a => a != "--results").Skip(1).FirstOrDefault() ?? FindResultsPath();

var scenarios = new (string Id, Func<BenchContext, Task<IReadOnlyList<ScenarioResult>>> Run)[]
{
    ("8", async c => [await ServerAndClient.EmulatorThroughputAsync(c), await ServerAndClient.ClientStreamingAsync(c)]),
    ("1", async c => [await Scenarios.RateLimitAsync(c, told: true)]),
    ("2", async c => [await Scenarios.RateLimitAsync(c, told: false)]),
    ("3", async c => [await Scenarios.ObviousLoopAsync(c)]),
    ("4", async c => [await Scenarios.LatencyBoundAsync(c)]),
    ("5", Scenarios.BigSeriesAsync),
    ("6", async c => [await Scenarios.GrowthAsync(c)]),
    ("7", async c => [await Scenarios.ResumeCostAsync(c)]),
    ("10m", async c => [await UploadPath.ScalarEncodingAsync(c)]),
    ("10a", ImportThroughput.RateLimitedAsync),
    ("10b", ImportThroughput.BigSeriesAsync),
    ("11a", async c => [await ClusterScale.OverheadAsync(c)]),
    ("11b", async c => [await ClusterScale.FailoverAsync(c)]),
    ("9", async c => [await RequestBudget.RequestsPerRunAsync(c), await RequestBudget.DemoCrawlTimeAsync(c), .. await RequestBudget.RampAsync(c)]),
};

var clock = Stopwatch.StartNew();
var results = new List<ScenarioResult>();
using var context = new BenchContext(quick, Console.Out);
foreach (var (id, run) in scenarios.Where(s => only is null || only.Contains(s.Id)))
{
    Console.WriteLine($"scenario {id} ...");
    try
    {
        foreach (var result in await run(context))
        {
            results.Add(result);
            Console.WriteLine($"  {(result.Pass ? "pass" : "FAIL")}  {result.Scenario}: {result.Figures} (ratio {result.Ratio})");
        }
    }
    catch (Exception ex) when (ex is BenchFailure or TimeoutException or HttpRequestException)
    {
        var failed = new ScenarioResult($"{id}. (did not complete)", ex.Message.ReplaceLineEndings(" ").Trim(), "-", "-", "-", false);
        results.Add(failed);
        Console.WriteLine($"  FAIL  scenario {id}: {ex.Message}");
    }
}

var markdown = ResultsWriter.Render(results, quick, clock.Elapsed);
await File.WriteAllTextAsync(resultsPath, markdown);
Console.WriteLine($"wrote {resultsPath}");
Console.WriteLine($"{results.Count(r => r.Pass)} passed, {results.Count(r => !r.Pass)} failed");
return results.All(r => r.Pass) ? 0 : 1;

static string FindResultsPath()
{
    for (var dir = new DirectoryInfo(Environment.CurrentDirectory); dir is not null; dir = dir.Parent)
    {
        if (File.Exists(Path.Combine(dir.FullName, "SwanLab.Crawler.sln")))
        {
            return Path.Combine(dir.FullName, "bench", "results.md");
        }
    }

    return Path.Combine(Environment.CurrentDirectory, "results.md");
}
