using Switchboard.LoadTests.Simulation;

namespace Switchboard.Tests.LoadTests;

public sealed class AgentRosterTests
{
    [Fact]
    public void AgentsAreSplitOverTeamsByLargestRemainder()
    {
        // 40 × (42, 30, 15, 8, 5) % = 16.8, 12, 6, 3.2, 2: floors 16+12+6+3+2 = 39, the largest remainder (0.8) gets the last.
        Assert.Equal([17, 12, 6, 3, 2], AgentRoster.Allocate(40, [42, 30, 15, 8, 5]));
    }

    [Fact]
    public void EverySkillGetsAnAgentWhenThereAreEnough()
    {
        var sizes = AgentRoster.Allocate(6, [42, 30, 15, 8, 5]);

        Assert.Equal(6, sizes.Sum());
        Assert.All(sizes, size => Assert.True(size >= 1));
    }

    [Fact]
    public void ARosterHasStableIdsWithThePrefixAndTeamsBySkillSet()
    {
        var roster = AgentRoster.Create(12, 3, "shipping:4+returns=1,payment=1", "bench-");

        Assert.Equal("bench-0001", roster.Agents[0].Id);
        Assert.Equal(12, roster.Agents.Select(a => a.Id).Distinct().Count());
        Assert.Equal(["payment:3", "returns:3+shipping:4"], roster.Agents.Select(a => a.Team).Distinct().Order());
        Assert.Equal(6, roster.Agents.Count(a => a.Skills.TryGetValue("shipping", out var p) && p == 4));
        Assert.Equal(["payment", "returns", "shipping"], roster.Skills);
    }

    [Fact]
    public void ThePrintedEnvironmentConfiguresEachAgentAsTheSiloReadsIt()
    {
        var roster = AgentRoster.Create(2, 4, "shipping=1,general:5=1", "lt");
        var lines = roster.ToEnvironment().Split('\n', StringSplitOptions.RemoveEmptyEntries);

        Assert.Contains("Switchboard__Agents__lt0001__Capacity=4", lines);
        Assert.Contains("Switchboard__Agents__lt0001__Skills__shipping=3", lines);
        Assert.Contains("Switchboard__Agents__lt0002__Skills__general=5", lines);
        Assert.Equal(6, lines.Length);
    }

    [Fact]
    public void AnEmbeddedSiloGetsTheStandardSkillsAndTheAgents()
    {
        var settings = AgentRoster.Create(1, 2, "returns=1", "a").ToConfiguration().ToDictionary();

        foreach (var skill in new[] { "shipping", "returns", "payment", "account", "general" })
        {
            Assert.True(settings.ContainsKey($"Switchboard:Skills:{skill}:DisplayName"), skill);
        }

        Assert.Equal("2", settings["Switchboard:Agents:a0001:Capacity"]);
        Assert.Equal("3", settings["Switchboard:Agents:a0001:Skills:returns"]);
    }

    [Theory]
    [InlineData("shipping:9=1")]
    [InlineData("=1")]
    [InlineData("shipping")]
    public void ABadSkillMixIsRefused(string mix)
    {
        Assert.ThrowsAny<Exception>(() => AgentRoster.Create(5, 2, mix, "lt"));
    }
}
