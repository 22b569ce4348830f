using Microsoft.Extensions.Time.Testing;
using Orleans.Core.Internal;
using Switchboard.Conversations;
using Switchboard.Queues;

namespace Switchboard.Tests.Cluster;

/// <summary>
/// Fake time that never moves during a test: what brings a waiting conversation back to a queue that lost its memory
/// cannot be any clock, periodic re-announcement or reminder.
/// </summary>
public sealed class QueueLossClusterFixture : ClusterFixture
{
    public QueueLossClusterFixture()
    {
        Time = new FakeTimeProvider(FakeTimeStart);
        Configure = options =>
        {
            options.Sla.DefaultFirstResponse = TimeSpan.FromHours(1);
            NoReservationTimeout(options);
            NoOverflow(options);
        };
    }
}

[CollectionDefinition(Name)]
public sealed class QueueLossClusterCollection : ICollectionFixture<QueueLossClusterFixture>
{
    public const string Name = "queue loss cluster";
}

[Collection(QueueLossClusterCollection.Name)]
public sealed class QueueLossTests(QueueLossClusterFixture fixture)
{
    [Fact]
    public async Task AQueueThatLostItsMemoryGetsItsWaitingConversationsBackAsSoonAsItActivates()
    {
        var skill = fixture.NewSkill();
        var other = fixture.NewSkill();
        var conversations = new List<(IConversationGrain Grain, string Id)>();
        for (var i = 0; i < 12; i++)
        {
            conversations.Add(await fixture.StartAsync(skill));
        }

        // One waiting elsewhere: a lost queue must not pull in conversations of other queues.
        var (_, elsewhere) = await fixture.StartAsync(other);
        var ids = conversations.Select(c => c.Id).ToArray();
        await fixture.Notifier.WaitForQueuedAsync([.. ids, elsewhere]);
        var before = fixture.Now;

        // The queue loses what it held, as when its silo dies: the next call activates it empty.
        var queue = fixture.Grains.GetGrain<IQueueGrain>(skill);
        await queue.AsReference<IGrainManagementExtension>().DeactivateOnIdle();
        var agent = await fixture.OnlineAgentAsync(ids.Length, (skill, 3));

        var assigned = await Task.WhenAll(ids.Select(id => fixture.Notifier.WaitForAssignmentAsync(id)));
        Assert.All(assigned, a => Assert.Equal(agent.GetPrimaryKeyString(), a.AgentId));
        Assert.Equal(before, fixture.Now);
        foreach (var (grain, _) in conversations)
        {
            Assert.Equal(ConversationStatus.Assigned, (await grain.GetAsync()).Status);
        }

        Assert.Equal(ids.Order(), (await agent.GetAsync())!.Conversations.Order());
        Assert.Equal([elsewhere], (await fixture.Grains.GetGrain<IQueueGrain>(other).GetAsync()).Waiting.Select(w => w.ConversationId));
        await fixture.AssertInvariantsAsync([agent], [.. ids, elsewhere], skill, other);
    }
}
