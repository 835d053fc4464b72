using SwanLab.Crawler.Backup;
using SwanLab.Crawler.Cli;
using SwanLab.Crawler.Crawl;

namespace SwanLab.Crawler.Tests.Cli;

public sealed class ExportCommandSpecs : IDisposable
{
    const string Key = "Secret0123456789abcde";
    readonly CliHarness cli = new();
    readonly FakeBackend backend = new();

    public void Dispose() => cli.Dispose();

    string Out => Path.Combine(cli.WorkDirectory, "backup");

    [Theory]
    [InlineData("--format", "xml")]
    [InlineData("--sample", "0")]
    [InlineData("--sample", "-3")]
    [InlineData("--sample", "many")]
    [InlineData("--project", "mnist")]
    [InlineData("--project", "alice/")]
    [InlineData("--run", "alice/mnist")]
    [InlineData("--workspace", "alice/mnist")]
    [InlineData("--state", "DONE")]
    [InlineData("--config", "lr")]
    [InlineData("--concurrency", "0")]
    [InlineData("--rate-limit", "-1")]
    [InlineData("--host", "ftp://example.com")]
    [InlineData("--config-file", "/no/such/crawler.hocon")]
    [InlineData("--no-such-flag", "x")]
    public async Task Should_exit_2_with_a_message_naming_a_bad_flag(string flag, string value)
    {
        var outcome = await cli.RunAsync(backend, "export", "--out", Out, flag, value);

        Assert.True(outcome.ExitCode == ExitCodes.UsageError, outcome.ToString());
        Assert.Contains(flag, outcome.Error, StringComparison.Ordinal);
        Assert.Null(backend.ConnectedWith);
        Assert.False(Directory.Exists(Out));
    }

    [Fact]
    public async Task Should_exit_2_when_out_is_a_file()
    {
        var file = Path.Combine(cli.WorkDirectory, "not-a-folder");
        await File.WriteAllTextAsync(file, "x");

        var outcome = await cli.RunAsync(backend, "export", "--out", file);

        Assert.Equal(ExitCodes.UsageError, outcome.ExitCode);
        Assert.Contains("is a file", outcome.Error, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Should_exit_2_on_a_bad_environment_variable_naming_it()
    {
        cli.Environment["SWANLAB_CRAWLER_CONCURRENCY"] = "lots";

        var outcome = await cli.RunAsync(backend, "export", "--out", Out);

        Assert.Equal(ExitCodes.UsageError, outcome.ExitCode);
        Assert.Contains("SWANLAB_CRAWLER_CONCURRENCY", outcome.Error, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Should_exit_2_when_demo_is_combined_with_an_api_key_without_echoing_it()
    {
        var outcome = await cli.RunAsync(backend, "export", "--out", Out, "--demo", "--api-key", Key);

        Assert.Equal(ExitCodes.UsageError, outcome.ExitCode);
        Assert.Contains("--demo", outcome.Error, StringComparison.Ordinal);
        Assert.DoesNotContain(Key, outcome.All, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Should_exit_2_without_a_command()
    {
        var outcome = await cli.RunAsync(backend);

        Assert.Equal(ExitCodes.UsageError, outcome.ExitCode);
    }

    [Fact]
    public async Task Should_exit_3_with_advice_when_the_server_rejects_the_key()
    {
        backend.Connect = c => throw new CrawlerAuthenticationException(c.Host!, rejected: true, "401");

        var outcome = await cli.RunAsync(backend, "export", "--out", Out, "--host", "http://127.0.0.1:9", "--api-key", Key);

        Assert.Equal(ExitCodes.AuthenticationError, outcome.ExitCode);
        Assert.Contains("rejected the API key", outcome.Error, StringComparison.Ordinal);
        Assert.Contains("SWANLAB_API_KEY", outcome.Error, StringComparison.Ordinal);
        Assert.Contains("swanlab login", outcome.Error, StringComparison.Ordinal);
        Assert.DoesNotContain(Key, outcome.All, StringComparison.Ordinal);
        Assert.Equal(Key, backend.ConnectedWith!.ApiKey);
    }

    [Fact]
    public async Task Should_exit_1_with_advice_when_the_server_cannot_be_reached_and_redact_a_leaked_key()
    {
        backend.Connect = c => throw new ServerUnreachableException(c.Host!, $"connection refused (key {Key})");

        var outcome = await cli.RunAsync(backend, "export", "--out", Out, "--host", "http://127.0.0.1:1", "--api-key", Key);

        Assert.Equal(ExitCodes.FinishedWithFailures, outcome.ExitCode);
        Assert.Contains("could not reach the SwanLab server at http://127.0.0.1:1", outcome.Error, StringComparison.Ordinal);
        Assert.Contains("--host", outcome.Error, StringComparison.Ordinal);
        Assert.DoesNotContain(Key, outcome.All, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Should_exit_0_and_summarise_a_complete_export()
    {
        backend.Run = async (settings, events, ct) =>
        {
            await events.WriteAsync(new CrawlEvent.Discovered(1, 1, 2), ct);
            await events.WriteAsync(new CrawlEvent.RunCompleted("alice/mnist/a", 10, 3), ct);
            await events.WriteAsync(new CrawlEvent.RunSkipped("alice/mnist/b"), ct);
            await events.WriteAsync(new CrawlEvent.PointsWritten(10), ct);
            return new CrawlResult(1, 1, 2, 1, 1, 0, 10, Complete: true, Cancelled: false, []);
        };

        var outcome = await cli.RunAsync(backend, "export", "--out", Out, "--project", "alice/mnist", "--sample", "5");

        Assert.True(outcome.ExitCode == ExitCodes.Complete, outcome.ToString());
        Assert.Contains("Export summary", outcome.Out, StringComparison.Ordinal);
        Assert.Contains("Complete", outcome.Out, StringComparison.Ordinal);
        Assert.Contains("runs 2/2", outcome.Out, StringComparison.Ordinal);
        Assert.Equal(["alice/mnist"], backend.RanWith!.Projects);
        Assert.Equal(5, backend.RanWith.Sample);
    }

    [Fact]
    public async Task Should_exit_1_and_list_every_failed_run()
    {
        var failures = new[]
        {
            new CheckpointEntry("alice/mnist/a", UnitStatus.Failed, "FINISHED|x", [], "ServerError", "500 after 6 attempts", 3),
            new CheckpointEntry("alice/mnist/b", UnitStatus.Failed, "FINISHED|y", [], "ProtocolError", "bad CSV", 3),
        };
        backend.Run = (_, events, _) =>
        {
            events.TryWrite(new CrawlEvent.RunFailed("alice/mnist/a", "ServerError", "500 after 6 attempts", 3));
            return Task.FromResult(new CrawlResult(1, 1, 5, 3, 0, 2, 100, Complete: false, Cancelled: false, failures));
        };

        var outcome = await cli.RunAsync(backend, "export", "--out", Out);

        Assert.Equal(ExitCodes.FinishedWithFailures, outcome.ExitCode);
        Assert.Contains("alice/mnist/a", outcome.Out, StringComparison.Ordinal);
        Assert.Contains("alice/mnist/b", outcome.Out, StringComparison.Ordinal);
        Assert.Contains("bad CSV", outcome.Out, StringComparison.Ordinal);
        Assert.Contains("errors.jsonl", outcome.Out, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Should_exit_130_and_say_how_to_resume_when_interrupted()
    {
        using var interrupt = new CancellationTokenSource();
        backend.Run = async (_, _, ct) =>
        {
            await interrupt.CancelAsync();
            await Task.Delay(Timeout.Infinite, ct);
            throw new InvalidOperationException("unreachable");
        };

        var outcome = await cli.RunAsync(backend, interrupt.Token, "export", "--out", Out);

        Assert.Equal(ExitCodes.Interrupted, outcome.ExitCode);
        Assert.Contains("run the same command again to resume", outcome.Error, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Should_exit_130_when_the_crawl_reports_itself_cancelled()
    {
        backend.Run = (_, _, _) => Task.FromResult(new CrawlResult(1, 1, 5, 2, 0, 0, 10, Complete: false, Cancelled: true, []));

        var outcome = await cli.RunAsync(backend, "export", "--out", Out);

        Assert.Equal(ExitCodes.Interrupted, outcome.ExitCode);
    }

    [Fact]
    public async Task Should_print_counts_and_write_nothing_on_a_dry_run()
    {
        var outcome = await cli.RunAsync(backend, "export", "--out", Out, "--dry-run");

        Assert.True(outcome.ExitCode == ExitCodes.Complete, outcome.ToString());
        Assert.Contains("42", outcome.Out, StringComparison.Ordinal);
        Assert.Contains("alice/mnist", outcome.Out, StringComparison.Ordinal);
        Assert.Contains("Nothing was written", outcome.Out, StringComparison.Ordinal);
        Assert.True(backend.RanWith!.DryRun);
        Assert.False(Directory.Exists(Out));
    }

    [Fact]
    public async Task Should_export_from_the_demo_server_with_its_own_key_and_stop_it()
    {
        var outcome = await cli.RunAsync(backend, "export", "--out", Out, "--demo");

        Assert.True(outcome.ExitCode == ExitCodes.Complete, outcome.ToString());
        Assert.True(backend.DemoStarted);
        Assert.True(backend.DemoStopped);
        Assert.Equal("http://127.0.0.1:5999", backend.ConnectedWith!.Host);
        Assert.Equal("DemoKey0123456789abcd", backend.ConnectedWith.ApiKey);
        Assert.DoesNotContain("DemoKey0123456789abcd", outcome.All, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Should_redact_the_environment_api_key_from_failure_messages()
    {
        cli.Environment["SWANLAB_API_KEY"] = Key;
        backend.Run = (_, events, _) =>
        {
            events.TryWrite(new CrawlEvent.RunFailed("alice/mnist/a", "ServerError", $"echoed {Key}", 1));
            var failure = new CheckpointEntry("alice/mnist/a", UnitStatus.Failed, "f", [], "ServerError", $"echoed {Key}", 1);
            return Task.FromResult(new CrawlResult(1, 1, 1, 0, 0, 1, 0, false, false, [failure]));
        };

        var outcome = await cli.RunAsync(backend, "export", "--out", Out);

        Assert.Equal(ExitCodes.FinishedWithFailures, outcome.ExitCode);
        Assert.Contains("echoed ***", outcome.Out, StringComparison.Ordinal);
        Assert.DoesNotContain(Key, outcome.All, StringComparison.Ordinal);
    }
}
