using Switchboard.LoadTests.Simulation;

namespace Switchboard.Tests.LoadTests;

public sealed class TopicMixTests
{
    [Fact]
    public void TheDefaultSkewIsTheIssuesMixWithOtherAsGeneral()
    {
        var mix = TopicMix.Default;

        Assert.Equal(["shipping", "returns", "payment", "account", "general"], mix.Topics);
        Assert.Equal([0.42, 0.30, 0.15, 0.08, 0.05], mix.Shares.Select(s => Math.Round(s, 4)));
    }

    [Fact]
    public void SamplingFollowsTheSkew()
    {
        var dice = new Dice(1);
        const int samples = 100_000;
        var counts = Enumerable.Range(0, samples)
            .Select(i => TopicMix.Default.Pick(dice.Roll(i, purpose: 1)))
            .GroupBy(t => t)
            .ToDictionary(g => g.Key, g => (double)g.Count() / samples);

        // The binomial standard deviation at 100,000 samples is at most 0.16 points; one point is over six of them.
        Assert.InRange(counts["shipping"], 0.41, 0.43);
        Assert.InRange(counts["returns"], 0.29, 0.31);
        Assert.InRange(counts["payment"], 0.14, 0.16);
        Assert.InRange(counts["account"], 0.07, 0.09);
        Assert.InRange(counts["general"], 0.04, 0.06);
    }

    [Theory]
    [InlineData(0.0, "shipping")]
    [InlineData(0.4199, "shipping")]
    [InlineData(0.42, "returns")]
    [InlineData(0.7199, "returns")]
    [InlineData(0.72, "payment")]
    [InlineData(0.9499, "account")]
    [InlineData(0.95, "general")]
    [InlineData(0.999999, "general")]
    public void EachTopicOwnsItsShareOfTheUnitInterval(double u, string topic)
    {
        Assert.Equal(topic, TopicMix.Default.Pick(u));
    }

    [Fact]
    public void WeightsAreRelativeAndTopicsLowerCased()
    {
        var mix = TopicMix.Parse("Shipping=3, returns=1");

        Assert.Equal(["shipping", "returns"], mix.Topics);
        Assert.Equal(0.75, mix.ShareOf("shipping"));
    }

    [Theory]
    [InlineData("shipping")]
    [InlineData("shipping=x")]
    [InlineData("shipping=0")]
    public void AMixWithoutAUsableWeightIsRefused(string spec)
    {
        Assert.ThrowsAny<Exception>(() => TopicMix.Parse(spec));
    }

    [Fact]
    public void DiceRollsAreRepeatableAndDifferByPurpose()
    {
        var dice = new Dice(42);

        Assert.Equal(dice.Roll(5, 1), new Dice(42).Roll(5, 1));
        Assert.NotEqual(dice.Roll(5, 1), dice.Roll(5, 2));
        Assert.NotEqual(dice.Roll(5, 1), dice.Roll(6, 1));
        Assert.All(Enumerable.Range(0, 1000).Select(i => dice.Roll(i, 3)), u => Assert.InRange(u, 0.0, 0.9999999999));
    }
}
