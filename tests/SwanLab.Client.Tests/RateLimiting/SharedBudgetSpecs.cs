using System.Threading.RateLimiting;
using SwanLab.Emulator;

namespace SwanLab.Client.Tests.RateLimiting;

public class SharedBudgetSpecs
{
    [Fact]
    public async Task Should_spend_the_budget_on_api_requests_only_not_on_presigned_downloads()
    {
        await using var server = await EmulatorServer.StartAsync(new EmulatorOptions { Seed = 7, Size = DatasetSize.Tiny });
        using var budget = new TokenBucketRateLimiter(new TokenBucketRateLimiterOptions
        {
            TokenLimit = 1000, TokensPerPeriod = 1, ReplenishmentPeriod = TimeSpan.FromHours(1), QueueLimit = 0, AutoReplenishment = false,
        });
        await using var api = await SwanLabApi.ConnectAsync(new SwanLabApiOptions
        {
            ApiKey = server.ApiKey,
            Host = server.BaseUrl.ToString(),
            RateLimiter = budget,
            Environment = SwanLabEnvironment.Empty(Path.GetTempPath()),
        });
        var truth = server.Dataset.FindProject("alice", "mnist-baseline")!.Runs[0];
        var run = await api.RunAsync($"alice/mnist-baseline/{truth.Cuid}");

        long points = 0;
        await foreach (var _ in run.StreamMetricAsync("train/loss"))
        {
            points++;
        }

        var stats = server.Stats.Snapshot();
        var apiRequests = stats.ApiRequests;
        var downloads = stats.TotalRequests - apiRequests;
        Assert.True(points > 0);
        Assert.True(downloads > 0, "the series should have come from a presigned download");
        Assert.Equal(apiRequests, 1000 - budget.GetStatistics()!.CurrentAvailablePermits);
    }
}
