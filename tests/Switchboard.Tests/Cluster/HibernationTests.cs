using Microsoft.Extensions.Time.Testing;
using Orleans.Runtime;
using Switchboard.Conversations;
using Switchboard.Supervision;

namespace Switchboard.Tests.Cluster;

/// <summary>
/// A fake-time cluster in which waiting conversations leave memory after 30 s of nothing to do (the default is 60 s),
/// and their deadline shard brings them back 3 s before their next due time (the default).
/// </summary>
public sealed class HibernationFixture : ClusterFixture
{
    public HibernationFixture()
    {
        Time = new FakeTimeProvider(FakeTimeStart);
        Configure = options =>
        {
            NoPresenceRefresh(options);
            NoOverflow(options);
            options.Deadlines.HibernateAfter = TimeSpan.FromSeconds(30);
        };
    }
}

/// <summary>
/// A long line of waiting customers costs their stored state, queue entries and shard entries, not a live grain each:
/// a conversation that only waits leaves memory, and nothing the customer or the floor sees changes — its deadline
/// fires on the second, once, it is still offered to the next agent free, and the customer still reaches it.
/// </summary>
public sealed class HibernationTests(HibernationFixture fixture) : IClassFixture<HibernationFixture>
{
    private FakeTimeProvider Time => fixture.Time!;

    private RecordingNotifier Notifier => fixture.Notifier;

    [Fact]
    public async Task AWaitingConversationLeavesMemoryAndItsShardBringsItBackInTimeForItsDeadline()
    {
        var skill = fixture.NewSkill();
        var (conversation, id) = await fixture.StartAsync(skill);
        await Notifier.WaitForQueuedAsync(id);
        Assert.True(await IsInMemoryAsync(id));

        Time.Advance(TimeSpan.FromSeconds(30));
        await WaitUntilInMemoryAsync(id, expected: false);
        Assert.Contains((await fixture.QueueAsync(skill)).Waiting, e => e.ConversationId == id);

        // Its shard holds a wake-up 3 s before the deadline (fired 1 s grace after the time it holds).
        Time.Advance(TimeSpan.FromSeconds(56));
        Assert.False(await IsInMemoryAsync(id));
        Time.Advance(TimeSpan.FromSeconds(1));
        await WaitUntilInMemoryAsync(id, expected: true);

        Time.Advance(TimeSpan.FromSeconds(3));
        var alert = (SupervisorAlert)(await Notifier.WaitAsync(n => n.Kind == RecordingNotifier.Alert && n.ConversationId == id)).Payload!;
        var view = await conversation.GetAsync();
        Assert.Equal(SupervisorAlertKind.Breach, alert.Kind);
        Assert.Equal(view.StartedAt + TimeSpan.FromSeconds(90), alert.At);
        Assert.Single(view.SlaEvents, e => e.Kind == SlaEventKind.Breached);
        await fixture.AssertInvariantsAsync([], [id], skill);
    }

    [Fact]
    public async Task AConversationThatLeftMemoryIsAssignedWhenAnAgentComesOnlineAndHearsTheCustomer()
    {
        // A calm customer: 120 s to the first answer, so it can leave memory twice before its shard would wake it.
        var skill = fixture.NewSkill();
        var (conversation, id) = await fixture.StartAsync(new StartConversation("Ann", skill, "Where is my parcel?", Emotion: Emotion.Calm));
        await Notifier.WaitForQueuedAsync(id);
        Time.Advance(TimeSpan.FromSeconds(30));
        await WaitUntilInMemoryAsync(id, expected: false);

        await conversation.PostCustomerMessageAsync("Are you there?");
        Assert.True(await IsInMemoryAsync(id));
        Time.Advance(TimeSpan.FromSeconds(30));
        await WaitUntilInMemoryAsync(id, expected: false);

        var agent = await fixture.OnlineAgentAsync(1, (skill, 3));
        var (agentId, assigned) = await Notifier.WaitForAssignmentAsync(id);
        Assert.Equal(agent.GetPrimaryKeyString(), agentId);
        Assert.Contains(assigned.Messages, m => m.Text == "Are you there?");
        Assert.Equal(ConversationStatus.Assigned, (await conversation.GetAsync()).Status);
        await fixture.AssertInvariantsAsync([agent], [id], skill);
    }

    private async Task<bool> IsInMemoryAsync(string conversationId) =>
        (await fixture.Grains.GetGrain<IManagementGrain>(0).GetDetailedGrainStatistics())
            .Any(s => s.GrainType.Contains(nameof(ConversationGrain), StringComparison.Ordinal) && s.GrainId.Key.ToString() == conversationId);

    /// <summary>Reads the cluster's activations until the conversation's is there (or gone): deactivation runs after the call that asked for it.</summary>
    private async Task WaitUntilInMemoryAsync(string conversationId, bool expected)
    {
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(20));
        while (await IsInMemoryAsync(conversationId) != expected)
        {
            await Task.Delay(20, timeout.Token);
        }
    }
}
