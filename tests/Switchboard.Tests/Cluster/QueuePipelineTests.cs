using Switchboard.Conversations;

namespace Switchboard.Tests.Cluster;

/// <summary>
/// A cluster on shared storage whose conversation writes a test can hold, as a slow database would: it shows what a
/// queue does while offers wait on those writes. Nothing re-announces, overflows or times out on its own.
/// </summary>
public sealed class QueuePipelineFixture : ClusterFixture
{
    public QueuePipelineFixture()
    {
        Storage = ClusterStorage.Shared;
        Configure = options =>
        {
            NoPresenceRefresh(options);
            NoOverflow(options);
            NoReservationTimeout(options);
        };
    }

    public SharedGrainStore Store => SharedStore!;
}

[CollectionDefinition(Name)]
public sealed class QueuePipelineCollection : ICollectionFixture<QueuePipelineFixture>
{
    public const string Name = "queue pipeline";
}

/// <summary>
/// Issue 16 item 3: a queue offers several conversations at once (QueueOffersInFlight, 4) and does not wait on one
/// conversation's storage write before offering the next; the agent's grain still grants every slot, and the line is
/// still served in order.
/// </summary>
[Collection(QueuePipelineCollection.Name)]
public sealed class QueuePipelineTests(QueuePipelineFixture fixture)
{
    private const string ConversationState = "conversation";

    private RecordingNotifier Notifier => fixture.Notifier;

    [Fact]
    public async Task AQueueOffersTheNextConversationWhileTheLastOnesWriteIsStillPending()
    {
        var skill = fixture.NewSkill();
        var line = await StartWaitingAsync(skill, 6);

        fixture.Store.Hold(ConversationState);
        try
        {
            var agent = await fixture.OnlineAgentAsync(6, (skill, 3));
            // Four conversations are storing their assignment at once: four offers out, none waiting on another's write.
            await fixture.Store.WaitUntilHeldAsync(ConversationState, 4);
            fixture.Store.Release(ConversationState);
            foreach (var id in line)
            {
                Assert.Equal(agent.GetPrimaryKeyString(), (await Notifier.WaitForAssignmentAsync(id)).AgentId);
            }

            await fixture.AssertInvariantsAsync([agent], line, [skill]);
        }
        finally
        {
            fixture.Store.Release(ConversationState);
        }
    }

    [Fact]
    public async Task OffersOutCountAgainstTheAgentsRoomSoTheFrontOfTheLineGetsTheFreeSlots()
    {
        var skill = fixture.NewSkill();
        var line = await StartWaitingAsync(skill, 6);

        fixture.Store.Hold(ConversationState);
        try
        {
            var agent = await fixture.OnlineAgentAsync(2, (skill, 3));
            await fixture.Store.WaitUntilHeldAsync(ConversationState, 2);
            fixture.Store.Release(ConversationState);
            foreach (var id in line[..2])
            {
                await Notifier.WaitForAssignmentAsync(id);
            }

            await fixture.AssertInvariantsAsync([agent], line, [skill]);
            Assert.Equal(line[..2].Order(), (await agent.GetAsync())!.Conversations.Order());
            Assert.Equal(line[2..], (await fixture.QueueAsync(skill)).Waiting.Select(e => e.ConversationId));
        }
        finally
        {
            fixture.Store.Release(ConversationState);
        }
    }

    /// <summary>Starts conversations with nobody online to take them; their ids in the order of the line.</summary>
    private async Task<string[]> StartWaitingAsync(string skill, int count)
    {
        var ids = new List<string>();
        for (var i = 0; i < count; i++)
        {
            ids.Add((await fixture.StartAsync(new StartConversation("Ann", skill, "Where is my parcel?", Priority: count - i))).Id);
        }

        await Notifier.WaitForQueuedAsync([.. ids]);
        return [.. ids];
    }
}
