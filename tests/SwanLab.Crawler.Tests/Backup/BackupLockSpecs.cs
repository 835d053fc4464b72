using SwanLab.Crawler.Backup;

namespace SwanLab.Crawler.Tests.Backup;

public class BackupLockSpecs : IDisposable
{
    private readonly TempDir _dir = new();

    public void Dispose() => _dir.Dispose();

    [Fact]
    public void Should_refuse_a_second_writer_until_the_first_lets_go()
    {
        var layout = new BackupLayout(_dir.Path);
        using (BackupLock.Acquire(layout, "export"))
        {
            var e = Assert.Throws<BackupInUseException>(() => BackupLock.Acquire(layout, "export"));
            Assert.Contains(layout.Root, e.Message, StringComparison.Ordinal);
        }
        using var again = BackupLock.Acquire(layout, "export");
        Assert.True(BackupLayout.IsPrivate(layout.RelativePath(Path.Combine(layout.StateDirectory, BackupLock.FileName))));
    }
}
