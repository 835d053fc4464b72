using SwanLab.Crawler.Cli;
using SwanLab.Crawler.Crawl;
using SwanLab.Emulator;

namespace SwanLab.Crawler.Tests.Cli;

/// <summary>Messages that send the user the right way, each with its exit code (issue 12, item 2).</summary>
public sealed class MessageSpecs : IDisposable
{
    const string Key = "Secret0123456789abcde";
    readonly CliHarness cli = new();
    readonly FakeBackend backend = new();

    public MessageSpecs()
    {
        cli.Environment["SWANLAB_CRAWLER_MAX_RETRIES"] = "2";
        cli.Environment["SWANLAB_CRAWLER_TIMEOUT"] = "5s";
    }

    public void Dispose() => cli.Dispose();

    string Out => Path.Combine(cli.WorkDirectory, "backup");

    [Theory]
    [InlineData(404)]
    [InlineData(405)]
    [InlineData(501)]
    public async Task Should_exit_2_saying_a_host_that_is_not_SwanLab_is_not_a_SwanLab_API(int status)
    {
        await using var site = new PlainHttpServer(status);

        foreach (var dryRun in new[] { false, true })
        {
            var args = new List<string> { "export", "--host", $"http://{site.Authority}", "--api-key", Key, "--out", Out };
            if (dryRun) args.Add("--dry-run");
            var outcome = await cli.RunAsync(new ProductionBackend(), [.. args]);

            Assert.True(outcome.ExitCode == ExitCodes.UsageError, outcome.ToString());
            Assert.Contains($"http://{site.Authority} is not a SwanLab API", outcome.Error, StringComparison.Ordinal);
            Assert.Contains("--host", outcome.Error, StringComparison.Ordinal);
            Assert.DoesNotContain("resume", outcome.All, StringComparison.Ordinal);
            Assert.DoesNotContain("Exception", outcome.All, StringComparison.Ordinal);
        }
        Assert.False(Directory.Exists(Out));
    }

    [Fact]
    public async Task Should_exit_2_saying_an_import_target_that_is_not_SwanLab_is_not_a_SwanLab_API()
    {
        // The target side signs in through the same connector as export's source, so it gets the same diagnosis.
        await using var server = await EmulatorServer.StartAsync(new EmulatorOptions { Size = DatasetSize.Tiny });
        var exported = await cli.RunAsync(new ProductionBackend(), "export", "--host", server.BaseUrl.ToString().TrimEnd('/'),
            "--api-key", server.ApiKey, "--out", Out, "--no-media");
        Assert.True(exported.ExitCode == ExitCodes.Complete, exported.ToString());
        await using var site = new PlainHttpServer(404);

        var outcome = await cli.RunAsync(new ProductionBackend(), "import", "--from", Out, "--host", $"http://{site.Authority}", "--api-key", Key);

        Assert.True(outcome.ExitCode == ExitCodes.UsageError, outcome.ToString());
        Assert.Contains($"http://{site.Authority} is not a SwanLab API", outcome.Error, StringComparison.Ordinal);
        Assert.DoesNotContain("Exception", outcome.All, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Should_suggest_http_at_once_when_https_was_assumed_for_a_plain_http_host()
    {
        await using var site = new PlainHttpServer();

        var outcome = await cli.RunAsync(new ProductionBackend(), "export", "--host", site.Authority, "--api-key", Key, "--out", Out);

        Assert.True(outcome.ExitCode == ExitCodes.UsageError, outcome.ToString());
        Assert.Contains($"--host http://{site.Authority}", outcome.Error, StringComparison.Ordinal);
        Assert.Contains("https:// was assumed", outcome.Error, StringComparison.Ordinal);
        Assert.Equal(1, site.Connections); // a failed TLS handshake is not retried
    }

    [Fact]
    public async Task Should_name_the_flag_the_variable_and_swanlab_login_when_there_is_no_key()
    {
        backend.Connect = c => throw new CrawlerAuthenticationException("https://api.swanlab.cn", rejected: false,
            "No SwanLab API key for https://api.swanlab.cn: pass SwanLabApiOptions.ApiKey ...") { NoApiKey = true };

        var outcome = await cli.RunAsync(backend, "export", "--out", Out);

        Assert.Equal(ExitCodes.AuthenticationError, outcome.ExitCode);
        Assert.Contains("no API key for https://api.swanlab.cn", outcome.Error, StringComparison.Ordinal);
        foreach (var way in new[] { "--api-key", "SWANLAB_API_KEY", "swanlab login" })
            Assert.Contains(way, outcome.Error, StringComparison.Ordinal);
        Assert.DoesNotContain("SwanLabApiOptions", outcome.All, StringComparison.Ordinal);
        Assert.DoesNotContain("belongs to", outcome.All, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("--sample", "abc", "--sample expects a whole number, got 'abc'.")]
    [InlineData("--concurrency", "abc", "--concurrency expects a whole number, got 'abc'.")]
    [InlineData("--rate-limit", "x", "--rate-limit expects a number, got 'x'.")]
    public async Task Should_say_in_words_what_a_numeric_flag_expects(string flag, string value, string message)
    {
        var outcome = await cli.RunAsync(backend, "export", "--out", Out, flag, value);

        Assert.Equal(ExitCodes.UsageError, outcome.ExitCode);
        Assert.Contains("error: " + message, outcome.Error, StringComparison.Ordinal);
        Assert.DoesNotContain("System.", outcome.All, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("1ms")]
    [InlineData("25h")]
    public async Task Should_exit_2_naming_the_variable_and_the_range_for_a_timeout_out_of_range(string timeout)
    {
        cli.Environment["SWANLAB_CRAWLER_TIMEOUT"] = timeout;

        var outcome = await cli.RunAsync(backend, "export", "--out", Out);

        Assert.Equal(ExitCodes.UsageError, outcome.ExitCode);
        Assert.Contains("SWANLAB_CRAWLER_TIMEOUT", outcome.Error, StringComparison.Ordinal);
        Assert.Contains("10ms to 24h", outcome.Error, StringComparison.Ordinal);
        Assert.Null(backend.ConnectedWith);
    }

    [Fact]
    public async Task Should_report_a_mistyped_option_once_with_the_option_it_most_likely_meant()
    {
        var outcome = await cli.RunAsync(backend, "export", "--formt", "csv", "--out", Out);

        Assert.Equal(ExitCodes.UsageError, outcome.ExitCode);
        Assert.Equal(1, outcome.Error.Split('\n').Count(l => l.StartsWith("error:", StringComparison.Ordinal)));
        Assert.Contains("unknown option '--formt'; did you mean --format?", outcome.Error, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Should_suggest_the_command_for_a_mistyped_command()
    {
        var outcome = await cli.RunAsync(backend, "exprot", "--out", Out);

        Assert.Equal(ExitCodes.UsageError, outcome.ExitCode);
        Assert.Contains("did you mean export?", outcome.Error, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("status")]
    [InlineData("verify")]
    public async Task Should_not_promise_to_create_a_folder_a_read_only_command_was_given_as_a_file(string command)
    {
        var file = Path.Combine(cli.WorkDirectory, "a-file");
        await File.WriteAllTextAsync(file, "x");

        var outcome = await cli.RunAsync(backend, command, "--out", file);

        Assert.Equal(ExitCodes.UsageError, outcome.ExitCode);
        Assert.Contains("is a file", outcome.Error, StringComparison.Ordinal);
        Assert.DoesNotContain("created if missing", outcome.Error, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Should_write_counts_as_people_do()
    {
        backend.Run = async (_, events, ct) =>
        {
            await events.WriteAsync(new CrawlEvent.Discovered(1, 1, 1), ct);
            await events.WriteAsync(new CrawlEvent.RunCompleted("alice/mnist/a", 10, 3), ct);
            return new CrawlResult(1, 1, 1, 1, 0, 0, 10, Complete: true, Cancelled: false, []);
        };

        var outcome = await cli.RunAsync(backend, "export", "--out", Out);

        Assert.True(outcome.ExitCode == ExitCodes.Complete, outcome.ToString());
        Assert.Contains("Complete: the 1 run is in the backup.", outcome.Out, StringComparison.Ordinal);
        Assert.DoesNotContain("all 1 runs", outcome.Out, StringComparison.Ordinal);
        Assert.Equal("1 workspace, 2 projects", $"{SwanLab.Crawler.Cli.Output.Plural.Of(1, "workspace")}, {SwanLab.Crawler.Cli.Output.Plural.Of(2, "project")}");
    }

    [Fact]
    public async Task Should_say_no_API_key_under_exit_code_3_and_Parquet_in_the_descriptions()
    {
        var root = await cli.RunAsync(backend, "--help");
        var export = await cli.RunAsync(backend, "export", "--help");

        Assert.Contains("no API key", export.Out, StringComparison.Ordinal);
        Assert.Contains("Parquet", root.Out, StringComparison.Ordinal);
        Assert.Contains("Parquet", export.Out.Split("Usage:")[0], StringComparison.Ordinal);
    }

    [Theory]
    [InlineData()]
    [InlineData("export")]
    [InlineData("status")]
    [InlineData("verify")]
    public async Task Should_print_the_version_on_the_root_and_every_command(params string[] command)
    {
        var outcome = await cli.RunAsync(backend, [.. command, "--version"]);

        Assert.True(outcome.ExitCode == ExitCodes.Complete, outcome.ToString());
        Assert.Matches(@"^\d+\.\d+\.\d+", outcome.Out);
        Assert.Equal("", outcome.Error);
    }
}

/// <summary>`status` on a backup whose first export was stopped before any run finished (production wiring).</summary>
public sealed class EarlyInterruptStatusSpecs : IAsyncLifetime, IDisposable
{
    readonly CliHarness cli = new();
    EmulatorServer server = null!;

    public async Task InitializeAsync() =>
        // Slow enough that no run can finish before the folder appears and the export is stopped.
        server = await EmulatorServer.StartAsync(new EmulatorOptions { Size = DatasetSize.Tiny, LatencyMs = 400 });

    public async Task DisposeAsync() => await server.DisposeAsync();

    public void Dispose() => cli.Dispose();

    [Fact]
    public async Task Should_call_it_a_backup_with_no_run_done_yet()
    {
        var output = Path.Combine(cli.WorkDirectory, "backup");
        using var interrupt = new CancellationTokenSource();
        var export = cli.RunAsync(new ProductionBackend(), interrupt.Token, "export", "--host", server.BaseUrl.ToString().TrimEnd('/'),
            "--api-key", server.ApiKey, "--out", output);
        using (var guard = new CancellationTokenSource(TimeSpan.FromSeconds(30)))
            while (!Directory.Exists(Path.Combine(output, ".swanlab-crawler")) && !export.IsCompleted)
                await Task.Delay(10, guard.Token);
        await interrupt.CancelAsync();
        var stopped = await export;
        Assert.True(stopped.ExitCode == ExitCodes.Interrupted, stopped.ToString());
        Assert.Equal(0, CrawlerProcess.CheckpointLines(output));

        var status = await cli.RunAsync(new ProductionBackend(), "status", "--out", output);

        // A backup, but not complete: exit 1 (not 2, "not a backup").
        Assert.True(status.ExitCode == ExitCodes.FinishedWithFailures, status.ToString());
        Assert.DoesNotContain("not a SwanLab backup", status.All, StringComparison.Ordinal);
        Assert.Contains("No run has finished yet", status.Out, StringComparison.Ordinal);
    }
}
