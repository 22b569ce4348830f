using Switchboard.Agents;
using Switchboard.Conversations;
using Switchboard.Deadlines;
using Switchboard.Supervision;

namespace Switchboard.Tests.Cluster;

/// <summary>The cached references are the ones Orleans' factory makes: same grain, same interface, and they answer.</summary>
[Collection(ClusterCollection.Name)]
public sealed class GrainReferencesTests(ClusterFixture fixture)
{
    [Fact]
    public async Task ACachedReferenceIsTheFactorysOwnAndReachesTheSameGrain()
    {
        var agentId = $"agent-{Guid.NewGuid():N}";
        Assert.Equal(fixture.Grains.GetGrain<IAgentGrain>(agentId), fixture.Grains.Grain<IAgentGrain>(agentId));
        Assert.Equal(fixture.Grains.GetGrain<IConversationGrain>("c1"), fixture.Grains.Grain<IConversationGrain>("c1"));
        Assert.Equal(fixture.Grains.GetGrain<IDeadlineShardGrain>(3), fixture.Grains.Grain<IDeadlineShardGrain>(3));
        Assert.NotEqual(fixture.Grains.GetGrain<IDeadlineShardGrain>(3), fixture.Grains.Grain<IDeadlineShardGrain>(4));

        var (_, id) = await fixture.StartAsync(fixture.NewSkill());
        Assert.Equal(id, (await fixture.Grains.Grain<IConversationGrain>(id).GetAsync()).Id);
        Assert.Equal(await fixture.Grains.GetGrain<ITicketBoardGrain>(0).GetAsync(), await fixture.Grains.Grain<ITicketBoardGrain>(0).GetAsync());
        Assert.Throws<ArgumentException>(() => fixture.Grains.Grain<IAgentGrain>(" "));
    }
}
