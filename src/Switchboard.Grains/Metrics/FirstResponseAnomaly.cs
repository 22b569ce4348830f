namespace Switchboard.Metrics;

/// <summary>The recent and baseline mean first response times at one instant, and whether they make an anomaly.</summary>
public sealed record AnomalyVerdict(TimeSpan? Recent, TimeSpan? Baseline, bool Anomalous, bool Calm);

/// <summary>
/// The FRT-jump rule, pure: over per-minute FRT buckets, the mean of the last <see cref="MetricsOptions.AnomalyWindow"/>
/// (15 min) against the mean of the <see cref="MetricsOptions.AnomalyBaseline"/> (1 h) before it. Anomalous when
/// both have at least <see cref="MetricsOptions.AnomalyMinSamples"/> answers, the recent mean is at least
/// <see cref="MetricsOptions.AnomalyFloor"/> and it exceeds <see cref="MetricsOptions.AnomalyMultiple"/> × the
/// baseline. Calm (the episode is over) once the recent mean is back under half-way to that multiple.
/// </summary>
public static class AnomalyRule
{
    public static AnomalyVerdict Evaluate(IReadOnlyDictionary<long, (long Count, double SumSeconds)> minutes, DateTimeOffset now, MetricsOptions options)
    {
        var current = now.ToUnixTimeSeconds() / 60;
        var recentFrom = current - (long)Math.Ceiling(options.AnomalyWindow.TotalMinutes) + 1;
        var baselineFrom = recentFrom - (long)Math.Ceiling(options.AnomalyBaseline.TotalMinutes);
        (long Count, double Sum) recent = (0, 0), baseline = (0, 0);
        foreach (var (minute, (count, sum)) in minutes)
        {
            if (minute > current || minute < baselineFrom)
            {
                continue;
            }

            if (minute >= recentFrom)
            {
                recent = (recent.Count + count, recent.Sum + sum);
            }
            else
            {
                baseline = (baseline.Count + count, baseline.Sum + sum);
            }
        }

        TimeSpan? recentMean = recent.Count == 0 ? null : TimeSpan.FromSeconds(recent.Sum / recent.Count);
        TimeSpan? baselineMean = baseline.Count == 0 ? null : TimeSpan.FromSeconds(baseline.Sum / baseline.Count);
        if (recentMean is not { } r || baselineMean is not { } b
            || recent.Count < options.AnomalyMinSamples || baseline.Count < options.AnomalyMinSamples)
        {
            return new AnomalyVerdict(recentMean, baselineMean, Anomalous: false, Calm: true);
        }

        var anomalous = r >= options.AnomalyFloor && r > b * options.AnomalyMultiple;
        var calm = r <= b * (1 + ((options.AnomalyMultiple - 1) / 2));
        return new AnomalyVerdict(r, b, anomalous, calm);
    }
}

/// <summary>
/// One queue's FRT anomaly episodes: per-minute FRT buckets for the rule's windows, and whether an episode is on,
/// so supervisors hear of a jump once, not once per answer. Not thread-safe (a grain owns it).
/// </summary>
public sealed class FirstResponseAnomalyDetector(MetricsOptions options)
{
    private readonly SortedDictionary<long, (long Count, double SumSeconds)> _minutes = [];

    public bool InEpisode { get; private set; }

    /// <summary>Adds one first response; returns the verdict when it starts an episode, else null.</summary>
    public AnomalyVerdict? Observe(DateTimeOffset at, TimeSpan firstResponse)
    {
        var minute = at.ToUnixTimeSeconds() / 60;
        var (count, sum) = _minutes.GetValueOrDefault(minute);
        _minutes[minute] = (count + 1, sum + Math.Max(0, firstResponse.TotalSeconds));
        var keepFrom = minute - (long)Math.Ceiling((options.AnomalyWindow + options.AnomalyBaseline).TotalMinutes) - 1;
        while (_minutes.Count > 0 && _minutes.Keys.First() is var first && first < keepFrom)
        {
            _minutes.Remove(first);
        }

        var verdict = AnomalyRule.Evaluate(_minutes, at, options);
        if (InEpisode)
        {
            InEpisode = !verdict.Calm;
            return null;
        }

        InEpisode = verdict.Anomalous;
        return verdict.Anomalous ? verdict : null;
    }
}
