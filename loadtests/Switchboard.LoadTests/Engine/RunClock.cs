using System.Diagnostics;

namespace Switchboard.LoadTests.Engine;

/// <summary>
/// The run's time line in <see cref="Stopwatch"/> timestamps: the schedule's zero, the end of warm-up, the end of the
/// load. Until <see cref="Begin"/> nothing is inside the window, so events during connection set-up are not measured.
/// </summary>
public sealed class RunClock(TimeSpan warmup, TimeSpan measured)
{
    private long _start = long.MaxValue / 4;
    private long _measuredTicks = Ticks(measured);

    public long Start => Volatile.Read(ref _start);

    public long WarmupEnd => Start + Ticks(Warmup);

    public long LoadEnd => Start + Ticks(Warmup + Measured);

    public TimeSpan Warmup { get; } = warmup;

    /// <summary>The measured window; shorter than asked when the run was interrupted.</summary>
    public TimeSpan Measured => TimeSpan.FromSeconds((double)Volatile.Read(ref _measuredTicks) / Stopwatch.Frequency);

    public bool Interrupted { get; private set; }

    public static long Now => Stopwatch.GetTimestamp();

    public void Begin(long start) => Volatile.Write(ref _start, start);

    /// <summary>Ends the load at <paramref name="now"/>: what was due until then is still measured, nothing after.</summary>
    public void EndEarly(long now)
    {
        Interrupted = true;
        var measured = Math.Clamp(now - WarmupEnd, 0, Volatile.Read(ref _measuredTicks));
        Volatile.Write(ref _measuredTicks, measured);
    }

    /// <summary>A conversation counts in the results when it was due inside the measured window.</summary>
    public bool IsMeasured(long due) => due >= WarmupEnd && due < LoadEnd;

    public bool InWindow(long timestamp) => timestamp >= WarmupEnd && timestamp < LoadEnd;

    public long At(TimeSpan offset) => Start + Ticks(offset);

    public TimeSpan Elapsed(long timestamp) => Stopwatch.GetElapsedTime(Start, timestamp);

    public static long Ticks(TimeSpan span) => (long)(span.TotalSeconds * Stopwatch.Frequency);
}
