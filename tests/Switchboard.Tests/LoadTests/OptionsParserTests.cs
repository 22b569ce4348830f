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
    public void AutoStaffingGivesEachTeamItsLoadPlusASafetyMarginOfSlots()
    {
        // Hold time: 3 agent turns + 2 customer turns of 0.5 s = 2.5 s; 100/s × 2.5 s = 250 open conversations.
        // Shipping's 42 % is 105 of them: 105 + 3.5·√105 = 140.9 slots → 47 agents of capacity 3; general's 12.5 → 9.
        var options = OptionsParser.Parse(["--embedded", "--rate", "100"]);
        var teams = AgentRoster.ParseTeams(options.SkillMix);

        Assert.Equal(TimeSpan.FromSeconds(2.5), options.ExpectedHoldTime());
        Assert.Equal([47, 36, 20, 12, 9], Staffing.TeamSizes(teams, TopicMix.Default, options.ExpectedPeakConcurrency(), 3));
        Assert.Equal(124, options.Roster().Agents.Count);
    }

    [Fact]
    public void TeamsSharingATopicShareItsLoadByWeight()
    {
        var teams = AgentRoster.ParseTeams("shipping=3,shipping+returns=1");

        // 100 open: shipping 50 (3:1 → 37.5 and 12.5), returns 50 all to the second team (62.5 in all).
        Assert.Equal([20, 31], Staffing.TeamSizes(teams, TopicMix.Parse("shipping=1,returns=1"), 100, 3));
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
