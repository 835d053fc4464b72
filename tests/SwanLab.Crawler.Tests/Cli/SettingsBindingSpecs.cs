using SwanLab.Crawler.Backup;
using SwanLab.Crawler.Configuration;

namespace SwanLab.Crawler.Tests.Cli;

public sealed class SettingsBindingSpecs : IDisposable
{
    readonly CliHarness cli = new();

    public void Dispose() => cli.Dispose();

    ExportFlags Flags(string? outDir = null) => new() { Out = outDir ?? Path.Combine(cli.WorkDirectory, "backup") };

    [Fact]
    public void Should_bind_the_shipped_defaults_into_crawl_settings()
    {
        var settings = cli.Resolve(Flags());

        Assert.Equal(Path.Combine(cli.WorkDirectory, "backup"), settings.Crawl.OutputDirectory);
        Assert.Equal(SeriesFormat.Csv, settings.Crawl.Format);
        Assert.Null(settings.Crawl.Sample);
        Assert.True(settings.Crawl.IncludeLogs);
        Assert.True(settings.Crawl.IncludeMedia);
        Assert.Equal(16, settings.Crawl.RunConcurrency);
        Assert.Equal(32, settings.Crawl.SeriesConcurrency);
        Assert.Equal(4096, settings.Crawl.ChannelCapacity);
        Assert.Equal(3, settings.Crawl.MaxUnitAttempts);
        Assert.Equal(TimeSpan.FromSeconds(1), settings.Crawl.UnitBackoffMin);
        Assert.Equal(TimeSpan.FromSeconds(30), settings.Crawl.UnitBackoffMax);
        Assert.Null(settings.Connection.Host);
        Assert.Null(settings.Connection.ApiKey);
        Assert.Equal(TimeSpan.FromSeconds(60), settings.Connection.HttpTimeout);
        Assert.Equal(5, settings.Connection.MaxRetries);
        Assert.Equal(TimeSpan.FromMilliseconds(500), settings.Connection.BackoffBase);
        Assert.Null(settings.Connection.RequestsPerSecond);
        Assert.Equal(0, settings.Connection.InitialRequestsPerSecond);
        Assert.Equal("built-in defaults", settings.ConfigOrigin);
    }

    [Fact]
    public void Should_bind_every_key_of_the_config_file()
    {
        cli.WriteToolConfig("""
            swanlab-crawler {
              host = "swanlab.example.com"
              export { out = "from-file", format = jsonl, sample = 250, logs = off, media = no }
              concurrency { runs = 3, series = 5, channel-capacity = 64 }
              rate-limit { requests-per-second = 7.5, initial-requests-per-second = 2 }
              http { timeout = 5s, max-retries = 1, backoff-base = 10ms, backoff-max = 2s }
              supervision { max-unit-attempts = 2, unit-backoff-min = 50ms, unit-backoff-max = 1m }
            }
            """);

        var settings = cli.Resolve(new ExportFlags());

        Assert.Equal(Path.GetFullPath("from-file"), settings.Crawl.OutputDirectory);
        Assert.Equal(SeriesFormat.Jsonl, settings.Crawl.Format);
        Assert.Equal(250, settings.Crawl.Sample);
        Assert.False(settings.Crawl.IncludeLogs);
        Assert.False(settings.Crawl.IncludeMedia);
        Assert.Equal(3, settings.Crawl.RunConcurrency);
        Assert.Equal(5, settings.Crawl.SeriesConcurrency);
        Assert.Equal(64, settings.Crawl.ChannelCapacity);
        Assert.Equal(2, settings.Crawl.MaxUnitAttempts);
        Assert.Equal(TimeSpan.FromMilliseconds(50), settings.Crawl.UnitBackoffMin);
        Assert.Equal(TimeSpan.FromMinutes(1), settings.Crawl.UnitBackoffMax);
        Assert.Equal("https://swanlab.example.com", settings.Connection.Host);
        Assert.Equal(7.5, settings.Connection.RequestsPerSecond);
        Assert.Equal(2, settings.Connection.InitialRequestsPerSecond);
        Assert.Equal(TimeSpan.FromSeconds(5), settings.Connection.HttpTimeout);
        Assert.Equal(1, settings.Connection.MaxRetries);
        Assert.Equal(TimeSpan.FromMilliseconds(10), settings.Connection.BackoffBase);
        Assert.Equal(TimeSpan.FromSeconds(2), settings.Connection.BackoffMax);
        Assert.EndsWith(Path.Combine("config", "crawler.hocon"), settings.ConfigOrigin, StringComparison.Ordinal);
    }

    [Fact]
    public void Should_keep_embedded_defaults_for_keys_a_partial_file_leaves_out()
    {
        cli.WriteToolConfig("swanlab-crawler.concurrency.runs = 2");

        var settings = cli.Resolve(Flags());

        Assert.Equal(2, settings.Crawl.RunConcurrency);
        Assert.Equal(32, settings.Crawl.SeriesConcurrency);
        Assert.Equal(5, settings.Connection.MaxRetries);
    }

    [Fact]
    public void Should_let_environment_variables_override_the_config_file()
    {
        cli.WriteToolConfig("""
            swanlab-crawler { host = "file.example.com", export.format = csv, concurrency.runs = 2, http.timeout = 10s }
            """);
        cli.Environment["SWANLAB_API_HOST"] = "http://env.example.com:8000";
        cli.Environment["SWANLAB_CRAWLER_FORMAT"] = "jsonl";
        cli.Environment["SWANLAB_CRAWLER_CONCURRENCY"] = "8";
        cli.Environment["SWANLAB_CRAWLER_TIMEOUT"] = "1500ms";
        cli.Environment["SWANLAB_CRAWLER_MEDIA"] = "off";
        cli.Environment["SWANLAB_CRAWLER_OUT"] = Path.Combine(cli.WorkDirectory, "env-out");

        var settings = cli.Resolve(new ExportFlags());

        Assert.Equal("http://env.example.com:8000", settings.Connection.Host);
        Assert.Equal(SeriesFormat.Jsonl, settings.Crawl.Format);
        Assert.Equal(8, settings.Crawl.RunConcurrency);
        Assert.Equal(TimeSpan.FromMilliseconds(1500), settings.Connection.HttpTimeout);
        Assert.False(settings.Crawl.IncludeMedia);
        Assert.Equal(Path.Combine(cli.WorkDirectory, "env-out"), settings.Crawl.OutputDirectory);
    }

    [Fact]
    public void Should_let_flags_override_environment_variables()
    {
        cli.WriteToolConfig("swanlab-crawler { concurrency.runs = 2, rate-limit.requests-per-second = 1 }");
        cli.Environment["SWANLAB_API_HOST"] = "http://env.example.com";
        cli.Environment["SWANLAB_CRAWLER_CONCURRENCY"] = "8";
        cli.Environment["SWANLAB_CRAWLER_FORMAT"] = "jsonl";
        cli.Environment["SWANLAB_CRAWLER_RATE_LIMIT"] = "3";
        cli.Environment["SWANLAB_CRAWLER_SAMPLE"] = "100";
        cli.Environment["SWANLAB_CRAWLER_LOGS"] = "on";

        var settings = cli.Resolve(Flags() with
        {
            Host = "http://flag.example.com", Concurrency = 12, Format = "CSV", RateLimit = 9, Sample = 7, NoLogs = true,
        });

        Assert.Equal("http://flag.example.com", settings.Connection.Host);
        Assert.Equal(12, settings.Crawl.RunConcurrency);
        Assert.Equal(SeriesFormat.Csv, settings.Crawl.Format);
        Assert.Equal(9, settings.Connection.RequestsPerSecond);
        Assert.Equal(7, settings.Crawl.Sample);
        Assert.False(settings.Crawl.IncludeLogs);
    }

    [Fact]
    public void Should_prefer_SWANLAB_API_HOST_over_its_SWANLAB_HOST_alias()
    {
        cli.Environment["SWANLAB_HOST"] = "http://alias.example.com";
        Assert.Equal("http://alias.example.com", cli.Resolve(Flags()).Connection.Host);

        cli.Environment["SWANLAB_API_HOST"] = "http://sdk.example.com/api";
        Assert.Equal("http://sdk.example.com/api", cli.Resolve(Flags()).Connection.Host);
    }

    [Fact]
    public void Should_read_the_file_named_by_config_file_flag_over_SWANLAB_CRAWLER_CONFIG()
    {
        var fromEnv = Path.Combine(cli.WorkDirectory, "env.hocon");
        var fromFlag = Path.Combine(cli.WorkDirectory, "flag.hocon");
        File.WriteAllText(fromEnv, "swanlab-crawler.concurrency.runs = 4");
        File.WriteAllText(fromFlag, "swanlab-crawler.concurrency.runs = 6");
        cli.WriteToolConfig("swanlab-crawler.concurrency.runs = 2");

        cli.Environment["SWANLAB_CRAWLER_CONFIG"] = fromEnv;
        Assert.Equal(4, cli.Resolve(Flags()).Crawl.RunConcurrency);
        Assert.Equal(6, cli.Resolve(Flags() with { ConfigFile = fromFlag }).Crawl.RunConcurrency);
    }

    [Fact]
    public void Should_turn_states_and_config_filters_into_the_sdk_filter()
    {
        var settings = cli.Resolve(Flags() with
        {
            States = ["finished", "CRASHED", "FINISHED"],
            ConfigFilters = ["optimizer.lr=0.01", "config.batch_size = 64"],
            Workspaces = ["alice"],
            Projects = ["alice/mnist", "alice/mnist"],
            Runs = ["team/vision/abc"],
        });

        Assert.Equal(["FINISHED", "CRASHED"], settings.Crawl.Filter.States);
        Assert.Equal("0.01", settings.Crawl.Filter.Config["config.optimizer.lr"]);
        Assert.Equal("64", settings.Crawl.Filter.Config["config.batch_size"]);
        Assert.Equal(["alice"], settings.Crawl.Workspaces);
        Assert.Equal(["alice/mnist"], settings.Crawl.Projects);
        Assert.Equal(["team/vision/abc"], settings.Crawl.Runs);
    }

    [Fact]
    public void Should_pass_an_explicit_api_key_through_but_never_print_it()
    {
        const string key = "Secret0123456789abcde";

        var settings = cli.Resolve(Flags() with { ApiKey = key });

        Assert.Equal(key, settings.Connection.ApiKey);
        Assert.DoesNotContain(key, settings.Connection.ToString(), StringComparison.Ordinal);
        Assert.DoesNotContain(key, settings.ToString(), StringComparison.Ordinal);
        Assert.Contains("***", settings.Connection.ToString(), StringComparison.Ordinal);
    }

    [Fact]
    public void Should_reject_an_unknown_key_in_the_config_file_naming_it()
    {
        cli.WriteToolConfig("swanlab-crawler.export.fromat = jsonl");

        var error = Assert.Throws<SettingsException>(() => cli.Resolve(Flags()));

        Assert.Contains("swanlab-crawler.export.fromat", error.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("swanlab-crawler.concurrency.runs = many", "concurrency.runs")]
    [InlineData("swanlab-crawler.http.timeout = soon", "http.timeout")]
    [InlineData("swanlab-crawler.export.logs = maybe", "export.logs")]
    [InlineData("swanlab-crawler { host = ${missing} }", "not valid HOCON")]
    [InlineData("swanlab-crawler { export { ", "never closed")]
    [InlineData("swanlab-crawler { host = [1, 2 }", "unexpected '}'")]
    [InlineData("swanlab-crawler { host = \"x }", "unterminated string")]
    [InlineData("swanlab-crawler.export = [1, 2]", "export")]
    public void Should_reject_a_malformed_config_file_value(string hocon, string mentioned)
    {
        cli.WriteToolConfig(hocon);

        var error = Assert.Throws<SettingsException>(() => cli.Resolve(Flags()));

        Assert.Contains(mentioned, error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Should_ship_a_config_file_whose_every_key_the_tool_knows()
    {
        var shipped = File.ReadAllText(Path.Combine(AppContext.BaseDirectory, "config", "crawler.hocon"));

        var layer = HoconSettings.Parse(shipped, "shipped");

        Assert.Equal(HoconSettings.Parse(HoconSettings.EmbeddedDefaultsText(), "embedded"), layer);
        Assert.NotNull(layer.RunConcurrency);
        Assert.NotNull(layer.HttpTimeout);
        Assert.NotNull(layer.UnitBackoffMax);
    }
}
