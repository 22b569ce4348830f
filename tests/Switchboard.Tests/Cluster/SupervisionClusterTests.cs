using Switchboard.Agents;
using Switchboard.Conversations;

namespace Switchboard.Tests.Cluster;

/// <summary>
/// Issue 19 in the grains: a supervisor's reassignment to a named agent keeps the routing promises (the slot granted
/// only by that agent's grain, the previous one given back), and internal notes are stored apart from the messages and
/// refused to whoever may not leave them.
/// </summary>
[Collection(ClusterCollection.Name)]
public sealed class SupervisionClusterTests(ClusterFixture fixture)
{
    private RecordingNotifier Notifier => fixture.Notifier;

    [Fact]
    public async Task AReassignmentIsGrantedOnlyByTheNamedAgentsGrainAndGivesThePreviousAgentsSlotBack()
    {
        var skill = fixture.NewSkill();
        var first = await fixture.OnlineAgentAsync(1, (skill, 3));
        var (_, id) = await fixture.StartAsync(skill);
        Assert.Equal(first.GetPrimaryKeyString(), (await Notifier.WaitForAssignmentAsync(id)).AgentId);
        var second = await fixture.OnlineAgentAsync(1, (skill, 3));
        await second.SetPresenceAsync(AgentPresence.Away);
        var supervised = fixture.Grains.GetGrain<ISupervisedConversationGrain>(id);

        // Away: the agent's grain grants nothing, and nothing changes.
        var refused = await Assert.ThrowsAsync<SwitchboardException>(() => supervised.ReassignToAgentAsync("sup", second.GetPrimaryKeyString()));
        Assert.Equal(SwitchboardError.Conflict, refused.Error);
        Assert.Equal(first.GetPrimaryKeyString(), (await fixture.Grains.GetGrain<IConversationGrain>(id).GetAsync()).AgentId);
        Assert.Empty((await second.GetAsync())!.Conversations);

        await second.SetPresenceAsync(AgentPresence.Online);
        var moved = await supervised.ReassignToAgentAsync("sup", second.GetPrimaryKeyString());
        Assert.Equal((ConversationStatus.Assigned, second.GetPrimaryKeyString()), (moved.Status, moved.AgentId));
        await Notifier.WaitAsync(n => n.Kind == RecordingNotifier.Withdrawn && n.ConversationId == id && n.AgentId == first.GetPrimaryKeyString());
        await Notifier.WaitAsync(n => n.Kind == RecordingNotifier.Assigned && n.ConversationId == id && n.AgentId == second.GetPrimaryKeyString());
        Assert.Empty((await first.GetAsync())!.Conversations);
        Assert.Equal(id, Assert.Single((await second.GetAsync())!.Conversations));

        // The same reassignment again (a retry) changes nothing.
        Assert.Equal(second.GetPrimaryKeyString(), (await supervised.ReassignToAgentAsync("sup", second.GetPrimaryKeyString())).AgentId);
        await fixture.AssertInvariantsAsync([first, second], [id], skill);
    }

    [Fact]
    public async Task NotesAreStoredApartFromTheMessagesAndOnlyTheHolderOrASupervisorLeavesOne()
    {
        var skill = fixture.NewSkill();
        var agent = await fixture.OnlineAgentAsync(2, (skill, 3));
        var (conversation, id) = await fixture.StartAsync(skill);
        await Notifier.WaitForAssignmentAsync(id);
        var holder = agent.GetPrimaryKeyString();
        var supervised = fixture.Grains.GetGrain<ISupervisedConversationGrain>(id);
        var before = await conversation.GetAsync();

        var note = await supervised.AddNoteAsync(holder, "Test Agent", supervisor: false, "note-0001", "Refund approved by finance.");
        Assert.Equal(note, await supervised.AddNoteAsync(holder, "Test Agent", supervisor: false, "note-0001", "Refund approved by finance."));
        var conflict = await Assert.ThrowsAsync<SwitchboardException>(() => supervised.AddNoteAsync(holder, "Test Agent", false, "note-0001", "Something else."));
        Assert.Equal(SwitchboardError.Conflict, conflict.Error);
        var stranger = await Assert.ThrowsAsync<SwitchboardException>(() => supervised.AddNoteAsync("someone-else", "Someone", false, "note-0002", "Not mine."));
        Assert.Equal(SwitchboardError.Forbidden, stranger.Error);
        await supervised.AddNoteAsync("sup", "Sam", supervisor: true, "note-0003", "Keep it short.");

        var after = await conversation.GetAsync();
        Assert.Equal(["Refund approved by finance.", "Keep it short."], after.Notes.Select(n => n.Text));
        Assert.Equal(before.Messages.Length, after.Messages.Length);
        Assert.Equal(before.Messages.Length, after.Notes[0].AfterSequence);
        Assert.Equal(holder, (await Notifier.WaitAsync(n => n.Kind == RecordingNotifier.Note && n.ConversationId == id)).AgentId);
        Assert.Equal(0, Notifier.Count(n => n.Kind == RecordingNotifier.Posted && n.ConversationId == id && ((ChatMessage)n.Payload!).Text.Contains("Refund approved", StringComparison.Ordinal)));

        // A supervisor who did not join may not write; joining a conversation nobody holds is refused.
        var unjoined = await Assert.ThrowsAsync<SwitchboardException>(() => supervised.PostSupervisorMessageAsync("sup", "Sam", "message-0001", "Hello"));
        Assert.Equal(SwitchboardError.Forbidden, unjoined.Error);
        var (_, waiting) = await fixture.StartAsync(fixture.NewSkill());
        var notHeld = await Assert.ThrowsAsync<SwitchboardException>(() => fixture.Grains.GetGrain<ISupervisedConversationGrain>(waiting).JoinAsSupervisorAsync("sup", "Sam"));
        Assert.Equal(SwitchboardError.Conflict, notHeld.Error);
    }
}
