using Microsoft.Extensions.Time.Testing;
using Orleans.Core.Internal;
using Switchboard.Conversations;
using Switchboard.Queues;

namespace Switchboard.Tests.Cluster;

/// <summary>
/// Fake time with a short presence refresh and a wake-up reminder too far away to help: what brings a waiting
/// conversation back to a queue that lost its memory is the conversation's own in-memory re-announcement.
/// </summary>
public sealed class QueueLossClusterFixture : ClusterFixture
{
    public static readonly TimeSpan Refresh = TimeSpan.FromSeconds(10);

    public QueueLossClusterFixture()
    {
        Time = new FakeTimeProvider(FakeTimeStart);
        Configure = options =>
        {
            options.PresenceRefreshPeriod = Refresh;
            options.Sla.WakeUpPeriod = TimeSpan.FromHours(6);
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
    public async Task AWaitingConversationReturnsToAQueueThatLostItsMemoryWithinARefreshPeriod()
    {
        var skill = fixture.NewSkill();
        var (conversation, id) = await fixture.StartAsync(skill);
        await fixture.Notifier.WaitForQueuedAsync(id);

        // The queue loses what it held, as when its silo dies: a new activation starts empty.
        var queue = fixture.Grains.GetGrain<IQueueGrain>(skill);
        await queue.AsReference<IGrainManagementExtension>().DeactivateOnIdle();
        Assert.Empty((await queue.GetAsync()).Waiting);
        var agent = await fixture.OnlineAgentAsync(1, (skill, 3));
        Assert.Equal(ConversationStatus.Waiting, (await conversation.GetAsync()).Status);
        Assert.Empty((await queue.GetAsync()).Waiting);

        fixture.Time!.Advance(QueueLossClusterFixture.Refresh);

        var (agentId, _) = await fixture.Notifier.WaitForAssignmentAsync(id);
        Assert.Equal(agent.GetPrimaryKeyString(), agentId);
        Assert.Equal(ConversationStatus.Assigned, (await conversation.GetAsync()).Status);
        await fixture.AssertInvariantsAsync([agent], [id], skill);
    }
}
