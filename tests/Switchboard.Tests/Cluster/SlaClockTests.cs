using System.Collections.Immutable;
using Microsoft.Extensions.Time.Testing;
using Switchboard.Agents;
using Switchboard.Conversations;
using Switchboard.Queues;
using Switchboard.Supervision;

namespace Switchboard.Tests.Cluster;

/// <summary>
/// A fake-time cluster for first-response clocks. Overflow and tickets are pushed far out (they have their own
/// fixture) so conversations left waiting by one test never wander into the shared fallback queues of another.
/// It also refuses agent messages that break the house rules (the default only warns).
/// </summary>
public sealed class SlaClusterFixture : ClusterFixture
{
    public SlaClusterFixture()
    {
        Time = new FakeTimeProvider(FakeTimeStart);
        Configure = options =>
        {
            NoPresenceRefresh(options);
            NoOverflow(options);
            options.MessageRules.Mode = MessageRuleMode.Refuse;
        };
    }
}

[CollectionDefinition(Name)]
public sealed class SlaClusterCollection : ICollectionFixture<SlaClusterFixture>
{
    public const string Name = "sla cluster";
}

[Collection(SlaClusterCollection.Name)]
public sealed class SlaClockTests(SlaClusterFixture fixture)
{
    private FakeTimeProvider Time => fixture.Time!;

    private RecordingNotifier Notifier => fixture.Notifier;

    [Fact]
    public async Task EachClassOfConversationGetsItsOwnFirstResponseDeadline()
    {
        var skill = fixture.NewSkill();
        (StartConversation Start, TimeSpan Clock)[] cases =
        [
            (new("Ann", skill, "Hello"), TimeSpan.FromSeconds(90)),
            (new("Ann", skill, "Hello", Emotion: Emotion.Calm), TimeSpan.FromSeconds(120)),
            (new("Ann", skill, "Hello", Emotion: Emotion.Upset), TimeSpan.FromSeconds(60)),
            (new("Ann", skill, "Hello", Emotion: Emotion.Angry), TimeSpan.FromSeconds(30)),
            (new("Ann", skill, "WHERE IS MY PARCEL!!!"), TimeSpan.FromSeconds(30)),
            (new("Ann", skill, "This is ridiculous", Emotion: Emotion.Calm), TimeSpan.FromSeconds(60)),
            (new("Ann", skill, "Broken", Complaint: true, Amount: 120), TimeSpan.FromHours(2)),
            (new("Ann", skill, "Broken", Complaint: true, Amount: 1200), TimeSpan.FromMinutes(30)),
            (new("Ann", skill, "Broken", Complaint: true, Amount: 12000), TimeSpan.FromMinutes(10)),
        ];

        var ids = new List<string>();
        foreach (var (start, clock) in cases)
        {
            var (conversation, id) = await fixture.StartAsync(start);
            var view = await conversation.GetAsync();
            Assert.Equal(clock, view.FirstResponseDueAt - view.StartedAt);
            ids.Add(id);
        }

        await fixture.AssertInvariantsAsync([], ids, skill);
    }

    [Fact]
    public async Task AnUnansweredChatBreachesAtNinetySecondsAndEverySupervisorIsAlerted()
    {
        var skill = fixture.NewSkill();
        var (conversation, id) = await fixture.StartAsync(skill);
        await Notifier.WaitForQueuedAsync(id);
        var before = (await fixture.QueueAsync(skill)).Waiting.Single(e => e.ConversationId == id).Priority;

        Time.Advance(TimeSpan.FromSeconds(89));
        Assert.False((await conversation.GetAsync()).Breached);
        Time.Advance(TimeSpan.FromSeconds(1));

        var alert = (SupervisorAlert)(await Notifier.WaitAsync(n => n.Kind == RecordingNotifier.Alert && n.ConversationId == id)).Payload!;
        Assert.Equal(SupervisorAlertKind.Breach, alert.Kind);
        var view = await conversation.GetAsync();
        Assert.Equal(view.StartedAt + TimeSpan.FromSeconds(90), alert.At);
        Assert.True(view.Breached);
        Assert.Contains(view.SlaEvents, e => e.Kind == SlaEventKind.Breached);
        await Notifier.WaitUntilAsync(seen => seen.Count(n => n.Kind == RecordingNotifier.Queued && n.ConversationId == id) >= 2);
        var after = (await fixture.QueueAsync(skill)).Waiting.Single(e => e.ConversationId == id).Priority;
        Assert.Equal(before + 3, after);
        await fixture.AssertInvariantsAsync([], [id], skill);
    }

    [Fact]
    public async Task AnsweringInTimeStopsTheClock()
    {
        var skill = fixture.NewSkill();
        var agent = await fixture.OnlineAgentAsync(2, (skill, 3));
        var (conversation, id) = await fixture.StartAsync(skill);
        await Notifier.WaitForAssignmentAsync(id);

        Time.Advance(TimeSpan.FromSeconds(20));
        await conversation.PostAgentMessageAsync(agent.GetPrimaryKeyString(), "Hello, I am on it.");
        Time.Advance(TimeSpan.FromMinutes(5));

        // No timer is left on the conversation once it is answered, so nothing can still be on its way.
        var view = await conversation.GetAsync();
        Assert.False(view.Breached);
        Assert.Equal(ConversationStatus.Assigned, view.Status);
        Assert.Equal(agent.GetPrimaryKeyString(), view.AgentId);
        Assert.DoesNotContain(view.SlaEvents, e => e.Kind is SlaEventKind.Breached or SlaEventKind.Warning or SlaEventKind.ReservationExpired);
        await fixture.AssertInvariantsAsync([agent], [id], skill);
    }

    [Fact]
    public async Task TheAssignedAgentIsWarnedTwoThirdsOfTheWayToTheDeadlineWithTheTimeLeft()
    {
        var skill = fixture.NewSkill();
        var (conversation, id) = await fixture.StartAsync(skill);
        await Notifier.WaitForQueuedAsync(id);
        Time.Advance(TimeSpan.FromSeconds(50));

        var agent = await fixture.OnlineAgentAsync(1, (skill, 3));
        await Notifier.WaitForAssignmentAsync(id);
        Time.Advance(TimeSpan.FromSeconds(10));

        var warning = await Notifier.WaitAsync(n => n.Kind == RecordingNotifier.Warning && n.ConversationId == id);
        Assert.Equal(agent.GetPrimaryKeyString(), warning.AgentId);
        Assert.Equal(TimeSpan.FromSeconds(30), (TimeSpan)warning.Payload!);
        Assert.Contains((await conversation.GetAsync()).SlaEvents, e => e.Kind == SlaEventKind.Warning && e.Detail.Contains("30 s"));
        await fixture.AssertInvariantsAsync([agent], [id], skill);
    }

    [Fact]
    public async Task AnAgentWhoGetsAnAlreadyBreachedConversationIsNotWarnedOfAPassedDeadline()
    {
        var skill = fixture.NewSkill();
        var (conversation, id) = await fixture.StartAsync(skill);
        await Notifier.WaitForQueuedAsync(id);
        Time.Advance(TimeSpan.FromSeconds(95));
        await Notifier.WaitAsync(n => n.Kind == RecordingNotifier.Alert && n.ConversationId == id);

        var agent = await fixture.OnlineAgentAsync(1, (skill, 3));
        await Notifier.WaitForAssignmentAsync(id);
        Time.Advance(TimeSpan.FromSeconds(5));

        // The reservation clock still runs (assignment + 30 s); a fired timer would have recorded a warning by now.
        Time.Advance(TimeSpan.FromSeconds(30));
        await Notifier.WaitAsync(n => n.Kind == RecordingNotifier.Withdrawn && n.ConversationId == id);
        Assert.DoesNotContain((await conversation.GetAsync()).SlaEvents, e => e.Kind == SlaEventKind.Warning);
        Assert.Equal(0, Notifier.Count(n => n.Kind == RecordingNotifier.Warning && n.ConversationId == id));
        await fixture.AssertInvariantsAsync([agent], [id], skill);
    }

    [Fact]
    public async Task AnAgentWhoDoesNotAnswerInThirtySecondsLosesTheConversationToTheNextAgent()
    {
        var skill = fixture.NewSkill();
        var first = await fixture.OnlineAgentAsync(1, (skill, 5));
        var (conversation, id) = await fixture.StartAsync(skill);
        Assert.Equal(first.GetPrimaryKeyString(), (await Notifier.WaitForAssignmentAsync(id)).AgentId);
        var second = await fixture.OnlineAgentAsync(1, (skill, 3));

        Time.Advance(TimeSpan.FromSeconds(30));

        await Notifier.WaitAsync(n => n.Kind == RecordingNotifier.Withdrawn && n.ConversationId == id && n.AgentId == first.GetPrimaryKeyString());
        await Notifier.WaitAsync(n => n.Kind == RecordingNotifier.Assigned && n.ConversationId == id && n.AgentId == second.GetPrimaryKeyString());
        Assert.Empty((await first.GetAsync())!.Conversations);
        var view = await conversation.GetAsync();
        Assert.Equal(second.GetPrimaryKeyString(), view.AgentId);
        Assert.Contains(view.SlaEvents, e => e.Kind == SlaEventKind.ReservationExpired && e.AgentId == first.GetPrimaryKeyString());
        await fixture.AssertInvariantsAsync([first, second], [id], skill);
    }

    [Fact]
    public async Task WhenNobodyElseCanTakeItTheAgentWhoLetItExpireGetsItAgain()
    {
        var skill = fixture.NewSkill();
        var only = await fixture.OnlineAgentAsync(1, (skill, 3));
        var (_, id) = await fixture.StartAsync(skill);
        await Notifier.WaitForAssignmentAsync(id);

        Time.Advance(TimeSpan.FromSeconds(30));

        await Notifier.WaitAsync(n => n.Kind == RecordingNotifier.Withdrawn && n.ConversationId == id);
        await Notifier.WaitUntilAsync(seen => seen.Count(n => n.Kind == RecordingNotifier.Assigned && n.ConversationId == id) == 2);
        Assert.Equal(new[] { id }, (await only.GetAsync())!.Conversations.AsEnumerable());
        await fixture.AssertInvariantsAsync([only], [id], skill);
    }

    [Fact]
    public async Task AnAngryMessageShortensTheClockAndMovesTheConversationUpTheLine()
    {
        var skill = fixture.NewSkill();
        var (calmer, calmerId) = await fixture.StartAsync(skill, priority: 3);
        var (conversation, id) = await fixture.StartAsync(skill);
        await Notifier.WaitForQueuedAsync(calmerId, id);
        Assert.Equal([calmerId, id], (await fixture.QueueAsync(skill)).Waiting.Select(e => e.ConversationId));

        Time.Advance(TimeSpan.FromSeconds(10));
        await conversation.PostCustomerMessageAsync("THIS IS RIDICULOUS!!!");

        var view = await conversation.GetAsync();
        Assert.Equal(Emotion.Angry, view.Emotion);
        Assert.Equal(TimeSpan.FromSeconds(30), view.FirstResponseDueAt - view.StartedAt);
        Assert.Contains(view.SlaEvents, e => e.Kind == SlaEventKind.EmotionRaised);
        await Notifier.WaitUntilAsync(seen => seen.Count(n => n.Kind == RecordingNotifier.Queued && n.ConversationId == id) >= 2);
        Assert.Equal([id, calmerId], (await fixture.QueueAsync(skill)).Waiting.Select(e => e.ConversationId));

        Time.Advance(TimeSpan.FromSeconds(20));
        await Notifier.WaitAsync(n => n.Kind == RecordingNotifier.Alert && n.ConversationId == id);
        Assert.False((await calmer.GetAsync()).Breached);
        await fixture.AssertInvariantsAsync([], [calmerId, id], skill);
    }

    [Fact]
    public async Task TheServerRefusesForbiddenPhrasesAndAFourthMessageInARowWhenConfiguredTo()
    {
        var skill = fixture.NewSkill();
        var agent = await fixture.OnlineAgentAsync(1, (skill, 3));
        var agentId = agent.GetPrimaryKeyString();
        var (conversation, id) = await fixture.StartAsync(new StartConversation(
            "Ann", skill, "Where is it?", Context: new Dictionary<string, string> { ["order"] = "A-1001" }.ToImmutableDictionary()));
        Assert.Equal("A-1001", (await Notifier.WaitForAssignmentAsync(id)).Conversation.Context["order"]);

        var forbidden = await Assert.ThrowsAsync<SwitchboardException>(() => conversation.PostAgentMessageAsync(agentId, "Please wait."));
        Assert.Contains("Thank you for your patience", forbidden.Message);
        for (var i = 0; i < 3; i++)
        {
            await conversation.PostAgentMessageAsync(agentId, $"Update {i}");
        }

        var count = (await conversation.GetAsync()).Messages.Length;
        var fourth = await Assert.ThrowsAsync<SwitchboardException>(() => conversation.PostAgentMessageAsync(agentId, "Update 3"));
        Assert.Contains("4 in a row", fourth.Message);
        Assert.Equal(count, (await conversation.GetAsync()).Messages.Length);

        await conversation.PostCustomerMessageAsync("Thanks");
        await conversation.PostAgentMessageAsync(agentId, "You are welcome.");
        await fixture.AssertInvariantsAsync([agent], [id], skill);
    }

    [Fact]
    public async Task ComplaintsGoToTheRightPeopleByTier()
    {
        var skill = fixture.NewSkill();
        var supervisor = await fixture.OnlineAgentAsync(2, supervisor: true, (fixture.NewSkill(), 5));
        var senior = await fixture.OnlineAgentAsync(1, (skill, 4));
        var junior = await fixture.OnlineAgentAsync(1, (skill, 2));
        try
        {
            var (_, high) = await fixture.StartAsync(new StartConversation("Ann", skill, "I will post a review", Complaint: true, Amount: 10, PublicReviewThreat: true));
            var (_, medium) = await fixture.StartAsync(new StartConversation("Bo", skill, "Refund 800", Complaint: true, Amount: 800));
            var (_, low) = await fixture.StartAsync(new StartConversation("Cy", skill, "Scratched box", Complaint: true, Amount: 30));

            Assert.Equal(supervisor.GetPrimaryKeyString(), (await Notifier.WaitForAssignmentAsync(high)).AgentId);
            Assert.Equal(senior.GetPrimaryKeyString(), (await Notifier.WaitForAssignmentAsync(medium)).AgentId);
            Assert.Equal(junior.GetPrimaryKeyString(), (await Notifier.WaitForAssignmentAsync(low)).AgentId);
            await fixture.AssertInvariantsAsync([supervisor, senior, junior], [high, medium, low], skill);
        }
        finally
        {
            // Supervisors serve a queue every test shares: leave none online for the next test.
            await supervisor.DisconnectAsync(ClusterFixture.ConnectionOf(supervisor));
        }
    }

    [Fact]
    public async Task AResolvedComplaintRemindsItsAgentToFollowUpThreeDaysLater()
    {
        var skill = fixture.NewSkill();
        var agent = await fixture.OnlineAgentAsync(1, (skill, 3));
        var agentId = agent.GetPrimaryKeyString();
        var (conversation, id) = await fixture.StartAsync(new StartConversation("Ann", skill, "Broken mug", Complaint: true, Amount: 25));
        await Notifier.WaitForAssignmentAsync(id);
        await conversation.PostAgentMessageAsync(agentId, "A new mug is on its way.");
        await conversation.ResolveAsync(agentId);

        Time.Advance(TimeSpan.FromDays(3) - TimeSpan.FromMinutes(1));
        Assert.False((await conversation.GetAsync()).SlaEvents.Any(e => e.Kind == SlaEventKind.FollowUpDue));
        Time.Advance(TimeSpan.FromMinutes(1));

        Assert.Equal(agentId, (await Notifier.WaitAsync(n => n.Kind == RecordingNotifier.FollowUp && n.ConversationId == id)).AgentId);
        await Notifier.WaitAsync(n => n.Kind == RecordingNotifier.Alert && n.ConversationId == id && ((SupervisorAlert)n.Payload!).Kind == SupervisorAlertKind.FollowUp);
        Assert.Contains((await conversation.GetAsync()).SlaEvents, e => e.Kind == SlaEventKind.FollowUpDue && e.AgentId == agentId);
        await fixture.AssertInvariantsAsync([agent], [id], skill);
    }

    [Fact]
    public async Task TheCustomerIsToldAnHonestWaitAndHearsWhenTheLineMoves()
    {
        var skill = fixture.NewSkill();
        var nobodysSkill = fixture.NewSkill();
        var (nobody, nobodyId) = await fixture.StartAsync(nobodysSkill);
        Assert.Contains($"Nobody who handles {nobodysSkill} is available right now", (await nobody.GetAsync()).Messages[1].Text);

        var agent = await fixture.OnlineAgentAsync(1, (skill, 3));
        var (first, firstId) = await fixture.StartAsync(skill);
        Assert.Contains("less than a minute", (await first.GetAsync()).Messages[1].Text);
        await Notifier.WaitForAssignmentAsync(firstId);
        // The assignment is pushed before the queue has the agent's answer: the next estimate needs the queue to have it.
        await fixture.RestAsync([agent.GetPrimaryKeyString()], [firstId]);

        // The agent is full and nothing was assigned lately: capacity 1 turning over every 4 minutes.
        var (second, secondId) = await fixture.StartAsync(skill);
        Time.Advance(TimeSpan.FromSeconds(1));
        var (third, thirdId) = await fixture.StartAsync(skill);
        Assert.Equal("We have your question. An agent will answer in about 4 min.", (await second.GetAsync()).Messages[1].Text);
        Assert.Equal("We have your question. An agent will answer in about 8 min. You are number 2 in line.", (await third.GetAsync()).Messages[1].Text);
        await Notifier.WaitForQueuedAsync(secondId, thirdId);

        await first.ResolveAsync(agent.GetPrimaryKeyString());

        await Notifier.WaitForAssignmentAsync(secondId);
        // Moves of the line are told by the queue's next report pass, one PositionReportInterval after the queue has
        // the offer's answer.
        await fixture.RestAsync([agent.GetPrimaryKeyString()], [secondId]);
        Time.Advance(TimeSpan.FromSeconds(1));
        var moved = await Notifier.WaitAsync(n => n.Kind == RecordingNotifier.Queued && n.ConversationId == thirdId
            && ((ValueTuple<QueueEntry, QueuePlacement, string>)n.Payload!).Item2.Position == 1);
        Assert.NotNull(moved);
        await fixture.AssertInvariantsAsync([agent], [nobodyId, firstId, secondId, thirdId], skill, nobodysSkill);
    }
}
