using SwanLab.Crawler.Backup;
using SwanLab.Crawler.Cli;
using SwanLab.Crawler.Tests.Backup;
using SwanLab.Emulator;

namespace SwanLab.Crawler.Tests.Cli;

/// <summary>
/// --out at a folder of someone else's files is refused without touching it; --allow-non-empty exports into it and
/// still never adopts (manifest) or deletes (temp sweep) a file the tool did not write.
/// </summary>
public sealed class ForeignFolderSpecs : IAsyncLifetime, IDisposable
{
    static readonly string[] UserFiles = ["mydata.txt", "sub/z", ".tmp-important", "docs/.tmp-draft.txt", ".tmp-notes.csv"];
    readonly CliHarness cli = new();
    EmulatorServer server = null!;

    public async Task InitializeAsync() =>
        server = await EmulatorServer.StartAsync(new EmulatorOptions { Size = DatasetSize.Tiny });

    public async Task DisposeAsync() => await server.DisposeAsync();

    public void Dispose() => cli.Dispose();

    string Out => Path.Combine(cli.WorkDirectory, "mine");

    void FillWithUserFiles()
    {
        foreach (var relative in UserFiles)
        {
            var full = Path.Combine(Out, relative);
            Directory.CreateDirectory(Path.GetDirectoryName(full)!);
            File.WriteAllText(full, "the user's own " + relative);
        }
    }

    Task<CliOutcome> ExportAsync(params string[] extra) =>
        cli.RunAsync(new ProductionBackend(),
            ["export", "--host", server.BaseUrl.ToString().TrimEnd('/'), "--api-key", server.ApiKey, "--out", Out, .. extra]);

    [Fact]
    public async Task Should_exit_2_and_change_nothing_when_out_holds_files_and_is_not_a_backup()
    {
        FillWithUserFiles();
        var before = BackupTree.Hashes(Out);

        var outcome = await ExportAsync();

        Assert.True(outcome.ExitCode == ExitCodes.UsageError, outcome.ToString());
        Assert.Contains("is not a swanlab-crawler backup", outcome.Error, StringComparison.Ordinal);
        Assert.Contains("--allow-non-empty", outcome.Error, StringComparison.Ordinal);
        Assert.DoesNotContain("Signed in", outcome.Out, StringComparison.Ordinal);
        Assert.Equal(before, BackupTree.Hashes(Out));
        Assert.Equal(UserFiles.Length, Directory.EnumerateFileSystemEntries(Out, "*", SearchOption.AllDirectories).Count(File.Exists));
        Assert.False(Directory.Exists(Path.Combine(Out, BackupLayout.StateFolderName)));
    }

    [Fact]
    public async Task Should_export_into_it_when_allowed_without_adopting_or_deleting_the_users_files()
    {
        FillWithUserFiles();
        var before = BackupTree.Hashes(Out);

        var first = await ExportAsync("--allow-non-empty");
        var again = await ExportAsync("--allow-non-empty");

        Assert.True(first.ExitCode == ExitCodes.Complete, first.ToString());
        Assert.True(again.ExitCode == ExitCodes.Complete, again.ToString());
        var after = BackupTree.Hashes(Out);
        foreach (var (relative, hash) in before)
            Assert.Equal(hash, after.GetValueOrDefault(relative));
        var manifest = (await ManifestWriter.ReadAsync(new BackupLayout(Out), CancellationToken.None)).Select(f => f.RelativePath).ToList();
        Assert.NotEmpty(manifest);
        Assert.Empty(manifest.Intersect(UserFiles));
        // They are not the backup's, so verify names them as extra.
        var verify = await BackupVerifier.VerifyAsync(Out, CancellationToken.None);
        Assert.Equal(UserFiles.Order(StringComparer.Ordinal),
            verify.Problems.Where(p => p.Kind == VerifyProblemKind.Extra).Select(p => p.Path).Order(StringComparer.Ordinal));
    }

    [Fact]
    public async Task Should_sweep_only_temp_files_this_tool_names_when_resuming()
    {
        Assert.Equal(ExitCodes.Complete, (await ExportAsync()).ExitCode);
        var run = Directory.EnumerateFiles(Out, BackupLayout.RunFileName, SearchOption.AllDirectories).First();
        var ours = Path.Combine(Path.GetDirectoryName(run)!, AtomicFile.NewTempName());
        File.WriteAllText(ours, "half a file a crash left");
        var users = new[] { Path.Combine(Out, ".tmp-important"), Path.Combine(Out, "docs", ".tmp-draft.txt") };
        Directory.CreateDirectory(Path.Combine(Out, "docs"));
        foreach (var file in users) File.WriteAllText(file, "keep me");

        var resumed = await ExportAsync();

        Assert.True(resumed.ExitCode == ExitCodes.Complete, resumed.ToString());
        Assert.False(File.Exists(ours));
        Assert.All(users, file => Assert.Equal("keep me", File.ReadAllText(file)));
    }
}
