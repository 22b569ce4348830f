using System.Collections.Immutable;
using Orleans.Concurrency;

namespace Switchboard.Deadlines;

/// <summary>
/// One of a fixed set of shards (keyed 0 … shards − 1) of the deadline service: the safety net that wakes a
/// conversation whose own in-memory clock was lost with its silo. It holds, for each conversation hashed to it, the
/// latest time it must be woken and the queues it waits in, fires them from one in-memory timer, and keeps them in its
/// own storage in batches (not one write per conversation), so that after a silo dies the shards it held come back
/// elsewhere and fire everything overdue at once.
/// </summary>
public interface IDeadlineShardGrain : IGrainWithIntegerKey
{
    /// <summary>
    /// Wake <paramref name="conversationId"/> at <paramref name="wakeAt"/> (plus the service's grace) unless it says
    /// otherwise before; replaces what the shard held for it. Stored when the call returns (writes are batched: calls
    /// that arrive while one is under way share the next), so a conversation that dies with its silo right after is
    /// still woken elsewhere; fails if it could not be stored.
    /// </summary>
    [AlwaysInterleave, RetrySafe]
    Task TrackAsync(string conversationId, DateTimeOffset wakeAt, ImmutableArray<string> queues);

    /// <summary>
    /// Like <see cref="TrackAsync"/> for a later time, or null to forget it; nobody waits for it, and it is stored with
    /// the next flush (if it is lost, the shard wakes the conversation early, which changes nothing). A conversation
    /// leaving memory sends its early wake-up this way too: if that is lost, the shard still holds its due time.
    /// </summary>
    [AlwaysInterleave, OneWay]
    Task UpdateAsync(string conversationId, DateTimeOffset? wakeAt, ImmutableArray<string> queues);

    /// <summary>
    /// Wake agent <paramref name="agentId"/> at <paramref name="wakeAt"/> unless it says otherwise before (null: forget
    /// it). An agent holding conversations keeps this moving forward while its grain lives; if its grain is lost with
    /// a silo, the shard brings it back, so an agent who never reconnects still loses them after its grace period.
    /// </summary>
    [AlwaysInterleave, OneWay]
    Task TrackAgentAsync(string agentId, DateTimeOffset? wakeAt);

    /// <summary>
    /// A queue lost its waiting list (it activated anew): wake every conversation held here that waits in it. Returns
    /// once they are woken (one-way), so the queue knows to ask again if the shard could not be reached.
    /// </summary>
    [AlwaysInterleave, RetrySafe]
    Task RequeueWaitingInAsync(string queue);

    /// <summary>
    /// Moves the shard to the silo it belongs on (spread by address over the active silos), if it is elsewhere. The
    /// shard does it by itself once membership has stayed unchanged for <c>Deadlines:MoveAfterStable</c>; this asks now.
    /// </summary>
    [AlwaysInterleave, RetrySafe]
    Task RebalanceAsync();

    /// <summary>
    /// Activates the shard (after its silo died: it loads what it stored and fires what is overdue); how many it holds.
    /// <paramref name="siloLost"/>: a silo was just declared dead, so wakes not yet answered are sent again.
    /// </summary>
    [AlwaysInterleave, RetrySafe]
    Task<int> EnsureActiveAsync(bool siloLost);
}
