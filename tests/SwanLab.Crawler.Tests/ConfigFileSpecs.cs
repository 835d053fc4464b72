namespace SwanLab.Crawler.Tests;

public class ConfigFileSpecs
{
    [Fact]
    public void Should_ship_the_default_config_next_to_the_tool()
    {
        var path = Path.Combine(AppContext.BaseDirectory, "config", "crawler.hocon");
        Assert.True(File.Exists(path), $"missing {path}");
        Assert.Contains("swanlab-crawler", File.ReadAllText(path), StringComparison.Ordinal);
    }
}
