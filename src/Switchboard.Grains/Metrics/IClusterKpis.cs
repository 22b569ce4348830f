namespace Switchboard.Metrics;

/// <summary>The whole cluster's KPIs, as the console, the stats API and the floor charts read them.</summary>
public interface IClusterKpis
{
    /// <summary>Every scope's windows now, merged over the active silos.</summary>
    Task<KpiSnapshot> ReadAsync();

    /// <summary>Today (UTC) in quarters of an hour, up to now, for the whole cluster.</summary>
    Task<(DateTimeOffset At, KpiDay Day)> ReadDayAsync();
}
