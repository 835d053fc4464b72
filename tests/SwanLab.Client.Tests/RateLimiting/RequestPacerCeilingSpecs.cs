using SwanLab.Client.RateLimiting;

namespace SwanLab.Client.Tests.RateLimiting;

/// <summary><see cref="RequestPacer.SetCeiling"/>: a bound from outside (a cluster node's share of the budget).</summary>
public class RequestPacerCeilingSpecs
{
    private sealed class ManualClock : TimeProvider
    {
        private long _ticks = 1_000_000;
        public override long TimestampFrequency => 1_000_000;
        public override long GetTimestamp() => _ticks;
        public void Advance(TimeSpan by) => _ticks += (long)(by.TotalSeconds * TimestampFrequency);
    }

    /// <summary>Offers up to 100 requests a millisecond (an unpaced pacer grants them all) for <paramref name="duration"/>.</summary>
    private static int Saturate(RequestPacer pacer, ManualClock clock, TimeSpan duration)
    {
        var granted = 0;
        for (var t = TimeSpan.Zero; t < duration; t += TimeSpan.FromMilliseconds(1))
        {
            for (var offered = 0; offered < 100 && pacer.AttemptAcquire().IsAcquired; offered++)
            {
                granted++;
            }

            clock.Advance(TimeSpan.FromMilliseconds(1));
        }

        return granted;
    }

    [Fact]
    public void Should_space_a_fixed_pacer_at_its_ceiling_and_go_back_to_its_rate_when_lifted()
    {
        var clock = new ManualClock();
        var pacer = RequestPacer.Fixed(100, clock);

        pacer.SetCeiling(25);
        var bounded = Saturate(pacer, clock, TimeSpan.FromSeconds(10));
        Assert.Equal(25, pacer.CurrentRate);
        pacer.SetCeiling(50);
        var raised = Saturate(pacer, clock, TimeSpan.FromSeconds(10));
        pacer.SetCeiling(null);
        var lifted = Saturate(pacer, clock, TimeSpan.FromSeconds(10));

        Assert.InRange(bounded, 249, 251);
        Assert.InRange(raised, 499, 501);
        Assert.InRange(lifted, 999, 1001);
        Assert.Null(pacer.Limit);
    }

    [Fact]
    public void Should_hold_an_adaptive_pacer_in_slow_start_at_its_ceiling()
    {
        var clock = new ManualClock();
        var pacer = RequestPacer.Adaptive(clock: clock);
        Saturate(pacer, clock, TimeSpan.FromMilliseconds(500));                      // slow start doubles past 20/s

        pacer.SetCeiling(20);

        Assert.InRange(Saturate(pacer, clock, TimeSpan.FromSeconds(10)), 199, 201);
        Assert.True(pacer.Unbounded);                                                // it has still not seen a 429
    }

    [Fact]
    public void Should_not_let_an_adaptive_pacer_grow_past_its_ceiling_under_demand()
    {
        var clock = new ManualClock();
        var pacer = RequestPacer.Adaptive(10, clock: clock);
        pacer.SetCeiling(25);

        Saturate(pacer, clock, TimeSpan.FromSeconds(10));
        Assert.Equal(25, pacer.CurrentRate, 6);
        pacer.SetCeiling(null);
        Saturate(pacer, clock, TimeSpan.FromSeconds(1));

        // Growth resumes from the bound, not from a rate inflated while it was held there.
        Assert.InRange(pacer.CurrentRate, 25.0001, 25 * 1.5 * 1.5 * 1.5 * 1.5 + 1);
    }

    [Fact]
    public void Should_space_the_requests_after_a_lower_ceiling_at_it_and_not_speed_up_for_a_higher_one()
    {
        var clock = new ManualClock();
        var pacer = RequestPacer.Fixed(10, clock);
        Saturate(pacer, clock, TimeSpan.FromSeconds(1));

        pacer.SetCeiling(1);
        var lowered = Saturate(pacer, clock, TimeSpan.FromSeconds(10));
        pacer.SetCeiling(100);
        var higher = Saturate(pacer, clock, TimeSpan.FromSeconds(10));

        Assert.InRange(lowered, 10, 11);
        Assert.InRange(higher, 99, 101);
        Assert.Equal(10, pacer.CurrentRate);
    }

    [Theory]
    [InlineData(0)]
    [InlineData(-1)]
    [InlineData(double.PositiveInfinity)]
    [InlineData(double.NaN)]
    public void Should_refuse_a_ceiling_that_is_not_a_positive_rate(double ceiling)
    {
        var pacer = RequestPacer.Fixed(10);

        Assert.Throws<ArgumentOutOfRangeException>(() => pacer.SetCeiling(ceiling));
    }
}
