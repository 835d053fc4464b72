using SwanLab.Crawler.Backup;

namespace SwanLab.Crawler.Tests.Backup;

public class BackupStatusReaderSpecs : IDisposable
{
    private readonly TempDir _dir = new();
    private readonly BackupLayout _layout;

    public BackupStatusReaderSpecs() => _layout = new BackupLayout(_dir.Path);

    public void Dispose() => _dir.Dispose();

    private static CheckpointEntry Entry(string path, UnitStatus status) =>
        new(path, status, "FINISHED|t", [], status == UnitStatus.Failed ? "http" : null, status == UnitStatus.Failed ? "boom" : null, 1);

    [Fact]
    public async Task Should_report_done_failed_and_left_by_workspace_and_project()
    {
        await using (var store = new FileCheckpointStore(_layout))
        {
            await store.RecordAsync(Entry("alice/demo/r1", UnitStatus.Done), CancellationToken.None);
            await store.RecordAsync(Entry("alice/demo/r2", UnitStatus.Failed), CancellationToken.None);
            await store.RecordAsync(Entry("alice/other/r1", UnitStatus.Done), CancellationToken.None);
            await store.RecordAsync(Entry("team/p/r9", UnitStatus.Failed), CancellationToken.None);
            await store.RecordAsync(Entry("team/p/r9", UnitStatus.Done), CancellationToken.None);
            await store.RecordAsync(Entry("team/broken", UnitStatus.Failed), CancellationToken.None);
        }
        await new DiscoveryLog(_layout).RecordAsync(
            ["alice/demo/r1", "alice/demo/r2", "alice/demo/r3", "alice/other/r1", "team/p/r9", "team/p/r10", "team/p/r10"],
            CancellationToken.None);

        var report = await BackupStatusReader.ReadAsync(_layout.Root, CancellationToken.None);

        Assert.Equal((3, 1, 2), (report.Done, report.Failed, report.Left));
        Assert.Equal(["alice/demo/r2", "team/broken"], report.Failures.Select(f => f.RunPath));
        var alice = report.Workspaces[0];
        Assert.Equal(("alice", 2, 1, (int?)1), (alice.Workspace, alice.Done, alice.Failed, alice.Left));
        Assert.Equal([new ProjectStatus("alice/demo", 1, 1, 1), new ProjectStatus("alice/other", 1, 0, 0)], alice.Projects);
        Assert.Equal(new ProjectStatus("team/p", 1, 0, 1), Assert.Single(report.Workspaces[1].Projects));
    }

    [Fact]
    public async Task Should_forget_discovery_on_reset()
    {
        await new DiscoveryLog(_layout).RecordAsync(["a/p/r"], CancellationToken.None);
        await using (var store = new FileCheckpointStore(_layout))
        {
            await store.RecordAsync(Entry("a/p/x", UnitStatus.Done), CancellationToken.None);
            await store.ResetAsync(CancellationToken.None);
        }
        Assert.Empty(await new DiscoveryLog(_layout).ReadAsync(CancellationToken.None));
    }

    [Fact]
    public async Task Should_refuse_a_folder_that_is_not_a_backup() =>
        await Assert.ThrowsAsync<NotABackupException>(() => BackupStatusReader.ReadAsync(_layout.Root, CancellationToken.None));
}
