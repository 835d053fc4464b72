using System.Text.Json.Nodes;
using SwanLab.Client;
using SwanLab.Crawler.Backup;
using SwanLab.Crawler.Crawl;
using SwanLab.Crawler.Source;
using SwanLab.Emulator;
using SwanLab.Emulator.Data;

namespace SwanLab.Crawler.Tests.EndToEnd;

/// <summary>
/// --state and --config select exactly: SwanLab returns pinned runs whatever the filter says (the emulator does the
/// same), so the crawl checks every returned run against its own state and config.
/// </summary>
public sealed class SelectionSpecs : IAsyncLifetime, IDisposable
{
    private static readonly CancellationToken None = CancellationToken.None;
    private readonly string _root = Directory.CreateTempSubdirectory("swanlab-selection-").FullName;
    private EmulatorServer _server = null!;
    private EmulatorRun _pinned = null!;
    private EmulatorRun _target = null!;

    public async Task InitializeAsync()
    {
        _server = await EmulatorServer.StartAsync(new EmulatorOptions { Size = DatasetSize.Tiny }, None);
        var finished = _server.Dataset.Runs.Where(r => r.State == "FINISHED").ToList();
        _pinned = finished[0];
        _pinned.Pinned = true;
        _target = finished[1];
        // 0.9.x shape for the pinned run: every entry wrapped as {value, desc, sort}.
        _pinned.Config = Wrapped(new JsonObject
        {
            ["optimizer"] = "adam", ["learning_rate"] = 0.5,
            ["model"] = new JsonObject { ["encoder"] = new JsonObject { ["layers"] = 3 } },
        });
        // A 0.7.8-like shape for the target: plain values, a number held as a string, a nested object.
        _target.Config = new JsonObject
        {
            ["optimizer"] = "sgd", ["learning_rate"] = 0.01, ["warmup"] = "0.10",
            ["model"] = new JsonObject { ["encoder"] = new JsonObject { ["layers"] = 7 } },
        };
    }

    public async Task DisposeAsync() => await _server.DisposeAsync();

    public void Dispose()
    {
        try { Directory.Delete(_root, recursive: true); }
        catch (IOException) { }
    }

    [Fact]
    public async Task Should_not_export_a_pinned_run_whose_state_was_not_selected()
    {
        var exported = await ExportAsync(new RunFilter(["CRASHED"], new Dictionary<string, string>()));

        var expected = _server.Dataset.Runs.Where(r => r.State == "CRASHED").Select(r => r.Cuid).Order(StringComparer.Ordinal);
        Assert.Equal(expected, exported);
        Assert.DoesNotContain(_pinned.Cuid, exported);

        // The same pinned run is kept when it does match (its config is in the wrapped 0.9.x shape).
        var matching = await ExportAsync(new RunFilter(["FINISHED"],
            new Dictionary<string, string> { ["config.model.encoder.layers"] = "3", ["config.learning_rate"] = "0.50" }));
        Assert.Equal([_pinned.Cuid], matching);
    }

    [Theory]
    [InlineData("config.optimizer", "sgdd")]
    [InlineData("config.nonexistentkey", "1")]
    public async Task Should_export_nothing_when_no_run_has_the_config_value(string key, string value)
    {
        var exported = await ExportAsync(new RunFilter([], new Dictionary<string, string> { [key] = value }));

        Assert.Empty(exported);
    }

    [Theory]
    [InlineData("config.learning_rate", "1e-2")]
    [InlineData("config.learning_rate", "0.01")]
    [InlineData("config.warmup", "0.1")]
    [InlineData("config.model.encoder.layers", "7")]
    [InlineData("config.optimizer", "sgd")]
    public async Task Should_compare_config_values_as_the_server_does_in_both_config_shapes(string key, string value)
    {
        var exported = await ExportAsync(new RunFilter([], new Dictionary<string, string> { [key] = value }));

        Assert.Contains(_target.Cuid, exported);
        Assert.DoesNotContain(_pinned.Cuid, exported);
    }

    [Fact]
    public async Task Should_apply_the_selection_to_runs_named_with_run_too()
    {
        var project = _pinned.Project.Path;
        var exported = await ExportAsync(new RunFilter([], new Dictionary<string, string> { ["config.optimizer"] = "sgd" }),
            runs: [$"{project}/{_pinned.Cuid}"]);

        Assert.Empty(exported);
    }

    [Fact]
    public async Task Should_count_only_matching_runs_in_a_dry_run()
    {
        await using var api = await ConnectAsync();
        var settings = Settings("plan") with { Filter = new RunFilter(["CRASHED"], new Dictionary<string, string>()) };

        var plan = await CrawlPlanner.PlanAsync(settings, new SwanLabClientSource(api), None);

        Assert.Equal(_server.Dataset.Runs.Count(r => r.State == "CRASHED"), plan.Runs);
    }

    private async Task<List<string>> ExportAsync(RunFilter filter, IReadOnlyList<string>? runs = null)
    {
        await using var api = await ConnectAsync();
        var settings = Settings(Guid.NewGuid().ToString("N")) with { Filter = filter, Runs = runs ?? [] };
        var result = await CrawlRunner.RunAsync(settings, new SwanLabClientSource(api), null, None);
        Assert.True(result.Complete, string.Join("; ", result.Failures.Select(f => $"{f.RunPath}: {f.Error}")));
        var exported = Directory.EnumerateFiles(settings.OutputDirectory, BackupLayout.RunFileName, SearchOption.AllDirectories)
            .Select(f => JsonNode.Parse(File.ReadAllText(f))!["cuid"]!.GetValue<string>())
            .Order(StringComparer.Ordinal)
            .ToList();
        Assert.Equal(exported.Count, result.RunsDone);
        return exported;
    }

    private CrawlSettings Settings(string dir) => new()
    {
        OutputDirectory = Path.Combine(_root, dir),
        RunConcurrency = 4,
        SeriesConcurrency = 8,
        MaxUnitAttempts = 2,
        UnitBackoffMin = TimeSpan.FromMilliseconds(5),
        UnitBackoffMax = TimeSpan.FromMilliseconds(20),
    };

    private Task<SwanLabApi> ConnectAsync() => EmulatorClient.ConnectAsync(_server, maxRetries: 2);

    private static JsonObject Wrapped(JsonObject plain)
    {
        var wrapped = new JsonObject();
        var sort = 0;
        foreach (var (key, value) in plain)
            wrapped[key] = new JsonObject { ["value"] = value?.DeepClone(), ["desc"] = "", ["sort"] = sort++ };
        return wrapped;
    }
}
