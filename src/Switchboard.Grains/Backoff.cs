namespace Switchboard;

/// <summary>
/// Exponential backoff: <see cref="First"/> after the first failure, doubling after each further one, never more
/// than <see cref="Max"/>. Every retry loop of the silo (a queue that cannot be reached, a deadline shard that cannot
/// be told, a silo being replaced, PostgreSQL at start) waits this way.
/// </summary>
public readonly record struct Backoff(TimeSpan First, TimeSpan Max)
{
    /// <summary>The wait after <paramref name="failures"/> failures before this one (0: the first failure).</summary>
    public TimeSpan After(int failures)
    {
        // 2^30 times a tick or more passes any sensible Max; capping the exponent keeps the shift from overflowing.
        var shift = Math.Clamp(failures, 0, 30);
        var ticks = First.Ticks > Max.Ticks >> shift ? Max.Ticks : First.Ticks << shift;
        return TimeSpan.FromTicks(Math.Min(ticks, Max.Ticks));
    }
}
