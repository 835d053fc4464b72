using System.Security.Cryptography;
using SwanLab.Crawler.Backup;

namespace SwanLab.Crawler.Tests.Backup;

public class AtomicFileSpecs : IDisposable
{
    private readonly TempDir _dir = new();
    private readonly BackupLayout _layout;

    public AtomicFileSpecs() => _layout = new BackupLayout(_dir.Path);

    public void Dispose() => _dir.Dispose();

    [Fact]
    public async Task Should_write_the_file_and_report_its_size_and_sha256()
    {
        var target = Path.Combine(_layout.Root, "a", "b.txt");
        var bytes = "hello\n"u8.ToArray();
        var written = await AtomicFile.WriteAllBytesAsync(_layout, target, bytes, CancellationToken.None);
        Assert.Equal("a/b.txt", written.RelativePath);
        Assert.Equal(bytes.Length, written.Bytes);
        Assert.Equal(Convert.ToHexStringLower(SHA256.HashData(bytes)), written.Sha256);
        Assert.Equal(bytes, await File.ReadAllBytesAsync(target));
        Assert.Empty(Directory.GetFiles(Path.GetDirectoryName(target)!, AtomicFile.TempPrefix + "*"));
    }

    [Fact]
    public async Task Should_leave_no_half_file_when_the_writer_throws_midway()
    {
        var target = Path.Combine(_layout.Root, "x.csv");
        await File.WriteAllTextAsync(target, "old complete content\n");
        await Assert.ThrowsAsync<InvalidOperationException>(() => AtomicFile.WriteAsync(_layout, target, async (s, ct) =>
        {
            await s.WriteAsync(new byte[200_000], ct); // more than one buffer, so bytes reach the temp file
            throw new InvalidOperationException("boom");
        }, CancellationToken.None));
        Assert.Equal("old complete content\n", await File.ReadAllTextAsync(target));
        Assert.Single(Directory.GetFiles(_layout.Root));
    }

    [Fact]
    public async Task Should_not_create_the_target_when_the_first_write_fails()
    {
        var target = Path.Combine(_layout.Root, "new.json");
        await Assert.ThrowsAsync<IOException>(() => AtomicFile.WriteAsync(_layout, target,
            (_, _) => throw new IOException("disk full"), CancellationToken.None));
        Assert.False(File.Exists(target));
        Assert.Empty(Directory.GetFiles(_layout.Root));
    }

    [Fact]
    public async Task Should_refuse_targets_outside_the_backup() =>
        await Assert.ThrowsAsync<UnsafePathException>(() => AtomicFile.WriteAllBytesAsync(_layout,
            Path.Combine(_layout.Root, "..", "escaped.txt"), new byte[1], CancellationToken.None));

    [Fact]
    public void Should_sweep_temp_files_left_by_a_crash()
    {
        Directory.CreateDirectory(Path.Combine(_layout.Root, "ws", "p"));
        File.WriteAllText(Path.Combine(_layout.Root, "ws", "p", AtomicFile.NewTempName()), "partial");
        File.WriteAllText(Path.Combine(_layout.Root, "ws", "p", ".tmp-0123456789abcdef0123456789abcdef"), "left by an older version");
        File.WriteAllText(Path.Combine(_layout.Root, "ws", "p", "project.json"), "{}");
        Assert.Equal(2, AtomicFile.SweepTempFiles(_layout.Root));
        Assert.Equal(["project.json"], Directory.GetFiles(Path.Combine(_layout.Root, "ws", "p")).Select(Path.GetFileName));
    }
}
