using SwanLab.Crawler.Backup;
using SwanLab.Crawler.Cli;
using SwanLab.Crawler.Crawl;

namespace SwanLab.Crawler.Tests.Cli;

/// <summary>
/// No error path prints a .NET type name ("System.", "...Exception", "...Options") unless --verbose asks for it:
/// a sweep over the ways a command can fail, with a fake backend and with the real one against hosts that fail.
/// </summary>
public sealed class NoTypeNameSpecs : IDisposable
{
    static readonly string[] TypeMarkers = ["System.", "Exception", "Options"];
    const string Key = "Secret0123456789abcde";
    readonly CliHarness cli = new();

    public NoTypeNameSpecs()
    {
        cli.Environment["SWANLAB_CRAWLER_MAX_RETRIES"] = "0";
        cli.Environment["SWANLAB_CRAWLER_TIMEOUT"] = "5s";
    }

    public void Dispose() => cli.Dispose();

    string Out => Path.Combine(cli.WorkDirectory, "backup");

    public static TheoryData<string> FakeFailures() =>
    [
        "rejected", "no-key", "unreachable", "not-swanlab", "crashed", "aborted", "in-use", "bad-selection",
    ];

    static FakeBackend Failing(string failure) => failure switch
    {
        "rejected" => new FakeBackend { Connect = c => throw new CrawlerAuthenticationException(c.Host ?? "h", true, "401") },
        "no-key" => new FakeBackend
        {
            Connect = _ => throw new CrawlerAuthenticationException("h", false, "no key") { NoApiKey = true },
        },
        "unreachable" => new FakeBackend { Connect = c => throw new ServerUnreachableException("h", "connection refused") },
        "not-swanlab" => new FakeBackend { Connect = _ => throw new NotASwanLabServerException("h", "POST /api/login/api_key answered HTTP 404") },
        "crashed" => new FakeBackend { Run = (_, _, _) => throw new InvalidOperationException("the disk said no") },
        "aborted" => new FakeBackend
        {
            Run = (_, _, _) => throw new CrawlAbortedException("alice", "fatal", "cannot list",
                new CrawlResult(1, 0, 0, 0, 0, 0, 0, false, false, [])),
        },
        "in-use" => new FakeBackend { Run = (_, _, _) => throw new UnsafePathException("../x", "/tmp/backup") },
        "bad-selection" => new FakeBackend { Run = (_, _, _) => throw new ArgumentException("--project 'x/y' was not found") },
        _ => throw new ArgumentOutOfRangeException(nameof(failure)),
    };

    [Theory]
    [MemberData(nameof(FakeFailures))]
    public async Task Should_print_no_type_name_when_the_backend_fails(string failure)
    {
        var outcome = await cli.RunAsync(Failing(failure), "export", "--out", Out);

        Assert.NotEqual(ExitCodes.Complete, outcome.ExitCode);
        AssertNoTypeNames(outcome);
    }

    [Fact]
    public async Task Should_show_the_exception_behind_an_error_only_under_verbose()
    {
        var plain = await cli.RunAsync(Failing("crashed"), "export", "--out", Out);
        var verbose = await cli.RunAsync(Failing("crashed"), "export", "--out", Out, "--verbose");

        Assert.Contains("the disk said no", plain.Error, StringComparison.Ordinal);
        AssertNoTypeNames(plain);
        Assert.Contains("System.InvalidOperationException", verbose.Error, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("export", "--sample", "abc")]
    [InlineData("export", "--concurrency", "1.5")]
    [InlineData("export", "--rate-limit", "fast")]
    [InlineData("export", "--formt", "csv")]
    [InlineData("export", "--format", "xml")]
    [InlineData("export", "--host", "ftp://x")]
    [InlineData("export", "--state", "DONE")]
    [InlineData("export", "--config-file", "/no/such.hocon")]
    [InlineData("export", "--demo", "--api-key", Key)]
    [InlineData("status", "--out", "/no/such/folder")]
    [InlineData("verify", "--out", "/no/such/folder")]
    [InlineData("nonsense")]
    [InlineData()]
    public async Task Should_print_no_type_name_for_a_bad_command_line(params string[] args)
    {
        var outcome = await cli.RunAsync(new FakeBackend(), args.Contains("--out") || args.Length == 0 || args[0] != "export" ? args : [.. args, "--out", Out]);

        Assert.Equal(ExitCodes.UsageError, outcome.ExitCode);
        AssertNoTypeNames(outcome);
    }

    [Theory]
    [InlineData("SWANLAB_CRAWLER_TIMEOUT", "1ms")]
    [InlineData("SWANLAB_CRAWLER_TIMEOUT", "soon")]
    [InlineData("SWANLAB_CRAWLER_CONCURRENCY", "lots")]
    [InlineData("SWANLAB_CRAWLER_MAX_RETRIES", "-1")]
    [InlineData("SWANLAB_CRAWLER_LOGS", "maybe")]
    public async Task Should_print_no_type_name_for_a_bad_variable(string name, string value)
    {
        cli.Environment[name] = value;

        var outcome = await cli.RunAsync(new FakeBackend(), "export", "--out", Out);

        Assert.Equal(ExitCodes.UsageError, outcome.ExitCode);
        Assert.Contains(name, outcome.Error, StringComparison.Ordinal);
        AssertNoTypeNames(outcome);
    }

    [Fact]
    public async Task Should_print_no_type_name_against_hosts_that_fail_for_real()
    {
        await using var site = new PlainHttpServer();
        var empty = Path.Combine(cli.WorkDirectory, "empty");
        Directory.CreateDirectory(empty);
        var outcomes = new[]
        {
            await cli.RunAsync(new ProductionBackend(), "export", "--host", $"http://{site.Authority}", "--api-key", Key, "--out", Out),
            await cli.RunAsync(new ProductionBackend(), "export", "--host", site.Authority, "--api-key", Key, "--out", Out, "--dry-run"),
            await cli.RunAsync(new ProductionBackend(), "export", "--host", "http://127.0.0.1:1", "--api-key", Key, "--out", Out),
            await cli.RunAsync(new ProductionBackend(), "status", "--out", empty),
            await cli.RunAsync(new ProductionBackend(), "verify", "--out", empty),
        };

        foreach (var outcome in outcomes)
        {
            Assert.NotEqual(ExitCodes.Complete, outcome.ExitCode);
            AssertNoTypeNames(outcome);
        }
    }

    static void AssertNoTypeNames(CliOutcome outcome)
    {
        foreach (var marker in TypeMarkers)
            Assert.False(outcome.All.Contains(marker, StringComparison.Ordinal), $"'{marker}' printed:\n{outcome}");
    }
}
