using Switchboard.LoadTests.Options;
using Switchboard.LoadTests.Simulation;

namespace Switchboard.Tests.LoadTests;

public sealed class OptionsParserTests
{
    [Fact]
    public void TheSmokeScenarioIsAShortEmbeddedRunWithNoFailuresAllowed()
    {
        var options = OptionsParser.Parse(["--scenario", "smoke"]);

        Assert.True(options.Embedded);
        Assert.Equal(20, options.Rate);
        Assert.Equal(TimeSpan.FromSeconds(17), options.Warmup + options.Duration);
        Assert.Equal(0, options.FailThreshold);
    }

    [Fact]
    public void OptionsOverrideTheScenarioWhateverTheirOrder()
    {
        var options = OptionsParser.Parse(["--rate=50", "--agents", "30", "--scenario", "smoke", "--fail-threshold", "2.5%"]);

        Assert.Equal(50, options.Rate);
        Assert.Equal(30, options.Agents);
        Assert.Equal(0.025, options.FailThreshold, 9);
    }

    [Fact]
    public void SeveralUrlsMakeAClusterTarget()
    {
        var options = OptionsParser.Parse(["--url", "http://127.0.0.1:5080,http://127.0.0.1:5081", "--url", "http://127.0.0.1:5082"]);

        Assert.Equal(3, options.Urls.Count);
        Assert.False(options.Embedded);
    }

    [Fact]
    public void ALoadSpecReplacesRateAndDuration()
    {
        var options = OptionsParser.Parse(["--embedded", "--load", "ramp 0 100 30s, const 100 30s", "--arrivals", "even"]);

        Assert.Equal(TimeSpan.FromSeconds(60), options.MeasuredDuration);
        Assert.Equal(ArrivalPattern.Even, options.Arrivals);
        Assert.Equal(4500, options.Schedule().ExpectedArrivals, 6);
    }

    [Fact]
    public void AutoStaffingSizesAgentsForHalfTheirCapacityAtThePeak()
    {
        // Hold time: 3 agent turns + 2 customer turns of 0.5 s = 2.5 s; 100/s × 2.5 s = 250 open; 250 / (3 × 0.5) → 167.
        var options = OptionsParser.Parse(["--embedded", "--rate", "100"]);

        Assert.Equal(TimeSpan.FromSeconds(2.5), options.ExpectedHoldTime());
        Assert.Equal(167, options.Roster().Agents.Count);
    }

    [Theory]
    [InlineData(new string[0], "Name a target")]
    [InlineData(new[] { "--embedded", "--url", "http://127.0.0.1:1" }, "Name a target")]
    [InlineData(new[] { "--embedded", "--frobnicate", "1" }, "Unknown option --frobnicate")]
    [InlineData(new[] { "--embedded", "--rate" }, "--rate needs a value")]
    [InlineData(new[] { "--embedded", "--duration", "soon" }, "--duration")]
    [InlineData(new[] { "--scenario", "nope" }, "Unknown scenario 'nope'")]
    [InlineData(new[] { "--embedded", "--topics", "billing=1" }, "No agent serves topic(s) billing")]
    public void ACommandLineItCannotRunIsRefusedWithAReason(string[] args, string expected)
    {
        var error = Assert.Throws<OptionsException>(() => OptionsParser.Parse(args));
        Assert.Contains(expected, error.Message);
    }

    [Theory]
    [InlineData("250ms", 250)]
    [InlineData("20s", 20_000)]
    [InlineData("1.5m", 90_000)]
    [InlineData("00:00:02", 2_000)]
    public void DurationsReadAsPeopleWriteThem(string text, double milliseconds)
    {
        Assert.Equal(milliseconds, Durations.Parse(text).TotalMilliseconds);
    }

    [Fact]
    public void ThinkTimesAreFixedOrUniformRanges()
    {
        var range = ThinkTime.Parse("200ms..1s");

        Assert.Equal(TimeSpan.FromMilliseconds(600), range.Mean);
        Assert.Equal(TimeSpan.FromMilliseconds(200), range.Sample(0));
        Assert.Equal(TimeSpan.FromMilliseconds(300), ThinkTime.Parse("300ms").Sample(0.9));
        Assert.Throws<FormatException>(() => ThinkTime.Parse("1s..200ms"));
    }
}
