using System.CommandLine;
using SwanLab.Crawler.Cli;
using SwanLab.Crawler.Configuration;

namespace SwanLab.Crawler.Tests.Cli;

public sealed class HelpSpecs : IDisposable
{
    readonly CliHarness cli = new();

    public void Dispose() => cli.Dispose();

    [Theory]
    [InlineData("export")]
    [InlineData("status")]
    [InlineData("verify")]
    public async Task Should_describe_every_option_of_a_command_in_its_help(string commandName)
    {
        var env = CliEnvironment.Captured(TextWriter.Null, TextWriter.Null, cli.Variable, cli.ToolDirectory);
        var command = CrawlerCli.Build(env, new FakeBackend()).Subcommands.Single(c => c.Name == commandName);

        var outcome = await cli.RunAsync(new FakeBackend(), commandName, "--help");

        Assert.Equal(ExitCodes.Complete, outcome.ExitCode);
        Assert.NotEmpty(command.Options);
        // Hidden options are the tool talking to itself (a --nodes child's --demo-server), not for users.
        foreach (var option in command.Options.Where(o => !o.Hidden))
        {
            Assert.Contains(option.Name, outcome.Out, StringComparison.Ordinal);
            Assert.False(string.IsNullOrWhiteSpace(option.Description), $"{option.Name} has no description");
        }
        Assert.Contains("Examples:", outcome.Out, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Should_list_every_environment_variable_and_exit_code_in_export_help()
    {
        var outcome = await cli.RunAsync(new FakeBackend(), "export", "--help");

        foreach (var (name, _) in EnvironmentSettings.Variables)
            Assert.Contains(name, outcome.Out, StringComparison.Ordinal);
        foreach (var code in new[] { "0 ", "1 ", "2 ", "3 ", "130" })
            Assert.Contains("  " + code, outcome.Out, StringComparison.Ordinal);
        Assert.Contains("--demo", outcome.Out, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Should_list_the_commands_in_root_help()
    {
        var outcome = await cli.RunAsync(new FakeBackend(), "--help");

        Assert.Equal(ExitCodes.Complete, outcome.ExitCode);
        foreach (var name in new[] { "export", "status", "verify", "Exit codes:" })
            Assert.Contains(name, outcome.Out, StringComparison.Ordinal);
    }
}
