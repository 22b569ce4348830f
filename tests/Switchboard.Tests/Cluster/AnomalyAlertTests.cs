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
