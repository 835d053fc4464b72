using SwanLab.Crawler.Backup;

namespace SwanLab.Crawler.Tests.Backup;

public class BackupLayoutSpecs
{
    private readonly BackupLayout _layout = new(Path.Combine(Path.GetTempPath(), "layout-root"));

    [Fact]
    public void Should_place_every_file_of_the_format()
    {
        var run = "alice/demo/abc123";
        Assert.Equal("backup.json", _layout.RelativePath(_layout.BackupInfoFile));
        Assert.Equal("manifest.jsonl", _layout.RelativePath(_layout.ManifestFile));
        Assert.Equal("errors.jsonl", _layout.RelativePath(_layout.ErrorsFile));
        Assert.Equal("alice/workspace.json", _layout.RelativePath(_layout.WorkspaceFile("alice")));
        Assert.Equal("alice/demo/project.json", _layout.RelativePath(_layout.ProjectFile("alice", "demo")));
        Assert.Equal("alice/demo/abc123/run.json", _layout.RelativePath(_layout.RunFile(run)));
        Assert.Equal("alice/demo/abc123/logs.jsonl", _layout.RelativePath(_layout.LogsFile(run)));
        Assert.Equal("alice/demo/abc123/metrics/index.json", _layout.RelativePath(_layout.MetricsIndexFile(run)));
        Assert.Equal("alice/demo/abc123/metrics/train%2Floss.csv", _layout.RelativePath(_layout.SeriesFile(run, "train/loss", SeriesFormat.Csv)));
        Assert.Equal("alice/demo/abc123/metrics/train%2Floss.jsonl", _layout.RelativePath(_layout.SeriesFile(run, "train/loss", SeriesFormat.Jsonl)));
        Assert.Equal("alice/demo/abc123/media/image/5-000-1a2b.png",
            _layout.RelativePath(_layout.MediaFile(run, "image", 5, "media/image/000-1a2b.png")));
        Assert.Equal(".swanlab-crawler/checkpoint.jsonl", _layout.RelativePath(_layout.CheckpointFile));
    }

    [Theory]
    [InlineData("..", "..", "..")]
    [InlineData(".", "..", "x")]
    [InlineData("a\\..\\..", "b", "c")]
    [InlineData("", "", "")]
    [InlineData(".swanlab-crawler", "x", "y")]
    public void Should_keep_hostile_names_inside_the_backup(string ws, string project, string run)
    {
        var dir = _layout.RunDirectory($"{ws}/{project}/{run}");
        Assert.StartsWith(_layout.Root + Path.DirectorySeparatorChar, dir);
        var relative = _layout.RelativePath(dir);
        Assert.Equal(3, relative.Split('/').Length);
        Assert.False(BackupLayout.IsPrivate(relative));
    }

    [Theory]
    [InlineData("../outside")]
    [InlineData("a/../../outside")]
    [InlineData("/etc/passwd")]
    [InlineData("a/./b")]
    [InlineData("a//b")]
    [InlineData("a\\..\\..\\b")]
    [InlineData("")]
    public void Should_refuse_relative_paths_that_leave_the_backup(string relative) =>
        Assert.Throws<UnsafePathException>(() => _layout.FullPath(relative));

    [Fact]
    public void Should_refuse_absolute_paths_outside_the_root()
    {
        Assert.Throws<UnsafePathException>(() => _layout.RelativePath(Path.Combine(Path.GetTempPath(), "elsewhere", "x")));
        Assert.Throws<UnsafePathException>(() => _layout.RelativePath(_layout.Root + "-sibling" + Path.DirectorySeparatorChar + "x"));
        Assert.Throws<UnsafePathException>(() => _layout.RelativePath(_layout.Root));
    }

    [Fact]
    public void Should_reject_run_paths_without_three_parts() =>
        Assert.Throws<ArgumentException>(() => _layout.RunDirectory("alice/demo"));

    [Theory]
    [InlineData(".swanlab-crawler/checkpoint.jsonl", true)]
    [InlineData("alice/demo/x/metrics/.swanlab-crawler-tmp-0123456789abcdef0123456789abcdef", true)]
    [InlineData("alice/demo/x/metrics/.tmp-abc", false)]
    [InlineData("docs/.tmp-draft.txt", false)]
    [InlineData("alice/demo/x/run.json", false)]
    public void Should_tell_private_files_from_content(string relative, bool expected) =>
        Assert.Equal(expected, BackupLayout.IsPrivate(relative));
}
