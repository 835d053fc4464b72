using System.Text.Json;
using SwanLab.Crawler.Backup;
using SwanLab.Crawler.View;

namespace SwanLab.Crawler.Tests.View;

public sealed class ViewSiteSpecs : IDisposable
{
    readonly List<string> _folders = [];

    string NewBackup(int points = 10_000)
    {
        var root = ViewFixture.Create(points);
        _folders.Add(root);
        return root;
    }

    [Fact]
    public async Task Should_write_the_same_bytes_for_the_same_backup()
    {
        var a = NewBackup();
        var b = NewBackup();

        await ViewSite.WriteAsync(a, ViewSite.DefaultMaxPoints, CancellationToken.None);
        await ViewSite.WriteAsync(b, ViewSite.DefaultMaxPoints, CancellationToken.None);
        var first = ViewFixture.Snapshot(a, r => r.StartsWith("view/", StringComparison.Ordinal));
        await ViewSite.WriteAsync(a, ViewSite.DefaultMaxPoints, CancellationToken.None);

        Assert.NotEmpty(first);
        Assert.Equal(first, ViewFixture.Snapshot(b, r => r.StartsWith("view/", StringComparison.Ordinal)));
        Assert.Equal(first, ViewFixture.Snapshot(a, r => r.StartsWith("view/", StringComparison.Ordinal)));
    }

    [Fact]
    public async Task Should_write_nothing_outside_the_view_folder_and_list_every_file_it_wrote()
    {
        var root = NewBackup();
        var before = ViewFixture.Snapshot(root);

        await ViewSite.WriteAsync(root, ViewSite.DefaultMaxPoints, CancellationToken.None);

        Assert.Equal(before, ViewFixture.Snapshot(root, r => !r.StartsWith("view/", StringComparison.Ordinal)));
        var written = ViewFixture.Snapshot(root, r => r.StartsWith("view/", StringComparison.Ordinal)).Keys.ToHashSet();
        Assert.Equal(written, ViewSite.ListedFiles(new BackupLayout(root)).ToHashSet());
        Assert.DoesNotContain(ManifestWriter.EnumerateContentFiles(new BackupLayout(root)), f => f.Contains("/view/", StringComparison.Ordinal));
    }

    [Fact]
    public async Task Should_draw_a_long_series_from_at_most_max_points_keeping_its_first_and_last_step()
    {
        var root = NewBackup(points: 50_000);

        await ViewSite.WriteAsync(root, 500, CancellationToken.None);

        var series = ReadJsonp(Path.Combine(root, "view/data/s0.js")).GetProperty("train/loss");
        var steps = series.GetProperty("step").EnumerateArray().Select(s => s.GetInt64()).ToList();
        Assert.Equal(500, steps.Count);
        Assert.Equal(0, steps[0]);
        Assert.Equal(49_999, steps[^1]);
        Assert.Equal(50_000, series.GetProperty("points").GetInt64());
        Assert.Equal(20, ReadJsonp(Path.Combine(root, "view/data/s1.js")).GetProperty("train/loss").GetProperty("step").GetArrayLength());
    }

    [Fact]
    public async Task Should_keep_names_as_data_and_never_as_markup()
    {
        var root = NewBackup(points: 10);

        await ViewSite.WriteAsync(root, ViewSite.DefaultMaxPoints, CancellationToken.None);

        var index = ReadJsonp(Path.Combine(root, "view/data/index.js"));
        var names = index.GetProperty("runs").EnumerateArray().Select(r => r.GetProperty("name").GetString()).ToList();
        Assert.Equal([ViewFixture.HostileName, ViewFixture.UnicodeName], names);
        // The only HTML page is the fixed one; no name reaches it.
        var page = File.ReadAllText(Path.Combine(root, "view/index.html"));
        Assert.DoesNotContain("xss", page, StringComparison.Ordinal);
        Assert.DoesNotContain("innerHTML", File.ReadAllText(Path.Combine(root, "view/assets/app.js")), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Should_remove_files_of_an_earlier_site_that_the_backup_no_longer_has()
    {
        var root = NewBackup(points: 10);
        await ViewSite.WriteAsync(root, ViewSite.DefaultMaxPoints, CancellationToken.None);
        Directory.Delete(Path.Combine(root, "alice/proj/run2"), recursive: true);
        ViewFixture.Write(root, "view/notes.txt", "mine");

        await ViewSite.WriteAsync(root, ViewSite.DefaultMaxPoints, CancellationToken.None);

        Assert.False(File.Exists(Path.Combine(root, "view/data/r1.js")));
        Assert.True(File.Exists(Path.Combine(root, "view/notes.txt")), "a file the site never listed is not the site's to delete");
    }

    [Fact]
    public async Task Should_refuse_when_the_view_folder_is_a_workspace_of_the_backup()
    {
        var root = NewBackup(points: 10);
        ViewFixture.Write(root, "view/workspace.json", "{\"username\": \"view\"}\n");

        await Assert.ThrowsAsync<ViewFolderTakenException>(() => ViewSite.WriteAsync(root, ViewSite.DefaultMaxPoints, CancellationToken.None));
    }

    internal static JsonElement ReadJsonp(string path)
    {
        var text = File.ReadAllText(path);
        var start = text.IndexOf(',', StringComparison.Ordinal) + 1;
        var end = text.LastIndexOf(')');
        return JsonDocument.Parse(text[start..end]).RootElement.Clone();
    }

    public void Dispose()
    {
        foreach (var f in _folders)
            try { Directory.Delete(f, recursive: true); } catch (IOException) { }
    }
}

public sealed class ViewCommandSpecs
{
    [Fact]
    public async Task Should_exit_2_naming_the_folder_when_it_is_not_a_backup()
    {
        using var cli = new Cli.CliHarness();
        var folder = Path.Combine(cli.WorkDirectory, "photos");
        Directory.CreateDirectory(folder);
        File.WriteAllText(Path.Combine(folder, "a.txt"), "mine");

        var outcome = await cli.RunAsync(new Cli.FakeBackend(), "view", "--out", folder);

        Assert.True(outcome.ExitCode == 2, outcome.ToString());
        Assert.Contains("not a backup", outcome.Error, StringComparison.Ordinal);
        Assert.False(Directory.Exists(Path.Combine(folder, ViewSite.FolderName)));
    }

    [Fact]
    public async Task Should_write_the_site_and_say_where_to_open_it()
    {
        using var cli = new Cli.CliHarness();
        var root = ViewFixture.Create(10);
        try
        {
            var outcome = await cli.RunAsync(new Cli.FakeBackend(), "view", "--out", root, "--json");

            Assert.True(outcome.ExitCode == 0, outcome.ToString());
            using var result = JsonDocument.Parse(outcome.Out);
            Assert.Equal(2, result.RootElement.GetProperty("runs").GetInt32());
            Assert.True(File.Exists(result.RootElement.GetProperty("index").GetString()));
        }
        finally
        {
            Directory.Delete(root, recursive: true);
        }
    }
}

public sealed class DamagedBackupViewSpecs
{
    [Fact]
    public async Task Should_still_write_the_site_when_a_series_file_is_shorter_than_its_index_says()
    {
        var root = ViewFixture.Create(100);
        try
        {
            var csv = Path.Combine(root, "alice/proj/run1/metrics/train%2Floss.csv");
            File.WriteAllLines(csv, File.ReadAllLines(csv).Take(50));

            await ViewSite.WriteAsync(root, ViewSite.DefaultMaxPoints, CancellationToken.None);

            var loss = ViewSiteSpecs.ReadJsonp(Path.Combine(root, "view/data/s0.js")).GetProperty("train/loss");
            Assert.Contains("train%2Floss.csv", loss.GetProperty("error").GetString(), StringComparison.Ordinal);
            Assert.True(ViewSiteSpecs.ReadJsonp(Path.Combine(root, "view/data/s1.js")).GetProperty("train/loss").TryGetProperty("step", out _));
        }
        finally
        {
            Directory.Delete(root, recursive: true);
        }
    }
}

public sealed class ViewManifestSpecs
{
    [Fact]
    public async Task Should_never_let_the_site_manifest_hide_a_file_of_the_backup_from_verify()
    {
        var root = ViewFixture.Create(10);
        try
        {
            await ViewSite.WriteAsync(root, ViewSite.DefaultMaxPoints, CancellationToken.None);
            File.AppendAllText(Path.Combine(root, "view", ViewSite.ManifestFileName),
                "{\"bytes\":1,\"path\":\"alice/proj/run1/run.json\",\"sha256\":\"x\"}\n");

            var listed = ViewSite.ListedFiles(new BackupLayout(root));

            Assert.DoesNotContain("alice/proj/run1/run.json", listed);
            Assert.Contains("view/index.html", listed);
        }
        finally
        {
            Directory.Delete(root, recursive: true);
        }
    }
}
