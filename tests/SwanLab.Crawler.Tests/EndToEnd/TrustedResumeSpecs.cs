using System.Text.Json;
using SwanLab.Client;
using SwanLab.Crawler.Backup;
using SwanLab.Crawler.Crawl;
using SwanLab.Crawler.Source;
using SwanLab.Crawler.Tests.Backup;
using SwanLab.Emulator;
using SwanLab.Emulator.Data;

namespace SwanLab.Crawler.Tests.EndToEnd;

/// <summary>
/// Issue 9, cases 1, 2 and 6: export, resume and verify never claim more than is on disk. Each starts from a real
/// export of the in-process emulator (tiny) and exports again into the same folder from the same server.
/// </summary>
public sealed class TrustedResumeSpecs : IAsyncLifetime, IDisposable
{
    private const string RunDetailRoute = "GET /api/project/{workspace}/{project}/runs/{id}";
    private static readonly CancellationToken None = CancellationToken.None;
    private readonly string _root = Path.Combine(Path.GetTempPath(), "swanlab-trust-" + Guid.NewGuid().ToString("N"));
    private EmulatorServer _server = null!;
    private SwanLabApi _api = null!;

    public async Task InitializeAsync()
    {
        _server = await EmulatorServer.StartAsync(new EmulatorOptions { Size = DatasetSize.Tiny }, None);
        _api = await EmulatorClient.ConnectAsync(_server, maxRetries: 3);
    }

    public async Task DisposeAsync()
    {
        await _api.DisposeAsync();
        await _server.DisposeAsync();
    }

    public void Dispose()
    {
        try { Directory.Delete(_root, recursive: true); } catch (IOException) { }
    }

    private CrawlSettings Settings(string dir) => new()
    {
        OutputDirectory = Path.Combine(_root, dir),
        RunConcurrency = 4,
        SeriesConcurrency = 8,
        ChannelCapacity = 64,
        UnitBackoffMin = TimeSpan.FromMilliseconds(5),
        UnitBackoffMax = TimeSpan.FromMilliseconds(50),
    };

    private async Task<CrawlResult> ExportAsync(CrawlSettings settings)
    {
        var result = await CrawlRunner.RunAsync(settings, new SwanLabClientSource(_api), null, None);
        Assert.True(result.Complete, string.Join("; ", result.Failures.Select(f => $"{f.RunPath}: {f.ErrorKind} {f.Error}")));
        return result;
    }

    private int Running => _server.Dataset.Runs.Count(r => r.State == "RUNNING");

    private static string PathOf(EmulatorRun run) => $"{run.Project.Workspace.Username}/{run.Project.Name}/{run.Cuid}";

    /// <summary>The FINISHED run with media (the emulator's full run).</summary>
    private EmulatorRun FinishedRunWithMedia() =>
        _server.Dataset.Runs.First(r => r.State == "FINISHED" && _server.Dataset.DataOwner(r).Media.Count > 0
                                        && _server.Dataset.DataOwner(r).Scalars.Count > 0);

    /// <summary>Changes one digit of one value in the run's first CSV series: same size, different bytes.</summary>
    private static string EditOneValue(BackupLayout layout, string runPath)
    {
        var csv = Directory.EnumerateFiles(layout.MetricsDirectory(runPath), "*.csv").Order(StringComparer.Ordinal).First();
        var lines = File.ReadAllLines(csv);
        var cells = lines[1].Split(',');
        var digit = cells[1].Select((c, i) => (c, i)).First(x => char.IsAsciiDigit(x.c));
        cells[1] = cells[1][..digit.i] + (digit.c == '9' ? '8' : (char)(digit.c + 1)) + cells[1][(digit.i + 1)..];
        lines[1] = string.Join(',', cells);
        File.WriteAllText(csv, string.Join('\n', lines) + "\n");
        return layout.RelativePath(csv);
    }

    private static async Task<IReadOnlyList<string>> ManifestPathsAsync(string root) =>
        (await ManifestWriter.ReadAsync(new BackupLayout(root), None)).Select(f => f.RelativePath).ToList();

    [Fact]
    public async Task Should_bring_back_the_original_bytes_when_export_follows_a_failed_verify_and_never_adopt_a_stray_file()
    {
        var fresh = Settings("fresh");
        await ExportAsync(fresh);
        var backup = Settings("backup");
        await ExportAsync(backup);
        var layout = new BackupLayout(backup.OutputDirectory);
        var run = PathOf(FinishedRunWithMedia());
        var edited = EditOneValue(layout, run);
        var media = Directory.EnumerateFiles(Path.Combine(layout.RunDirectory(run), BackupLayout.MediaFolderName), "*",
            SearchOption.AllDirectories).Order(StringComparer.Ordinal).First();
        File.Delete(media);
        var stray = Path.Combine(backup.OutputDirectory, "alice", "extra.txt");
        await File.WriteAllTextAsync(stray, "mine, not the tool's\n");

        var broken = await BackupVerifier.VerifyAsync(backup.OutputDirectory, None);
        Assert.False(broken.Ok);
        Assert.Contains(broken.Problems, p => p.Kind == VerifyProblemKind.Changed && p.Path == edited);
        Assert.Contains(broken.Problems, p => p.Kind == VerifyProblemKind.Missing && p.Path == layout.RelativePath(media));

        var detailsBefore = _server.Stats.Requests(RunDetailRoute);
        var resumed = await ExportAsync(backup);

        // Only the damaged run is fetched again (RUNNING runs always are).
        Assert.Equal(1 + Running, resumed.RunsDone);
        Assert.Equal(1 + Running, _server.Stats.Requests(RunDetailRoute) - detailsBefore);
        var report = await BackupVerifier.VerifyAsync(backup.OutputDirectory, None);
        Assert.True(report.Ok, string.Join("\n", report.Problems));
        Assert.Equal("alice/extra.txt", Assert.Single(report.Extras).Path);
        Assert.Equal("mine, not the tool's\n", await File.ReadAllTextAsync(stray));
        Assert.DoesNotContain("alice/extra.txt", await ManifestPathsAsync(backup.OutputDirectory));
        var tree = BackupTree.Hashes(backup.OutputDirectory);
        Assert.True(tree.Remove("alice/extra.txt"));
        Assert.Equal(BackupTree.Hashes(fresh.OutputDirectory), tree);
        Assert.Equal(await ManifestPathsAsync(fresh.OutputDirectory), await ManifestPathsAsync(backup.OutputDirectory));
    }

    [Fact]
    public async Task Should_export_again_a_run_whose_file_is_gone_or_resized_even_without_verify()
    {
        var fresh = Settings("fresh");
        await ExportAsync(fresh);
        var backup = Settings("backup");
        await ExportAsync(backup);
        var layout = new BackupLayout(backup.OutputDirectory);
        var run = PathOf(FinishedRunWithMedia());
        await File.AppendAllTextAsync(layout.RunFile(run), " ");
        var media = Directory.EnumerateFiles(Path.Combine(layout.RunDirectory(run), BackupLayout.MediaFolderName), "*",
            SearchOption.AllDirectories).First();
        File.Delete(media);

        var resumed = await ExportAsync(backup);

        Assert.Equal(1 + Running, resumed.RunsDone);
        Assert.Equal(BackupTree.Hashes(fresh.OutputDirectory), BackupTree.Hashes(backup.OutputDirectory));
        Assert.True((await BackupVerifier.VerifyAsync(backup.OutputDirectory, None)).Ok);
    }

    [Fact]
    public async Task Should_rehash_runs_it_would_skip_with_verify_existing()
    {
        var fresh = Settings("fresh");
        await ExportAsync(fresh);
        var backup = Settings("backup");
        await ExportAsync(backup);
        var run = PathOf(FinishedRunWithMedia());
        EditOneValue(new BackupLayout(backup.OutputDirectory), run);

        // Sizes alone cannot see a same-size edit; --verify-existing re-hashes and fetches the run again.
        var sized = await ExportAsync(backup);
        Assert.Equal(Running, sized.RunsDone);
        var rehashed = await ExportAsync(backup with { VerifyExisting = true });

        Assert.Equal(1 + Running, rehashed.RunsDone);
        Assert.Equal(BackupTree.Hashes(fresh.OutputDirectory), BackupTree.Hashes(backup.OutputDirectory));
    }

    [Fact]
    public async Task Should_complete_runs_exported_without_logs_and_media_and_keep_what_a_run_holds_beyond_the_settings()
    {
        var fresh = Settings("fresh");
        await ExportAsync(fresh);
        var backup = Settings("backup");
        await ExportAsync(backup with { IncludeLogs = false, IncludeMedia = false });
        Assert.Empty(Directory.EnumerateFiles(backup.OutputDirectory, BackupLayout.LogsFileName, SearchOption.AllDirectories));

        var completed = await ExportAsync(backup);

        Assert.Equal((_server.Dataset.Runs.Count, 0), (completed.RunsDone, completed.RunsSkipped));
        Assert.Equal(BackupTree.Hashes(fresh.OutputDirectory), BackupTree.Hashes(backup.OutputDirectory));
        Assert.True((await BackupVerifier.VerifyAsync(backup.OutputDirectory, None)).Ok);

        // A run holding more than asked (logs, now --no-logs) is skipped and keeps its files in the backup; RUNNING
        // runs are always fetched again, now without logs.
        var lessAsked = await ExportAsync(backup with { IncludeLogs = false });
        Assert.Equal(_server.Dataset.Runs.Count(r => r.State != "RUNNING"), lessAsked.RunsSkipped);
        var layout = new BackupLayout(backup.OutputDirectory);
        var running = _server.Dataset.Runs.Where(r => r.State == "RUNNING")
            .Select(r => layout.RelativePath(layout.RunDirectory(PathOf(r))) + "/").ToList();
        Assert.Equal(WithoutFolders(BackupTree.Hashes(fresh.OutputDirectory), running),
            WithoutFolders(BackupTree.Hashes(backup.OutputDirectory), running));
        var logs = (await ManifestPathsAsync(backup.OutputDirectory)).Count(p => p.EndsWith("/" + BackupLayout.LogsFileName, StringComparison.Ordinal));
        Assert.Equal(Directory.EnumerateFiles(backup.OutputDirectory, BackupLayout.LogsFileName, SearchOption.AllDirectories).Count(), logs);
        Assert.True(logs > 0);
        Assert.True((await BackupVerifier.VerifyAsync(backup.OutputDirectory, None)).Ok);
    }

    private static SortedDictionary<string, string> WithoutFolders(SortedDictionary<string, string> tree, IReadOnlyList<string> folders) =>
        new(tree.Where(f => f.Key is not (BackupLayout.ManifestFileName or BackupLayout.ErrorsFileName)
                            && !folders.Any(d => f.Key.StartsWith(d, StringComparison.Ordinal)))
            .ToDictionary(f => f.Key, f => f.Value), StringComparer.Ordinal);

    [Fact]
    public async Task Should_refetch_only_the_selected_run_and_keep_the_rest_of_the_checkpoint()
    {
        var backup = Settings("backup");
        await ExportAsync(backup);
        var layout = new BackupLayout(backup.OutputDirectory);
        var run = PathOf(FinishedRunWithMedia());
        CheckpointState before;
        await using (var store = new FileCheckpointStore(layout)) before = await store.LoadAsync(None);

        var detailsBefore = _server.Stats.Requests(RunDetailRoute);
        var refetched = await ExportAsync(backup with { Runs = [run], Refetch = true });

        Assert.Equal((1, 0), (refetched.RunsDone, refetched.RunsSkipped));
        // The selection check (does the run exist? before anything is written), the --run lookup, then the export.
        Assert.Equal(3, _server.Stats.Requests(RunDetailRoute) - detailsBefore);
        CheckpointState after;
        await using (var store = new FileCheckpointStore(layout)) after = await store.LoadAsync(None);
        Assert.Equal(before.Runs.Keys.Order(StringComparer.Ordinal), after.Runs.Keys.Order(StringComparer.Ordinal));
        var next = await ExportAsync(backup);
        Assert.Equal(_server.Dataset.Runs.Count(r => r.State != "RUNNING"), next.RunsSkipped);
    }

    [Fact]
    public async Task Should_describe_the_whole_backup_in_backup_json_after_a_partial_export_in_another_format()
    {
        var backup = Settings("backup");
        await ExportAsync(backup);
        var project = _server.Dataset.Projects.Single(p => p.Path == "alice/mnist-baseline");

        await ExportAsync(backup with { Projects = [project.Path], Format = SeriesFormat.Jsonl, Sample = 50 });

        var layout = new BackupLayout(backup.OutputDirectory);
        using var json = JsonDocument.Parse(await File.ReadAllBytesAsync(layout.BackupInfoFile));
        var root = json.RootElement;
        var counts = root.GetProperty("counts");
        var runs = _server.Dataset.Runs.Count;
        Assert.Equal((runs, runs, 0), (counts.GetProperty("runs").GetInt32(), counts.GetProperty("runsDone").GetInt32(),
            counts.GetProperty("runsFailed").GetInt32()));
        Assert.True(root.GetProperty("complete").GetBoolean());
        var series = root.GetProperty("series").EnumerateArray()
            .Select(s => (s.GetProperty("format").GetString(), s.GetProperty("sample").ToString(), s.GetProperty("runs").GetInt32()))
            .ToList();
        Assert.Equal([("csv", "", runs - project.Runs.Count), ("jsonl", "50", project.Runs.Count)], series);
        var selections = root.GetProperty("selections").EnumerateArray()
            .Select(s => string.Join(",", s.GetProperty("projects").EnumerateArray().Select(p => p.GetString()))).ToList();
        Assert.Equal(["alice/mnist-baseline", ""], selections); // sorted by their canonical JSON
        foreach (var run in project.Runs)
        {
            var index = await MetricsIndex.ReadAsync(layout.MetricsIndexFile(PathOf(run)), None);
            Assert.Equal((SeriesFormat.Jsonl, (int?)50), (index.Format, index.Sample));
        }
        var manifest = await ManifestPathsAsync(backup.OutputDirectory);
        Assert.Contains("aurora-lab/workspace.json", manifest); // recorded by the first export, not rewritten by the second
        Assert.Contains("alice/v1.2.final/project.json", manifest);
        Assert.Empty((await BackupVerifier.VerifyAsync(backup.OutputDirectory, None)).Problems);
    }

    [Fact]
    public async Task Should_not_call_the_backup_complete_when_a_run_outside_the_selection_lost_a_file()
    {
        var backup = Settings("backup");
        await ExportAsync(backup);
        var layout = new BackupLayout(backup.OutputDirectory);
        var outside = _server.Dataset.Runs.First(r => r.Project.Workspace.Username == "aurora-lab" && r.State == "FINISHED");
        File.Delete(layout.RunFile(PathOf(outside)));

        var partial = await ExportAsync(backup with { Projects = ["alice/mnist-baseline"] });

        Assert.True(partial.Complete); // what this export selected is all there
        using var json = JsonDocument.Parse(await File.ReadAllBytesAsync(layout.BackupInfoFile));
        Assert.False(json.RootElement.GetProperty("complete").GetBoolean());
        Assert.Contains(layout.RelativePath(layout.RunFile(PathOf(outside))), await ManifestPathsAsync(backup.OutputDirectory));
        var report = await BackupVerifier.VerifyAsync(backup.OutputDirectory, None);
        Assert.Equal(VerifyProblemKind.Missing, Assert.Single(report.Problems).Kind);
    }

    [Fact]
    public async Task Should_refuse_another_server_before_writing_anything_unless_allowed()
    {
        var backup = Settings("backup");
        await ExportAsync(backup);
        var tree = BackupTree.Hashes(backup.OutputDirectory);
        var checkpoint = await File.ReadAllBytesAsync(new BackupLayout(backup.OutputDirectory).CheckpointFile);

        await using var other = await EmulatorServer.StartAsync(new EmulatorOptions { Size = DatasetSize.Tiny }, None);
        await using var otherApi = await EmulatorClient.ConnectAsync(other);
        var refused = await Assert.ThrowsAsync<OtherSourceException>(() =>
            CrawlRunner.RunAsync(backup, new SwanLabClientSource(otherApi), null, None));

        Assert.Contains(other.BaseUrl.ToString().TrimEnd('/'), refused.Message, StringComparison.Ordinal);
        Assert.Equal(tree, BackupTree.Hashes(backup.OutputDirectory));
        Assert.Equal(checkpoint, await File.ReadAllBytesAsync(new BackupLayout(backup.OutputDirectory).CheckpointFile));

        var mixed = await CrawlRunner.RunAsync(backup with { AllowOtherSource = true }, new SwanLabClientSource(otherApi), null, None);
        Assert.True(mixed.Complete);
        var info = await BackupInfo.ReadAsync(new BackupLayout(backup.OutputDirectory), None);
        Assert.Equal(_server.BaseUrl.ToString().TrimEnd('/'), info!.Source.Host);
        Assert.Equal(other.BaseUrl.ToString().TrimEnd('/'), Assert.Single(info.OtherSources).Host);
    }
}
