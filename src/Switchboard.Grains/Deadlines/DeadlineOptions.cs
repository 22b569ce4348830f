namespace Switchboard.Deadlines;

/// <summary>The deadline service, bound from <c>Switchboard:Deadlines</c>.</summary>
public sealed class DeadlineOptions
{
    /// <summary>
    /// How many shards hold the conversations' wake-up times (a conversation's shard follows from its id, so this must
    /// be the same on every silo and stay the same while conversations are open). A few per silo.
    /// </summary>
    public int Shards { get; set; } = 16;

    /// <summary>
    /// How long after the first change nobody waits for (a later wake-up time, a forgotten one, a re-armed wake) a shard
    /// stores it, with whatever else changed meanwhile; no timer runs while nothing waits to be stored. A
    /// conversation's earlier or first wake-up time is stored before its call returns, in a batch with whatever else
    /// arrived meanwhile, so a crash loses only changes whose loss wakes a conversation early.
    /// </summary>
    public TimeSpan FlushInterval { get; set; } = TimeSpan.FromMilliseconds(100);

    /// <summary>
    /// How long after a wake-up time a shard fires it: a conversation alive on its silo acts on its own clock at the
    /// time itself and tells its shard its next time before this, so the shard fires only for conversations that were
    /// lost with their silo.
    /// </summary>
    public TimeSpan Grace { get; set; } = TimeSpan.FromSeconds(1);

    /// <summary>Wake-up times are stored in segments of this width: a flush rewrites only the segments that changed.</summary>
    public TimeSpan SegmentWidth { get; set; } = TimeSpan.FromSeconds(2);

    /// <summary>
    /// A woken conversation answers with its next time; until it does, its shard wakes it again after this, doubling
    /// each time up to a minute (a wake sent to an activation on a silo that just died is lost), and at once when a
    /// silo is declared dead.
    /// </summary>
    public TimeSpan RefireAfter { get; set; } = TimeSpan.FromSeconds(2);

    /// <summary>
    /// A waiting conversation that has had nothing to do for this long, and whose next due time is at least as far
    /// again plus <see cref="WakeLead"/> away, leaves memory (its state is stored): its shard wakes it
    /// <see cref="WakeLead"/> before that time, and its own timer takes over again. A long line then costs its stored
    /// state, its queue entry and its shard entry, not a live grain each. Leaving and coming back costs an activation
    /// each time, so the default leaves the busy first minutes of a conversation in memory. Zero keeps every waiting
    /// conversation in memory.
    /// </summary>
    public TimeSpan HibernateAfter { get; set; } = TimeSpan.FromSeconds(60);

    /// <summary>
    /// How long the cluster's membership must stay unchanged before a shard that is not on the silo it belongs on
    /// (after a silo joined, or after it was activated elsewhere) moves there. Each shard looks every
    /// <see cref="PlacementCheck"/>; moving while a silo is still joining would meet Orleans' directory mid-handover.
    /// </summary>
    public TimeSpan MoveAfterStable { get; set; } = TimeSpan.FromSeconds(5);

    /// <summary>How often a shard compares where it is with where it belongs (<see cref="MoveAfterStable"/>).</summary>
    public TimeSpan PlacementCheck { get; set; } = TimeSpan.FromSeconds(5);

    /// <summary>How long before its next due time the shard wakes a conversation that left memory.</summary>
    public TimeSpan WakeLead { get; set; } = TimeSpan.FromSeconds(3);

    /// <summary>Which shard holds a conversation: a stable hash of its id (not string.GetHashCode, which differs per process).</summary>
    public int ShardOf(string conversationId)
    {
        var hash = 2166136261u;
        foreach (var c in conversationId)
        {
            hash = (hash ^ c) * 16777619u;
        }

        return (int)(hash % (uint)Shards);
    }

    public IEnumerable<string> Problems(string section)
    {
        if (Shards is < 1 or > 4096)
        {
            yield return $"{section}:Shards must be between 1 and 4096.";
        }

        if (HibernateAfter < TimeSpan.Zero || WakeLead < TimeSpan.Zero)
        {
            yield return $"{section}:HibernateAfter and WakeLead must not be negative.";
        }

        if (MoveAfterStable < TimeSpan.Zero || PlacementCheck <= TimeSpan.Zero)
        {
            yield return $"{section}:MoveAfterStable must not be negative and PlacementCheck must be positive.";
        }

        if (FlushInterval <= TimeSpan.Zero || RefireAfter <= TimeSpan.Zero || Grace < TimeSpan.Zero || SegmentWidth < TimeSpan.FromSeconds(1))
        {
            yield return $"{section}:FlushInterval and RefireAfter must be positive, Grace not negative, SegmentWidth at least 1 s.";
        }
    }
}
