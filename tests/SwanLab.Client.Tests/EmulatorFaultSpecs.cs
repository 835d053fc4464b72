using SwanLab.Emulator;
using SwanLab.Emulator.Data;

namespace SwanLab.Client.Tests;

/// <summary>Each transient fault kind the emulator injects, and what the client does about it.</summary>
public sealed class EmulatorFaultSpecs
{
    private static async Task<List<T>> ToList<T>(IAsyncEnumerable<T> items)
    {
        var list = new List<T>();
        await foreach (var item in items)
            list.Add(item);
        return list;
    }

    private static async Task<(EmulatorServer Server, SwanLabApi Api, Run Run, EmulatorRun Truth)> StartAsync(
        EmulatorOptions options, int retries = 12, TimeSpan? attemptTimeout = null)
    {
        var server = await EmulatorServer.StartAsync(options);
        var api = await EmulatorFixture.Connect(server, retries, attemptTimeout: attemptTimeout);
        var truth = server.Dataset.FindProject("alice", "mnist-baseline")!.Runs[0];
        var run = await api.RunAsync($"alice/mnist-baseline/{truth.Cuid}");
        return (server, api, run, truth);
    }

    [Fact]
    public async Task Should_ride_out_injected_5xx_on_json_calls_and_downloads()
    {
        var (server, api, run, truth) = await StartAsync(new EmulatorOptions { Seed = 11 });
        await using var _ = server;
        await using var __ = api;
        server.Faults.FailRate = 0.3;
        for (var i = 0; i < 4; i++)
        {
            Assert.Equal(truth.Name, (await api.RunAsync(run.Path)).Name);
            Assert.Equal(truth.FindScalar("val/acc")!.Count, (await ToList(run.StreamMetricAsync("val/acc"))).Count);
        }
        Assert.True(api.Statistics.ServerErrors > 0);
        Assert.True(api.Statistics.Retries >= api.Statistics.ServerErrors);
    }

    [Fact]
    public async Task Should_retry_connection_resets_and_restart_broken_downloads_without_duplicates()
    {
        var (server, api, run, truth) = await StartAsync(new EmulatorOptions { Seed = 12, PointsPerKey = 3000 });
        await using var _ = server;
        await using var __ = api;
        server.Faults.ResetRate = 0.3;
        var expected = truth.FindScalar("train/loss")!.Points().Select(p => p.Step).ToList();
        for (var i = 0; i < 3; i++)
            Assert.Equal(expected, (await ToList(run.StreamMetricAsync("train/loss"))).Select(p => p.Step));
        Assert.Equal(truth.Name, (await api.RunAsync(run.Path)).Name);
        Assert.True(api.Statistics.ConnectionFaults > 0);
    }

    [Fact]
    public async Task Should_detect_truncated_csv_bodies_and_recover_the_whole_series()
    {
        var (server, api, run, truth) = await StartAsync(new EmulatorOptions { Seed = 13, PointsPerKey = 20_000 });
        await using var _ = server;
        await using var __ = api;
        server.Faults.TruncateRate = 0.5;
        var expected = truth.FindScalar("train/loss")!.Points().Select(p => (p.Step, p.Value)).ToList();
        for (var i = 0; i < 4; i++)
            Assert.Equal(expected, (await ToList(run.StreamMetricAsync("train/loss"))).Select(p => (p.Step, p.Value)));
        Assert.True(server.Stats.Snapshot().InjectedTruncations > 0);
        // A cut before the headers went out is retried by the pipeline; one after them restarts the download.
        Assert.True(api.Statistics.UrlRefreshes + api.Statistics.Retries > 0);
    }

    [Fact]
    public async Task Should_stream_batches_that_add_up_to_the_whole_series_through_truncations_and_resets()
    {
        var (server, api, run, truth) = await StartAsync(new EmulatorOptions { Seed = 15, PointsPerKey = 20_000 });
        await using var _ = server;
        await using var __ = api;
        server.Faults.TruncateRate = 0.4;
        server.Faults.ResetRate = 0.2;
        var expected = truth.FindScalar("train/loss")!.Points().Select(p => (p.Step, p.Value)).ToList();
        // Stream until the faults have really hit a download (they are random), at least three times.
        for (var i = 0; i < 3 || server.Stats.Snapshot().InjectedTruncations == 0; i++)
        {
            Assert.True(i < 60, "no truncation was injected in 60 downloads at a 40% rate");
            var streamed = new List<(long, double)>();
            var batches = 0;
            // The batch is reused between iterations, so each one is copied out before asking for the next.
            await foreach (var batch in run.StreamMetricBatchesAsync("train/loss", expectedLastStep: expected[^1].Step))
            {
                Assert.NotEmpty(batch);
                streamed.AddRange(batch.Select(p => (p.Step, p.Value)));
                batches++;
            }
            Assert.Equal(expected, streamed);
            Assert.True(batches > 1, "a 20,000-point series arrives in more than one batch");
        }
    }

    [Fact]
    public async Task Should_fail_loudly_rather_than_return_a_partial_series()
    {
        var (server, api, run, _) = await StartAsync(new EmulatorOptions { Seed = 14, PointsPerKey = 500 }, retries: 2);
        await using var _ = server;
        await using var __ = api;
        server.Faults.TruncateRate = 1;
        var ex = await Assert.ThrowsAsync<SwanLabConnectionException>(async () => await ToList(run.StreamMetricAsync("train/loss")));
        Assert.Contains("partial", ex.Message);
    }

    [Fact]
    public async Task Should_wait_out_the_servers_rate_limit_and_count_every_429()
    {
        var (server, api, run, _) = await StartAsync(new EmulatorOptions { Seed = 15 });
        await using var _ = server;
        await using var __ = api;
        var seen = 0;
        api.RateLimited += _ => Interlocked.Increment(ref seen);
        server.Faults.RateLimit = 2;
        for (var i = 0; i < 8; i++)
            await api.RunAsync(run.Path);
        Assert.True(api.Statistics.RateLimited > 0);
        Assert.Equal(api.Statistics.RateLimited, seen);
    }

    [Fact]
    public async Task Should_time_out_a_stalled_attempt_and_report_a_connection_error()
    {
        var (server, api, run, _) = await StartAsync(new EmulatorOptions { Seed = 16 }, retries: 1, attemptTimeout: TimeSpan.FromMilliseconds(300));
        await using var _ = server;
        await using var __ = api;
        server.Faults.SlowDelay = TimeSpan.FromSeconds(3);
        server.Faults.SlowRate = 1;
        var ex = await Assert.ThrowsAsync<SwanLabConnectionException>(() => api.RunAsync(run.Path));
        Assert.Contains("timed out", ex.Message);
        Assert.Equal(1, api.Statistics.Retries);
    }

    [Fact]
    public async Task Should_log_in_again_when_sessions_are_short_lived()
    {
        var (server, api, run, _) = await StartAsync(new EmulatorOptions { Seed = 17, SessionLifetime = TimeSpan.FromDays(2) });
        await using var _ = server;
        await using var __ = api;
        var before = api.Statistics.Logins;
        await api.RunAsync(run.Path);
        await api.RunAsync(run.Path);
        Assert.Equal(before + 2, api.Statistics.Logins);
    }

    [Fact]
    public async Task Should_presign_again_when_a_media_url_has_expired()
    {
        var clock = new ManualClock();
        var (server, api, run, _) = await StartAsync(new EmulatorOptions { Seed = 18, Clock = clock, PresignExpiry = TimeSpan.FromMinutes(5) });
        await using var _ = server;
        await using var __ = api;
        var item = (await ToList(run.MediaAsync())).First();
        clock.Advance(TimeSpan.FromMinutes(10));
        using var buffer = new MemoryStream();
        Assert.True(await run.DownloadMediaAsync(item, buffer) > 0);
        Assert.Equal(1, api.Statistics.UrlRefreshes);
    }

    [Fact]
    public async Task Should_resolve_path_only_urls_and_manage_users_on_a_self_hosted_server()
    {
        var (server, api, run, truth) = await StartAsync(new EmulatorOptions { Seed = 19, SelfHosted = true });
        await using var _ = server;
        await using var __ = api;
        Assert.Equal(truth.FindScalar("train/loss")!.Count, (await ToList(run.StreamMetricAsync("train/loss"))).Count);
        var media = (await ToList(run.MediaAsync())).First();
        Assert.StartsWith(server.BaseUrl.ToString().TrimEnd('/'), media.Url);
        Assert.True(await run.DownloadMediaAsync(media, new MemoryStream()) > 0);

        var info = await api.SelfHostedInfoAsync();
        Assert.True(info.Root);
        Assert.Equal(server.Dataset.Users.Select(u => u.Username), (await ToList(api.UsersAsync())).Select(u => u.Username));
        await api.User().CreateAsync("dave", "password123");
        Assert.Contains("dave", (await ToList(api.UsersAsync())).Select(u => u.Username));
        await Assert.ThrowsAsync<ArgumentException>(() => api.User().CreateAsync("dave!", "password123"));
        await Assert.ThrowsAsync<ArgumentException>(() => api.User().CreateAsync("erin", "short1"));
    }
}
