using SwanLab.Crawler.Backup;
using SwanLab.Crawler.Crawl;
using SwanLab.Crawler.Import;
using SwanLab.Crawler.Source;
using SwanLab.Crawler.Tests.Backup;
using SwanLab.Emulator;
using SwanLab.Emulator.Data;

namespace SwanLab.Crawler.Tests.Import;

/// <summary>
/// Importing a backup folder into a server through the export actors and <see cref="ServerDestination"/>: everything
/// arrives once, a second import sends nothing, an interrupted one completes without duplicates, conflicts follow the
/// policy, and workspace/project mappings apply.
/// </summary>
public sealed class ImportSpecs : IAsyncLifetime
{
    private static readonly CancellationToken None = CancellationToken.None;
    private readonly TempDir _dir = new();
    private string Backup => Path.Combine(_dir.Path, "backup");
    private EmulatorDataset _data = null!;
    private string[] _workspaces = [];

    public async Task InitializeAsync()
    {
        await using var server = await EmulatorServer.StartAsync(new EmulatorOptions { Size = DatasetSize.Tiny }, None);
        await BackupFolderSourceSpecs.ExportEmulatorAsync(server, Crawl() with { OutputDirectory = Backup });
        _data = server.Dataset;
        var source = await BackupFolderSource.OpenAsync(Backup, None);
        var names = new List<string>();
        await foreach (var w in source.WorkspacesAsync(None)) names.Add(w.Username);
        _workspaces = names.ToArray();
    }

    private static CrawlSettings Crawl() => new()
    {
        OutputDirectory = "unused",
        RunConcurrency = 4,
        SeriesConcurrency = 8,
        ChannelCapacity = 64,
        MaxUnitAttempts = 2,
        UnitBackoffMin = TimeSpan.FromMilliseconds(5),
        UnitBackoffMax = TimeSpan.FromMilliseconds(20),
    };

    private ImportSettings Settings(string state = "state") => new()
    {
        Crawl = Crawl(),
        StateDirectory = Path.Combine(_dir.Path, state),
    };

    private async Task<ImportResult> ImportAsync(IImportTarget target, ImportSettings settings) =>
        await ImportRunner.RunAsync(settings, await BackupFolderSource.OpenAsync(Backup, None), target, null, None);

    private static string Failures(ImportResult r) => string.Join("; ", r.Crawl.Failures.Select(f => $"{f.RunPath}: {f.Error}"));

    [Fact]
    public async Task Should_import_every_run_with_its_id_times_profile_points_logs_and_media()
    {
        var target = new InMemoryImportTarget(_workspaces);

        var result = await ImportAsync(target, Settings());

        Assert.True(result.Crawl.Complete, Failures(result));
        Assert.Equal(_data.Runs.Count, target.RunsCreated);
        var layout = new BackupLayout(Backup);
        foreach (var run in _data.Runs)
        {
            var path = $"{run.Project.Workspace.Username}/{run.Project.Name}/{run.Cuid}";
            var stored = target.Runs[run.Cuid];
            Assert.Equal((run.Project.Workspace.Username, run.Project.Name), (stored.Workspace, stored.Project));
            Assert.Equal(run.Name, stored.Sent.Name);
            Assert.Equal(run.CreatedAt, DateTimeOffset.Parse(stored.Sent.CreatedAt!, System.Globalization.CultureInfo.InvariantCulture));
            Assert.Equal(run.State == "RUNNING" ? "RUNNING" : run.State, stored.State);
            Assert.True(stored.Profile.ContainsKey("config"));
            var index = await MetricsIndex.ReadAsync(layout.MetricsIndexFile(path), None);
            foreach (var series in index.Series)
            {
                var expected = new List<SeriesPoint>();
                await foreach (var p in SeriesFileReader.ReadAsync(Path.Combine(layout.MetricsDirectory(path), series.File), None)) expected.Add(p);
                Assert.Equal(expected, stored.Scalars[series.Key].Values.ToList());
            }
            Assert.Equal(index.Series.Count, stored.Scalars.Count);
            var logs = File.Exists(layout.LogsFile(path)) ? File.ReadAllLines(layout.LogsFile(path)).Length : 0;
            Assert.Equal(logs, stored.Logs.Count);
        }
        Assert.Equal(0, target.DuplicateSteps);
        Assert.Equal(result.Crawl.Points, target.PointsReceived);
        Assert.True(target.MediaReceived > 0);
    }

    [Fact]
    public async Task Should_create_no_run_and_upload_nothing_when_the_same_backup_is_imported_again()
    {
        var target = new InMemoryImportTarget(_workspaces);
        await ImportAsync(target, Settings());
        var (created, points, logs, media, puts) = (target.RunsCreated, target.PointsReceived, target.LogLinesReceived, target.MediaReceived, target.ProfilePuts);

        var again = await ImportAsync(target, Settings());

        Assert.True(again.Crawl.Complete, Failures(again));
        Assert.Equal((created, points, logs, media, puts),
            (target.RunsCreated, target.PointsReceived, target.LogLinesReceived, target.MediaReceived, target.ProfilePuts));
        Assert.Equal(new ImportCounts(0, again.Counts.RunsResumed, 0, 0, 0), again.Counts);
    }

    [Fact]
    public async Task Should_upload_nothing_when_a_fresh_machine_without_the_ledger_imports_into_a_complete_target()
    {
        var target = new InMemoryImportTarget(_workspaces);
        await ImportAsync(target, Settings("first-machine"));
        var (created, points, logs, media) = (target.RunsCreated, target.PointsReceived, target.LogLinesReceived, target.MediaReceived);

        var again = await ImportAsync(target, Settings("second-machine"));

        Assert.True(again.Crawl.Complete, Failures(again));
        Assert.Equal((created, points, logs, media), (target.RunsCreated, target.PointsReceived, target.LogLinesReceived, target.MediaReceived));
        Assert.Equal(_data.Runs.Count, again.Counts.RunsResumed);
    }

    [Fact]
    public async Task Should_complete_an_interrupted_import_with_every_point_once()
    {
        var target = new InMemoryImportTarget(_workspaces) { MaxRecordsPerRequest = 7, FailScalarUploadsAfter = 5 };
        var interrupted = await ImportAsync(target, Settings());
        Assert.True(interrupted.Crawl.RunsFailed > 0);

        target.FailScalarUploadsAfter = null;
        var resumed = await ImportAsync(target, Settings());

        Assert.True(resumed.Crawl.Complete, Failures(resumed));
        Assert.Equal(0, target.DuplicateSteps);
        Assert.Equal(_data.Runs.Count, target.RunsCreated);
        Assert.Equal(resumed.Runs.Sum(r => r.Points), target.Runs.Values.Sum(r => r.Scalars.Values.Sum(s => (long)s.Count)));
        Assert.Equal(target.PointsReceived, target.Runs.Values.Sum(r => r.Scalars.Values.Sum(s => (long)s.Count)));
    }

    [Fact]
    public async Task Should_fail_only_the_run_whose_id_is_taken_in_another_project_by_default()
    {
        var target = new InMemoryImportTarget([.. _workspaces, "other"]);
        var taken = _data.Runs[0];
        await target.EnsureProjectAsync("other", "elsewhere", null, null, None);
        await target.CreateRunAsync("other", "elsewhere", new NewRun(taken.Cuid, "someone else's", null, null, [], [], null, null), None);

        var result = await ImportAsync(target, Settings());

        var failure = Assert.Single(result.Crawl.Failures);
        Assert.Equal("conflict", failure.ErrorKind);
        Assert.EndsWith(taken.Cuid, failure.RunPath, StringComparison.Ordinal);
        Assert.Equal(_data.Runs.Count - 1, result.Crawl.RunsDone);
    }

    [Fact]
    public async Task Should_skip_a_conflicting_run_with_on_conflict_skip_and_record_why()
    {
        var target = new InMemoryImportTarget(_workspaces);
        var deleted = _data.Runs[0];
        target.Deleted.Add(deleted.Cuid);

        var result = await ImportAsync(target, Settings() with { OnConflict = ConflictPolicy.Skip });

        Assert.True(result.Crawl.Complete, Failures(result));
        Assert.False(target.Runs.ContainsKey(deleted.Cuid));
        var skipped = Assert.Single(result.Runs, r => r.Conflict is not null);
        Assert.Contains("404 Disabled Resource", skipped.Conflict, StringComparison.Ordinal);
        Assert.Equal(_data.Runs.Count - 1, target.RunsCreated);
    }

    [Fact]
    public async Task Should_import_a_conflicting_run_under_a_new_id_once_and_reuse_it_on_the_next_import()
    {
        var target = new InMemoryImportTarget(_workspaces);
        var deleted = _data.Runs[0];
        target.Deleted.Add(deleted.Cuid);
        var settings = Settings() with { OnConflict = ConflictPolicy.NewId };

        var first = await ImportAsync(target, settings);
        var second = await ImportAsync(target, settings);

        Assert.True(first.Crawl.Complete, Failures(first));
        Assert.True(second.Crawl.Complete, Failures(second));
        var mapped = Assert.Single(second.Runs, r => r.NewId);
        Assert.EndsWith(deleted.Cuid, mapped.SourcePath, StringComparison.Ordinal);
        Assert.NotEqual(deleted.Cuid, mapped.Target!.Cuid);
        Assert.Equal(deleted.Name, target.Runs[mapped.Target.Cuid].Sent.Name);
        Assert.Equal(_data.Runs.Count, target.RunsCreated);
        Assert.Equal(0, second.Counts.RunsCreated);
    }

    [Fact]
    public async Task Should_fail_a_run_that_exists_on_the_target_with_another_name()
    {
        var target = new InMemoryImportTarget(_workspaces);
        var run = _data.Runs[0];
        var ws = run.Project.Workspace.Username;
        await target.EnsureProjectAsync(ws, run.Project.Name, null, null, None);
        await target.CreateRunAsync(ws, run.Project.Name, new NewRun(run.Cuid, "not the same run", null, null, [], [], null, null), None);

        var result = await ImportAsync(target, Settings());

        var failure = Assert.Single(result.Crawl.Failures);
        Assert.Equal("conflict", failure.ErrorKind);
        Assert.Contains("differs from the source", failure.Error, StringComparison.Ordinal);
        Assert.Empty(target.Runs[run.Cuid].Scalars);
    }

    [Fact]
    public async Task Should_put_every_project_of_a_mapped_workspace_into_the_target_workspace()
    {
        var source = _workspaces[0];
        var target = new InMemoryImportTarget([.. _workspaces.Where(w => w != source), "team-b"]);
        var settings = Settings() with { Mapping = ImportMapping.Parse([$"{source}=team-b"], []) };

        var result = await ImportAsync(target, settings);

        Assert.True(result.Crawl.Complete, Failures(result));
        var moved = _data.Runs.Where(r => r.Project.Workspace.Username == source).ToList();
        Assert.NotEmpty(moved);
        Assert.All(moved, r => Assert.Equal("team-b", target.Runs[r.Cuid].Workspace));
    }

    [Fact]
    public async Task Should_fail_the_workspace_naming_it_when_the_mapped_target_workspace_does_not_exist()
    {
        var source = _workspaces[0];
        var target = new InMemoryImportTarget(_workspaces);
        var settings = Settings() with { Mapping = ImportMapping.Parse([$"{source}=nobody"], []) };

        var result = await ImportAsync(target, settings);

        var failure = Assert.Single(result.Crawl.Failures);
        Assert.Equal("target", failure.ErrorKind);
        Assert.Contains("workspace 'nobody' does not exist", failure.Error, StringComparison.Ordinal);
        Assert.DoesNotContain(target.Runs.Values, r => r.Workspace == "nobody");
    }

    [Fact]
    public async Task Should_rename_a_mapped_project()
    {
        var run = _data.Runs[0];
        var from = $"{run.Project.Workspace.Username}/{run.Project.Name}";
        var target = new InMemoryImportTarget(_workspaces);

        var result = await ImportAsync(target, Settings() with { Mapping = ImportMapping.Parse([], [$"{from}={run.Project.Workspace.Username}/renamed"]) });

        Assert.True(result.Crawl.Complete, Failures(result));
        Assert.Equal("renamed", target.Runs[run.Cuid].Project);
    }

    public Task DisposeAsync()
    {
        _dir.Dispose();
        return Task.CompletedTask;
    }
}
