namespace Switchboard.Metrics;

/// <summary>
/// Durations in fixed log-scale buckets (each 5 % wider than the one before, from 1 ms), so two histograms merge by
/// adding counts and a percentile read from the merge is the same whichever silo saw which value. A percentile is
/// the middle of its bucket (within 2.5 %), clamped to the smallest and largest value seen; the mean is exact.
/// </summary>
[GenerateSerializer, Alias("Switchboard.LatencyHistogram")]
public sealed class LatencyHistogram
{
    private const double Growth = 1.05;
    private static readonly double LogGrowth = Math.Log(Growth);

    [Id(0)] public Dictionary<int, long> Buckets { get; set; } = [];
    [Id(1)] public long Count { get; set; }
    [Id(2)] public double SumSeconds { get; set; }
    [Id(3)] public double MinSeconds { get; set; } = double.PositiveInfinity;
    [Id(4)] public double MaxSeconds { get; set; }

    public double? MeanSeconds => Count == 0 ? null : SumSeconds / Count;

    public TimeSpan? Mean => MeanSeconds is { } seconds ? TimeSpan.FromSeconds(seconds) : null;

    public void Add(TimeSpan value)
    {
        var seconds = Math.Max(0, value.TotalSeconds);
        var index = Index(seconds);
        Buckets[index] = Buckets.GetValueOrDefault(index) + 1;
        Count++;
        SumSeconds += seconds;
        MinSeconds = Math.Min(MinSeconds, seconds);
        MaxSeconds = Math.Max(MaxSeconds, seconds);
    }

    public void Merge(LatencyHistogram other)
    {
        foreach (var (index, count) in other.Buckets)
        {
            Buckets[index] = Buckets.GetValueOrDefault(index) + count;
        }

        Count += other.Count;
        SumSeconds += other.SumSeconds;
        MinSeconds = Math.Min(MinSeconds, other.MinSeconds);
        MaxSeconds = Math.Max(MaxSeconds, other.MaxSeconds);
    }

    /// <summary>The nearest-rank percentile (<paramref name="quantile"/> 0–1), or null when empty.</summary>
    public TimeSpan? Percentile(double quantile)
    {
        if (Count == 0)
        {
            return null;
        }

        var rank = Math.Max(1, (long)Math.Ceiling(quantile * Count));
        long seen = 0;
        foreach (var index in Buckets.Keys.Order())
        {
            seen += Buckets[index];
            if (seen >= rank)
            {
                var middle = index == 0 ? 0.0005 : Math.Pow(Growth, index + 0.5) / 1000;
                return TimeSpan.FromSeconds(Math.Clamp(middle, MinSeconds, MaxSeconds));
            }
        }

        return TimeSpan.FromSeconds(MaxSeconds);
    }

    /// <summary>Bucket 0 holds everything under 1 ms; bucket i ≥ 1 holds [1.05^i, 1.05^(i+1)) ms.</summary>
    internal static int Index(double seconds)
    {
        var ms = seconds * 1000;
        return ms < Growth ? 0 : (int)Math.Floor(Math.Log(ms) / LogGrowth);
    }
}
