namespace Switchboard.Hosting;

/// <summary>
/// Real time for Orleans' membership area (the clock Orleans resolves under <c>TimeProviderNames.Membership</c>:
/// membership agent, probes, local health monitor, watchdog), whose timestamps count from the moment this clock was
/// first read instead of from the machine's boot.
/// </summary>
/// <remarks>
/// Orleans 10's watchdog starts its runtime-check thread before it stores the component check's first timestamp, so
/// that thread's first check can read the timestamp while it still holds 0. With the system clock, 0 is the machine's
/// boot, so the silo warned at every start that its "participant check thread has not completed for" the machine's
/// uptime ("... potentially indicating lock contention or deadlock") and recorded a runtime stall of that length in
/// its local health, the score it answers other silos' probes with. With this clock, 0 is a moment of this silo's own
/// start: membership's first reading, seconds before the watchdog's (not the clock's making, which comes when the
/// silo is built, minutes before it starts if PostgreSQL is slow to answer), which the watchdog does not mistake for
/// a stall. Only the origin differs: elapsed times, wall-clock time and timers are the system's.
/// </remarks>
public sealed class MembershipClock : TimeProvider
{
    // 0 until the first reading; then one tick before it, so every timestamp this clock gives is positive.
    private long _origin;

    public override long TimestampFrequency => System.TimestampFrequency;

    public override TimeZoneInfo LocalTimeZone => System.LocalTimeZone;

    public override long GetTimestamp()
    {
        var now = System.GetTimestamp();
        var origin = Volatile.Read(ref _origin);
        if (origin == 0)
        {
            var first = Interlocked.CompareExchange(ref _origin, now - 1, 0);
            origin = first == 0 ? now - 1 : first;
        }

        // A reading taken a moment before another thread set the origin must not go below the first timestamp.
        return Math.Max(1, now - origin);
    }

    public override DateTimeOffset GetUtcNow() => System.GetUtcNow();

    public override ITimer CreateTimer(TimerCallback callback, object? state, TimeSpan dueTime, TimeSpan period) =>
        System.CreateTimer(callback, state, dueTime, period);
}
