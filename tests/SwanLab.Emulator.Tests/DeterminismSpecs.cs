using System.Text;
using System.Text.Json.Nodes;

namespace SwanLab.Emulator.Tests;

public sealed class DeterminismSpecs
{
    /// <summary>Everything a crawler would read of a few projects, concatenated.</summary>
    private static async Task<string> Snapshot(EmulatorServer server)
    {
        using var client = await TestClient.LoggedIn(server);
        var text = new StringBuilder();
        foreach (var ws in new[] { "alice", "aurora-lab" })
        {
            var projects = await client.Http.GetStringAsync($"/api/project/{ws}?page=1&size=100");
            text.Append(projects);
            foreach (var project in JsonNode.Parse(projects)!["list"]!.AsArray())
            {
                var name = project!["name"]!.GetValue<string>();
                using var shows = await client.Http.PostAsync($"/api/project/{ws}/{name}/runs/shows", TestClient.Content("{}"));
                text.Append(await shows.Content.ReadAsStringAsync());
                foreach (var run in server.Dataset.FindProject(ws, name)!.Runs)
                {
                    text.Append(await client.Http.GetStringAsync($"/api/project/{ws}/{name}/runs/{run.Cuid}"));
                    foreach (var series in run.Scalars)
                    {
                        var url = (await client.Get($"/api/experiment/{run.Cuid}/column/csv?key={Uri.EscapeDataString(series.Key)}"))!["url"]!.GetValue<string>();
                        text.Append(await client.Download(url));
                    }
                }
            }
        }

        return text.ToString();
    }

    [Fact]
    public async Task Should_generate_identical_bytes_for_the_same_seed_and_different_for_another()
    {
        string first, second, other;
        await using (var a = await EmulatorServer.StartAsync(new EmulatorOptions { Seed = 11 }))
        {
            first = await Snapshot(a);
        }

        await using (var b = await EmulatorServer.StartAsync(new EmulatorOptions { Seed = 11 }))
        {
            second = await Snapshot(b);
        }

        await using (var c = await EmulatorServer.StartAsync(new EmulatorOptions { Seed = 12 }))
        {
            other = await Snapshot(c);
        }

        Assert.True(first.Length > 10_000);
        Assert.Equal(first, second);
        Assert.NotEqual(first, other);
    }

    [Fact]
    public async Task Should_contain_the_awkward_cases_at_tiny_size()
    {
        await using var server = await EmulatorServer.StartAsync(new EmulatorOptions());
        var ds = server.Dataset;
        Assert.Contains(ds.Workspaces, w => w.Type == "TEAM");
        Assert.Contains(ds.Projects, p => p.Name.Contains('.', StringComparison.Ordinal));
        var runs = ds.Runs;
        Assert.Contains(runs, r => r.Scalars.Any(s => s.Key.Contains('/', StringComparison.Ordinal) && s.Key.Contains(' ', StringComparison.Ordinal)));
        Assert.Contains(runs, r => r.Scalars.Any(s => Enumerable.Range(0, s.Count).Any(i => double.IsNaN(s.ValueAt(i)))));
        Assert.Contains(runs, r => r.Scalars.Any(s => Enumerable.Range(0, s.Count).Any(i => double.IsInfinity(s.ValueAt(i)))));
        Assert.Contains(runs, r => r.Scalars.Count == 0 && r.RootExpId is null);
        Assert.Contains(runs, r => r.RootExpId is not null);
        Assert.Contains(runs, r => r.Scalars.Any(s => s.Count > 1 && s.StepAt(1) - s.StepAt(0) > 1));
        Assert.Contains(runs, r => r.Name.Any(char.IsSurrogate));
        Assert.Contains(runs, r => r.Media.Count > 0);
        Assert.Equal(["ABORTED", "CRASHED", "FINISHED", "RUNNING"], runs.Select(r => r.State).Distinct().Order());
    }

    [Fact]
    public async Task Should_size_demo_and_large_as_specified()
    {
        await using var demo = await EmulatorServer.StartAsync(new EmulatorOptions { Size = DatasetSize.Demo });
        Assert.InRange(demo.Dataset.Runs.Count, 50, 70);
        Assert.True(demo.Dataset.FindWorkspace("alice")!.Projects.Count > 20);
        await using var large = await EmulatorServer.StartAsync(new EmulatorOptions { Size = DatasetSize.Large, Runs = 250, KeysPerRun = 3, PointsPerKey = 100, HugeSeriesPoints = 10_000_000 });
        Assert.Equal(250, large.Dataset.Runs.Count(r => r.Name.StartsWith("bench-run-", StringComparison.Ordinal)));
        Assert.All(large.Dataset.Runs.Where(r => r.Name.StartsWith("bench-run-", StringComparison.Ordinal)), r => Assert.Equal(3, r.Scalars.Count));
        var huge = large.Dataset.FindProject("alice", "huge-series")!.Runs.Single().Scalars.Single();
        Assert.Equal(10_000_000, huge.Count);
        Assert.Equal(9_999_999, huge.StepAt(huge.Count - 1));
    }
}
