using Switchboard.Queues;

namespace Switchboard.Routing;

/// <summary>
/// The order waiting conversations are served in: conversations returned from an agent first, then by effective
/// priority = priority + time waited / aging interval, so nobody starves behind a stream of higher priorities.
/// </summary>
/// <remarks>
/// Comparing effective priorities at any instant gives the same answer as comparing
/// <c>priority × aging − waitingSince</c>, which does not depend on the clock, so a sorted set stays sorted as time passes.
/// </remarks>
public sealed class WaitingOrder(TimeSpan agingInterval) : IComparer<QueueEntry>
{
    public static double EffectivePriority(QueueEntry entry, DateTimeOffset now, TimeSpan agingInterval) =>
        entry.Priority + ((now - entry.WaitingSince) / agingInterval);

    public int Compare(QueueEntry? x, QueueEntry? y)
    {
        if (ReferenceEquals(x, y))
        {
            return 0;
        }

        if (x is null || y is null)
        {
            return x is null ? 1 : -1;
        }

        if (x.Front != y.Front)
        {
            return x.Front ? -1 : 1;
        }

        var byScore = Score(y).CompareTo(Score(x));
        if (byScore != 0)
        {
            return byScore;
        }

        var bySince = x.WaitingSince.CompareTo(y.WaitingSince);
        return bySince != 0 ? bySince : string.CompareOrdinal(x.ConversationId, y.ConversationId);
    }

    private long Score(QueueEntry entry) => (entry.Priority * agingInterval.Ticks) - entry.WaitingSince.UtcTicks;
}
