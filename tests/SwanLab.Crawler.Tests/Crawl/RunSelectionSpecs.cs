using System.Text.Json;
using SwanLab.Crawler.Crawl;
using SwanLab.Crawler.Source;

namespace SwanLab.Crawler.Tests.Crawl;

/// <summary>The readings of --config the emulator specs do not reach: every shape a server may send a config in.</summary>
public sealed class RunSelectionSpecs
{
    const string Wrapped = """
        {"profile": {"config": {
          "optimizer.lr": {"value": 0.001, "desc": "", "sort": 0},
          "use_amp": {"value": true, "desc": "", "sort": 1},
          "layers": {"value": [64, 128], "desc": "", "sort": 2},
          "dropout": {"value": null, "desc": "", "sort": 3},
          "threshold": {"value": {"value": 3, "unit": "ms"}, "desc": "", "sort": 4}
        }}}
        """;

    const string TopLevelConfig = """{"config": {"optimizer": {"name": "sgd", "lr": "1E-3"}}}""";

    [Theory]
    [InlineData(Wrapped, "optimizer.lr", "1e-3", true)]
    [InlineData(Wrapped, "optimizer.lr", "0.01", false)]
    [InlineData(Wrapped, "use_amp", "True", true)]
    [InlineData(Wrapped, "use_amp", "false", false)]
    [InlineData(Wrapped, "layers", "128", true)]
    [InlineData(Wrapped, "layers", "[64,128]", true)]
    [InlineData(Wrapped, "layers", "32", false)]
    [InlineData(Wrapped, "dropout", "None", true)]
    [InlineData(Wrapped, "dropout", "0.1", false)]
    [InlineData(Wrapped, "threshold.unit", "ms", true)]
    [InlineData(Wrapped, "threshold", "3", true)]
    [InlineData(Wrapped, "missing", "1", false)]
    [InlineData(Wrapped, "missing", "", true)]
    [InlineData(TopLevelConfig, "optimizer.lr", "0.001", true)]
    [InlineData(TopLevelConfig, "optimizer.name", "sgd", true)]
    [InlineData(TopLevelConfig, "optimizer.name", "SGD", false)]
    public void Should_read_config_values_the_way_the_server_compares_them(string run, string key, string value, bool matches)
    {
        using var doc = JsonDocument.Parse(run);
        var filter = new RunFilter([], new Dictionary<string, string> { ["config." + key] = value });

        Assert.Equal(matches, RunSelection.Matches(filter, "FINISHED", doc.RootElement));
    }

    [Fact]
    public void Should_ask_for_the_full_run_when_the_listing_has_no_config()
    {
        using var doc = JsonDocument.Parse("""{"cuid": "x", "state": "FINISHED"}""");
        var filter = new RunFilter([], new Dictionary<string, string> { ["config.lr"] = "1" });

        Assert.True(RunSelection.NeedsDetail(filter, doc.RootElement));
        Assert.False(RunSelection.NeedsDetail(RunFilter.None, doc.RootElement));
        Assert.False(RunSelection.Matches(filter, "FINISHED", doc.RootElement));
    }
}
