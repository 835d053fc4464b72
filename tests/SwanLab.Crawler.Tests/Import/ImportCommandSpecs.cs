using System.Threading.Channels;
using SwanLab.Crawler.Cli;
using SwanLab.Crawler.Configuration;
using SwanLab.Crawler.Crawl;
using SwanLab.Crawler.Import;
using SwanLab.Crawler.Source;
using SwanLab.Crawler.Tests.Backup;
using SwanLab.Crawler.Tests.Cli;
using SwanLab.Emulator;
using SwanLab.Emulator.Data;

namespace SwanLab.Crawler.Tests.Import;

/// <summary>`import` and `migrate` on the command line: exit codes, the dry-run plan, conflicts, and key hygiene for both keys.</summary>
public sealed class ImportCommandSpecs : IAsyncLifetime
{
    const string TargetKey = "TargetKey0123456789ab";
    const string SourceKey = "SourceKey0123456789ab";
    static readonly CancellationToken None = CancellationToken.None;
    readonly TempDir dir = new();
    readonly CliHarness cli = new();
    EmulatorDataset data = null!;
    string[] workspaces = [];
    string Backup => Path.Combine(dir.Path, "backup");

    public async Task InitializeAsync()
    {
        await using var server = await EmulatorServer.StartAsync(new EmulatorOptions { Size = DatasetSize.Tiny }, None);
        await BackupFolderSourceSpecs.ExportEmulatorAsync(server, new CrawlSettings { OutputDirectory = Backup, RunConcurrency = 4 });
        data = server.Dataset;
        workspaces = data.Runs.Select(r => r.Project.Workspace.Username).Distinct().ToArray();
    }

    public Task DisposeAsync()
    {
        cli.Dispose();
        dir.Dispose();
        return Task.CompletedTask;
    }

    /// <summary>A backend whose target is an in-memory server and whose "server A" for migrate is the backup folder.</summary>
    sealed class Backend(string backup, InMemoryImportTarget target) : ICrawlerBackend, IImportBackend
    {
        public List<ConnectionSettings> Connections { get; } = [];
        public InMemoryTargetReader Reader { get; } = new(target);
        public bool RejectTarget { get; init; }
        public bool RejectSource { get; init; }
        /// <summary>ConnectAsync gives the target's read side (verify --against) instead of the backup as server A.</summary>
        public bool ReadTarget { get; set; }
        public string? TargetFailureMessage { get; init; }

        public Task<ConnectedTarget> ConnectTargetAsync(ConnectionSettings connection, IRequestObserver? observer, CancellationToken ct)
        {
            Connections.Add(connection);
            if (RejectTarget) throw new CrawlerAuthenticationException(connection.DisplayHost, true, "401");
            IImportTarget t = TargetFailureMessage is { } message ? new FailingTarget(target, message) : target;
            return Task.FromResult(new ConnectedTarget(t, Reader, null));
        }

        public Task<ImportResult> ImportAsync(ImportSettings settings, ICrawlSource source, ConnectedTarget t, ChannelWriter<CrawlEvent> events,
            IReadOnlyList<string> secrets, CancellationToken ct) =>
            ImportRunner.RunAsync(settings with { Crawl = settings.Crawl with { UnitBackoffMin = TimeSpan.FromMilliseconds(1), UnitBackoffMax = TimeSpan.FromMilliseconds(5) } },
                source, t.Target, events, ct, secrets, t.Reader);

        public async Task<ConnectedSource> ConnectAsync(ConnectionSettings connection, IRequestObserver? observer, CancellationToken ct)
        {
            Connections.Add(connection);
            if (RejectSource) throw new CrawlerAuthenticationException(connection.DisplayHost, true, "401");
            if (ReadTarget) return new ConnectedSource(Reader, null);
            return new ConnectedSource(await BackupFolderSource.OpenAsync(backup, ct), null);
        }

        public Task<DemoServer> StartDemoAsync(CancellationToken ct) => throw new NotSupportedException();
        public Task<PlanView> PlanAsync(CrawlSettings settings, ICrawlSource source, CancellationToken ct) => throw new NotSupportedException();
        public Task<CrawlResult> RunAsync(CrawlSettings settings, ICrawlSource source, ChannelWriter<CrawlEvent> events, CancellationToken ct) => throw new NotSupportedException();
        public Task<StatusView> ReadStatusAsync(string backupFolder, CancellationToken ct) => throw new NotSupportedException();
        public Task<VerifyView> VerifyAsync(string backupFolder, CancellationToken ct) => throw new NotSupportedException();
    }

    /// <summary>A target whose scalar uploads fail with a message (which may carry a key, as a leaky library might).</summary>
    sealed class FailingTarget(InMemoryImportTarget inner, string message) : IImportTarget
    {
        public SourceIdentity Identity => inner.Identity;
        public int MaxRecordsPerRequest => inner.MaxRecordsPerRequest;
        public Task<bool> WorkspaceExistsAsync(string workspace, CancellationToken ct) => inner.WorkspaceExistsAsync(workspace, ct);
        public Task<string> EnsureProjectAsync(string w, string p, string? d, string? v, CancellationToken ct) => inner.EnsureProjectAsync(w, p, d, v, ct);
        public Task<CreatedRun?> FindRunAsync(string w, string p, string c, CancellationToken ct) => inner.FindRunAsync(w, p, c, ct);
        public Task<CreatedRun> CreateRunAsync(string w, string p, NewRun run, CancellationToken ct) => inner.CreateRunAsync(w, p, run, ct);
        public Task UpdateProfileAsync(TargetRun run, string field, System.Text.Json.JsonElement value, CancellationToken ct) => inner.UpdateProfileAsync(run, field, value, ct);
        public Task<TargetSummary> ResumeSummaryAsync(TargetRun run, CancellationToken ct) => inner.ResumeSummaryAsync(run, ct);
        public Task UploadScalarsAsync(TargetRun run, string key, ReadOnlyMemory<SeriesPoint> points, CancellationToken ct) => throw new InvalidOperationException(message);
        public Task UploadLogsAsync(TargetRun run, IReadOnlyList<SwanLab.Crawler.Source.LogLine> lines, CancellationToken ct) => inner.UploadLogsAsync(run, lines, ct);
        public Task UploadMediaAsync(TargetRun run, IReadOnlyList<MediaUpload> step, CancellationToken ct) => inner.UploadMediaAsync(run, step, ct);
        public Task FinishRunAsync(TargetRun run, string state, string? finishedAt, CancellationToken ct) => inner.FinishRunAsync(run, state, finishedAt, ct);
    }

    Task<CliOutcome> Import(Backend backend, params string[] more) =>
        cli.RunAsync(backend, ["import", "--from", Backup, "--host", "http://target.test", "--api-key", TargetKey, .. more]);

    [Fact]
    public async Task Should_exit_0_after_importing_everything_and_upload_nothing_when_run_again()
    {
        var target = new InMemoryImportTarget(workspaces);
        var backend = new Backend(Backup, target);

        var first = await Import(backend);
        var points = target.PointsReceived;
        var second = await Import(backend);

        Assert.Equal(ExitCodes.Complete, first.ExitCode);
        Assert.Equal(ExitCodes.Complete, second.ExitCode);
        Assert.Equal(data.Runs.Count, target.RunsCreated);
        Assert.Equal(points, target.PointsReceived);
        Assert.Contains("0 points, 0 log lines, 0 media files", second.Out, StringComparison.Ordinal);
        // The backup keeps captions in media.jsonl, so none are reported lost.
        Assert.DoesNotContain("media captions", first.Out, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Should_exit_1_when_the_target_reads_back_different_from_the_backup_and_say_what_differs()
    {
        var target = new InMemoryImportTarget(workspaces);
        var backend = new Backend(Backup, target);
        var run = data.Runs.First(r => data.DataOwner(r).Scalars.Count > 0);
        backend.Reader.DropLastPoint.Add($"{run.Project.Workspace.Username}/{run.Project.Name}/{run.Cuid}");

        var outcome = await Import(backend);

        Assert.Equal(ExitCodes.FinishedWithFailures, outcome.ExitCode);
        Assert.Contains($"{data.Runs.Count - 1} of {data.Runs.Count} run(s) match the source", outcome.Out, StringComparison.Ordinal);
        Assert.Contains($"differs {run.Project.Workspace.Username}/{run.Project.Name}/{run.Cuid}", outcome.Out, StringComparison.Ordinal);
        Assert.Contains("on the target", outcome.Out, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Should_verify_a_backup_against_a_server_exit_0_when_equal_and_1_naming_what_differs()
    {
        var target = new InMemoryImportTarget(workspaces);
        var backend = new Backend(Backup, target);
        await Import(backend);
        backend.ReadTarget = true;

        var equal = await cli.RunAsync(backend, "verify", "--out", Backup, "--against", "http://target.test");
        var run = data.Runs.First(r => data.DataOwner(r).Scalars.Count > 0);
        var path = $"{run.Project.Workspace.Username}/{run.Project.Name}/{run.Cuid}";
        backend.Reader.DropLastPoint.Add(path);
        var differs = await cli.RunAsync(backend, "verify", "--out", Backup, "--against", "http://target.test");

        Assert.True(equal.ExitCode == ExitCodes.Complete, equal.ToString());
        Assert.Contains($"{data.Runs.Count} of {data.Runs.Count} run(s) match the backup", equal.Out, StringComparison.Ordinal);
        Assert.Equal(ExitCodes.FinishedWithFailures, differs.ExitCode);
        Assert.Contains($"differs {path}", differs.Out, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Should_exit_1_naming_the_run_whose_id_is_taken_in_another_project()
    {
        var target = new InMemoryImportTarget([.. workspaces, "other"]);
        var taken = data.Runs[0];
        await target.EnsureProjectAsync("other", "p", null, null, None);
        await target.CreateRunAsync("other", "p", new NewRun(taken.Cuid, "x", null, null, [], [], null, null), None);

        var outcome = await Import(new Backend(Backup, target));

        Assert.Equal(ExitCodes.FinishedWithFailures, outcome.ExitCode);
        Assert.Contains($"{taken.Cuid} (conflict)", outcome.Out, StringComparison.Ordinal);
        Assert.Contains("--on-conflict skip", outcome.Out, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("--on-conflict", "rename")]
    [InlineData("--map-workspace", "alice")]
    [InlineData("--map-project", "alice=bob")]
    [InlineData("--state", "DONE")]
    public async Task Should_exit_2_for_a_bad_value(string flag, string value)
    {
        var outcome = await Import(new Backend(Backup, new InMemoryImportTarget(workspaces)), flag, value);

        Assert.Equal(ExitCodes.UsageError, outcome.ExitCode);
        Assert.Contains(flag, outcome.Error, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Should_exit_2_when_the_folder_is_not_a_backup()
    {
        var outcome = await cli.RunAsync(new Backend(Backup, new InMemoryImportTarget(workspaces)), "import", "--from", dir.Path, "--host", "http://t");

        Assert.Equal(ExitCodes.UsageError, outcome.ExitCode);
        Assert.Contains("manifest.jsonl", outcome.Error, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Should_exit_3_when_the_target_rejects_its_key_and_when_the_source_rejects_its_key()
    {
        var target = new InMemoryImportTarget(workspaces);

        var import = await Import(new Backend(Backup, target) { RejectTarget = true });
        var migrate = await cli.RunAsync(new Backend(Backup, target) { RejectSource = true }, "migrate", "--from-host", "http://a.test",
            "--to-host", "http://b.test", "--state-dir", Path.Combine(dir.Path, "s"));

        Assert.Equal(ExitCodes.AuthenticationError, import.ExitCode);
        Assert.Contains("target:", import.Error, StringComparison.Ordinal);
        Assert.Equal(ExitCodes.AuthenticationError, migrate.ExitCode);
        Assert.Contains("source:", migrate.Error, StringComparison.Ordinal);
        Assert.Equal(0, target.RunsCreated);
    }

    [Fact]
    public async Task Should_print_a_plan_per_run_and_send_nothing_on_dry_run()
    {
        var target = new InMemoryImportTarget(workspaces);
        var backend = new Backend(Backup, target);

        var before = await Import(backend, "--dry-run");
        Assert.Equal(0, target.RunsCreated);
        await Import(backend);
        var after = await Import(backend, "--dry-run");

        Assert.Equal(ExitCodes.Complete, before.ExitCode);
        Assert.Contains($"Dry run: {data.Runs.Count} to create, 0 to resume, 0 to skip", before.Out, StringComparison.Ordinal);
        Assert.Contains($"Dry run: 0 to create, 0 to resume, {data.Runs.Count} to skip", after.Out, StringComparison.Ordinal);
        Assert.Contains("about 0 upload requests", after.Out, StringComparison.Ordinal);
        Assert.Equal(data.Runs.Count, target.RunsCreated);
    }

    [Fact]
    public async Task Should_migrate_every_run_and_give_each_side_only_its_own_key()
    {
        cli.Environment["SWANLAB_API_KEY"] = "SharedKey0123456789ab";
        cli.Environment[TransferCommand.FromKeyVariable] = SourceKey;
        var target = new InMemoryImportTarget(workspaces);
        var backend = new Backend(Backup, target);

        var outcome = await cli.RunAsync(backend, "migrate", "--from-host", "http://a.test", "--to-host", "http://b.test",
            "--to-api-key", TargetKey, "--state-dir", Path.Combine(dir.Path, "state"));

        Assert.True(outcome.ExitCode == ExitCodes.Complete, outcome.ToString());
        Assert.Equal(data.Runs.Count, target.RunsCreated);
        var from = Assert.Single(backend.Connections, c => c.Host == "http://a.test");
        var to = Assert.Single(backend.Connections, c => c.Host == "http://b.test");
        Assert.Equal(SourceKey, from.ApiKey);
        Assert.Equal(TargetKey, to.ApiKey);
        Assert.Null(from.ClientEnvironment!.Get("SWANLAB_API_KEY"));
        Assert.Null(to.ClientEnvironment!.Get("SWANLAB_API_KEY"));
    }

    [Fact]
    public async Task Should_never_print_or_store_either_key_even_when_an_error_message_carries_it()
    {
        cli.Environment[TransferCommand.FromKeyVariable] = SourceKey;
        var target = new InMemoryImportTarget(workspaces);
        var backend = new Backend(Backup, target) { TargetFailureMessage = $"upload refused for key {TargetKey} (source {SourceKey})" };
        var state = Path.Combine(dir.Path, "state");

        var outcome = await cli.RunAsync(backend, "migrate", "--from-host", "http://a.test", "--to-host", "http://b.test",
            "--to-api-key", TargetKey, "--state-dir", state);

        Assert.Equal(ExitCodes.FinishedWithFailures, outcome.ExitCode);
        Assert.Contains("upload refused for key ***", outcome.All, StringComparison.Ordinal);
        Assert.DoesNotContain(TargetKey, outcome.All, StringComparison.Ordinal);
        Assert.DoesNotContain(SourceKey, outcome.All, StringComparison.Ordinal);
        foreach (var file in Directory.EnumerateFiles(state, "*", SearchOption.AllDirectories))
        {
            var text = await File.ReadAllTextAsync(file);
            Assert.DoesNotContain(TargetKey, text, StringComparison.Ordinal);
            Assert.DoesNotContain(SourceKey, text, StringComparison.Ordinal);
        }
    }

    [Fact]
    public async Task Should_exit_2_and_send_nothing_while_an_export_or_another_import_holds_the_backup_folder()
    {
        var target = new InMemoryImportTarget(workspaces);
        var backend = new Backend(Backup, target);
        CliOutcome refused;
        using (SwanLab.Crawler.Backup.BackupLock.Acquire(new SwanLab.Crawler.Backup.BackupLayout(Backup), "export"))
            refused = await Import(backend);
        var afterRelease = await Import(backend);
        using var free = SwanLab.Crawler.Backup.BackupLock.Acquire(new SwanLab.Crawler.Backup.BackupLayout(Backup), "export");

        Assert.True(refused.ExitCode == ExitCodes.UsageError, refused.ToString());
        Assert.Contains($"is in use by pid {Environment.ProcessId}", refused.Error, StringComparison.Ordinal);
        Assert.Equal(ExitCodes.Complete, afterRelease.ExitCode);
        Assert.Equal(data.Runs.Count, target.RunsCreated);
    }

    [Fact]
    public async Task Should_exit_2_while_another_migrate_holds_the_state_folder()
    {
        cli.Environment[TransferCommand.FromKeyVariable] = SourceKey;
        var target = new InMemoryImportTarget(workspaces);
        var state = Path.Combine(dir.Path, "state");
        Directory.CreateDirectory(state);

        CliOutcome refused;
        using (SwanLab.Crawler.Backup.BackupLock.Acquire(new SwanLab.Crawler.Backup.BackupLayout(state), "migrate"))
            refused = await cli.RunAsync(new Backend(Backup, target), "migrate", "--from-host", "http://a.test", "--to-host", "http://b.test",
                "--to-api-key", TargetKey, "--state-dir", state);

        Assert.True(refused.ExitCode == ExitCodes.UsageError, refused.ToString());
        Assert.Contains($"is in use by pid {Environment.ProcessId}", refused.Error, StringComparison.Ordinal);
        Assert.Equal(0, target.RunsCreated);
    }

    [Fact]
    public async Task Should_print_one_json_result_with_counts_and_under_dry_run_the_plan()
    {
        var target = new InMemoryImportTarget(workspaces);
        var backend = new Backend(Backup, target);

        var plan = await Import(backend, "--dry-run", "--json");
        var import = await Import(backend, "--json");
        var quiet = await Import(backend, "--quiet");

        using var planJson = System.Text.Json.JsonDocument.Parse(plan.Out);
        Assert.Equal("import", planJson.RootElement.GetProperty("command").GetString());
        Assert.Equal(0, planJson.RootElement.GetProperty("exitCode").GetInt32());
        Assert.Equal(data.Runs.Count, planJson.RootElement.GetProperty("plan").GetArrayLength());
        Assert.Equal(data.Runs.Count, planJson.RootElement.GetProperty("runs").GetProperty("toCreate").GetInt32());
        using var result = System.Text.Json.JsonDocument.Parse(import.Out);
        var root = result.RootElement;
        Assert.Equal(0, root.GetProperty("exitCode").GetInt32());
        Assert.True(root.GetProperty("complete").GetBoolean());
        Assert.Equal(data.Runs.Count, root.GetProperty("runs").GetProperty("total").GetInt32());
        Assert.Equal(target.PointsReceived, root.GetProperty("uploaded").GetProperty("points").GetInt64());
        Assert.True(root.GetProperty("verification").GetProperty("allMatched").GetBoolean());
        Assert.Equal(0, root.GetProperty("failures").GetArrayLength());
        Assert.Contains("Importing from", import.Error, StringComparison.Ordinal); // human text moved to stderr
        Assert.Equal((ExitCodes.Complete, ""), (quiet.ExitCode, quiet.Out));
        var log = await File.ReadAllTextAsync(root.GetProperty("log").GetString()!);
        Assert.Contains("import exited 0", log, StringComparison.Ordinal);
        Assert.StartsWith(Path.Combine(Backup, ".swanlab-crawler"), root.GetProperty("log").GetString()!, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Should_keep_both_keys_out_of_the_json_result_and_the_log()
    {
        cli.Environment[TransferCommand.FromKeyVariable] = SourceKey;
        var target = new InMemoryImportTarget(workspaces);
        var backend = new Backend(Backup, target) { TargetFailureMessage = $"upload refused for key {TargetKey} (source {SourceKey})" };
        var state = Path.Combine(dir.Path, "state");

        var outcome = await cli.RunAsync(backend, "migrate", "--from-host", "http://a.test", "--to-host", "http://b.test",
            "--to-api-key", TargetKey, "--state-dir", state, "--json");

        using var result = System.Text.Json.JsonDocument.Parse(outcome.Out);
        Assert.Equal(ExitCodes.FinishedWithFailures, result.RootElement.GetProperty("exitCode").GetInt32());
        Assert.Contains("upload refused for key ***", result.RootElement.GetProperty("failures")[0].GetProperty("error").GetString(), StringComparison.Ordinal);
        var log = await File.ReadAllTextAsync(Path.Combine(state, ".swanlab-crawler", "crawler.log"));
        Assert.Contains("upload refused for key ***", log, StringComparison.Ordinal);
        foreach (var text in new[] { outcome.All, log })
        {
            Assert.DoesNotContain(TargetKey, text, StringComparison.Ordinal);
            Assert.DoesNotContain(SourceKey, text, StringComparison.Ordinal);
        }
    }

    [Fact]
    public async Task Should_name_the_exception_behind_an_error_only_under_verbose()
    {
        var backend = new Backend(Backup, new InMemoryImportTarget(workspaces)) { RejectTarget = true };

        var plain = await Import(backend);
        var verbose = await Import(backend, "--verbose");

        Assert.Equal((ExitCodes.AuthenticationError, ExitCodes.AuthenticationError), (plain.ExitCode, verbose.ExitCode));
        Assert.Contains("target: the server at http://target.test rejected the API key.", plain.Error, StringComparison.Ordinal);
        Assert.DoesNotContain("Exception", plain.All, StringComparison.Ordinal);
        Assert.Contains(nameof(CrawlerAuthenticationException), verbose.Error, StringComparison.Ordinal);
    }
}
