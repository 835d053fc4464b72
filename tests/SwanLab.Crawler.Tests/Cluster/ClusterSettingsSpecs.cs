using SwanLab.Crawler.Cli;
using SwanLab.Crawler.Configuration;
using SwanLab.Crawler.Tests.Cli;

namespace SwanLab.Crawler.Tests.Cluster;

public sealed class ClusterSettingsSpecs : IDisposable
{
    readonly CliHarness cli = new();

    public void Dispose() => cli.Dispose();

    /// <summary>The console wraps long lines; messages are checked as one line.</summary>
    static string Flat(string text) => System.Text.RegularExpressions.Regex.Replace(text, @"\s+", " ");

    ExportFlags Flags(ClusterFlags? cluster = null) =>
        new() { Out = Path.Combine(cli.WorkDirectory, "backup"), Cluster = cluster ?? ClusterFlags.None };

    [Fact]
    public void Should_leave_cluster_mode_off_when_no_cluster_setting_is_given()
    {
        Assert.Null(cli.Resolve(Flags()).Crawl.Cluster);
    }

    [Fact]
    public void Should_bind_the_cluster_block_of_the_config_file()
    {
        cli.WriteToolConfig("""
            swanlab-crawler.cluster { host = "10.0.0.2", port = 4100, seed-nodes = ["10.0.0.1:4053", "10.0.0.3:4053"] }
            """);

        var cluster = cli.Resolve(Flags()).Crawl.Cluster;

        Assert.NotNull(cluster);
        Assert.Equal("10.0.0.2", cluster.Host);
        Assert.Equal(4100, cluster.Port);
        Assert.Equal(["10.0.0.1:4053", "10.0.0.3:4053"], cluster.SeedNodes);
    }

    [Fact]
    public void Should_let_the_environment_beat_the_file_and_flags_beat_both()
    {
        cli.WriteToolConfig("""swanlab-crawler.cluster { host = "file-host", port = 1, seed-nodes = ["file:1"] }""");
        cli.Environment["SWANLAB_CRAWLER_CLUSTER_HOST"] = "env-host";
        cli.Environment["SWANLAB_CRAWLER_CLUSTER_PORT"] = "2";
        cli.Environment["SWANLAB_CRAWLER_CLUSTER_SEED_NODES"] = "env-a:10, env-b:11";

        var fromEnvironment = cli.Resolve(Flags()).Crawl.Cluster!;
        var fromFlags = cli.Resolve(Flags(new ClusterFlags("flag-host", 3, ["flag:12"]))).Crawl.Cluster!;

        Assert.Equal(("env-host", 2), (fromEnvironment.Host, fromEnvironment.Port));
        Assert.Equal(["env-a:10", "env-b:11"], fromEnvironment.SeedNodes);
        Assert.Equal(("flag-host", 3), (fromFlags.Host, fromFlags.Port));
        Assert.Equal(["flag:12"], fromFlags.SeedNodes);
    }

    [Fact]
    public void Should_make_a_node_without_seeds_the_seed_of_its_own_cluster()
    {
        var cluster = cli.Resolve(Flags(new ClusterFlags(null, 5000, []))).Crawl.Cluster!;
        var defaulted = cli.Resolve(Flags(new ClusterFlags("127.0.0.1", null, []))).Crawl.Cluster!;

        Assert.Equal(("127.0.0.1", 5000), (cluster.Host, cluster.Port));
        Assert.Equal(["127.0.0.1:5000"], cluster.SeedNodes);
        Assert.Equal(ClusterSettingsResolver.DefaultSeedPort, defaulted.Port);
    }

    [Fact]
    public void Should_join_on_any_free_loopback_port_when_only_local_seeds_are_given()
    {
        var cluster = cli.Resolve(Flags(new ClusterFlags(null, null, ["localhost:4053", "[::1]:4054"]))).Crawl.Cluster!;

        Assert.Equal(("127.0.0.1", 0), (cluster.Host, cluster.Port));
        Assert.Equal(["localhost:4053", "[::1]:4054"], cluster.SeedNodes);
    }

    [Theory]
    [InlineData("--cluster-port", "70000", "cluster port 70000 is out of range")]
    [InlineData("--cluster-port", "-1", "cluster port -1 is out of range")]
    [InlineData("--cluster-port", "abc", "--cluster-port expects a whole number, got 'abc'")]
    [InlineData("--seed-node", "10.0.0.1", "seed node '10.0.0.1' is not HOST:PORT")]
    [InlineData("--seed-node", "10.0.0.1:0", "its port must be 1-65535")]
    [InlineData("--seed-node", "10.0.0.1:http", "its port must be 1-65535")]
    [InlineData("--seed-node", "::1:4053", "IPv6 address in brackets")]
    [InlineData("--seed-node", "bad host:4053", "is not a host name or IP address")]
    [InlineData("--cluster-host", "a/b", "is not a host name or IP address")]
    public async Task Should_refuse_a_bad_cluster_setting_with_exit_2_and_say_which(string flag, string value, string message)
    {
        var backend = new FakeBackend();

        var outcome = await cli.RunAsync(backend, "export", "--out", Path.Combine(cli.WorkDirectory, "b"), flag, value);

        Assert.Equal(ExitCodes.UsageError, outcome.ExitCode);
        Assert.Contains(message, Flat(outcome.All), StringComparison.Ordinal);
        Assert.Null(backend.ConnectedWith);
    }

    [Fact]
    public async Task Should_refuse_a_bad_seed_in_the_environment_naming_the_variable()
    {
        cli.Environment["SWANLAB_CRAWLER_CLUSTER_SEED_NODES"] = "a:1,b";

        var outcome = await cli.RunAsync(new FakeBackend(), "export", "--out", Path.Combine(cli.WorkDirectory, "b"));

        Assert.Equal(ExitCodes.UsageError, outcome.ExitCode);
        Assert.Contains("seed node 'b' is not HOST:PORT", Flat(outcome.All), StringComparison.Ordinal);
        Assert.Contains("SWANLAB_CRAWLER_CLUSTER_SEED_NODES", Flat(outcome.All), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Should_refuse_port_0_for_the_node_that_forms_the_cluster()
    {
        var outcome = await cli.RunAsync(new FakeBackend(), "export", "--out", Path.Combine(cli.WorkDirectory, "b"), "--cluster-port", "0");

        Assert.Equal(ExitCodes.UsageError, outcome.ExitCode);
        Assert.Contains("cluster port 0 with no seed node", Flat(outcome.All), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Should_hand_the_cluster_flags_to_the_crawl()
    {
        var backend = new FakeBackend();

        var outcome = await cli.RunAsync(backend, "export", "--demo", "--out", Path.Combine(cli.WorkDirectory, "b"),
            "--cluster-host", "127.0.0.1", "--cluster-port", "4101", "--seed-node", "127.0.0.1:4100", "--seed-node", "127.0.0.1:4101");

        Assert.Equal(ExitCodes.Complete, outcome.ExitCode);
        Assert.Equal(("127.0.0.1", 4101), (backend.RanWith!.Cluster!.Host, backend.RanWith.Cluster.Port));
        Assert.Equal(["127.0.0.1:4100", "127.0.0.1:4101"], backend.RanWith.Cluster.SeedNodes);
    }

    [Fact]
    public async Task Should_refuse_a_bad_seed_for_migrate_before_signing_in_anywhere()
    {
        var backend = new FakeBackend();
        var state = Path.Combine(cli.WorkDirectory, "state");

        var outcome = await cli.RunAsync(backend, "migrate", "--from-host", "http://a.test", "--to-host", "http://b.test",
            "--state-dir", state, "--seed-node", "10.0.0.1:99999");

        Assert.Equal(ExitCodes.UsageError, outcome.ExitCode);
        Assert.Contains("seed node '10.0.0.1:99999' has no usable port", Flat(outcome.All), StringComparison.Ordinal);
        Assert.Null(backend.ConnectedWith);
        Assert.False(Directory.Exists(state));
    }

    [Fact]
    public async Task Should_refuse_cluster_mode_for_migrate_which_the_engine_does_not_run_yet()
    {
        var backend = new FakeBackend();
        var state = Path.Combine(cli.WorkDirectory, "state");

        var outcome = await cli.RunAsync(backend, "migrate", "--from-host", "http://a.test", "--to-host", "http://b.test",
            "--state-dir", state, "--seed-node", "127.0.0.1:4053");

        Assert.Equal(ExitCodes.UsageError, outcome.ExitCode);
        Assert.Contains("migrate does not run in cluster mode yet", Flat(outcome.All), StringComparison.Ordinal);
        Assert.Null(backend.ConnectedWith);
    }

    [Fact]
    public async Task Should_show_the_cluster_flags_with_an_example_in_help()
    {
        var outcome = await cli.RunAsync(new FakeBackend(), "export", "--help");

        foreach (var flag in new[] { "--cluster-host", "--cluster-port", "--seed-node", "--nodes" })
            Assert.Contains(flag, outcome.Out, StringComparison.Ordinal);
        Assert.Contains("Cluster mode (", outcome.Out, StringComparison.Ordinal);
        Assert.Contains("--cluster-host 10.0.0.2 --seed-node 10.0.0.1:4053", outcome.Out, StringComparison.Ordinal);
    }
}
