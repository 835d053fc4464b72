using SwanLab.Crawler.Crawl;
using SwanLab.Crawler.Source;

namespace SwanLab.Crawler.Tests.Actors;

public sealed class CrawlScopesAndPlanSpecs
{
    private static CrawlSettings Settings(Func<CrawlSettings, CrawlSettings>? change = null)
    {
        var s = new CrawlSettings { OutputDirectory = "unused" };
        return change is null ? s : change(s);
    }

    [Fact]
    public void Should_select_everything_when_nothing_is_selected() => Assert.Null(CrawlScopes.Build(Settings()));

    [Fact]
    public void Should_let_broader_selections_win_over_narrower_ones()
    {
        var scopes = CrawlScopes.Build(Settings(s => s with
        {
            Workspaces = ["team"],
            Projects = ["alice/demo", "team/x"],
            Runs = ["alice/demo/r1", "alice/other/r2", "alice/other/r3", "team/x/r9"],
        }))!;

        Assert.Equal(["team", "alice"], scopes.Select(s => s.Username));
        Assert.Null(scopes[0].Projects);
        var alice = scopes[1].Projects!;
        Assert.Equal(["alice/demo", "alice/other"], alice.Select(p => p.Path));
        Assert.Null(alice[0].RunIds);
        Assert.Equal(["r2", "r3"], alice[1].RunIds!);
    }

    [Theory]
    [InlineData("ws/proj")]
    [InlineData("ws//run")]
    [InlineData("ws/proj/run/extra")]
    public void Should_reject_a_run_selection_that_is_not_three_segments(string run) =>
        Assert.Throws<ArgumentException>(() => CrawlScopes.Build(Settings(s => s with { Runs = [run] })));

    [Fact]
    public async Task Should_plan_counts_without_fetching_any_run()
    {
        var source = ScriptedSource.Account(2, 3, 4);
        source.Find("ws1/proj2/run3").State = "CRASHED";

        var plan = await CrawlPlanner.PlanAsync(Settings(s => s with { Filter = new RunFilter(["FINISHED"], new Dictionary<string, string>()) }),
            source, CancellationToken.None);

        Assert.Equal((2, 6, 23, 0), (plan.Workspaces, plan.Projects, plan.Runs, plan.RunsToSkip));
        Assert.True(plan.EstimatedRequests >= 23 * 2);
        Assert.Equal(0, source.TotalDetailCalls);
        Assert.Equal(3, plan.ProjectsPlanned.Single(p => p.Path == "ws1/proj2").Runs);
    }

    [Fact]
    public async Task Should_plan_only_the_selected_runs()
    {
        var source = ScriptedSource.Account(1, 2, 4);
        var plan = await CrawlPlanner.PlanAsync(Settings(s => s with { Runs = ["ws0/proj1/run0", "ws0/proj1/run2"] }),
            source, CancellationToken.None);
        Assert.Equal((1, 1, 2), (plan.Workspaces, plan.Projects, plan.Runs));
    }
}
