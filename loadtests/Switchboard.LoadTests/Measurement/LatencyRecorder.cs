using System.Diagnostics;
using HdrHistogram;

namespace Switchboard.LoadTests.Measurement;

/// <summary>Percentiles of one latency, in milliseconds, as the reports print them.</summary>
public sealed record LatencySummary(long Count, double P50, double P75, double P95, double P99, double Max, double Mean)
{
    public static LatencySummary Empty { get; } = new(0, 0, 0, 0, 0, 0, 0);

    public static LatencySummary From(HistogramBase histogram) => histogram.TotalCount == 0
        ? Empty
        : new(
            histogram.TotalCount,
            Ms(histogram.GetValueAtPercentile(50)),
            Ms(histogram.GetValueAtPercentile(75)),
            Ms(histogram.GetValueAtPercentile(95)),
            Ms(histogram.GetValueAtPercentile(99)),
            Ms(histogram.GetMaxValue()),
            Math.Round(histogram.GetMean() / 1000, 3));

    private static double Ms(long micros) => Math.Round(micros / 1000.0, 3);
}

/// <summary>
/// One latency recorded into an HdrHistogram in microseconds (1 µs to 1 h, 3 significant digits), whole-run and
/// per progress interval. Recording takes a lock: a few thousand values a second cost nothing next to the I/O.
/// </summary>
public sealed class LatencyRecorder(string name)
{
    private const long HighestMicros = 3_600_000_000;
    private readonly Lock _lock = new();
    private readonly LongHistogram _total = new(HighestMicros, 3);
    private readonly LongHistogram _interval = new(HighestMicros, 3);

    public string Name { get; } = name;

    public long Count
    {
        get
        {
            lock (_lock)
            {
                return _total.TotalCount;
            }
        }
    }

    /// <summary>
    /// Records into the progress interval always and into the run's result when <paramref name="measured"/>: the
    /// warm-up shows on the console but stays out of the report.
    /// </summary>
    public void Record(TimeSpan latency, bool measured = true) => RecordMicros((long)(latency.Ticks / 10.0), measured);

    /// <summary>The time from <paramref name="from"/> to <paramref name="to"/>, both <see cref="Stopwatch"/> timestamps.</summary>
    public void Record(long from, long to, bool measured = true) => Record(Stopwatch.GetElapsedTime(from, to), measured);

    public void RecordMicros(long micros, bool measured = true)
    {
        var value = Math.Clamp(micros, 1, HighestMicros);
        lock (_lock)
        {
            if (measured)
            {
                _total.RecordValue(value);
            }

            _interval.RecordValue(value);
        }
    }

    public LatencySummary Summary()
    {
        lock (_lock)
        {
            return LatencySummary.From(_total);
        }
    }

    /// <summary>What was recorded since the last call, then starts a new interval.</summary>
    public LatencySummary TakeInterval()
    {
        lock (_lock)
        {
            var summary = LatencySummary.From(_interval);
            _interval.Reset();
            return summary;
        }
    }

    /// <summary>The full distribution in HdrHistogram's percentile format (values in ms), for plotting.</summary>
    public string PercentileDistribution()
    {
        HistogramBase copy;
        lock (_lock)
        {
            copy = _total.Copy();
        }

        using var writer = new StringWriter();
        if (copy.TotalCount > 0)
        {
            copy.OutputPercentileDistribution(writer, outputValueUnitScalingRatio: 1000.0);
        }

        return writer.ToString();
    }
}
