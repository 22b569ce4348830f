using Switchboard.LoadTests.Simulation;

namespace Switchboard.Tests.LoadTests;

public sealed class ArrivalScheduleTests
{
    private static List<double> Seconds(string spec, ArrivalPattern pattern = ArrivalPattern.Even, int seed = 1) =>
        [.. ArrivalSchedule.Parse(spec).Arrivals(pattern, seed).Select(t => t.TotalSeconds)];

    [Fact]
    public void AConstantRateInjectsRateTimesDurationEvenlySpaced()
    {
        var arrivals = Seconds("const 10 5s");

        Assert.Equal(50, arrivals.Count);
        Assert.Equal(0.05, arrivals[0], 9);
        Assert.All(arrivals.Zip(arrivals.Skip(1)), pair => Assert.Equal(0.1, pair.Second - pair.First, 9));
    }

    [Fact]
    public void ARampPutsThreeQuartersOfItsArrivalsInItsSecondHalf()
    {
        // 0 → 100/s over 10 s: 500 arrivals, the first half under a rate that averages 25/s, the second 75/s.
        var arrivals = Seconds("ramp 0 100 10s");

        Assert.Equal(500, arrivals.Count);
        Assert.Equal(125, arrivals.Count(t => t < 5));
        Assert.True(arrivals.SequenceEqual(arrivals.Order()));
    }

    [Fact]
    public void ADownwardRampMirrorsTheUpwardOne()
    {
        var arrivals = Seconds("ramp 100 0 10s");

        Assert.Equal(500, arrivals.Count);
        Assert.Equal(375, arrivals.Count(t => t < 5));
    }

    [Fact]
    public void ABurstConcentratesArrivalsInTheLastSecondsOfEachPeriod()
    {
        // Base 10/s, 100/s for the last 2 s of every 10 s, for 20 s: 2 × (8 × 10 + 2 × 100).
        var arrivals = Seconds("burst 10 100 2s/10s 20s");

        Assert.Equal(560, arrivals.Count);
        Assert.Equal(200, arrivals.Count(t => t is >= 8 and < 10));
        Assert.Equal(80, arrivals.Count(t => t < 8));
    }

    [Fact]
    public void PhasesFollowEachOtherInOrder()
    {
        var arrivals = Seconds("const 2 5s, const 20 5s");

        Assert.Equal(10, arrivals.Count(t => t < 5));
        Assert.Equal(100, arrivals.Count(t => t >= 5));
    }

    [Fact]
    public void PoissonArrivalsAverageTheRateAndReplayForTheSameSeed()
    {
        var first = Seconds("const 100 60s", ArrivalPattern.Poisson, seed: 7);
        var again = Seconds("const 100 60s", ArrivalPattern.Poisson, seed: 7);
        var other = Seconds("const 100 60s", ArrivalPattern.Poisson, seed: 8);

        // 6,000 expected; a Poisson count's standard deviation is √6000 ≈ 77, so ±400 is over five of them.
        Assert.InRange(first.Count, 5600, 6400);
        Assert.Equal(first, again);
        Assert.NotEqual(first, other);
        Assert.True(first.SequenceEqual(first.Order()));
    }

    [Fact]
    public void AWarmupRunsAtTheFirstPhasesStartingRateBeforeTheLoad()
    {
        var schedule = ArrivalSchedule.Parse("ramp 20 40 10s").WithWarmup(TimeSpan.FromSeconds(5));

        Assert.Equal(TimeSpan.FromSeconds(15), schedule.Duration);
        Assert.Equal(20, schedule.RateAt(TimeSpan.FromSeconds(2)));
        Assert.Equal(30, schedule.RateAt(TimeSpan.FromSeconds(10)));
        Assert.Equal(100 + 300, schedule.Arrivals(ArrivalPattern.Even).Count());
    }

    [Theory]
    [InlineData("const 10")]
    [InlineData("ramp 1 2 3 4s")]
    [InlineData("burst 10 100 10s/2s 20s")]
    [InlineData("steady 10 5s")]
    [InlineData("const -1 5s")]
    public void AMalformedPhaseIsRefusedWithAMessage(string spec)
    {
        var error = Assert.ThrowsAny<Exception>(() => ArrivalSchedule.Parse(spec));
        Assert.False(string.IsNullOrWhiteSpace(error.Message));
    }
}
