using System.Text.Json;
using SwanLab.Emulator;

namespace SwanLab.Client.Tests;

/// <summary>Every read member against the emulator's ground truth (fault-free).</summary>
public sealed class EmulatorReadSpecs(EmulatorFixture fixture) : IClassFixture<EmulatorFixture>
{
    private EmulatorServer Server => fixture.Server;

    private static async Task<List<T>> ToList<T>(IAsyncEnumerable<T> items)
    {
        var list = new List<T>();
        await foreach (var item in items)
            list.Add(item);
        return list;
    }

    [Fact]
    public async Task Should_connect_and_report_the_user_hosts_and_protocol()
    {
        await using var api = await fixture.ConnectAsync();
        Assert.Equal(Server.Dataset.User.Username, api.Username);
        Assert.Equal(Server.BaseUrl.ToString().TrimEnd('/'), api.Host);
        Assert.Equal(api.Host, api.WebHost);
        Assert.Equal(SwanLabProtocol.House, await api.DetectProtocolAsync());
        Assert.Equal(SwanLabProtocol.House, api.Protocol);
        Assert.True(api.Statistics.Requests >= 2);
        Assert.DoesNotContain(Server.ApiKey, api.ToString());
    }

    [Fact]
    public async Task Should_list_own_workspace_first_then_teams()
    {
        await using var api = await fixture.ConnectAsync();
        var workspaces = await ToList(api.WorkspacesAsync());
        Assert.Equal(Server.Dataset.Workspaces.Select(w => w.Username), workspaces.Select(w => w.Username));
        var team = workspaces[1];
        var truth = Server.Dataset.Workspaces[1];
        Assert.Equal((truth.Name, "TEAM", truth.Role, truth.Comment), (team.Name, team.WorkspaceType, team.Role, team.Comment));
        Assert.Equal(truth.Username, team.Json().GetProperty("username").GetString());
        Assert.Equal("PERSON", (await api.WorkspaceAsync()).WorkspaceType);
        Assert.NotNull(workspaces[0].Profile);
    }

    [Fact]
    public async Task Should_page_through_projects_lazily()
    {
        await using var api = await fixture.ConnectAsync(pageSize: 1);
        var before = api.Statistics.Requests;
        var projects = await ToList(api.ProjectsAsync("alice"));
        var truth = Server.Dataset.FindWorkspace("alice")!.Projects;
        Assert.Equal(truth.Select(p => p.Path).Order(), projects.Select(p => p.Path).Order());
        Assert.True(truth.Count >= 2);
        Assert.Equal(truth.Count, api.Statistics.Requests - before);

        await using var enumerator = api.ProjectsAsync("alice").GetAsyncEnumerator();
        var beforeFirst = api.Statistics.Requests;
        Assert.True(await enumerator.MoveNextAsync());
        Assert.Equal(1, api.Statistics.Requests - beforeFirst);
    }

    [Fact]
    public async Task Should_read_a_project_with_every_field()
    {
        await using var api = await fixture.ConnectAsync();
        var project = await api.ProjectAsync("alice/mnist-baseline");
        var truth = Server.Dataset.FindProject("alice", "mnist-baseline")!;
        Assert.Equal(("mnist-baseline", "alice/mnist-baseline", truth.Description, truth.Visibility, truth.Cuid),
            (project.Name, project.Path, project.Description, project.Visibility, project.Cuid));
        Assert.Equal(truth.Labels, project.Labels);
        Assert.Equal($"{api.WebHost}/@alice/mnist-baseline", project.Url);
        Assert.Equal(truth.Runs.Count, project.Count["experiments"]);
        Assert.False(string.IsNullOrEmpty(project.CreatedAt));
        Assert.False(string.IsNullOrEmpty(project.UpdatedAt));
        Assert.Equal("alice", (await project.WorkspaceAsync()).Username);
        Assert.Equal(truth.Cuid, project.Json().GetProperty("cuid").GetString());
        var viaWorkspace = await ToList((await api.WorkspaceAsync("alice")).ProjectsAsync());
        Assert.Contains(viaWorkspace, p => p.Path == project.Path);
    }

    [Fact]
    public async Task Should_list_runs_and_flatten_a_grouped_answer()
    {
        await using var api = await fixture.ConnectAsync();
        var grouped = Server.Dataset.FindProject("aurora-lab", "shared-models")!;
        Assert.NotEmpty(grouped.DefaultGroupKeys);
        var runs = await ToList(api.RunsAsync("aurora-lab/shared-models"));
        Assert.Equal(grouped.Runs.Select(r => r.Cuid).Order(), runs.Select(r => r.Id).Order());
        var viaProject = await ToList((await api.ProjectAsync("aurora-lab/shared-models")).RunsAsync());
        Assert.Equal(runs.Count, viaProject.Count);
    }

    [Fact]
    public async Task Should_filter_runs_server_side_by_state_and_config()
    {
        await using var api = await fixture.ConnectAsync();
        var truth = Server.Dataset.FindProject("alice", "mnist-baseline")!.Runs;
        var finished = await ToList(api.RunsAsync("alice/mnist-baseline", new Dictionary<string, object?> { ["state"] = "FINISHED" }));
        Assert.Equal(truth.Where(r => r.State == "FINISHED").Select(r => r.Cuid), finished.Select(r => r.Id));
        var batch64 = await ToList(api.RunsAsync("alice/mnist-baseline", new Dictionary<string, object?> { ["config.batch_size"] = 64 }));
        var only = Assert.Single(batch64);
        Assert.Equal(64, only.Profile.Config.GetProperty("batch_size").GetInt32());
        var none = await ToList(api.RunsAsync("alice/mnist-baseline",
            new Dictionary<string, object?> { ["state"] = "FINISHED", ["config.batch_size"] = 32 }));
        Assert.Empty(none);
    }

    [Fact]
    public async Task Should_read_a_run_by_cuid_or_slug_with_every_field()
    {
        await using var api = await fixture.ConnectAsync();
        var truth = Server.Dataset.FindProject("alice", "mnist-baseline")!.Runs[0];
        var run = await api.RunAsync($"alice/mnist-baseline/{truth.Cuid}");
        var bySlug = await api.RunAsync($"alice/mnist-baseline/{truth.Slug}");
        Assert.Equal(run.Id, bySlug.Id);
        Assert.Equal((truth.Name, truth.Cuid, truth.State, truth.Cluster, truth.Job, truth.Show, truth.Description),
            (run.Name, run.Id, run.State, run.Group, run.JobType, run.Show, run.Description));
        Assert.Equal($"alice/mnist-baseline/{truth.Cuid}", run.Path);
        Assert.Equal(truth.Labels, run.Labels);
        Assert.Equal($"{api.WebHost}/@alice/mnist-baseline/runs/{truth.Cuid}/chart", run.Url);
        Assert.Equal(truth.CreatedAt.ToUnixTimeSeconds(), run.CreatedAtUnixSeconds);
        Assert.False(string.IsNullOrEmpty(run.FinishedAt));
        Assert.Equal(truth.Requirements, run.Profile.Requirements);
        Assert.Equal(truth.Conda, run.Profile.Conda);
        Assert.Equal(JsonValueKind.Object, run.Profile.Metadata.ValueKind);
        foreach (var property in run.Profile.Config.EnumerateObject())
            Assert.False(property.Value.ValueKind == JsonValueKind.Object && property.Value.TryGetProperty("desc", out _));
        Assert.True(run.Profile.RawConfig.GetProperty("batch_size").TryGetProperty("value", out _));
        Assert.Equal(truth.CreatedBy, run.User.Username);
        Assert.Equal(truth.CreatedBy == api.Username, run.User.IsSelf);
        Assert.Equal(truth.Cuid, run.Json().GetProperty("cuid").GetString());
        Assert.Equal(truth.Project.Cuid, await run.ProjectIdAsync());
    }

    [Fact]
    public async Task Should_raise_not_found_for_missing_entities()
    {
        await using var api = await fixture.ConnectAsync();
        await Assert.ThrowsAsync<SwanLabNotFoundException>(() => api.ProjectAsync("alice/no-such-project"));
        await Assert.ThrowsAsync<SwanLabNotFoundException>(() => api.RunAsync("alice/mnist-baseline/nope"));
        await Assert.ThrowsAsync<SwanLabNotFoundException>(() => api.WorkspaceAsync("nobody-here"));
    }

    private static List<(long, double, long?)> Truth(EmulatorServer server, string workspace, string project, int runIndex, string key) =>
        server.Dataset.DataOwner(server.Dataset.FindProject(workspace, project)!.Runs[runIndex]).FindScalar(key)!.Points()
            .Select(p => (p.Step, p.Value, (long?)p.Timestamp)).ToList();

    [Fact]
    public async Task Should_stream_every_point_of_a_series_exactly()
    {
        await using var api = await fixture.ConnectAsync();
        var run = await api.RunAsync($"alice/mnist-baseline/{Server.Dataset.FindProject("alice", "mnist-baseline")!.Runs[0].Cuid}");
        foreach (var key in new[] { "train/loss", "train/grad norm", "eval/sparse metric" })
        {
            var points = await ToList(run.StreamMetricAsync(key));
            var truth = Truth(Server, "alice", "mnist-baseline", 0, key);
            Assert.Equal(truth.Count, points.Count);
            for (var i = 0; i < truth.Count; i++)
            {
                Assert.Equal(truth[i].Item1, points[i].Step);
                Assert.Equal(truth[i].Item2, points[i].Value);
                Assert.Equal(truth[i].Item3, points[i].TimestampMs);
            }
        }
        Assert.Equal(SwanLabProtocol.House, api.Protocol);
    }

    [Fact]
    public async Task Should_stream_a_cloned_runs_series_from_its_root()
    {
        await using var api = await fixture.ConnectAsync();
        var clone = Server.Dataset.FindProject("alice", "v1.2.final")!.Runs.Single(r => r.RootExpId is not null);
        var run = await api.RunAsync($"alice/v1.2.final/{clone.Cuid}");
        Assert.Equal(clone.RootExpId, run.RootRunId);
        var points = await ToList(run.StreamMetricAsync("train/loss"));
        Assert.Equal(Server.Dataset.DataOwner(clone).FindScalar("train/loss")!.Count, points.Count);
    }

    [Fact]
    public async Task Should_build_a_metric_table_like_the_sdk()
    {
        await using var api = await fixture.ConnectAsync();
        var truthRun = Server.Dataset.FindProject("alice", "mnist-baseline")!.Runs[0];
        var run = await api.RunAsync($"alice/mnist-baseline/{truthRun.Cuid}");
        var table = await run.MetricsAsync(["train/loss", "eval/sparse metric"]);
        Assert.Equal("step", table.IndexName);
        Assert.Equal(["train/loss", "eval/sparse metric"], table.ColumnNames);
        var loss = truthRun.FindScalar("train/loss")!;
        var sparse = truthRun.FindScalar("eval/sparse metric")!;
        Assert.Equal(loss.Points().Select(p => p.Step).Union(sparse.Points().Select(p => p.Step)).Order(), table.Index);
        Assert.Equal(sparse.Count, table["eval/sparse metric"].Count(v => v is not null));
        Assert.Equal(loss.ValueAt(0), table["train/loss"][0]);

        var sampled = await run.MetricsAsync(["train/loss"], sample: 5);
        Assert.Equal(5, sampled.RowCount);
        var csv = sampled.ToCsv().Split('\n');
        Assert.Equal("step,train/loss", csv[0]);

        var byX = await run.MetricsAsync(["train/loss"], xAxis: "eval/sparse metric");
        Assert.Equal("eval/sparse metric", byX.ColumnNames[0]);
        Assert.Equal(sparse.Count, byX.RowCount);

        using var stream = new MemoryStream();
        await table.WriteCsvAsync(stream);
        Assert.Equal(table.ToCsv(), System.Text.Encoding.UTF8.GetString(stream.ToArray()));
    }

    [Fact]
    public async Task Should_list_series_keys_with_their_class()
    {
        await using var api = await fixture.ConnectAsync();
        var truthRun = Server.Dataset.FindProject("alice", "mnist-baseline")!.Runs[0];
        var run = await api.RunAsync($"alice/mnist-baseline/{truthRun.Cuid}");
        var scalars = await ToList(run.SeriesKeysAsync());
        Assert.Equal(truthRun.Scalars.Select(s => s.Key).Order(), scalars.Select(k => k.Key).Order());
        Assert.Equal("SYSTEM", scalars.Single(k => k.Key == "__swanlab__.cpu.pct").Class);
        Assert.Equal("CUSTOM", scalars.Single(k => k.Key == "train/loss").Class);
        var media = await ToList(run.SeriesKeysAsync(SeriesKind.Media));
        Assert.Equal(truthRun.Media.Select(m => m.Key).Order(), media.Select(k => k.Key).Order());
        Assert.All(media, k => Assert.Equal(SeriesKind.Media, k.Kind));
    }

    [Fact]
    public async Task Should_read_sampled_series_value_stats_and_summaries()
    {
        await using var api = await fixture.ConnectAsync();
        var truthRun = Server.Dataset.FindProject("alice", "mnist-baseline")!.Runs[0];
        var truth = truthRun.FindScalar("train/loss")!;
        var run = await api.RunAsync($"alice/mnist-baseline/{truthRun.Cuid}");

        var sampled = await run.SampledMetricAsync("train/loss", num: 10);
        Assert.InRange(sampled.Count, 1, 10);
        Assert.All(sampled, p => Assert.InRange(p.Step, 0, truth.LastStep!.Value));
        await Assert.ThrowsAsync<ArgumentOutOfRangeException>(() => run.SampledMetricAsync("train/loss", num: 0));

        var stats = await run.MetricStatsAsync(["train/loss", "val/acc", "does-not-exist"]);
        Assert.Equal(truth.LastStep, stats["train/loss"].Latest!.Step);
        Assert.Equal(truth.ValueAt(truth.Count - 1), stats["train/loss"].Latest!.Value);
        Assert.Equal(truth.Points().Min(p => p.Value), stats["train/loss"].Min!.Value);
        Assert.NotNull(stats["train/loss"].Latest!.TimestampMs);
        Assert.False(stats.ContainsKey("does-not-exist"));

        var summary = await run.SummaryAsync(["train/loss"]);
        Assert.Equal(truth.LastStep, summary["train/loss"].Step);
        Assert.Equal(truth.ValueAt(truth.Count - 1), summary["train/loss"].Value);
        var all = await run.SummaryAsync();
        Assert.Contains("val/acc", all.Keys);
    }

    [Fact]
    public async Task Should_read_last_steps_in_one_request_and_fetch_a_project_cuid_once_per_project()
    {
        await using var server = await EmulatorServer.StartAsync(new EmulatorOptions { Seed = 7, Size = DatasetSize.Tiny });
        await using var api = await EmulatorFixture.Connect(server);
        var project = server.Dataset.FindProject("alice", "mnist-baseline")!;
        const string projectGet = "GET /api/project/{workspace}/{project}";
        const string valueQuery = "POST /api/house/metrics/scalar/value";

        foreach (var truthRun in project.Runs.Take(2))
        {
            var run = await api.RunAsync($"alice/mnist-baseline/{truthRun.Cuid}");
            var queriesBefore = server.Stats.Requests(valueQuery);
            var last = await run.LastStepsAsync(["train/loss", "val/acc", "does-not-exist"]);
            Assert.Equal(1, server.Stats.Requests(valueQuery) - queriesBefore);
            Assert.Equal(truthRun.FindScalar("train/loss")!.LastStep, last["train/loss"]);
            Assert.Equal(truthRun.FindScalar("val/acc")!.LastStep, last["val/acc"]);
            Assert.False(last.ContainsKey("does-not-exist"));
        }
        // Two runs of one project: the project's cuid was looked up once, not once per run.
        Assert.Equal(1, server.Stats.Requests(projectGet));
    }

    [Fact]
    public async Task Should_read_every_log_line_of_a_level()
    {
        await using var api = await fixture.ConnectAsync();
        var truthRun = Server.Dataset.FindProject("alice", "mnist-baseline")!.Runs[1];
        var run = await api.RunAsync($"alice/mnist-baseline/{truthRun.Cuid}");
        var lines = Enumerable.Range(0, truthRun.LogLines.Count).Select(truthRun.LogLines.At).ToList();
        foreach (var level in new[] { "INFO", "ERROR" })
        {
            var read = await ToList(run.LogsAsync(level));
            Assert.Equal(lines.Where(l => l.Level == level).Select(l => (l.Epoch, l.Message)), read.Select(l => (l.Epoch, l.Message)));
        }
        Assert.Empty(await ToList((await api.RunAsync($"alice/mnist-baseline/{Server.Dataset.FindProject("alice", "mnist-baseline")!.Runs[2].Cuid}")).LogsAsync()));
        await Assert.ThrowsAsync<ArgumentException>(async () => await ToList(run.LogsAsync("LOUD")));
    }

    [Fact]
    public async Task Should_list_media_with_captions_and_download_them()
    {
        await using var api = await fixture.ConnectAsync();
        var truthRun = Server.Dataset.FindProject("alice", "mnist-baseline")!.Runs[0];
        var run = await api.RunAsync($"alice/mnist-baseline/{truthRun.Cuid}");
        var items = await ToList(run.MediaAsync());
        var expected = truthRun.Media.SelectMany(m => m.Steps.SelectMany(s => s.Items.Select(i => (m.Key, s.Step, i.Path, i.Caption)))).ToList();
        Assert.Equal(expected.Order(), items.Select(i => (i.Key, i.Step, i.Path, i.Caption)).Order());
        Assert.All(items, i => Assert.NotNull(i.Url));
        using var buffer = new MemoryStream();
        var bytes = await run.DownloadMediaAsync(items[0], buffer);
        Assert.True(bytes > 0);
        Assert.Equal(bytes, buffer.Length);
    }

    [Fact]
    public async Task Should_manage_the_logged_in_users_keys_and_teams()
    {
        await using var api = await fixture.ConnectAsync();
        var me = api.User();
        Assert.True(me.IsSelf);
        Assert.False(api.User("bob").IsSelf);
        Assert.Contains("aurora-lab", await me.TeamsAsync());
        var before = await me.ApiKeysAsync();
        Assert.Contains(before, k => k.Key == Server.ApiKey);
        Assert.DoesNotContain(Server.ApiKey, before[0].ToString());
        var created = await me.GenerateApiKeyAsync("ci key");
        Assert.NotNull(created);
        Assert.Contains(await me.ApiKeysAsync(), k => k.Key == created);
        Assert.True(await me.DeleteApiKeyAsync(created!));
        Assert.False(await me.DeleteApiKeyAsync(created!));
        await Assert.ThrowsAsync<InvalidOperationException>(() => api.User("bob").ApiKeysAsync());
    }

    [Fact]
    public async Task Should_refuse_user_listing_on_a_cloud_server()
    {
        await using var api = await fixture.ConnectAsync();
        await Assert.ThrowsAsync<SwanLabNotSupportedException>(async () => await ToList(api.UsersAsync()));
        await Assert.ThrowsAsync<SwanLabNotSupportedException>(() => api.User().CreateAsync("dave", "password123"));
    }
}
