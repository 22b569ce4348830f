using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Time.Testing;
using Switchboard.Metrics;
using Switchboard.Conversations;
using Switchboard.Queues;
using Switchboard.Supervision;

namespace Switchboard.Tests.Cluster;

[Collection(SlaClusterCollection.Name)]
public sealed class AnomalyAlertTests(SlaClusterFixture fixture)
{
    [Fact]
    public async Task EverySupervisorHearsOnceWhenAQueuesThreeMinuteFirstResponseBecomesTenMinutes()
    {
        var skill = fixture.NewSkill();
        var queue = fixture.Grains.GetGrain<IQueueGrain>(skill);
        bool IsAnomaly(Notification n) => n is { Kind: RecordingNotifier.Alert, Payload: SupervisorAlert { Kind: SupervisorAlertKind.Anomaly } alert } && alert.Topic == skill;

        await AnswerEveryMinuteAsync(queue, TimeSpan.FromMinutes(3), 60);
        Assert.Equal(0, fixture.Notifier.Count(IsAnomaly));

        await AnswerEveryMinuteAsync(queue, TimeSpan.FromMinutes(10), 30);

        var alert = (SupervisorAlert)(await fixture.Notifier.WaitAsync(IsAnomaly)).Payload!;
        Assert.Contains("the hour before", alert.Detail);
        Assert.Equal(1, fixture.Notifier.Count(IsAnomaly));

        // The floor's charts mark it at the minute the alert went out, once (the day read as of the alert: the test's
        // fake clock may have passed midnight since).
        var day = fixture.Cluster.Silos
            .Select(silo => silo.ServiceProvider.GetRequiredService<IServiceMetrics>().Day(alert.At))
            .Aggregate((a, b) => a.Merge(b));
        var mark = Assert.Single(day.Anomalies, a => a.Queue == skill);
        Assert.Equal(alert.At.ToUnixTimeSeconds() / 60, mark.At.ToUnixTimeSeconds() / 60);
    }

    private async Task AnswerEveryMinuteAsync(IQueueGrain queue, TimeSpan firstResponse, int minutes)
    {
        for (var i = 0; i < minutes; i++)
        {
            fixture.Time!.Advance(TimeSpan.FromMinutes(1));
            await queue.ObserveFirstResponseAsync(firstResponse);
            // A round trip to the same queue: the one-way report before it has been taken.
            await queue.GetAsync();
        }
    }
}

/// <summary>
/// A fake-time cluster where agents keep what they are given (no reservation timeout, no breaches, no overflow), so a
/// test sets every first response time to the minute by advancing the clock.
/// </summary>
public sealed class PatientAgentsClusterFixture : ClusterFixture
{
    public PatientAgentsClusterFixture()
    {
        Time = new FakeTimeProvider(FakeTimeStart);
        Configure = options =>
        {
            NoPresenceRefresh(options);
            NoReservationTimeout(options);
            options.Sla.DefaultFirstResponse = TimeSpan.FromDays(1);
            NoOverflow(options);
            // One agent keeps every conversation of the 90 minutes (85), more than the default most an agent may hold.
            options.MaxAgentCapacity = 200;
        };
    }
}

[CollectionDefinition(Name)]
public sealed class PatientAgentsClusterCollection : ICollectionFixture<PatientAgentsClusterFixture>
{
    public const string Name = "patient agents cluster";
}

[Collection(PatientAgentsClusterCollection.Name)]
public sealed class AnomalyFromConversationsTests(PatientAgentsClusterFixture fixture)
{
    [Fact]
    public async Task ConversationsAnsweredInThreeMinutesThenTenRaiseOneAnomalyAlert()
    {
        var skill = fixture.NewSkill();
        var agent = await fixture.OnlineAgentAsync(200, (skill, 3));
        var agentId = agent.GetPrimaryKeyString();
        bool IsAnomaly(Notification n) => n is { Kind: RecordingNotifier.Alert, Payload: SupervisorAlert { Kind: SupervisorAlertKind.Anomaly } alert } && alert.Topic == skill;

        // One new chat a minute; those started in the first hour are answered after 3 min, later ones after 10.
        var due = new List<(IConversationGrain Grain, int AnswerAt)>();
        var ids = new List<string>();
        for (var minute = 0; minute < 90; minute++)
        {
            if (minute < 85)
            {
                var (grain, id) = await fixture.StartAsync(skill);
                await fixture.Notifier.WaitForAssignmentAsync(id);
                due.Add((grain, minute + (minute < 60 ? 3 : 10)));
                ids.Add(id);
            }

            fixture.Time!.Advance(TimeSpan.FromMinutes(1));
            foreach (var (grain, _) in due.Where(d => d.AnswerAt == minute + 1))
            {
                await grain.PostAgentMessageAsync(agentId, "Here is what I found.");
            }

            if (minute == 60)
            {
                Assert.Equal(0, fixture.Notifier.Count(IsAnomaly));
            }
        }

        var alert = (SupervisorAlert)(await fixture.Notifier.WaitAsync(IsAnomaly)).Payload!;
        // A round trip to the queue after the last one-way report: everything reported has been judged.
        await fixture.QueueAsync(skill);
        Assert.Equal(1, fixture.Notifier.Count(IsAnomaly));
        Assert.Equal(skill, alert.Topic);
        Assert.Equal("", alert.ConversationId);
        await fixture.AssertInvariantsAsync([agent], ids, skill);
    }
}
