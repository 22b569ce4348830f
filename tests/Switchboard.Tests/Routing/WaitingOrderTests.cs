using Switchboard.Queues;
using Switchboard.Routing;

namespace Switchboard.Tests.Routing;

public sealed class WaitingOrderTests
{
    private static readonly DateTimeOffset Noon = new(2026, 11, 23, 12, 0, 0, TimeSpan.Zero);
    private static readonly TimeSpan Aging = TimeSpan.FromSeconds(30);

    private static QueueEntry Entry(string id, int priority, DateTimeOffset since, bool front = false) =>
        new(id, Ticket: 1, priority, RequiredProficiency: 1, since, front);

    private static string[] Order(params QueueEntry[] entries)
    {
        var set = new SortedSet<QueueEntry>(new WaitingOrder(Aging));
        foreach (var entry in entries)
        {
            set.Add(entry);
        }

        return [.. set.Select(e => e.ConversationId)];
    }

    [Fact]
    public void HigherPriorityIsServedFirstAtTheSameWait()
    {
        Assert.Equal(["vip", "normal"], Order(Entry("normal", 0, Noon), Entry("vip", 2, Noon)));
    }

    [Fact]
    public void AtEqualPriorityTheLongerWaitIsServedFirst()
    {
        Assert.Equal(["first", "second"], Order(Entry("second", 0, Noon), Entry("first", 0, Noon.AddSeconds(-1))));
    }

    [Fact]
    public void WaitingTimeAgesALowPriorityPastAHigherOne()
    {
        // Priority 0 that has waited 3 aging intervals outranks priority 2 that just arrived: nobody starves.
        var old = Entry("old", 0, Noon.AddSeconds(-90));
        var urgent = Entry("urgent", 2, Noon);

        Assert.Equal(["old", "urgent"], Order(urgent, old));
        Assert.True(WaitingOrder.EffectivePriority(old, Noon, Aging) > WaitingOrder.EffectivePriority(urgent, Noon, Aging));
    }

    [Fact]
    public void WithoutEnoughWaitTheHigherPriorityStaysAhead()
    {
        Assert.Equal(["urgent", "old"], Order(Entry("old", 0, Noon.AddSeconds(-45)), Entry("urgent", 2, Noon)));
    }

    [Fact]
    public void EffectivePriorityGrowsOnePointPerAgingInterval()
    {
        var entry = Entry("c", 3, Noon);

        Assert.Equal(3.0, WaitingOrder.EffectivePriority(entry, Noon, Aging));
        Assert.Equal(5.0, WaitingOrder.EffectivePriority(entry, Noon.AddMinutes(1), Aging));
    }

    [Fact]
    public void TheOrderAgreesWithEffectivePriorityAtAnyInstant()
    {
        var random = new Random(7);
        var entries = Enumerable.Range(0, 200)
            .Select(i => Entry($"c{i}", random.Next(0, 11), Noon.AddSeconds(-random.Next(0, 1200))))
            .ToArray();

        foreach (var now in new[] { Noon, Noon.AddMinutes(10), Noon.AddHours(5) })
        {
            var byEffective = entries
                .OrderByDescending(e => WaitingOrder.EffectivePriority(e, now, Aging))
                .Select(e => WaitingOrder.EffectivePriority(e, now, Aging))
                .ToArray();
            var bySortedSet = Order(entries)
                .Select(id => WaitingOrder.EffectivePriority(entries.Single(e => e.ConversationId == id), now, Aging))
                .ToArray();

            Assert.Equal(byEffective, bySortedSet);
        }
    }

    [Fact]
    public void ConversationsReturnedFromAnAgentGoToTheFront()
    {
        Assert.Equal(
            ["returned", "vip", "old"],
            Order(Entry("old", 0, Noon.AddMinutes(-1)), Entry("vip", 10, Noon), Entry("returned", 0, Noon, front: true)));
    }
}
