using Microsoft.Extensions.Time.Testing;
using Switchboard.Conversations;

namespace Switchboard.Tests.Cluster;

/// <summary>
/// A fake-time cluster whose queues tell moves of the line every 2 s, the first 3 places exactly and 8 more customers
/// per pass: small enough that a test sees each bound. Nothing overflows, re-announces or times out on its own.
/// </summary>
public sealed class PositionReportFixture : ClusterFixture
{
    public static readonly TimeSpan Interval = TimeSpan.FromSeconds(2);
    public const int Exact = 3;
    public const int Scan = 8;

    public PositionReportFixture()
    {
        Time = new FakeTimeProvider(FakeTimeStart);
        Configure = options =>
        {
            NoPresenceRefresh(options);
            NoOverflow(options);
            NoReservationTimeout(options);
            options.PositionReportInterval = Interval;
            options.PositionReportExact = Exact;
            options.PositionReportScan = Scan;
        };
    }
}

[CollectionDefinition(Name)]
public sealed class PositionReportCollection : ICollectionFixture<PositionReportFixture>
{
    public const string Name = "position reports";
}

/// <summary>
/// Issue 16: while a backlog drains, customers hear their place in line on the queue's cadence, not once per
/// assignment, from a pass whose work is bounded however long the line is; the assignment itself is never delayed.
/// </summary>
[Collection(PositionReportCollection.Name)]
public sealed class PositionReportTests(PositionReportFixture fixture)
{
    private FakeTimeProvider Time => fixture.Time!;

    private RecordingNotifier Notifier => fixture.Notifier;

    [Fact]
    public async Task TwentyAssignmentsInOneIntervalTellEachWaitingCustomerOnceFromABoundedPass()
    {
        var skill = fixture.NewSkill();
        var started = new List<(IConversationGrain Grain, string Id)>();
        for (var i = 0; i < 40; i++)
        {
            // A millisecond apart, so the line is in order of arrival and each customer is told the place they keep.
            Time.Advance(TimeSpan.FromMilliseconds(1));
            started.Add(await fixture.StartAsync(skill));
        }

        var ids = started.Select(s => s.Id).ToArray();
        await Notifier.WaitForQueuedAsync(ids);
        var line = (await fixture.QueueAsync(skill)).Waiting.Select(e => e.ConversationId).ToArray();
        Assert.Equal(40, line.Length);

        // Twenty assignments without the clock moving: each is made at once, and nobody waiting hears of them yet.
        var agent = await fixture.OnlineAgentAsync(10, (skill, 3));
        var agentId = agent.GetPrimaryKeyString();
        foreach (var id in line[..10])
        {
            Assert.Equal(agentId, (await Notifier.WaitForAssignmentAsync(id)).AgentId);
        }

        foreach (var id in line[..10])
        {
            await fixture.Grains.GetGrain<IConversationGrain>(id).ResolveAsync(agentId);
        }

        foreach (var id in line[10..20])
        {
            Assert.Equal(agentId, (await Notifier.WaitForAssignmentAsync(id)).AgentId);
        }

        await fixture.RestAsync([agentId], ids);
        var waiting = line[20..];
        Assert.All(waiting, id => Assert.Equal([Array.IndexOf(line, id) + 1], Notifier.PlacesTold(id)));

        // One pass for all twenty: the first three exactly, then the next eight; the rest wait for the next passes.
        Time.Advance(PositionReportFixture.Interval);
        await PassAsync(skill, waiting[0], 1);
        for (var rank = 1; rank <= 20; rank++)
        {
            var told = Notifier.PlacesTold(waiting[rank - 1]);
            Assert.Equal(rank <= PositionReportFixture.Exact + PositionReportFixture.Scan ? [20 + rank, rank] : [20 + rank], told);
        }

        Time.Advance(PositionReportFixture.Interval);
        await PassAsync(skill, waiting[11], 12);
        Assert.All(waiting[11..19], id => Assert.Equal(2, Notifier.PlacesTold(id).Count));
        Assert.Single(Notifier.PlacesTold(waiting[19]));

        Time.Advance(PositionReportFixture.Interval);
        await PassAsync(skill, waiting[19], 20);
        Assert.All(waiting, id => Assert.Equal(2, Notifier.PlacesTold(id).Count));
        await fixture.AssertInvariantsAsync([agentId], ids, [skill]);
    }

    [Fact]
    public async Task ACustomersPlaceNeverGoesUpAndReachesOneAndTheAssignmentIsNotKeptForTheCadence()
    {
        var skill = fixture.NewSkill();
        var agent = await fixture.OnlineAgentAsync(1, (skill, 3));
        var agentId = agent.GetPrimaryKeyString();
        var (first, firstId) = await fixture.StartAsync(skill);
        await Notifier.WaitForAssignmentAsync(firstId);

        var (early, earlyId) = await fixture.StartAsync(skill);
        await Notifier.WaitForPlaceAsync(earlyId, 1);
        var (urgent, urgentId) = await fixture.StartAsync(skill, priority: 5);
        await Notifier.WaitForPlaceAsync(urgentId, 1);
        Time.Advance(TimeSpan.FromMilliseconds(1));
        var (_, lateId) = await fixture.StartAsync(skill);
        await Notifier.WaitForPlaceAsync(lateId, 3);
        Assert.Equal([urgentId, earlyId, lateId], (await fixture.QueueAsync(skill)).Waiting.Select(e => e.ConversationId));

        // The urgent one went ahead: the early customer stays at the 1 they were told, not sent back to 2.
        await first.ResolveAsync(agentId);
        await Notifier.WaitForAssignmentAsync(urgentId);
        // The assignment is pushed before the offer comes back to the queue: the line moves when it does.
        await fixture.RestAsync([agentId], [urgentId]);
        Time.Advance(PositionReportFixture.Interval);
        await PassAsync(skill, lateId, 2);

        await urgent.ResolveAsync(agentId);
        await Notifier.WaitForAssignmentAsync(earlyId);
        await fixture.RestAsync([agentId], [earlyId]);
        Time.Advance(PositionReportFixture.Interval);
        await PassAsync(skill, lateId, 1);

        // Freed capacity is taken at once, without waiting for the next report pass.
        await early.ResolveAsync(agentId);
        Assert.Equal(agentId, (await Notifier.WaitForAssignmentAsync(lateId)).AgentId);

        Assert.Equal([1], Notifier.PlacesTold(earlyId));
        Assert.Equal([1], Notifier.PlacesTold(urgentId));
        Assert.Equal([3, 2, 1], Notifier.PlacesTold(lateId));
        await fixture.AssertInvariantsAsync([agentId], [firstId, earlyId, urgentId, lateId], [skill]);
    }

    /// <summary>
    /// Waits for a push the report pass just due makes, then for the pass to end: the queue answers no other call
    /// while the pass runs, so once it answers, everything the pass tells has been pushed.
    /// </summary>
    private async Task PassAsync(string skill, string conversationId, int position)
    {
        await Notifier.WaitForPlaceAsync(conversationId, position);
        await fixture.QueueAsync(skill);
    }
}
