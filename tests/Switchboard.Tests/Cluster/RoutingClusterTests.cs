using Switchboard.Agents;
using Switchboard.Conversations;

namespace Switchboard.Tests.Cluster;

[Collection(ClusterCollection.Name)]
public sealed class RoutingClusterTests(ClusterFixture fixture)
{
    private RecordingNotifier Notifier => fixture.Notifier;

    [Fact]
    public async Task ConversationReachesTheAgentWithItsSkill()
    {
        var shipping = fixture.NewSkill();
        var payment = fixture.NewSkill();
        var payments = await fixture.OnlineAgentAsync(3, (payment, 5));
        var shipper = await fixture.OnlineAgentAsync(3, (shipping, 3));

        var (conversation, id) = await fixture.StartAsync(shipping);
        var (agentId, assigned) = await Notifier.WaitForAssignmentAsync(id);

        Assert.Equal(shipper.GetPrimaryKeyString(), agentId);
        Assert.Equal("Where is my parcel?", assigned.Messages[0].Text);
        var view = await conversation.GetAsync();
        Assert.Equal(ConversationStatus.Assigned, view.Status);
        Assert.Equal(agentId, view.AgentId);
        Assert.Contains(id, (await shipper.GetAsync())!.Conversations);
        Assert.Empty((await payments.GetAsync())!.Conversations);
        await fixture.AssertInvariantsAsync([shipper, payments], [id], shipping, payment);
    }

    [Fact]
    public async Task TheLeastLoadedAgentTakesTheNextConversation()
    {
        var skill = fixture.NewSkill();
        var expert = await fixture.OnlineAgentAsync(2, (skill, 5));
        var junior = await fixture.OnlineAgentAsync(2, (skill, 2));

        var (_, first) = await fixture.StartAsync(skill);
        Assert.Equal(expert.GetPrimaryKeyString(), (await Notifier.WaitForAssignmentAsync(first)).AgentId);

        // The expert now carries 1/2; the idle junior is the least loaded.
        var (_, second) = await fixture.StartAsync(skill);
        Assert.Equal(junior.GetPrimaryKeyString(), (await Notifier.WaitForAssignmentAsync(second)).AgentId);
        await fixture.AssertInvariantsAsync([expert, junior], [first, second], skill);
    }

    [Fact]
    public async Task AnAgentWithTwoSkillsAndCapacityOneNeverHoldsTwoHoweverTheQueuesRace()
    {
        var shipping = fixture.NewSkill();
        var returns = fixture.NewSkill();
        var agent = await fixture.OnlineAgentAsync(1, (shipping, 3), (returns, 3));

        var started = await Task.WhenAll(Enumerable.Range(0, 300).Select(i => fixture.StartAsync(i % 2 == 0 ? shipping : returns)));
        var ids = started.Select(s => s.Id).ToHashSet();
        await Notifier.WaitUntilAsync(seen => seen.Count(n => n.Kind == RecordingNotifier.Queued && ids.Contains(n.ConversationId)) == 299);
        var waitingShipping = (await fixture.QueueAsync(shipping)).Waiting.Length;
        var waitingReturns = (await fixture.QueueAsync(returns)).Waiting.Length;

        var held = (await agent.GetAsync())!.Conversations;
        Assert.Single(held);
        Assert.Equal(299, waitingShipping + waitingReturns);
        var statuses = await Task.WhenAll(started.Select(s => s.Grain.GetAsync()));
        var assigned = Assert.Single(statuses, s => s.Status == ConversationStatus.Assigned);
        Assert.Equal(held[0], assigned.Id);
        Assert.Equal(1, Notifier.Count(n => n.Kind == RecordingNotifier.Assigned && n.AgentId == agent.GetPrimaryKeyString()));
        await fixture.AssertInvariantsAsync([agent], ids, shipping, returns);
    }

    [Fact]
    public async Task TheBacklogDrainsInPriorityOrderAsCapacityFrees()
    {
        var skill = fixture.NewSkill();
        var agent = await fixture.OnlineAgentAsync(1, (skill, 3));
        var agentId = agent.GetPrimaryKeyString();

        var (first, firstId) = await fixture.StartAsync(skill);
        await Notifier.WaitForAssignmentAsync(firstId);
        var (normal, normalId) = await fixture.StartAsync(skill, priority: 0);
        var (urgent, urgentId) = await fixture.StartAsync(skill, priority: 5);
        await Notifier.WaitForQueuedAsync(normalId, urgentId);
        Assert.Equal([urgentId, normalId], (await fixture.QueueAsync(skill)).Waiting.Select(e => e.ConversationId));

        await first.ResolveAsync(agentId);
        Assert.Equal(agentId, (await Notifier.WaitForAssignmentAsync(urgentId)).AgentId);

        await urgent.ResolveAsync(agentId);
        Assert.Equal(agentId, (await Notifier.WaitForAssignmentAsync(normalId)).AgentId);
        Assert.Equal(ConversationStatus.Assigned, (await normal.GetAsync()).Status);
        Assert.Empty((await fixture.QueueAsync(skill)).Waiting);
        await fixture.AssertInvariantsAsync([agent], [firstId, urgentId, normalId], skill);
    }

    [Fact]
    public async Task AnAgentComingOnlineTakesWaitingConversationsAtOnce()
    {
        var skill = fixture.NewSkill();
        var (_, id) = await fixture.StartAsync(skill);
        await Notifier.WaitForQueuedAsync(id);
        Assert.Single((await fixture.QueueAsync(skill)).Waiting);

        var agent = await fixture.OnlineAgentAsync(2, (skill, 1));

        Assert.Equal(agent.GetPrimaryKeyString(), (await Notifier.WaitForAssignmentAsync(id)).AgentId);
        await fixture.AssertInvariantsAsync([agent], [id], skill);
    }

    [Fact]
    public async Task AnAwayAgentGetsNothingNewUntilBackOnline()
    {
        var skill = fixture.NewSkill();
        var agent = await fixture.OnlineAgentAsync(2, (skill, 3));
        await agent.SetPresenceAsync(AgentPresence.Away);

        var (_, id) = await fixture.StartAsync(skill);
        await Notifier.WaitForQueuedAsync(id);
        Assert.Single((await fixture.QueueAsync(skill)).Waiting);

        await agent.SetPresenceAsync(AgentPresence.Online);
        Assert.Equal(agent.GetPrimaryKeyString(), (await Notifier.WaitForAssignmentAsync(id)).AgentId);
        await fixture.AssertInvariantsAsync([agent], [id], skill);
    }

    [Fact]
    public async Task AConversationRequiringHighProficiencyWaitsForAnExpert()
    {
        var skill = fixture.NewSkill();
        var junior = await fixture.OnlineAgentAsync(3, (skill, 2));
        var id = Guid.NewGuid().ToString("N");
        await fixture.Grains.GetGrain<IConversationGrain>(id).StartAsync(new StartConversation("Ann", skill, "Refund of 900", RequiredProficiency: 4));
        await Notifier.WaitForQueuedAsync(id);
        Assert.Single((await fixture.QueueAsync(skill)).Waiting);

        var expert = await fixture.OnlineAgentAsync(3, (skill, 4));

        Assert.Equal(expert.GetPrimaryKeyString(), (await Notifier.WaitForAssignmentAsync(id)).AgentId);
        Assert.Empty((await junior.GetAsync())!.Conversations);
        await fixture.AssertInvariantsAsync([junior, expert], [id], skill);
    }

    [Fact]
    public async Task TransferMovesTheConversationToTheOtherQueue()
    {
        var shipping = fixture.NewSkill();
        var payment = fixture.NewSkill();
        var shipper = await fixture.OnlineAgentAsync(2, (shipping, 3));
        var cashier = await fixture.OnlineAgentAsync(2, (payment, 3));
        var (conversation, id) = await fixture.StartAsync(shipping, text: "I was charged twice");
        await Notifier.WaitForAssignmentAsync(id);

        await conversation.TransferAsync(shipper.GetPrimaryKeyString(), payment);

        await Notifier.WaitAsync(n => n.Kind == RecordingNotifier.Assigned && n.ConversationId == id && n.AgentId == cashier.GetPrimaryKeyString());
        var view = await conversation.GetAsync();
        Assert.Equal(payment, view.Topic);
        Assert.Equal(cashier.GetPrimaryKeyString(), view.AgentId);
        Assert.Empty((await shipper.GetAsync())!.Conversations);
        await Notifier.WaitAsync(n => n.Kind == RecordingNotifier.Withdrawn && n.ConversationId == id && n.AgentId == shipper.GetPrimaryKeyString());
        await fixture.AssertInvariantsAsync([shipper, cashier], [id], shipping, payment);
    }

    [Fact]
    public async Task OnlyTheAssignedAgentMayReplyTransferOrResolve()
    {
        var skill = fixture.NewSkill();
        var owner = await fixture.OnlineAgentAsync(2, (skill, 3));
        var (conversation, id) = await fixture.StartAsync(skill);
        await Notifier.WaitForAssignmentAsync(id);
        var before = await conversation.GetAsync();

        var intruder = $"agent-{Guid.NewGuid():N}";
        Assert.Equal(SwitchboardError.Forbidden, (await Assert.ThrowsAsync<SwitchboardException>(() => conversation.PostAgentMessageAsync(intruder, "hello"))).Error);
        Assert.Equal(SwitchboardError.Forbidden, (await Assert.ThrowsAsync<SwitchboardException>(() => conversation.TransferAsync(intruder, skill))).Error);
        Assert.Equal(SwitchboardError.Forbidden, (await Assert.ThrowsAsync<SwitchboardException>(() => conversation.ResolveAsync(intruder))).Error);

        var after = await conversation.GetAsync();
        Assert.Equal(before.Messages.Length, after.Messages.Length);
        Assert.Equal(owner.GetPrimaryKeyString(), after.AgentId);
        Assert.Equal(ConversationStatus.Assigned, after.Status);
        await fixture.AssertInvariantsAsync([owner], [id], skill);
    }

    [Fact]
    public async Task AStaleQueueEntryNeverTakesCapacityAwayFromTheAgentHoldingTheConversation()
    {
        var skill = fixture.NewSkill();
        var agent = await fixture.OnlineAgentAsync(2, (skill, 3));
        var (_, id) = await fixture.StartAsync(skill);
        await Notifier.WaitForAssignmentAsync(id);
        var queue = fixture.Grains.GetGrain<Queues.IQueueGrain>(skill);

        // An entry left behind by a failed clean-up: the agent already holds the conversation.
        await queue.EnqueueAsync(new Queues.QueueEntry(id, Ticket: 1, Priority: 0, RequiredProficiency: 1, DateTimeOffset.UtcNow));
        // The queue took the enqueue interleaved and scheduled its pass first; this call runs after that pass.
        var after = await fixture.QueueAsync(skill);

        Assert.DoesNotContain(id, after.Waiting.Select(e => e.ConversationId));
        Assert.Equal(new[] { id }, (await agent.GetAsync())!.Conversations.AsEnumerable());
        Assert.Equal(1, Notifier.Count(n => n.Kind == RecordingNotifier.Assigned && n.ConversationId == id));
        await fixture.AssertInvariantsAsync([agent], [id], skill);
    }

    [Fact]
    public async Task TheWaitEstimateCountsOnlyAgentsProficientEnoughForTheConversation()
    {
        var skill = fixture.NewSkill();
        var junior = await fixture.OnlineAgentAsync(2, (skill, 2));

        // Only a junior is online, free: a conversation that needs proficiency 4 has nobody who can take it.
        var (_, expertOnly) = await fixture.StartAsync(new StartConversation("Ann", skill, "My refund is wrong", RequiredProficiency: 4));
        var first = await QueuedPlacementAsync(expertOnly);
        Assert.Null(first.EstimatedWait);

        // A senior comes online and takes it; the next one that needs 4 waits for the senior's only slot, while the
        // junior's free slots still make the wait of an ordinary conversation none.
        var senior = await fixture.OnlineAgentAsync(1, (skill, 4));
        Assert.Equal(senior.GetPrimaryKeyString(), (await Notifier.WaitForAssignmentAsync(expertOnly)).AgentId);
        var (_, next) = await fixture.StartAsync(new StartConversation("Bob", skill, "Charged twice", RequiredProficiency: 4));
        var waiting = await QueuedPlacementAsync(next);
        Assert.NotNull(waiting.EstimatedWait);
        Assert.True(waiting.EstimatedWait > TimeSpan.Zero, $"Estimated {waiting.EstimatedWait} with no free senior.");
        Assert.Equal(TimeSpan.Zero, (await fixture.Grains.GetGrain<Queues.IQueueGrain>(skill)
            .EnqueueAsync(new Queues.QueueEntry("probe-" + next, Ticket: 0, Priority: -1, RequiredProficiency: 1, DateTimeOffset.UtcNow))).EstimatedWait);
        await fixture.Grains.GetGrain<Queues.IQueueGrain>(skill).RemoveAsync("probe-" + next);
        await fixture.AssertInvariantsAsync([junior, senior], [expertOnly, next], skill);
    }

    private async Task<QueuePlacement> QueuedPlacementAsync(string conversationId)
    {
        var queued = await Notifier.WaitAsync(n => n.Kind == RecordingNotifier.Queued && n.ConversationId == conversationId, TimeSpan.FromSeconds(30));
        return (((Queues.QueueEntry, QueuePlacement Placement, string))queued.Payload!).Placement;
    }

    [Fact]
    public async Task AnAgentWhoWentOfflineGetsNothingNew()
    {
        var skill = fixture.NewSkill();
        var agent = fixture.Grains.GetGrain<IAgentGrain>($"agent-{Guid.NewGuid():N}");
        await agent.ConfigureAsync(new AgentProfile("Leaver", [new KeyValuePair<string, int>(skill, 5)], 3));
        await agent.ConnectAsync("c1");
        await agent.DisconnectAsync("c1");

        var (conversation, id) = await fixture.StartAsync(skill);
        await Notifier.WaitForQueuedAsync(id);

        Assert.Equal(AgentPresence.Offline, (await agent.GetAsync())!.Presence);
        Assert.Equal([id], (await fixture.QueueAsync(skill)).Waiting.Select(e => e.ConversationId));
        Assert.Equal(ConversationStatus.Waiting, (await conversation.GetAsync()).Status);
        Assert.Equal(0, Notifier.Count(n => n.Kind == RecordingNotifier.Assigned && n.ConversationId == id));
        await fixture.AssertInvariantsAsync([agent], [id], skill);
    }
}
