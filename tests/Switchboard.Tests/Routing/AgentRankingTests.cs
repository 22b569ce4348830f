using Switchboard.Agents;
using Switchboard.Routing;

namespace Switchboard.Tests.Routing;

public sealed class AgentRankingTests
{
    private static readonly DateTimeOffset Noon = new(2026, 11, 23, 12, 0, 0, TimeSpan.Zero);

    private static AgentAvailability Agent(
        string id, int active = 0, int capacity = 3, int proficiency = 3, bool accepting = true, DateTimeOffset? lastAssigned = null) =>
        new(id, proficiency, active, capacity, accepting, lastAssigned);

    private static string? Best(int requiredProficiency, params AgentAvailability[] agents) =>
        AgentRanking.TryPickBest(agents, requiredProficiency, exclude: null, out var best) ? best.AgentId : null;

    [Fact]
    public void LowestLoadRatioWinsOverHigherProficiency()
    {
        // 1/3 loaded beats 1/2 loaded even though the busier agent is the expert.
        var best = Best(1, Agent("expert", active: 1, capacity: 2, proficiency: 5), Agent("junior", active: 1, capacity: 3, proficiency: 2));

        Assert.Equal("junior", best);
    }

    [Fact]
    public void LoadRatioIsComparedAsARatioNotAsACount()
    {
        // 2 of 6 (a third) is lighter than 1 of 2 (a half), although 2 > 1.
        Assert.Equal("big", Best(1, Agent("small", active: 1, capacity: 2), Agent("big", active: 2, capacity: 6)));
    }

    [Fact]
    public void EqualLoadGoesToTheMoreProficientAgent()
    {
        Assert.Equal("five", Best(1, Agent("three", proficiency: 3), Agent("five", proficiency: 5), Agent("four", proficiency: 4)));
    }

    [Fact]
    public void EqualLoadAndProficiencyGoesToTheLongestIdle()
    {
        var best = Best(
            1,
            Agent("recent", lastAssigned: Noon),
            Agent("earlier", lastAssigned: Noon.AddMinutes(-5)),
            Agent("middle", lastAssigned: Noon.AddMinutes(-1)));

        Assert.Equal("earlier", best);
    }

    [Fact]
    public void AnAgentNeverAssignedCountsAsIdleTheLongest()
    {
        Assert.Equal("fresh", Best(1, Agent("busy-before", lastAssigned: Noon.AddHours(-3)), Agent("fresh", lastAssigned: null)));
    }

    [Fact]
    public void AgentsBelowTheRequiredProficiencyAreNotEligible()
    {
        Assert.Null(Best(4, Agent("two", proficiency: 2), Agent("three", proficiency: 3)));
        Assert.Equal("four", Best(4, Agent("three", proficiency: 3), Agent("four", proficiency: 4, active: 2)));
    }

    [Fact]
    public void FullAgentsAreNotEligible()
    {
        Assert.Null(Best(1, Agent("full", active: 3, capacity: 3)));
        Assert.Equal("room", Best(1, Agent("full", active: 2, capacity: 2, proficiency: 5), Agent("room", active: 2, capacity: 3, proficiency: 1)));
    }

    [Fact]
    public void AgentsNotAcceptingAreNotEligible()
    {
        Assert.Null(Best(1, Agent("away", accepting: false)));
    }

    [Fact]
    public void ExcludedAgentsAreSkippedSoTheNextBestIsTried()
    {
        AgentAvailability[] agents = [Agent("a", proficiency: 5), Agent("b", proficiency: 4), Agent("c", proficiency: 3)];

        Assert.True(AgentRanking.TryPickBest(agents, 1, new HashSet<string> { "a" }, out var next));
        Assert.Equal("b", next.AgentId);
        Assert.False(AgentRanking.TryPickBest(agents, 1, new HashSet<string> { "a", "b", "c" }, out _));
    }

    [Fact]
    public void OffersOutCountAsHeldConversationsSoAnAgentSpokenForIsNotOfferedMore()
    {
        AgentAvailability[] agents = [Agent("a", active: 1, capacity: 2, proficiency: 5), Agent("b", active: 0, capacity: 3, proficiency: 3)];
        var offersOut = new Dictionary<string, int> { ["b"] = 2 };

        // b's 2 offers out make it 2/3 loaded against a's 1/2: a is lighter now.
        Assert.True(AgentRanking.TryPickBest(agents, 1, exclude: null, offersOut, out var best));
        Assert.Equal("a", best.AgentId);

        // With one more out to each, a is full and b has one slot left.
        offersOut["a"] = 1;
        Assert.True(AgentRanking.TryPickBest(agents, 1, exclude: null, offersOut, out best));
        Assert.Equal("b", best.AgentId);

        offersOut["b"] = 3;
        Assert.False(AgentRanking.TryPickBest(agents, 1, exclude: null, offersOut, out _));
    }

    [Fact]
    public void TheChoiceIsDeterministicWhenEverythingTies()
    {
        Assert.Equal("a", Best(1, Agent("b"), Agent("a"), Agent("c")));
    }
}
