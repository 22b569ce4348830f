using Microsoft.Extensions.DependencyInjection;
using Switchboard.Conversations;
using Switchboard.Metrics;

namespace Switchboard.Tests.Cluster;

[Collection(ClusterCollection.Name)]
public sealed class MetricsClusterTests(ClusterFixture fixture)
{
    private RecordingNotifier Notifier => fixture.Notifier;

    private T OnSilo<T>(int silo) where T : notnull => fixture.Cluster.Silos[silo].ServiceProvider.GetRequiredService<T>();

    [Fact]
    public async Task TheSameEventsSpreadOverTwoSilosMergeIntoTheNumbersOneSiloWouldCount()
    {
        var skill = fixture.NewSkill();
        var agents = new[] { $"agent-{Guid.NewGuid():N}", $"agent-{Guid.NewGuid():N}" };
        var now = DateTimeOffset.UtcNow;
        var random = new Random(23);
        var kinds = Enum.GetValues<ServiceEventKind>();
        var events = Enumerable.Range(0, 200).Select(i => new ServiceEvent(
            kinds[random.Next(kinds.Length)],
            now.AddSeconds(-random.Next(0, 600)),
            skill,
            agents[random.Next(agents.Length)],
            TimeSpan.FromSeconds(random.Next(1, 900)),
            random.Next(2) == 0,
            random.Next(1, 6))).ToArray();

        var oneSilo = new KpiTimeline(TimeSpan.FromHours(1));
        for (var i = 0; i < events.Length; i++)
        {
            OnSilo<IServiceMetrics>(i % 2).Record(events[i]);
            oneSilo.Add(events[i]);
        }

        var merged = await OnSilo<ClusterKpis>(0).ReadAsync();

        var expected = oneSilo.Snapshot(merged.At);
        foreach (var scope in agents.Select(KpiScopes.Agent).Append(KpiScopes.Skill(skill)))
        {
            Assert.Equal(Reports(expected[scope]), Reports(merged[scope]));
        }

        // Each silo holds only its share.
        Assert.Equal(100, Count(OnSilo<IServiceMetrics>(1).Snapshot(merged.At)[KpiScopes.Skill(skill)].Today));

        // A gateway (an Orleans client, no silo of its own) reads the same merged numbers through a silo.
        var throughSilo = await new ClusterKpisThroughSilo(fixture.Cluster.Client).ReadAsync();
        foreach (var scope in agents.Select(KpiScopes.Agent).Append(KpiScopes.Skill(skill)))
        {
            Assert.Equal(Reports(oneSilo.Snapshot(throughSilo.At)[scope]), Reports(throughSilo[scope]));
        }

        var (_, day) = await new ClusterKpisThroughSilo(fixture.Cluster.Client).ReadDayAsync();
        Assert.NotNull(day);
    }

    [Fact]
    public async Task ServedRatedAndAbandonedChatsOnEitherSiloAddUpInTheClusterKpis()
    {
        var skill = fixture.NewSkill();
        var agent = await fixture.OnlineAgentAsync(10, (skill, 3));
        var agentId = agent.GetPrimaryKeyString();
        var conversations = new List<(IConversationGrain Grain, string Id)>();
        for (var i = 0; i < 6; i++)
        {
            var started = await fixture.StartAsync(skill);
            await Notifier.WaitForAssignmentAsync(started.Id);
            conversations.Add(started);
        }

        var scores = new[] { 5, 4, 3, 5 };
        for (var i = 0; i < 4; i++)
        {
            await conversations[i].Grain.PostAgentMessageAsync(agentId, "Here you are.");
            await conversations[i].Grain.ResolveAsync(agentId);
            await conversations[i].Grain.RateAsync(scores[i], i == 0 ? "Great help" : null);
        }

        // Two customers leave before anyone answers: abandoned, and the agent gets the capacity back.
        foreach (var (grain, id) in conversations.Skip(4))
        {
            var left = await grain.LeaveAsync();
            Assert.True(left.Abandoned);
            Assert.Equal(ConversationStatus.Resolved, left.Status);
            await Notifier.WaitAsync(n => n.Kind == RecordingNotifier.Closed && n.ConversationId == id && n.AgentId == agentId);
        }

        Assert.Empty((await agent.GetAsync())!.Conversations);
        var kpis = await OnSilo<ClusterKpis>(1).ReadAsync();
        var today = KpiReport.From(kpis[KpiScopes.Skill(skill)].Today);
        Assert.Equal(6, today.Started);
        Assert.Equal(6, today.Assigned);
        Assert.Equal(4, today.Handled);
        Assert.Equal(2, today.Abandoned);
        Assert.Equal(2 / 6.0, today.AbandonmentRate);
        Assert.Equal(3 / 4.0, today.Csat);
        Assert.Equal(1.0, today.OneTouchResolutionRate);
        Assert.Equal(1.0, today.SlaAttainment);
        Assert.Equal(4, today.FirstResponse.Count);
        Assert.Equal(4, KpiReport.From(kpis[KpiScopes.Agent(agentId)].Today).Handled);
        await fixture.AssertInvariantsAsync([agent], conversations.Select(c => c.Id), skill);
    }

    [Fact]
    public async Task ACustomerRatesOnceOnlyAfterResolutionWithinTheLimits()
    {
        var skill = fixture.NewSkill();
        var agent = await fixture.OnlineAgentAsync(1, (skill, 3));
        var agentId = agent.GetPrimaryKeyString();
        var (conversation, id) = await fixture.StartAsync(skill);
        await Notifier.WaitForAssignmentAsync(id);
        await conversation.PostAgentMessageAsync(agentId, "Done.");

        Assert.Equal(SwitchboardError.Conflict, (await Assert.ThrowsAsync<SwitchboardException>(() => conversation.RateAsync(5, null))).Error);
        await conversation.ResolveAsync(agentId);
        Assert.Equal(SwitchboardError.Invalid, (await Assert.ThrowsAsync<SwitchboardException>(() => conversation.RateAsync(0, null))).Error);
        Assert.Equal(SwitchboardError.Invalid, (await Assert.ThrowsAsync<SwitchboardException>(() => conversation.RateAsync(6, null))).Error);
        Assert.Equal(SwitchboardError.Invalid, (await Assert.ThrowsAsync<SwitchboardException>(() => conversation.RateAsync(4, new string('x', 1001)))).Error);

        var rating = await conversation.RateAsync(2, new string('x', 1000));
        var second = await Assert.ThrowsAsync<SwitchboardException>(() => conversation.RateAsync(5, "Changed my mind"));

        Assert.Equal(SwitchboardError.Conflict, second.Error);
        Assert.Equal(2, (await conversation.GetAsync()).Rating?.Score);
        Assert.Equal(2, rating.Score);
        var today = (await OnSilo<ClusterKpis>(0).ReadAsync())[KpiScopes.Skill(skill)].Today;
        Assert.Equal(1, today.Ratings);
        Assert.Equal(0, today.GoodRatings);
        await fixture.AssertInvariantsAsync([agent], [id], skill);
    }

    [Fact]
    public async Task ACustomerWhoLeavesAWaitingChatIsAbandonedAndLeavesTheQueue()
    {
        var skill = fixture.NewSkill();
        var (conversation, id) = await fixture.StartAsync(skill);
        await Notifier.WaitForQueuedAsync(id);

        var left = await conversation.LeaveAsync();

        Assert.True(left.Abandoned);
        Assert.Empty((await fixture.QueueAsync(skill)).Waiting);
        var again = await conversation.LeaveAsync(); // idempotent: nothing more is appended
        Assert.Equal(left.Messages.Length, again.Messages.Length);
        Assert.True(again.Abandoned);
        await Assert.ThrowsAsync<SwitchboardException>(() => conversation.RateAsync(1, "Nobody answered"));
        await Assert.ThrowsAsync<SwitchboardException>(() => conversation.PostCustomerMessageAsync("Hello?"));
        var today = (await OnSilo<ClusterKpis>(0).ReadAsync())[KpiScopes.Skill(skill)].Today;
        Assert.Equal(1, today.Abandoned);
        Assert.Equal(0, today.Resolved);
        await fixture.AssertInvariantsAsync([], [id], skill);
    }

    [Fact]
    public async Task LeavingAfterAnAnswerClosesTheChatAsServedNotAbandoned()
    {
        var skill = fixture.NewSkill();
        var agent = await fixture.OnlineAgentAsync(1, (skill, 3));
        var agentId = agent.GetPrimaryKeyString();
        var (conversation, id) = await fixture.StartAsync(skill);
        await Notifier.WaitForAssignmentAsync(id);
        await conversation.PostAgentMessageAsync(agentId, "It ships today.");

        var left = await conversation.LeaveAsync();

        Assert.False(left.Abandoned);
        Assert.Equal(ConversationStatus.Resolved, left.Status);
        Assert.Empty((await agent.GetAsync())!.Conversations);
        await conversation.RateAsync(5, null);
        var today = KpiReport.From((await OnSilo<ClusterKpis>(0).ReadAsync())[KpiScopes.Skill(skill)].Today);
        Assert.Equal(1, today.Handled);
        Assert.Equal(0, today.Abandoned);
        Assert.Equal(1.0, today.Csat);
        await fixture.AssertInvariantsAsync([agent], [id], skill);
    }

    private static (KpiReport Hour, KpiReport Today, KpiReport Rolling) Reports(ScopeKpis kpis) =>
        (KpiReport.From(kpis.Hour), KpiReport.From(kpis.Today), KpiReport.From(kpis.Rolling));

    private static long Count(KpiAggregate a) =>
        a.Started + a.Assigned + a.FirstResponse.Count + a.Response.Count + a.Resolved + a.Abandoned + a.Ratings + a.SlaBreached + a.Anomalies;
}
