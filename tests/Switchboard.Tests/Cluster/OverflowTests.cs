using Microsoft.Extensions.Time.Testing;
using Switchboard.Conversations;
using Switchboard.Supervision;

namespace Switchboard.Tests.Cluster;

/// <summary>Default overflow and ticket clocks on fake time, in a cluster of their own: they use the shared queues.</summary>
public sealed class OverflowClusterFixture : ClusterFixture
{
    public OverflowClusterFixture()
    {
        Time = new FakeTimeProvider(FakeTimeStart);
        Configure = options =>
        {
            NoPresenceRefresh(options);
            // Nobody answers in this story; keep the other clocks out of its way.
            NoReservationTimeout(options);
        };
    }
}

[CollectionDefinition(Name)]
public sealed class OverflowClusterCollection : ICollectionFixture<OverflowClusterFixture>
{
    public const string Name = "overflow cluster";
}

[Collection(OverflowClusterCollection.Name)]
public sealed class OverflowTests(OverflowClusterFixture fixture)
{
    private FakeTimeProvider Time => fixture.Time!;

    private RecordingNotifier Notifier => fixture.Notifier;

    [Fact]
    public async Task NobodyEligibleOverflowsToGeneralThenToSupervisorsThenBecomesATicketNeverDropped()
    {
        var skill = fixture.NewSkill();
        var generalist = await fixture.OnlineAgentAsync(1, ("general", 3));

        // A minute with nobody for its skill: the general queue takes it.
        var (first, firstId) = await fixture.StartAsync(skill);
        await Notifier.WaitForQueuedAsync(firstId);
        Time.Advance(TimeSpan.FromSeconds(60));
        Assert.Equal(generalist.GetPrimaryKeyString(), (await Notifier.WaitForAssignmentAsync(firstId)).AgentId);
        Assert.Contains((await first.GetAsync()).SlaEvents, e => e.Kind == SlaEventKind.Overflowed && e.Detail.Contains("general"));

        // The generalist is full: after two minutes supervisors may take it too.
        var (_, secondId) = await fixture.StartAsync(skill);
        await Notifier.WaitForQueuedAsync(secondId);
        Time.Advance(TimeSpan.FromSeconds(120));
        await Notifier.WaitAsync(n => n.Kind == RecordingNotifier.Queued && n.ConversationId == secondId
            && ((ValueTuple<Queues.QueueEntry, QueuePlacement, string>)n.Payload!).Item3 == Queues.Queues.Supervisors);
        var supervisor = await fixture.OnlineAgentAsync(1, supervisor: true, (fixture.NewSkill(), 5));
        Assert.Equal(supervisor.GetPrimaryKeyString(), (await Notifier.WaitForAssignmentAsync(secondId)).AgentId);
        // The assignment is pushed before the conversation leaves its other queues: read them at rest.
        await fixture.RestAsync([supervisor.GetPrimaryKeyString()], [secondId]);
        Assert.DoesNotContain(secondId, (await fixture.QueueAsync(skill)).Waiting.Select(e => e.ConversationId));
        Assert.DoesNotContain(secondId, (await fixture.QueueAsync("general")).Waiting.Select(e => e.ConversationId));

        // Everyone is full: after five minutes it becomes a ticket, kept for supervisors.
        var (third, thirdId) = await fixture.StartAsync(skill);
        await Notifier.WaitForQueuedAsync(thirdId);
        Time.Advance(TimeSpan.FromMinutes(5));
        var alert = await Notifier.WaitAsync(n => n.Kind == RecordingNotifier.Alert && n.ConversationId == thirdId
            && ((SupervisorAlert)n.Payload!).Kind == SupervisorAlertKind.Ticket);
        Assert.NotNull(alert);
        var ticket = await third.GetAsync();
        Assert.Equal(ConversationStatus.Ticket, ticket.Status);
        Assert.Contains("saved", ticket.Messages[^1].Text);
        Assert.Contains(thirdId, (await fixture.Grains.GetGrain<ITicketBoardGrain>(0).GetAsync()).Select(t => t.ConversationId));
        foreach (var queue in new[] { skill, "general", Queues.Queues.Supervisors })
        {
            Assert.DoesNotContain(thirdId, (await fixture.QueueAsync(queue)).Waiting.Select(e => e.ConversationId));
        }

        // The customer can still write, and a supervisor with room answers the ticket later.
        await third.PostCustomerMessageAsync("Still there?");
        var full = await Assert.ThrowsAsync<SwitchboardException>(() => third.ClaimTicketAsync(supervisor.GetPrimaryKeyString()));
        Assert.Equal(SwitchboardError.Conflict, full.Error);
        await first.ResolveAsync(generalist.GetPrimaryKeyString());
        var secondConversation = fixture.Grains.GetGrain<IConversationGrain>(secondId);
        await secondConversation.ResolveAsync(supervisor.GetPrimaryKeyString());

        var claimed = await third.ClaimTicketAsync(supervisor.GetPrimaryKeyString());

        Assert.Equal(ConversationStatus.Assigned, claimed.Status);
        Assert.Equal(supervisor.GetPrimaryKeyString(), claimed.AgentId);
        Assert.Equal("Still there?", claimed.Messages.Last(m => m.From == MessageAuthor.Customer).Text);
        Assert.DoesNotContain(thirdId, (await fixture.Grains.GetGrain<ITicketBoardGrain>(0).GetAsync()).Select(t => t.ConversationId));
        await fixture.AssertInvariantsAsync([generalist, supervisor], [firstId, secondId, thirdId], skill);
    }
}
