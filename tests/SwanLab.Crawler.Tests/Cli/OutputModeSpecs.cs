using System.Text.Json;
using SwanLab.Crawler.Backup;
using SwanLab.Crawler.Cli;
using SwanLab.Crawler.Crawl;
using SwanLab.Emulator;

namespace SwanLab.Crawler.Tests.Cli;

/// <summary>--json, --quiet, --verbose: what goes to stdout, what to stderr (issue 12, item 4).</summary>
public sealed class OutputModeSpecs : IDisposable
{
    readonly CliHarness cli = new();
    readonly FakeBackend backend = new();

    public void Dispose() => cli.Dispose();

    string Out => Path.Combine(cli.WorkDirectory, "backup");

    string ExistingFolder()
    {
        Directory.CreateDirectory(Out);
        return Out;
    }

    /// <summary>The whole of stdout must be one JSON object: nothing before it, nothing after it.</summary>
    static JsonElement OnlyJson(CliOutcome outcome)
    {
        using var document = JsonDocument.Parse(outcome.Out);
        Assert.Equal(JsonValueKind.Object, document.RootElement.ValueKind);
        return document.RootElement.Clone();
    }

    [Fact]
    public async Task Should_print_one_json_result_on_stdout_for_an_export_and_the_summary_on_stderr()
    {
        var failure = new CheckpointEntry("alice/mnist/b", UnitStatus.Failed, "f", [], "ServerError", "500 after 6 attempts", 3);
        backend.Run = async (_, events, ct) =>
        {
            await events.WriteAsync(new CrawlEvent.Discovered(1, 1, 2), ct);
            await events.WriteAsync(new CrawlEvent.RunStarted("alice/mnist/a"), ct);
            await events.WriteAsync(new CrawlEvent.PointsWritten(10, "alice/mnist/a"), ct);
            await events.WriteAsync(new CrawlEvent.RunCompleted("alice/mnist/a", 10, 3, Bytes: 2048), ct);
            await events.WriteAsync(new CrawlEvent.RunFailed("alice/mnist/b", "ServerError", "500 after 6 attempts", 3), ct);
            return new CrawlResult(1, 1, 2, 1, 0, 1, 10, Complete: false, Cancelled: false, [failure]);
        };

        var outcome = await cli.RunAsync(backend, "export", "--out", Out, "--json");

        Assert.Equal(ExitCodes.FinishedWithFailures, outcome.ExitCode);
        var json = OnlyJson(outcome);
        Assert.Equal("export", json.GetProperty("command").GetString());
        Assert.Equal(1, json.GetProperty("exitCode").GetInt32());
        Assert.False(json.GetProperty("complete").GetBoolean());
        Assert.Equal(Out, json.GetProperty("backup").GetString());
        Assert.Equal(2, json.GetProperty("runs").GetProperty("total").GetInt32());
        Assert.Equal(10, json.GetProperty("points").GetProperty("writtenThisRun").GetInt64());
        Assert.Equal(2048, json.GetProperty("bytesWrittenThisRun").GetInt64());
        Assert.Equal("alice/mnist/b", json.GetProperty("failures")[0].GetProperty("run").GetString());
        Assert.Contains("Export summary", outcome.Error, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("export", "--sample", "abc")]
    [InlineData("export", "--formt", "csv")]
    [InlineData("export", "--concurrency", "0")]
    [InlineData("status", "--out", "/no/such/folder")]
    public async Task Should_print_a_json_result_with_the_error_and_exit_code_when_the_command_is_wrong(params string[] args)
    {
        var outcome = await cli.RunAsync(backend, [.. args, "--json"]);

        Assert.Equal(ExitCodes.UsageError, outcome.ExitCode);
        var json = OnlyJson(outcome);
        Assert.Equal(ExitCodes.UsageError, json.GetProperty("exitCode").GetInt32());
        Assert.False(string.IsNullOrEmpty(json.GetProperty("error").GetProperty("message").GetString()));
        Assert.Contains("error:", outcome.Error, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Should_print_counts_of_a_dry_run_as_json()
    {
        var outcome = await cli.RunAsync(backend, "export", "--out", Out, "--dry-run", "--json");

        Assert.True(outcome.ExitCode == ExitCodes.Complete, outcome.ToString());
        var json = OnlyJson(outcome);
        Assert.Equal(42, json.GetProperty("estimatedRequests").GetInt64());
        Assert.Equal(3, json.GetProperty("runs").GetProperty("total").GetInt32());
        Assert.True(json.GetProperty("dryRun").GetBoolean());
    }

    [Fact]
    public async Task Should_print_status_and_verify_as_json()
    {
        backend.Status = _ => new StatusView(false, 7, 1, 2, [new StatusRow("alice", "mnist", 7, 1, 2)],
            [new StatusFailure("alice/mnist/x", "ServerError", "500", 3)]);
        backend.Verify = _ => new VerifyView(12, [new SwanLab.Crawler.Cli.VerifyProblem("alice/mnist/a/run.json", "missing")]);

        var status = await cli.RunAsync(backend, "status", "--out", ExistingFolder(), "--json");
        var verify = await cli.RunAsync(backend, "verify", "--out", ExistingFolder(), "--json");

        var s = OnlyJson(status);
        Assert.Equal((7, 1, 2), (s.GetProperty("done").GetInt32(), s.GetProperty("failed").GetInt32(), s.GetProperty("left").GetInt32()));
        Assert.Equal("alice/mnist/x", s.GetProperty("failures")[0].GetProperty("run").GetString());
        Assert.Equal(ExitCodes.FinishedWithFailures, s.GetProperty("exitCode").GetInt32()); // not complete
        Assert.Equal(status.ExitCode, s.GetProperty("exitCode").GetInt32());
        var v = OnlyJson(verify);
        Assert.False(v.GetProperty("ok").GetBoolean());
        Assert.Equal("alice/mnist/a/run.json", v.GetProperty("problems")[0].GetProperty("path").GetString());
        Assert.Equal(ExitCodes.FinishedWithFailures, v.GetProperty("exitCode").GetInt32());
        Assert.Equal(verify.ExitCode, v.GetProperty("exitCode").GetInt32());
    }

    [Fact]
    public async Task Should_print_nothing_but_errors_under_quiet()
    {
        backend.Verify = _ => new VerifyView(12, []);

        var export = await cli.RunAsync(backend, "export", "--out", Out, "--quiet");
        var verify = await cli.RunAsync(backend, "verify", "--out", ExistingFolder(), "-q");
        var failing = await cli.RunAsync(backend, "status", "--out", Path.Combine(cli.WorkDirectory, "nowhere"), "--quiet");

        Assert.True(export.ExitCode == ExitCodes.Complete, export.ToString());
        Assert.Equal("", export.All);
        Assert.Equal(ExitCodes.Complete, verify.ExitCode);
        Assert.Equal("", verify.All);
        Assert.Equal(ExitCodes.UsageError, failing.ExitCode);
        Assert.Equal("", failing.Out);
        Assert.Contains("does not exist", failing.Error, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Should_refuse_quiet_with_verbose()
    {
        var outcome = await cli.RunAsync(backend, "export", "--out", Out, "--quiet", "--verbose");

        Assert.Equal(ExitCodes.UsageError, outcome.ExitCode);
        Assert.Contains("--quiet and --verbose", outcome.Error, StringComparison.Ordinal);
    }
}

/// <summary>DIR/.swanlab-crawler/crawler.log against a rate-limited emulator (production wiring).</summary>
public sealed class CrawlerLogSpecs : IAsyncLifetime, IDisposable
{
    readonly CliHarness cli = new();
    EmulatorServer server = null!;

    public async Task InitializeAsync()
    {
        server = await EmulatorServer.StartAsync(new EmulatorOptions { Size = DatasetSize.Tiny });
        cli.Environment["SWANLAB_CRAWLER_TIMEOUT"] = "5s";
    }

    public async Task DisposeAsync() => await server.DisposeAsync();

    public void Dispose() => cli.Dispose();

    [Fact]
    public async Task Should_log_every_retry_and_429_with_timestamps_and_without_the_key()
    {
        var output = Path.Combine(cli.WorkDirectory, "backup");
        server.Faults.RateLimit = 30;

        var outcome = await cli.RunAsync(new ProductionBackend(), "export", "--host", server.BaseUrl.ToString().TrimEnd('/'),
            "--api-key", server.ApiKey, "--out", output, "--rate-limit", "1000", "--json");

        Assert.True(outcome.ExitCode == ExitCodes.Complete, outcome.ToString());
        using var json = JsonDocument.Parse(outcome.Out);
        var logFile = json.RootElement.GetProperty("log").GetString()!;
        Assert.Equal(Path.Combine(output, ".swanlab-crawler", "crawler.log"), logFile);
        var lines = await File.ReadAllLinesAsync(logFile);
        var retries = json.RootElement.GetProperty("requests").GetProperty("retries").GetInt64();
        var limited = json.RootElement.GetProperty("requests").GetProperty("rateLimited").GetInt64();
        Assert.True(limited > 0, "the emulator's limit never answered 429");
        Assert.Equal(limited, lines.Count(l => l.Contains(" 429 on ", StringComparison.Ordinal)));
        Assert.Equal(retries, lines.Count(l => l.Contains(" retry ", StringComparison.Ordinal)));
        Assert.All(lines, l => Assert.Matches(@"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z (INFO |WARN |ERROR) ", l));
        Assert.Contains(lines, l => l.Contains("export exited 0", StringComparison.Ordinal));
        Assert.DoesNotContain(server.ApiKey, string.Join("\n", lines), StringComparison.Ordinal);
        var verify = await cli.RunAsync(new ProductionBackend(), "verify", "--out", output);
        Assert.True(verify.ExitCode == ExitCodes.Complete, verify.ToString()); // the log is not part of the manifest
    }

    [Fact]
    public void Should_rotate_the_log_when_it_grows_past_its_limit()
    {
        var folder = Path.Combine(cli.WorkDirectory, "rotating");
        Directory.CreateDirectory(Path.Combine(folder, ".swanlab-crawler"));
        using (var log = new SwanLab.Crawler.Cli.Output.CrawlerLog(folder, new Redactor("TopSecretKey"), maxBytes: 1000))
        {
            for (var i = 0; i < 100; i++)
                log.Info($"line {i} with TopSecretKey in it");
        }

        var state = Path.Combine(folder, ".swanlab-crawler");
        var files = Directory.GetFiles(state, "crawler.log*").Select(Path.GetFileName).Order(StringComparer.Ordinal).ToList();
        Assert.Equal(["crawler.log", "crawler.log.1", "crawler.log.2", "crawler.log.3"], files);
        Assert.All(files, f => Assert.True(new FileInfo(Path.Combine(state, f!)).Length <= 1100));
        Assert.Contains("line 99 with *** in it", File.ReadAllText(Path.Combine(state, "crawler.log")), StringComparison.Ordinal);
    }
}
