using SwanLab.Client;
using SwanLab.Crawler.Backup;
using SwanLab.Crawler.Cli;
using SwanLab.Crawler.Crawl;
using SwanLab.Crawler.Source;
using SwanLab.Crawler.Tests.Backup;
using SwanLab.Crawler.Tests.Cli;
using SwanLab.Emulator.Data;
using SwanLab.Emulator;

namespace SwanLab.Crawler.Tests.EndToEnd;

/// <summary>
/// The server answers one run's requests with malformed JSON or broken metric CSVs. That run must end up in
/// errors.jsonl (kind "malformed", a clear error, no API key), with nothing of it in the manifest and no Done
/// entry in the checkpoint; every other run is exported completely; the next export retries the run.
/// </summary>
public sealed class MalformedResponseSpecs : IDisposable
{
    private readonly string _root = Directory.CreateTempSubdirectory("swanlab-malformed-").FullName;
    private static readonly CancellationToken None = CancellationToken.None;

    private CrawlSettings Settings(string dir) => new()
    {
        OutputDirectory = Path.Combine(_root, dir),
        RunConcurrency = 4,
        SeriesConcurrency = 8,
        ChannelCapacity = 64,
        MaxUnitAttempts = 2,
        UnitBackoffMin = TimeSpan.FromMilliseconds(5),
        UnitBackoffMax = TimeSpan.FromMilliseconds(20),
    };

    private static Task<SwanLabApi> ConnectAsync(EmulatorServer server) => EmulatorClient.ConnectAsync(server, maxRetries: 3);

    /// <summary>A finished run with metrics whose cuid appears in no other run's requests (no forks of it).</summary>
    private static EmulatorRun Target(EmulatorDataset data) =>
        data.Runs.First(r => r.State == "FINISHED" && data.DataOwner(r) == r && r.RootExpId is null && r.Scalars.Count > 0 &&
                             !data.Runs.Any(o => o != r && (o.RootExpId == r.Cuid || data.DataOwner(o) == r)));

    private static string PathOf(EmulatorRun run) => $"{run.Project.Workspace.Username}/{run.Project.Name}/{run.Cuid}";

    [Theory]
    [InlineData(MalformedKind.Json, "not JSON")]
    [InlineData(MalformedKind.Garbage, "not JSON")]
    [InlineData(MalformedKind.CsvHeader, "header")]
    [InlineData(MalformedKind.CsvValue, "'n/a' is not a valid value")]
    [InlineData(MalformedKind.CsvRow, "cells")]
    public async Task Should_fail_only_the_run_with_malformed_responses_and_export_it_on_the_next_run(MalformedKind kind, string errorSays)
    {
        await using var server = await EmulatorServer.StartAsync(new EmulatorOptions { Size = DatasetSize.Tiny }, None);
        var data = server.Dataset;
        var target = Target(data);
        var targetPath = PathOf(target);
        server.Faults.MalformedTargets = [new MalformedTarget(target.Cuid, kind)];
        var settings = Settings("backup");
        var layout = new BackupLayout(settings.OutputDirectory);

        CrawlResult result;
        await using (var api = await ConnectAsync(server))
            result = await CrawlRunner.RunAsync(settings, new SwanLabClientSource(api), null, None);

        Assert.True(server.Stats.Snapshot().InjectedMalformed > 0);
        Assert.False(result.Complete);
        Assert.False(result.Cancelled);
        Assert.Equal((data.Runs.Count - 1, 1), (result.RunsDone, result.RunsFailed));
        var failure = Assert.Single(result.Failures);
        Assert.Equal((targetPath, "malformed"), (failure.RunPath, failure.ErrorKind));
        Assert.Contains(errorSays, failure.Error, StringComparison.Ordinal);
        if (kind is not (MalformedKind.Json or MalformedKind.Garbage))
            Assert.Matches("^series '[^']+': Metric CSV ", failure.Error);
        Assert.Equal(settings.MaxUnitAttempts, failure.Attempts);

        var errors = await ErrorsWriter.ReadAsync(layout, None);
        var recorded = Assert.Single(errors);
        Assert.Equal((targetPath, "malformed", failure.Error), (recorded.Path, recorded.Kind, recorded.Error));
        Assert.DoesNotContain(server.ApiKey, await File.ReadAllTextAsync(layout.ErrorsFile), StringComparison.Ordinal);

        // Nothing of the run is part of the backup, and no series of it was written from a broken body.
        var targetDir = layout.RelativePath(layout.RunDirectory(targetPath)) + "/";
        var manifest = await ManifestWriter.ReadAsync(layout, None);
        Assert.Empty(manifest.Where(f => f.RelativePath.StartsWith(targetDir, StringComparison.Ordinal)).Select(f => f.RelativePath));
        Assert.False(Directory.Exists(layout.MetricsDirectory(targetPath)) &&
                     Directory.EnumerateFiles(layout.MetricsDirectory(targetPath), "*", SearchOption.AllDirectories).Any());
        await using (var checkpoint = new FileCheckpointStore(layout))
        {
            var state = await checkpoint.LoadAsync(None);
            Assert.Equal(UnitStatus.Failed, state.Runs[targetPath].Status);
            Assert.All(data.Runs.Where(r => r != target), r => Assert.Equal(UnitStatus.Done, state.Runs[PathOf(r)].Status));
        }
        // Every other run is complete: the manifest's files are intact and hold every run's index.
        var verify = await BackupVerifier.VerifyAsync(settings.OutputDirectory, None);
        Assert.True(verify.Ok, string.Join("; ", verify.Problems));
        Assert.All(data.Runs.Where(r => r != target), r =>
            Assert.Contains(manifest, f => f.RelativePath == layout.RelativePath(layout.MetricsIndexFile(PathOf(r)))));

        // The server is fixed: the next export retries the failed run (and the RUNNING ones), and completes.
        server.Faults.Clear();
        await using (var api = await ConnectAsync(server))
            result = await CrawlRunner.RunAsync(settings, new SwanLabClientSource(api), null, None);
        Assert.True(result.Complete, string.Join("; ", result.Failures.Select(f => $"{f.RunPath}: {f.Error}")));
        Assert.Equal(1 + data.Runs.Count(r => r.State == "RUNNING"), result.RunsDone);
        Assert.Empty(await ErrorsWriter.ReadAsync(layout, None));
        Assert.Contains(await ManifestWriter.ReadAsync(layout, None),
            f => f.RelativePath == layout.RelativePath(layout.MetricsIndexFile(targetPath)));
        verify = await BackupVerifier.VerifyAsync(settings.OutputDirectory, None);
        Assert.True(verify.Ok, string.Join("; ", verify.Problems));
    }

    [Fact]
    public async Task Should_account_for_every_run_when_answers_are_malformed_at_random_and_resume_to_the_clean_backup()
    {
        await using var server = await EmulatorServer.StartAsync(new EmulatorOptions { Size = DatasetSize.Tiny }, None);
        var data = server.Dataset;
        var clean = Settings("clean");
        await using (var api = await ConnectAsync(server))
            Assert.True((await CrawlRunner.RunAsync(clean, new SwanLabClientSource(api), null, None)).Complete);

        // Enough attempts that the account listing (a few requests; the crawl stops if it keeps failing) practically
        // never fails, while a run (~25 requests per attempt) still fails now and then.
        var spoiled = Settings("spoiled") with { MaxUnitAttempts = 6 };
        var layout = new BackupLayout(spoiled.OutputDirectory);
        CrawlResult result;
        await using (var api = await ConnectAsync(server))
        {
            server.Faults.MalformedRate = 0.05;
            result = await CrawlRunner.RunAsync(spoiled, new SwanLabClientSource(api), null, None);
            server.Faults.Clear();
        }

        Assert.True(server.Stats.Snapshot().InjectedMalformed > 0);
        // No silent loss: each run is done, or it (or the project or workspace it is in) is listed as failed.
        var errors = await ErrorsWriter.ReadAsync(layout, None);
        Assert.Equal(result.Complete, errors.Count == 0);
        Assert.All(errors, e => Assert.Equal("malformed", e.Kind));
        await using (var checkpoint = new FileCheckpointStore(layout))
        {
            var state = await checkpoint.LoadAsync(None);
            Assert.All(data.Runs.Select(PathOf), path => Assert.True(
                state.Runs.TryGetValue(path, out var entry) && entry.Status == UnitStatus.Done ||
                errors.Any(e => path == e.Path || path.StartsWith(e.Path + "/", StringComparison.Ordinal)),
                $"{path} is neither done nor listed as failed"));
        }
        var verify = await BackupVerifier.VerifyAsync(spoiled.OutputDirectory, None);
        Assert.True(verify.Ok, string.Join("; ", verify.Problems));

        await using (var api = await ConnectAsync(server))
            result = await CrawlRunner.RunAsync(spoiled, new SwanLabClientSource(api), null, None);
        Assert.True(result.Complete, string.Join("; ", result.Failures.Select(f => $"{f.RunPath}: {f.Error}")));
        Assert.Equal(BackupTree.Hashes(clean.OutputDirectory), BackupTree.Hashes(spoiled.OutputDirectory));
    }

    [Fact]
    public async Task Should_exit_1_and_name_the_run_when_the_server_sends_malformed_data()
    {
        await using var server = await EmulatorServer.StartAsync(new EmulatorOptions { Size = DatasetSize.Tiny }, None);
        var target = Target(server.Dataset);
        server.Faults.MalformedTargets = [new MalformedTarget(target.Cuid, MalformedKind.CsvValue)];
        using var cli = new CliHarness();
        cli.WriteToolConfig("""
            swanlab-crawler.supervision { max-unit-attempts = 1, unit-backoff-min = 10ms, unit-backoff-max = 10ms }
            swanlab-crawler.http { backoff-base = 10ms, backoff-max = 10ms }
            """);
        var output = Path.Combine(_root, "cli");

        var outcome = await cli.RunAsync(new ProductionBackend(),
            "export", "--host", server.BaseUrl.ToString().TrimEnd('/'), "--api-key", server.ApiKey, "--out", output, "--rate-limit", "1000");

        Assert.True(outcome.ExitCode == ExitCodes.FinishedWithFailures, outcome.ToString());
        Assert.Contains(target.Cuid, outcome.All, StringComparison.Ordinal);
        Assert.Contains("malformed", outcome.All, StringComparison.Ordinal);
        Assert.DoesNotContain(server.ApiKey, outcome.All, StringComparison.Ordinal);
        foreach (var file in Directory.EnumerateFiles(output, "*", SearchOption.AllDirectories))
            Assert.DoesNotContain(server.ApiKey, await File.ReadAllTextAsync(file), StringComparison.Ordinal);
    }

    public void Dispose()
    {
        try { Directory.Delete(_root, recursive: true); } catch (IOException) { }
    }
}
