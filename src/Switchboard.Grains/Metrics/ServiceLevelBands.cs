namespace Switchboard.Metrics;

/// <summary>How a queue's live chat compares with the industry's first-response bands.</summary>
public enum ServiceLevelBand
{
    Unacceptable,
    BelowAverage,
    Average,
    AboveAverage,
    Stellar,
}

public static class ServiceLevelBands
{
    /// <summary>
    /// Stellar under 1 min, above average under 5 min, average under 10 min, below average up to and including 1 h,
    /// unacceptable over 1 h. The published bands leave 10–30 min open; it is classed below average (it is not
    /// "under 10 min"). Null when there is no first response to judge.
    /// </summary>
    public static ServiceLevelBand? Classify(TimeSpan? meanFirstResponse) => meanFirstResponse switch
    {
        null => null,
        { TotalMinutes: < 1 } => ServiceLevelBand.Stellar,
        { TotalMinutes: < 5 } => ServiceLevelBand.AboveAverage,
        { TotalMinutes: < 10 } => ServiceLevelBand.Average,
        { TotalMinutes: <= 60 } => ServiceLevelBand.BelowAverage,
        _ => ServiceLevelBand.Unacceptable,
    };
}
