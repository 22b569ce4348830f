using Orleans.Concurrency;

namespace Switchboard.Metrics;

/// <summary>
/// <see cref="ClusterKpis"/> for a process that is not a silo (a gateway): the read runs in whichever silo activates
/// this worker, which asks every silo's metrics service as a silo's own read does.
/// </summary>
public interface IKpiReaderGrain : IGrainWithIntegerKey
{
    Task<KpiSnapshot> ReadAsync();

    Task<(DateTimeOffset At, KpiDay Day)> ReadDayAsync();
}

[StatelessWorker]
internal sealed class KpiReaderGrain(ClusterKpis kpis) : Grain, IKpiReaderGrain
{
    public Task<KpiSnapshot> ReadAsync() => kpis.ReadAsync();

    public Task<(DateTimeOffset At, KpiDay Day)> ReadDayAsync() => kpis.ReadDayAsync();
}

/// <summary>A gateway's <see cref="IClusterKpis"/>: one call to a silo, which gathers the cluster's share.</summary>
public sealed class ClusterKpisThroughSilo(IGrainFactory grains) : IClusterKpis
{
    private IKpiReaderGrain Reader => grains.GetGrain<IKpiReaderGrain>(0);

    public Task<KpiSnapshot> ReadAsync() => Reader.ReadAsync();

    public Task<(DateTimeOffset At, KpiDay Day)> ReadDayAsync() => Reader.ReadDayAsync();
}
