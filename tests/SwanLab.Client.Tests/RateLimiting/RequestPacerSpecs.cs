using Microsoft.Extensions.Time.Testing;
using SwanLab.Client.RateLimiting;

namespace SwanLab.Client.Tests.RateLimiting;

public class RequestPacerSpecs
{
    private sealed class ManualClock : TimeProvider
    {
        private long _ticks = 1_000_000;
        public override long TimestampFrequency => 1_000_000;
        public override long GetTimestamp() => _ticks;
        public void Advance(TimeSpan by) => _ticks += (long)(by.TotalSeconds * TimestampFrequency);
    }

    /// <summary>Offers requests as fast as the pacer grants them for <paramref name="duration"/>; returns how many it granted.</summary>
    private static int Saturate(RequestPacer pacer, ManualClock clock, TimeSpan duration)
    {
        var granted = 0;
        for (var t = TimeSpan.Zero; t < duration; t += TimeSpan.FromMilliseconds(1))
        {
            while (pacer.AttemptAcquire().IsAcquired)
            {
                granted++;
            }

            clock.Advance(TimeSpan.FromMilliseconds(1));
        }

        return granted;
    }

    [Fact]
    public void Should_space_requests_evenly_at_a_fixed_rate()
    {
        var clock = new ManualClock();
        var pacer = RequestPacer.Fixed(10, clock);

        Assert.True(pacer.AttemptAcquire().IsAcquired);
        Assert.False(pacer.AttemptAcquire().IsAcquired);   // no burst: the next slot is 100 ms away
        clock.Advance(TimeSpan.FromMilliseconds(99));
        Assert.False(pacer.AttemptAcquire().IsAcquired);
        clock.Advance(TimeSpan.FromMilliseconds(1));
        Assert.True(pacer.AttemptAcquire().IsAcquired);

        Assert.InRange(Saturate(pacer, clock, TimeSpan.FromSeconds(10)), 99, 101);
        Assert.Equal(10, pacer.CurrentRate);
    }

    [Fact]
    public void Should_keep_a_fixed_rate_after_throttling_but_hold_back_until_retry_after()
    {
        var clock = new ManualClock();
        var pacer = RequestPacer.Fixed(100, clock);

        pacer.ReportThrottled(TimeSpan.FromSeconds(2));

        Assert.Equal(100, pacer.CurrentRate);
        Assert.Equal(0, Saturate(pacer, clock, TimeSpan.FromMilliseconds(1990)));
        Assert.True(Saturate(pacer, clock, TimeSpan.FromSeconds(1)) > 90);
    }

    [Fact]
    public void Should_grow_only_while_demand_saturates_it()
    {
        var clock = new ManualClock();
        var pacer = RequestPacer.Adaptive(10, clock: clock);

        clock.Advance(TimeSpan.FromSeconds(5));           // idle: nobody asked
        Assert.True(pacer.AttemptAcquire().IsAcquired);
        Assert.Equal(10, pacer.CurrentRate);

        Saturate(pacer, clock, TimeSpan.FromSeconds(2));
        Assert.True(pacer.CurrentRate > 20, $"rate {pacer.CurrentRate} did not grow under demand");
    }

    [Fact]
    public void Should_back_off_on_429_and_settle_just_below_the_throttled_rate()
    {
        var clock = new ManualClock();
        var pacer = RequestPacer.Adaptive(40, clock: clock);

        pacer.ReportThrottled();

        Assert.Equal(32, pacer.CurrentRate, 6);
        Assert.Equal(40, pacer.Ceiling);

        pacer.ReportThrottled();                           // the same overshoot's other 429s: no second cut
        Assert.Equal(32, pacer.CurrentRate, 6);

        Saturate(pacer, clock, TimeSpan.FromSeconds(3));
        Assert.InRange(pacer.CurrentRate, 36, 40);         // back near 95% of the ceiling, not past it
        Assert.Equal(2, pacer.Throttles);
    }

    [Fact]
    public void Should_converge_near_an_unknown_server_limit()
    {
        // A simulated server: token bucket of 50/s with 10 tokens of burst, answering 429 when empty.
        var clock = new ManualClock();
        var pacer = RequestPacer.Adaptive(20, clock: clock);
        double tokens = 10;
        int ok = 0, throttled = 0;
        for (var ms = 0; ms < 60_000; ms++)
        {
            tokens = Math.Min(10, tokens + 0.05);
            while (pacer.AttemptAcquire().IsAcquired)
            {
                if (tokens >= 1) { tokens--; if (ms >= 20_000) ok++; }
                else { throttled++; pacer.ReportThrottled(TimeSpan.FromSeconds(1)); }
            }

            clock.Advance(TimeSpan.FromMilliseconds(1));
        }

        var achieved = ok / 40.0;                          // over the last 40 s, after discovery
        Assert.True(achieved >= 0.85 * 50, $"achieved {achieved:F1}/s of 50/s");
        Assert.True(throttled < 0.03 * (ok + throttled), $"{throttled} throttled");
    }

    /// <summary>What a simulated crawl against a token-bucket server saw.</summary>
    private sealed record Simulation(double SecondsTo90Percent, double ThrottledShare, double ThrottledShareFirst2Seconds,
        double ServedPerSecondAfter, long Served, long ServedInSecond2, long Throttled);

    /// <summary>
    /// <paramref name="workers"/> callers in a closed loop (acquire, send, wait for the answer) against a server with a
    /// token bucket of <paramref name="limit"/>/s holding one second's worth (as the emulator's), answering in
    /// <paramref name="latencyMs"/> (a 429 at once, with Retry-After 1 s, which the throttled caller waits out; the pacer
    /// hears of it 1 ms later, the 429's way back, while the other callers go on).
    /// </summary>
    private static Simulation Simulate(RequestPacer pacer, ManualClock clock, double limit, int workers, int latencyMs, int seconds)
    {
        // 0.1 ms steps: coarser ones would round the pacer's spacing up to whole steps and cap high rates.
        const int stepsPerMs = 10;
        var tokens = limit;
        var busyUntil = new long[workers];
        var servedAt = new List<int>();
        long throttled = 0, throttledFirst2Seconds = 0;
        var reports = new Queue<int>();
        for (var step = 0; step < seconds * 1000 * stepsPerMs; step++)
        {
            tokens = Math.Min(limit, tokens + (limit / 1000 / stepsPerMs));
            while (reports.Count > 0 && reports.Peek() <= step)
            {
                reports.Dequeue();
                pacer.ReportThrottled(TimeSpan.FromSeconds(1));
            }

            for (var w = 0; w < workers; w++)
            {
                if (busyUntil[w] > step || !pacer.AttemptAcquire().IsAcquired)
                    continue;
                if (tokens >= 1)
                {
                    tokens--;
                    servedAt.Add(step / stepsPerMs);
                    busyUntil[w] = step + (latencyMs * stepsPerMs);
                }
                else
                {
                    throttled++;
                    throttledFirst2Seconds += step < 2000 * stepsPerMs ? 1 : 0;
                    reports.Enqueue(step + stepsPerMs);
                    busyUntil[w] = step + (1000 * stepsPerMs);
                }
            }

            clock.Advance(TimeSpan.FromMilliseconds(1.0 / stepsPerMs));
        }

        // The first moment the served rate over the second before it reached 90% of the limit.
        var reached = double.PositiveInfinity;
        for (int i = 0, j = 0; i < servedAt.Count; i++)
        {
            while (servedAt[j] <= servedAt[i] - 1000) j++;
            if (servedAt[i] >= 1000 && i - j + 1 >= 0.9 * limit)
            {
                reached = servedAt[i] / 1000.0;
                break;
            }
        }

        var after = servedAt.Count(t => t >= 2000) / (seconds - 2.0);
        var servedFirst2Seconds = servedAt.Count(t => t < 2000);
        return new Simulation(reached, (double)throttled / (servedAt.Count + throttled),
            (double)throttledFirst2Seconds / Math.Max(1, servedFirst2Seconds + throttledFirst2Seconds), after, servedAt.Count,
            servedAt.Count(t => t is >= 1000 and < 2000), throttled);
    }

    [Theory]
    [InlineData(20)]
    [InlineData(50)]
    [InlineData(200)]
    [InlineData(400)]
    [InlineData(1500)]
    public void Should_reach_90_percent_of_an_unknown_limit_within_2_seconds_with_few_429s(double limit)
    {
        var clock = new ManualClock();
        var pacer = RequestPacer.Adaptive(clock: clock);

        var run = Simulate(pacer, clock, limit, workers: 64, latencyMs: 20, seconds: 12);

        // The served rate over a second first reaches 90% when that second ends, so "within 2 s" is judged at 2 s.
        Assert.True(run.SecondsTo90Percent <= 2, $"{run}");
        Assert.True(run.ThrottledShare < 0.03, $"{run}");
        // Also while finding it: the first 429 comes with the callers' requests spaced, not all of them at once.
        Assert.True(run.ThrottledShareFirst2Seconds < 0.03, $"{run}");
        Assert.True(run.ServedPerSecondAfter >= 0.9 * limit, $"{run}");
    }

    [Fact]
    public void Should_reach_the_callers_full_speed_within_a_second_while_the_server_never_throttles()
    {
        var clock = new ManualClock();
        var pacer = RequestPacer.Adaptive(clock: clock);

        // 64 callers with 10 ms answers can make 6,400 requests/s: slow start doubles to that within the first second.
        var run = Simulate(pacer, clock, limit: 1_000_000, workers: 64, latencyMs: 10, seconds: 3);

        Assert.True(pacer.Unbounded);
        Assert.InRange(run.ServedInSecond2, 0.95 * 6_400, 6_400 + 64);
        Assert.Equal(0, run.Throttled);
    }

    [Fact]
    public void Should_start_paced_and_double_every_150_ms_while_demand_keeps_up()
    {
        var clock = new ManualClock();
        var pacer = RequestPacer.Adaptive(clock: clock);

        Assert.Equal(100, pacer.CurrentRate);
        Assert.True(pacer.AttemptAcquire().IsAcquired);
        Assert.False(pacer.AttemptAcquire().IsAcquired);   // spaced from the first request: the next slot is 10 ms away
        clock.Advance(TimeSpan.FromSeconds(2));             // idle: nobody asked, so no doubling
        Assert.True(pacer.AttemptAcquire().IsAcquired);
        Assert.Equal(100, pacer.CurrentRate);

        Saturate(pacer, clock, TimeSpan.FromMilliseconds(755));

        Assert.Equal(3_200, pacer.CurrentRate);             // 100 -> 200 -> 400 -> 800 -> 1600 -> 3200
        Assert.True(pacer.Unbounded);
    }

    [Fact]
    public void Should_let_a_request_go_at_once_in_slow_start_when_none_is_in_flight_and_not_after_a_429()
    {
        var clock = new ManualClock();
        var pacer = RequestPacer.Adaptive(clock: clock);

        var first = pacer.AttemptAcquire();
        Assert.True(first.IsAcquired);
        Assert.False(pacer.AttemptAcquire().IsAcquired);    // one in flight: the next waits for its slot
        first.Dispose();
        using (var alone = pacer.AttemptAcquire())
            Assert.True(alone.IsAcquired);                  // none in flight: a sequential caller is not slowed

        pacer.ReportThrottled(TimeSpan.FromSeconds(1));
        clock.Advance(TimeSpan.FromSeconds(1));
        pacer.AttemptAcquire().Dispose();
        Assert.False(pacer.AttemptAcquire().IsAcquired);    // a limit is known: spaced, in flight or not
    }

    [Fact]
    public async Task Should_see_each_request_of_the_client_through_before_the_next_so_sequential_requests_never_wait()
    {
        // Fake time that never moves: a request that had to wait for its slot would never start.
        var clock = new FakeTimeProvider();
        var pacer = RequestPacer.Adaptive(clock: clock);
        await using var server = await SwanLab.Emulator.EmulatorServer.StartAsync(new SwanLab.Emulator.EmulatorOptions { Size = SwanLab.Emulator.DatasetSize.Tiny });
        await using var api = await SwanLabApi.ConnectAsync(new SwanLabApiOptions
        {
            ApiKey = server.ApiKey, Host = server.BaseUrl.ToString(), RateLimiter = pacer,
            Environment = SwanLabEnvironment.Empty(Path.GetTempPath()),
        }).WaitAsync(TimeSpan.FromSeconds(20));

        var projects = 0;
        await foreach (var _ in api.ProjectsAsync("alice").WithCancellation(new CancellationTokenSource(TimeSpan.FromSeconds(20)).Token))
            projects++;
        var run = await api.RunAsync($"alice/mnist-baseline/{server.Dataset.FindProject("alice", "mnist-baseline")!.Runs[0].Cuid}")
            .WaitAsync(TimeSpan.FromSeconds(20));

        Assert.True(projects > 0);
        Assert.NotNull(run);
        Assert.True(pacer.Unbounded);
    }

    [Fact]
    public void Should_start_at_the_limit_of_the_token_bucket_its_requests_emptied_at_the_first_429()
    {
        // A server with a token bucket of 50/s holding one second's worth, as the emulator's; callers as fast as allowed.
        var clock = new ManualClock();
        var pacer = RequestPacer.Adaptive(clock: clock);
        double tokens = 50;
        while (pacer.Unbounded)
        {
            tokens = Math.Min(50, tokens + 0.05);
            while (pacer.Unbounded && pacer.AttemptAcquire().IsAcquired)
            {
                if (tokens >= 1) tokens--;
                else pacer.ReportThrottled(TimeSpan.FromSeconds(1));
            }

            clock.Advance(TimeSpan.FromMilliseconds(1));
        }

        // Slow start passed 50/s well before the bucket ran dry; what it accepted over the last second was more than 50.
        Assert.InRange(pacer.Ceiling!.Value, 47, 53);
        Assert.InRange(pacer.CurrentRate, 0.9 * 47, 0.9 * 53);
        Assert.Equal(1, pacer.Throttles);
    }

    /// <summary>Starts <paramref name="count"/> queued acquisitions; each records the fake time it was granted at.</summary>
    private static (List<Task> Waiters, List<TimeSpan> GrantedAt) Queue(RequestPacer pacer, FakeTimeProvider clock, int count)
    {
        var start = clock.GetUtcNow();
        var grantedAt = new List<TimeSpan>();
        var waiters = Enumerable.Range(0, count).Select(async _ =>
        {
            using var lease = await pacer.AcquireAsync();
            lock (grantedAt) grantedAt.Add(clock.GetUtcNow() - start);
        }).ToList();
        return (waiters, grantedAt);
    }

    private static async Task AdvanceAsync(FakeTimeProvider clock, TimeSpan total)
    {
        // Small fake steps with a real yield between them, so woken waiters can book again before time moves on.
        for (var t = TimeSpan.Zero; t < total; t += TimeSpan.FromMilliseconds(5))
        {
            clock.Advance(TimeSpan.FromMilliseconds(5));
            await Task.Delay(1);
        }
    }

    [Fact]
    public async Task Should_hold_back_requests_already_queued_when_the_server_says_retry_after()
    {
        var clock = new FakeTimeProvider();
        var pacer = RequestPacer.Fixed(100, clock);
        var (waiters, grantedAt) = Queue(pacer, clock, 40);   // booked 10 ms apart: 0 .. 390 ms

        await AdvanceAsync(clock, TimeSpan.FromMilliseconds(50));
        int before;
        lock (grantedAt) before = grantedAt.Count;
        pacer.ReportThrottled(TimeSpan.FromSeconds(2));
        await AdvanceAsync(clock, TimeSpan.FromSeconds(3));
        await Task.WhenAll(waiters);

        Assert.InRange(before, 1, 8);
        // Everyone still queued at the 429 starts after the pause, not at the slot booked before it.
        Assert.All(grantedAt.Skip(before), at => Assert.True(at >= TimeSpan.FromMilliseconds(2050), $"granted at {at}"));
    }

    [Fact]
    public async Task Should_apply_a_rate_cut_to_requests_already_queued()
    {
        var clock = new FakeTimeProvider();
        var pacer = RequestPacer.Adaptive(200, clock: clock);
        var (waiters, grantedAt) = Queue(pacer, clock, 100);  // booked 5 ms apart: 0 .. 495 ms at the old rate

        await AdvanceAsync(clock, TimeSpan.FromMilliseconds(100));
        pacer.ReportThrottled();                            // 200/s -> 160/s
        var cutRate = pacer.CurrentRate;
        int before;
        lock (grantedAt) before = grantedAt.Count;
        await AdvanceAsync(clock, TimeSpan.FromMilliseconds(400));
        int after;
        lock (grantedAt) after = grantedAt.Count - before;
        await AdvanceAsync(clock, TimeSpan.FromSeconds(1));
        await Task.WhenAll(waiters);

        Assert.True(cutRate < 200);
        // At the old bookings ~80 would start in these 400 ms; at the cut rate at most 400 ms x rate (+1 for the edge).
        Assert.True(after <= 0.4 * cutRate + 2, $"{after} granted in 400 ms after a cut to {cutRate:F0}/s");
    }

    [Fact]
    public async Task Should_keep_releases_spaced_when_the_timers_of_many_waiters_fire_late_together()
    {
        var clock = new FakeTimeProvider();
        var pacer = RequestPacer.Fixed(100, clock);
        var (waiters, grantedAt) = Queue(pacer, clock, 10);   // booked 10 ms apart: 0 .. 90 ms

        // A stall: fake time jumps past every booked slot at once, as a starved machine's timers do.
        clock.Advance(TimeSpan.FromMilliseconds(200));
        for (var i = 0; i < 20; i++) await Task.Delay(1);
        int together;
        lock (grantedAt) together = grantedAt.Count;
        await AdvanceAsync(clock, TimeSpan.FromMilliseconds(200));
        await Task.WhenAll(waiters);

        // The first (granted at once) and at most one more overdue one; the rest half a slot apart, not all at once.
        Assert.InRange(together, 1, 3);
        Assert.Equal(10, grantedAt.Count);
    }

    [Fact]
    public async Task Should_not_count_requests_still_queued_as_accepted_when_the_first_429_comes()
    {
        var clock = new FakeTimeProvider();
        var pacer = RequestPacer.Adaptive(clock: clock);
        // 40 requests in flight together (each holds its lease): slow start books them 10 ms apart, 400 ms ahead.
        using var stop = new CancellationTokenSource();
        var leases = Enumerable.Range(0, 40).Select(_ => pacer.AcquireAsync(1, stop.Token).AsTask()).ToList();

        pacer.ReportThrottled(TimeSpan.FromSeconds(1));        // at once: only the first has been sent

        Assert.InRange(pacer.Ceiling!.Value, 1, 5);
        await stop.CancelAsync();
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => Task.WhenAll(leases));
    }

    [Fact]
    public void Should_reject_a_rate_that_is_not_positive()
    {
        Assert.Throws<ArgumentOutOfRangeException>(() => RequestPacer.Fixed(0));
        Assert.Throws<ArgumentOutOfRangeException>(() => RequestPacer.Adaptive(double.NaN));
    }
}
