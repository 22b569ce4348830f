using Switchboard.Queues;

namespace Switchboard.Routing;

/// <summary>
/// The customer's last agent gets the first offer: while an entry is held only that agent may take it, as soon as
/// they are online with a free slot; when the hold ends the entry is routed like any other. A hold never outlasts
/// the first-response deadline.
/// </summary>
public static class LastAgentHold
{
    /// <summary>When a hold starting at <paramref name="now"/> ends: after the hold, or at the deadline if sooner.</summary>
    public static DateTimeOffset End(DateTimeOffset now, TimeSpan hold, DateTimeOffset firstResponseDueAt) =>
        now + hold < firstResponseDueAt ? now + hold : firstResponseDueAt;

    public static bool IsHeld(QueueEntry entry, DateTimeOffset now) =>
        entry is { PreferredAgentId: not null, HoldUntil: { } until } && now < until;
}
