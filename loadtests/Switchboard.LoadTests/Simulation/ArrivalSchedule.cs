using System.Globalization;
using Switchboard.LoadTests.Options;

namespace Switchboard.LoadTests.Simulation;

/// <summary>How arrivals are spread inside a rate: evenly spaced, or independent customers (a Poisson process).</summary>
public enum ArrivalPattern
{
    Even,
    Poisson,
}

/// <summary>A stretch of the open model whose arrival rate moves linearly from <see cref="FromRate"/> to <see cref="ToRate"/> (per second).</summary>
public sealed record LoadSegment(TimeSpan Duration, double FromRate, double ToRate)
{
    /// <summary>Arrivals the segment injects on average: the area under its rate.</summary>
    public double ExpectedArrivals => (FromRate + ToRate) / 2 * Duration.TotalSeconds;
}

/// <summary>
/// When each conversation of an open-model run is due, as offsets from the start of the run. The schedule is fixed
/// before the run starts, so a slow server cannot slow the arrivals down: latency is measured from these due times.
/// </summary>
public sealed class ArrivalSchedule
{
    public ArrivalSchedule(IEnumerable<LoadSegment> segments)
    {
        Segments = [.. segments];
        if (Segments.Count == 0)
        {
            throw new ArgumentException("A load needs at least one phase.", nameof(segments));
        }

        foreach (var segment in Segments)
        {
            if (segment.Duration <= TimeSpan.Zero || segment.FromRate < 0 || segment.ToRate < 0
                || double.IsNaN(segment.FromRate) || double.IsNaN(segment.ToRate))
            {
                throw new ArgumentException($"A phase needs a positive duration and rates ≥ 0 (got {segment}).", nameof(segments));
            }
        }
    }

    public IReadOnlyList<LoadSegment> Segments { get; }

    public TimeSpan Duration => Segments.Aggregate(TimeSpan.Zero, (sum, s) => sum + s.Duration);

    public double ExpectedArrivals => Segments.Sum(s => s.ExpectedArrivals);

    public static ArrivalSchedule Constant(double rate, TimeSpan duration) => new([new LoadSegment(duration, rate, rate)]);

    /// <summary>
    /// Phases separated by commas: <c>const 50 60s</c>, <c>ramp 10 100 30s</c>, <c>burst 20 200 2s/10s 60s</c>
    /// (base 20/s; the last 2 s of every 10 s at 200/s). Rates are conversations per second.
    /// </summary>
    public static ArrivalSchedule Parse(string spec)
    {
        var segments = new List<LoadSegment>();
        foreach (var phase in spec.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
        {
            var words = phase.Split(' ', StringSplitOptions.RemoveEmptyEntries);
            switch (words[0].ToLowerInvariant())
            {
                case "const" or "constant" when words.Length == 3:
                    segments.Add(new LoadSegment(Durations.Parse(words[2]), Rate(words[1]), Rate(words[1])));
                    break;
                case "ramp" when words.Length == 4:
                    segments.Add(new LoadSegment(Durations.Parse(words[3]), Rate(words[1]), Rate(words[2])));
                    break;
                case "burst" when words.Length == 5:
                    segments.AddRange(Burst(Rate(words[1]), Rate(words[2]), words[3], Durations.Parse(words[4])));
                    break;
                default:
                    throw new FormatException(
                        $"'{phase}' is not a load phase; write 'const RATE DURATION', 'ramp FROM TO DURATION' or 'burst BASE PEAK LENGTH/EVERY DURATION'.");
            }
        }

        return segments.Count == 0 ? throw new FormatException("The load names no phase.") : new ArrivalSchedule(segments);
    }

    /// <summary>The same load with a warm-up in front at the first phase's starting rate (1/s if that is 0).</summary>
    public ArrivalSchedule WithWarmup(TimeSpan warmup)
    {
        if (warmup <= TimeSpan.Zero)
        {
            return this;
        }

        var rate = Segments[0].FromRate > 0 ? Segments[0].FromRate : 1;
        return new ArrivalSchedule([new LoadSegment(warmup, rate, rate), .. Segments]);
    }

    /// <summary>The arrival rate the schedule asks for at <paramref name="offset"/> (0 past its end).</summary>
    public double RateAt(TimeSpan offset)
    {
        var start = TimeSpan.Zero;
        foreach (var segment in Segments)
        {
            if (offset < start + segment.Duration)
            {
                var fraction = (offset - start) / segment.Duration;
                return segment.FromRate + (segment.ToRate - segment.FromRate) * fraction;
            }

            start += segment.Duration;
        }

        return 0;
    }

    /// <summary>
    /// Every due time, in order. Arrivals are placed where the cumulative expected count crosses its targets:
    /// k + ½ for even spacing, a running sum of unit exponentials for Poisson. That one rule serves constant, ramping
    /// and bursting phases alike, and the same seed gives the same schedule.
    /// </summary>
    public IEnumerable<TimeSpan> Arrivals(ArrivalPattern pattern, int seed = 1)
    {
        var random = new Random(seed);
        double target = pattern == ArrivalPattern.Even ? 0.5 : Exponential(random);
        var segmentStart = 0.0;
        var countBefore = 0.0;
        foreach (var segment in Segments)
        {
            var length = segment.Duration.TotalSeconds;
            var total = segment.ExpectedArrivals;
            while (target - countBefore <= total)
            {
                var t = Invert(segment.FromRate, segment.ToRate, length, target - countBefore);
                yield return TimeSpan.FromSeconds(segmentStart + Math.Clamp(t, 0, length));
                target += pattern == ArrivalPattern.Even ? 1 : Exponential(random);
            }

            segmentStart += length;
            countBefore += total;
        }
    }

    public string Describe() => string.Join(", ", Segments.Select(s => s.FromRate == s.ToRate
        ? $"{Format(s.FromRate)}/s for {Durations.Format(s.Duration)}"
        : $"{Format(s.FromRate)}→{Format(s.ToRate)}/s over {Durations.Format(s.Duration)}"));

    /// <summary>Solves a·t + (b−a)·t²/(2L) = m for t in [0, L]: when a linearly changing rate has produced m arrivals.</summary>
    private static double Invert(double a, double b, double length, double m)
    {
        if (Math.Abs(b - a) < 1e-12)
        {
            return a == 0 ? length : m / a;
        }

        var slope = (b - a) / length;
        var discriminant = Math.Max(0, a * a + 2 * slope * m);
        return (Math.Sqrt(discriminant) - a) / slope;
    }

    private static double Exponential(Random random) => -Math.Log(1 - random.NextDouble());

    private static IEnumerable<LoadSegment> Burst(double baseRate, double peak, string shape, TimeSpan duration)
    {
        var parts = shape.Split('/');
        if (parts.Length != 2)
        {
            throw new FormatException($"'{shape}' is not a burst shape; write LENGTH/EVERY, e.g. 2s/10s.");
        }

        var length = Durations.Parse(parts[0]);
        var every = Durations.Parse(parts[1]);
        if (length <= TimeSpan.Zero || length >= every)
        {
            throw new FormatException($"A burst must be shorter than its period ({shape}).");
        }

        // The burst closes each period, so a run starts on its base rate and every period has the same shape.
        for (var start = TimeSpan.Zero; start < duration; start += every)
        {
            var period = every < duration - start ? every : duration - start;
            var calm = period - length;
            if (calm > TimeSpan.Zero)
            {
                yield return new LoadSegment(calm, baseRate, baseRate);
            }

            var burst = calm > TimeSpan.Zero ? length : period;
            yield return new LoadSegment(burst, peak, peak);
        }
    }

    private static double Rate(string word)
    {
        var text = word.EndsWith("/s", StringComparison.Ordinal) ? word[..^2] : word;
        return double.TryParse(text, NumberStyles.Float, CultureInfo.InvariantCulture, out var rate) && rate >= 0
            ? rate
            : throw new FormatException($"'{word}' is not a rate (conversations per second).");
    }

    private static string Format(double rate) => rate.ToString("0.##", CultureInfo.InvariantCulture);
}
