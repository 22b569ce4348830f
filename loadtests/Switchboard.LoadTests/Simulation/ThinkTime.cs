using Switchboard.LoadTests.Options;

namespace Switchboard.LoadTests.Simulation;

/// <summary>How long a simulated person takes before acting: uniform between <see cref="Min"/> and <see cref="Max"/>.</summary>
public readonly record struct ThinkTime(TimeSpan Min, TimeSpan Max)
{
    public TimeSpan Mean => (Min + Max) / 2;

    /// <summary><c>300ms</c> (fixed) or <c>200ms..1s</c> (uniform).</summary>
    public static ThinkTime Parse(string text)
    {
        var parts = text.Split("..", StringSplitOptions.TrimEntries);
        var min = Durations.Parse(parts[0]);
        var max = parts.Length == 2 ? Durations.Parse(parts[1]) : min;
        return parts.Length > 2 || max < min
            ? throw new FormatException($"'{text}' is not a think time; write 300ms or 200ms..1s.")
            : new ThinkTime(min, max);
    }

    public TimeSpan Sample(double u) => Min + (Max - Min) * u;

    public override string ToString() => Min == Max ? Durations.Format(Min) : $"{Durations.Format(Min)}..{Durations.Format(Max)}";
}
