using System.Net;
using System.Net.Sockets;
using SwanLab.Crawler.Cli;
using SwanLab.Crawler.Cli.LocalNodes;
using SwanLab.Crawler.Tests.Cli;

namespace SwanLab.Crawler.Tests.Cluster;

public sealed class LocalNodesSpecs : IDisposable
{
    readonly CliHarness cli = new();

    public void Dispose() => cli.Dispose();

    [Fact]
    public void Should_start_a_child_with_the_same_arguments_on_its_own_port_seeded_by_the_parent()
    {
        var child = LocalNodeArguments.ForChild(
            ["export", "--out", "b", "--nodes", "3", "--rate-limit", "10", "--cluster-port=7000", "--project", "alice/mnist"],
            port: 7002, seedPort: 7000, demoServer: null);

        Assert.Equal(["export", "--out", "b", "--rate-limit", "10", "--project", "alice/mnist",
            "--cluster-host", "127.0.0.1", "--cluster-port", "7002", "--seed-node", "127.0.0.1:7000"], child);
    }

    [Fact]
    public void Should_give_a_child_the_parents_demo_server_and_keep_keys_and_the_site_to_the_parent()
    {
        var child = LocalNodeArguments.ForChild(
            ["export", "--demo", "--out", "b", "--api-key", "Secret0123456789abcde", "--view", "--nodes=2", "--json"],
            port: 7001, seedPort: 7000, demoServer: "http://127.0.0.1:5999");
        var environment = LocalNodeArguments.ChildEnvironment("Secret0123456789abcde");

        Assert.Equal(["export", "--out", "b", "--json", "--cluster-host", "127.0.0.1", "--cluster-port", "7001",
            "--seed-node", "127.0.0.1:7000", "--demo-server", "http://127.0.0.1:5999"], child);
        Assert.Equal("Secret0123456789abcde", environment["SWANLAB_API_KEY"]);
        Assert.Equal(ParentWatch.StandardInput, environment[ParentWatch.Variable]);
    }

    [Fact]
    public void Should_find_consecutive_free_ports_and_refuse_a_first_port_whose_range_is_taken()
    {
        var ports = LocalNodeProcesses.FreeConsecutivePorts(3, first: null);
        using var taken = new TcpListener(IPAddress.Loopback, ports[1]);
        taken.Start();

        Assert.Equal([ports[0], ports[0] + 1, ports[0] + 2], ports);
        var refused = Assert.Throws<ArgumentException>(() => LocalNodeProcesses.FreeConsecutivePorts(3, first: ports[0]));
        Assert.Contains("one is taken", refused.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Should_stop_a_child_node_cleanly_when_the_process_that_started_it_is_gone()
    {
        using var silent = new TcpListener(IPAddress.Loopback, 0);
        silent.Start();
        var host = $"http://127.0.0.1:{((IPEndPoint)silent.LocalEndpoint).Port}";
        var logs = Path.Combine(cli.WorkDirectory, "logs");
        await using var nodes = LocalNodeProcesses.Start(
            [["export", "--host", host, "--out", Path.Combine(cli.WorkDirectory, "b")]],
            logs, LocalNodeArguments.ChildEnvironment("Key0123456789abcdefgh"), grace: TimeSpan.FromSeconds(1));
        using var accepted = await silent.AcceptTcpClientAsync().WaitAsync(TimeSpan.FromSeconds(30));

        nodes.TellToStop();

        Assert.True(await nodes.AllExitedWithin(TimeSpan.FromSeconds(30)), "the child did not stop when its input closed");
        Assert.Equal([ExitCodes.Interrupted], nodes.ExitCodes);
        Assert.True(File.Exists(Path.Combine(logs, "node-1.log")));
    }

    [Fact]
    public async Task Should_kill_a_child_that_does_not_stop_when_told()
    {
        var nodes = LocalNodeProcesses.Start([["60"]], Path.Combine(cli.WorkDirectory, "logs"),
            new Dictionary<string, string>(), grace: TimeSpan.FromMilliseconds(200), executable: ("sleep", []));

        await nodes.DisposeAsync();

        Assert.NotNull(Assert.Single(nodes.ExitCodes));
    }

    [Theory]
    [InlineData(new[] { "--nodes", "0" }, "--nodes 0: give 1 to 32")]
    [InlineData(new[] { "--nodes", "3", "--seed-node", "10.0.0.1:4053" }, "leave out --cluster-host and --seed-node")]
    public async Task Should_refuse_nodes_it_cannot_start(string[] flags, string message)
    {
        var backend = new FakeBackend();

        var outcome = await cli.RunAsync(backend, ["export", "--demo", "--out", Path.Combine(cli.WorkDirectory, "b"), .. flags]);

        Assert.Equal(ExitCodes.UsageError, outcome.ExitCode);
        Assert.Contains(message, System.Text.RegularExpressions.Regex.Replace(outcome.All, @"\s+", " "), StringComparison.Ordinal);
        Assert.False(backend.DemoStarted);
    }

    [Fact]
    public async Task Should_make_this_process_the_seed_and_start_the_other_nodes_with_their_logs_in_the_state_folder()
    {
        var backend = new FakeBackend();
        var folder = Path.Combine(cli.WorkDirectory, "b");

        var outcome = await cli.RunAsync(backend, "export", "--demo", "--out", folder, "--nodes", "2");

        Assert.True(outcome.ExitCode == ExitCodes.Complete, outcome.ToString());
        var cluster = backend.RanWith!.Cluster!;
        Assert.Equal("127.0.0.1", cluster.Host);
        Assert.Equal([$"127.0.0.1:{cluster.Port}"], cluster.SeedNodes);
        Assert.Contains("Started 1 more nodes", outcome.Out, StringComparison.Ordinal);
        Assert.True(File.Exists(Path.Combine(folder, ".swanlab-crawler", "node-1.log")));
    }

    [Fact]
    public async Task Should_export_the_demo_on_two_real_processes_with_one_command()
    {
        var folder = Path.Combine(cli.WorkDirectory, "demo");

        var (exitCode, output) = await CrawlerProcess.RunToEndAsync(["export", "--demo", "--out", folder, "--nodes", "2"]);

        Assert.True(exitCode == ExitCodes.Complete, output);
        Assert.Contains("Started 1 more nodes", output, StringComparison.Ordinal);
        // The child was a node of the same crawl: it ended with the crawl's result, which it did not start alone.
        var child = await File.ReadAllTextAsync(Path.Combine(folder, ".swanlab-crawler", "node-1.log"));
        Assert.Contains("Complete: all 59 runs are in the backup", child, StringComparison.Ordinal);
        var verify = await CrawlerProcess.RunToEndAsync(["verify", "--out", folder]);
        Assert.True(verify.ExitCode == ExitCodes.Complete, verify.Output);
    }
}
