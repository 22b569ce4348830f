using Microsoft.Extensions.Time.Testing;
using Switchboard.Conversations;

namespace Switchboard.Tests.Cluster;

/// <summary>A cluster whose grains run on a fake clock, so grace periods pass when a test says so.</summary>
public sealed class FakeTimeClusterFixture : ClusterFixture
{
    public FakeTimeClusterFixture()
    {
        Time = new FakeTimeProvider(FakeTimeStart);
        OfflineGracePeriod = TimeSpan.FromSeconds(60);
        Configure = NoPresenceRefresh;
    }
}

[CollectionDefinition(Name)]
public sealed class FakeTimeClusterCollection : ICollectionFixture<FakeTimeClusterFixture>
{
    public const string Name = "fake-time cluster";
}

[Collection(FakeTimeClusterCollection.Name)]
public sealed class OfflineGraceTests(FakeTimeClusterFixture fixture)
{
    private FakeTimeProvider Time => fixture.Time!;

    [Fact]
    public async Task AfterTheGracePeriodAnOfflineAgentsConversationsGoBackToTheFrontOfTheQueue()
    {
        var skill = fixture.NewSkill();
        var leaver = await fixture.OnlineAgentAsync(1, (skill, 5));
        var (conversation, id) = await fixture.StartAsync(skill);
        await fixture.Notifier.WaitForAssignmentAsync(id);
        // Answered, so only the grace period (not the reservation timeout) can take it away.
        await conversation.PostAgentMessageAsync(leaver.GetPrimaryKeyString(), "Let me check.");

        await leaver.DisconnectAsync(ClusterFixture.ConnectionOf(leaver));
        // Offline but still holding it during the grace period; meanwhile an urgent conversation arrives.
        Assert.Equal(leaver.GetPrimaryKeyString(), (await conversation.GetAsync()).AgentId);
        var (_, urgent) = await fixture.StartAsync(skill, priority: 10);
        await fixture.Notifier.WaitForQueuedAsync(urgent);

        Time.Advance(fixture.OfflineGracePeriod + TimeSpan.FromSeconds(1));
        await fixture.Notifier.WaitAsync(n => n.Kind == RecordingNotifier.Queued && n.ConversationId == id);

        var queue = await fixture.QueueAsync(skill);
        Assert.Equal([id, urgent], queue.Waiting.Select(e => e.ConversationId));
        Assert.True(queue.Waiting[0].Front);
        Assert.Equal(ConversationStatus.Waiting, (await conversation.GetAsync()).Status);
        Assert.Empty((await leaver.GetAsync())!.Conversations);

        var colleague = await fixture.OnlineAgentAsync(1, (skill, 3));
        await fixture.Notifier.WaitAsync(n =>
            n.Kind == RecordingNotifier.Assigned && n.ConversationId == id && n.AgentId == colleague.GetPrimaryKeyString());
        await fixture.AssertInvariantsAsync([leaver, colleague], [id, urgent], skill);
    }

    [Fact]
    public async Task AnAgentWhoReconnectsWithinTheGracePeriodKeepsItsConversations()
    {
        var skill = fixture.NewSkill();
        var agent = await fixture.OnlineAgentAsync(2, (skill, 5));
        var (conversation, id) = await fixture.StartAsync(skill);
        await fixture.Notifier.WaitForAssignmentAsync(id);
        await conversation.PostAgentMessageAsync(agent.GetPrimaryKeyString(), "Let me check.");

        await agent.DisconnectAsync(ClusterFixture.ConnectionOf(agent));
        Time.Advance(fixture.OfflineGracePeriod / 2);
        await agent.ConnectAsync("back-again");
        Time.Advance(fixture.OfflineGracePeriod * 2);

        // A timer that fired during Advance would have queued its tick on the agent before this call arrives.
        var view = await agent.GetAsync();
        Assert.Equal(new[] { id }, view!.Conversations.AsEnumerable());
        Assert.Equal(agent.GetPrimaryKeyString(), (await conversation.GetAsync()).AgentId);
        Assert.Equal(0, fixture.Notifier.Count(n => n.Kind == RecordingNotifier.Withdrawn && n.ConversationId == id));
        await fixture.AssertInvariantsAsync([agent], [id], skill);
    }
}
