namespace Switchboard.Metrics;

/// <summary>Service metrics settings, under <c>Switchboard:Metrics</c>.</summary>
public sealed class MetricsOptions
{
    /// <summary>The rolling window the KPIs are also shown for (besides the current hour and today).</summary>
    public TimeSpan RollingWindow { get; set; } = TimeSpan.FromHours(1);

    /// <summary>A queue's recent FRT must exceed this multiple of its baseline to raise an anomaly alert.</summary>
    public double AnomalyMultiple { get; set; } = 2;

    /// <summary>The recent window of the anomaly rule.</summary>
    public TimeSpan AnomalyWindow { get; set; } = TimeSpan.FromMinutes(15);

    /// <summary>The baseline: this long before the recent window.</summary>
    public TimeSpan AnomalyBaseline { get; set; } = TimeSpan.FromHours(1);

    /// <summary>Answers each window needs before the rule judges (a single slow answer is noise).</summary>
    public int AnomalyMinSamples { get; set; } = 3;

    /// <summary>A recent mean under this never alerts (10 s becoming 25 s is still stellar service).</summary>
    public TimeSpan AnomalyFloor { get; set; } = TimeSpan.FromMinutes(1);

    public IEnumerable<string> Problems()
    {
        if (RollingWindow < TimeSpan.FromMinutes(1) || RollingWindow > TimeSpan.FromHours(24))
        {
            yield return "Switchboard:Metrics:RollingWindow must be between 1 minute and 24 hours.";
        }

        if (!(AnomalyMultiple > 1))
        {
            yield return "Switchboard:Metrics:AnomalyMultiple must be greater than 1.";
        }

        if (AnomalyWindow < TimeSpan.FromMinutes(1) || AnomalyBaseline < TimeSpan.FromMinutes(1))
        {
            yield return "Switchboard:Metrics:AnomalyWindow and AnomalyBaseline must be at least 1 minute.";
        }

        if (AnomalyMinSamples < 1)
        {
            yield return "Switchboard:Metrics:AnomalyMinSamples must be at least 1.";
        }
    }
}
