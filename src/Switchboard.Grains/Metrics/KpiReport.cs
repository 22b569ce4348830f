namespace Switchboard.Metrics;

/// <summary>First response times in seconds: how many, mean, median and 90th percentile (null with no answers).</summary>
public sealed record FirstResponseStats(long Count, double? MeanSeconds, double? P50Seconds, double? P90Seconds);

/// <summary>
/// The KPIs of one scope over one window, as the console shows them; every rate is 0–1 and null when its
/// denominator is zero (see docs/metrics.md for each definition).
/// </summary>
public sealed record KpiReport(
    long Started,
    long Assigned,
    long Handled,
    long Abandoned,
    FirstResponseStats FirstResponse,
    double? AverageResponseSeconds,
    double? AverageResolutionSeconds,
    double? AverageAssignmentSeconds,
    double? AbandonmentRate,
    double? OneTouchResolutionRate,
    double? SlaAttainment,
    double? Csat,
    long Ratings,
    ServiceLevelBand? Band)
{
    public static KpiReport From(KpiAggregate a) => new(
        a.Started,
        a.Assigned,
        a.Resolved,
        a.Abandoned,
        new FirstResponseStats(
            a.FirstResponse.Count,
            a.FirstResponse.MeanSeconds,
            Seconds(a.FirstResponse.Percentile(0.5)),
            Seconds(a.FirstResponse.Percentile(0.9))),
        a.Response.MeanSeconds,
        a.Resolution.MeanSeconds,
        a.AssignmentLatency.MeanSeconds,
        Share(a.Abandoned, a.Abandoned + a.FirstResponse.Count),
        Share(a.OneTouch, a.Resolved),
        Share(a.SlaMet, a.SlaMet + a.SlaBreached),
        Share(a.GoodRatings, a.Ratings),
        a.Ratings,
        ServiceLevelBands.Classify(a.FirstResponse.Mean));

    private static double? Share(long part, long whole) => whole == 0 ? null : (double)part / whole;

    private static double? Seconds(TimeSpan? span) => span?.TotalSeconds;
}
