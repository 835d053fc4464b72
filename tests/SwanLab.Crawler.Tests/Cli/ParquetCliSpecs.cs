using SwanLab.Crawler.Backup;
using SwanLab.Crawler.Cli;
using SwanLab.Crawler.Configuration;
using SwanLab.Emulator;

namespace SwanLab.Crawler.Tests.Cli;

/// <summary><c>export --format parquet</c>, then verify, status and a resume, through the CLI against the emulator.</summary>
public sealed class ParquetCliSpecs : IAsyncLifetime, IDisposable
{
    readonly CliHarness cli = new();
    EmulatorServer server = null!;

    public async Task InitializeAsync()
    {
        server = await EmulatorServer.StartAsync(new EmulatorOptions { Size = DatasetSize.Tiny });
        cli.Environment["SWANLAB_CRAWLER_MAX_RETRIES"] = "1";
        cli.Environment["SWANLAB_CRAWLER_TIMEOUT"] = "5s";
    }

    public async Task DisposeAsync() => await server.DisposeAsync();

    public void Dispose() => cli.Dispose();

    string Host => server.BaseUrl.ToString().TrimEnd('/');
    string Out => Path.Combine(cli.WorkDirectory, "backup");

    [Fact]
    public async Task Should_export_parquet_that_verify_checks_and_status_reads_and_resume_leaves_alone()
    {
        var export = await cli.RunAsync(new ProductionBackend(), "export", "--host", Host, "--api-key", server.ApiKey, "--out", Out, "--format", "parquet");
        var verify = await cli.RunAsync(new ProductionBackend(), "verify", "--out", Out);
        var status = await cli.RunAsync(new ProductionBackend(), "status", "--out", Out);

        Assert.True(export.ExitCode == ExitCodes.Complete, export.ToString());
        Assert.True(verify.ExitCode == ExitCodes.Complete, verify.ToString());
        Assert.True(status.ExitCode == ExitCodes.Complete, status.ToString());
        Assert.Contains("finished and is complete", status.Out, StringComparison.Ordinal);
        var series = Directory.EnumerateFiles(Out, "*.parquet", SearchOption.AllDirectories).Order(StringComparer.Ordinal).ToList();
        Assert.NotEmpty(series);
        Assert.Empty(Directory.EnumerateFiles(Out, "*.csv", SearchOption.AllDirectories));

        var bytesBefore = await File.ReadAllBytesAsync(series[0]);
        var resume = await cli.RunAsync(new ProductionBackend(), "export", "--host", Host, "--api-key", server.ApiKey, "--out", Out, "--format", "parquet");
        Assert.True(resume.ExitCode == ExitCodes.Complete, resume.ToString());
        Assert.Equal(bytesBefore, await File.ReadAllBytesAsync(series[0]));

        // A series cut short after the export: verify names the file and fails.
        await File.WriteAllBytesAsync(series[0], bytesBefore[..(bytesBefore.Length - 9)]);
        var broken = await cli.RunAsync(new ProductionBackend(), "verify", "--out", Out);
        Assert.True(broken.ExitCode == ExitCodes.FinishedWithFailures, broken.ToString());
        Assert.Contains(Path.GetFileName(series[0]), broken.Out, StringComparison.Ordinal);
    }
}

public sealed class ParquetSettingsSpecs : IDisposable
{
    readonly CliHarness cli = new();

    public void Dispose() => cli.Dispose();

    [Fact]
    public void Should_take_parquet_from_the_config_file_the_environment_and_the_flag()
    {
        cli.WriteToolConfig("swanlab-crawler { export { format = parquet } }");
        Assert.Equal(SeriesFormat.Parquet, cli.Resolve(new ExportFlags()).Crawl.Format);

        cli.WriteToolConfig("swanlab-crawler { export { format = csv } }");
        cli.Environment["SWANLAB_CRAWLER_FORMAT"] = "Parquet";
        Assert.Equal(SeriesFormat.Parquet, cli.Resolve(new ExportFlags()).Crawl.Format);

        cli.Environment["SWANLAB_CRAWLER_FORMAT"] = "jsonl";
        Assert.Equal(SeriesFormat.Parquet, cli.Resolve(new ExportFlags { Format = "parquet" }).Crawl.Format);
    }

    [Fact]
    public void Should_name_parquet_among_the_choices_when_the_format_is_unknown()
    {
        var error = Assert.Throws<SettingsException>(() => cli.Resolve(new ExportFlags { Format = "feather" }));
        Assert.Contains("use csv, jsonl or parquet", error.Message, StringComparison.Ordinal);
    }
}
