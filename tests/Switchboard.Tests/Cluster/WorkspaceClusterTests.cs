using System.Collections.Immutable;
using Switchboard.Agents;
using Switchboard.Conversations;

namespace Switchboard.Tests.Cluster;

/// <summary>The agent's workspace: picking a waiting chat (granted by the agent's grain only) and the agent's searchable history.</summary>
[Collection(ClusterCollection.Name)]
public sealed class WorkspaceClusterTests(ClusterFixture fixture)
{
    private RecordingNotifier Notifier => fixture.Notifier;

    private async Task<IAgentGrain> AwayAgentAsync(int capacity, params (string Skill, int Proficiency)[] skills)
    {
        var agent = await fixture.OnlineAgentAsync(capacity, skills);
        await agent.SetPresenceAsync(AgentPresence.Away);
        return agent;
    }

    [Fact]
    public async Task AnAwayAgentPicksAWaitingChatWhichLeavesItsQueueAndCountsAgainstTheAgentsCapacity()
    {
        var skill = fixture.NewSkill();
        var agent = await AwayAgentAsync(1, (skill, 3));
        var agentId = agent.GetPrimaryKeyString();
        var (first, firstId) = await fixture.StartAsync(skill);
        var (second, secondId) = await fixture.StartAsync(skill);
        await Notifier.WaitForQueuedAsync(firstId, secondId);
        var ticket = (await fixture.QueueAsync(skill)).Waiting.Single(e => e.ConversationId == firstId).Ticket;

        var picked = await first.PickAsync(agentId, skill, ticket);

        Assert.Equal(ConversationStatus.Assigned, picked.Status);
        Assert.Equal(agentId, picked.AgentId);
        Assert.Equal(agentId, (await Notifier.WaitForAssignmentAsync(firstId)).AgentId);
        Assert.Equal(firstId, Assert.Single((await agent.GetAsync())!.Conversations));
        // Picking again (a retry) answers the same; the full agent is refused the second chat, which waits on.
        Assert.Equal(agentId, (await first.PickAsync(agentId, skill, ticket)).AgentId);
        var secondTicket = (await fixture.QueueAsync(skill)).Waiting.Single(e => e.ConversationId == secondId).Ticket;
        var full = await Assert.ThrowsAsync<SwitchboardException>(() => second.PickAsync(agentId, skill, secondTicket));
        Assert.Equal(SwitchboardError.Conflict, full.Error);
        Assert.Contains("1 of 1", full.Message);
        Assert.Equal(ConversationStatus.Waiting, (await second.GetAsync()).Status);
        Assert.Equal(secondId, Assert.Single((await fixture.QueueAsync(skill)).Waiting).ConversationId);

        await first.ResolveAsync(agentId);
        await second.LeaveAsync();
        await fixture.AssertInvariantsAsync([agent], [firstId, secondId], skill);
    }

    [Fact]
    public async Task APickIsRefusedWithoutTheSkillAtItsProficiencyOrOnceAnotherAgentTookTheChat()
    {
        var skill = fixture.NewSkill();
        var other = fixture.NewSkill();
        var junior = await AwayAgentAsync(2, (skill, 1));
        var stranger = await AwayAgentAsync(2, (other, 5));
        var senior = await AwayAgentAsync(2, (skill, 4));
        var (conversation, id) = await fixture.StartAsync(new StartConversation("Ann", skill, "Where is my parcel?", RequiredProficiency: 3));
        await Notifier.WaitForQueuedAsync(id);
        var ticket = (await fixture.QueueAsync(skill)).Waiting.Single(e => e.ConversationId == id).Ticket;

        foreach (var refused in new[] { junior, stranger })
        {
            var error = await Assert.ThrowsAsync<SwitchboardException>(() => conversation.PickAsync(refused.GetPrimaryKeyString(), skill, ticket));
            Assert.Equal(SwitchboardError.Conflict, error.Error);
            Assert.Empty((await refused.GetAsync())!.Conversations);
        }

        Assert.Equal(ConversationStatus.Waiting, (await conversation.GetAsync()).Status);
        await conversation.PickAsync(senior.GetPrimaryKeyString(), skill, ticket);
        var late = await Assert.ThrowsAsync<SwitchboardException>(() => conversation.PickAsync(junior.GetPrimaryKeyString(), skill, ticket));
        Assert.Contains("taken by another agent", late.Message);

        await conversation.ResolveAsync(senior.GetPrimaryKeyString());
        await fixture.AssertInvariantsAsync([junior, stranger, senior], [id], skill, other);
    }

    [Fact]
    public async Task AClosedConversationIsFoundInItsAgentsHistoryByCustomerNameOrderNumberOrText()
    {
        var skill = fixture.NewSkill();
        var agent = await fixture.OnlineAgentAsync(3, (skill, 3));
        var agentId = agent.GetPrimaryKeyString();
        var before = fixture.Now;
        var (conversation, id) = await fixture.StartAsync(new StartConversation(
            "Zoë Brandt", skill, "My parcel never arrived", Context: ImmutableDictionary<string, string>.Empty.Add("order", "A-7781")));
        await Notifier.WaitForAssignmentAsync(id);
        await conversation.PostAgentMessageAsync(agentId, "I have asked the carrier to trace it.");
        await conversation.ResolveAsync(agentId);
        var history = fixture.Grains.GetGrain<IAgentHistoryGrain>(agentId);

        foreach (var query in new[] { "zoe", "a-7781", "CARRIER trace", "parcel brandt" })
        {
            var hit = Assert.Single(await history.FindAsync(null, query, 10));
            Assert.Equal(id, hit.Id);
            Assert.Equal("A-7781", hit.Order);
            Assert.False(hit.EndedByCustomer);
        }

        Assert.Contains("carrier", Assert.Single(await history.FindAsync(null, "carrier", 10)).Snippet);
        Assert.Empty(await history.FindAsync(null, "refund", 10));
        Assert.Equal(id, Assert.Single(await history.FindAsync(before, null, 10)).Id);
        Assert.Empty(await history.FindAsync(fixture.Now.AddMinutes(1), null, 10));
        // Another agent's history does not have it.
        Assert.Empty(await fixture.Grains.GetGrain<IAgentHistoryGrain>($"agent-{Guid.NewGuid():N}").FindAsync(null, "zoe", 10));
    }

    [Fact]
    public async Task ACustomerWhoLeavesPutsTheConversationInTheHistoryOfTheAgentWhoHeldIt()
    {
        var skill = fixture.NewSkill();
        var agent = await fixture.OnlineAgentAsync(3, (skill, 3));
        var (conversation, id) = await fixture.StartAsync(skill, text: "Can I change the delivery address?");
        await Notifier.WaitForAssignmentAsync(id);
        await conversation.LeaveAsync();

        var hit = Assert.Single(await fixture.Grains.GetGrain<IAgentHistoryGrain>(agent.GetPrimaryKeyString()).FindAsync(null, "delivery address", 10));
        Assert.Equal(id, hit.Id);
        Assert.True(hit.EndedByCustomer);
    }

    [Fact]
    public async Task AHistoryLongerThanASegmentFindsEveryConversationNewestFirstAndEachOnce()
    {
        var history = fixture.Grains.GetGrain<IAgentHistoryGrain>($"agent-{Guid.NewGuid():N}");
        var start = fixture.Now;
        var count = (2 * AgentHistoryGrain.SegmentSize) + 5;
        for (var i = 0; i < count; i++)
        {
            await history.RecordAsync(new PastConversation(
                $"conversation-{i:000}", $"Customer {i:000}", "shipping", $"A-{i:000}", start, start.AddMinutes(i), false, $"Question number {i:000} about a kettle"));
        }

        // The first one closes again later (a supervisor resolved it once more): it is listed once, as it closed last.
        await history.RecordAsync(new PastConversation("conversation-000", "Customer 000", "shipping", "A-000", start, start.AddMinutes(count), true, "Closed again"));

        var all = await history.FindAsync(null, "kettle", 500);
        Assert.Equal(count - 1, all.Length);
        Assert.Equal($"conversation-{count - 1:000}", all[0].Id);
        Assert.Equal("conversation-001", all[^1].Id);
        var again = Assert.Single(await history.FindAsync(null, "Customer 000", 500));
        Assert.True(again.EndedByCustomer);
        Assert.Equal("conversation-003", Assert.Single(await history.FindAsync(null, "A-003", 500)).Id);
        Assert.Equal(6, (await history.FindAsync(start.AddMinutes(count - 5), null, 500)).Length);
        Assert.Equal(3, (await history.FindAsync(null, null, 3)).Length);
    }
}
