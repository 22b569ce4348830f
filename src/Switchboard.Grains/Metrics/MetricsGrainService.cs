using Microsoft.Extensions.Logging;
using Orleans.Concurrency;
using Orleans.Runtime;
using Orleans.Runtime.Services;
using Orleans.Services;

namespace Switchboard.Metrics;

/// <summary>One per silo: hands out that silo's share of the KPIs.</summary>
public interface IMetricsGrainService : IGrainService
{
    /// <summary>This silo's KPIs for the windows at <paramref name="now"/> (the caller's clock, so every silo cuts the same windows).</summary>
    Task<KpiSnapshot> SnapshotAsync(DateTimeOffset now);

    /// <summary>This silo's share of today in quarters of an hour, cut at <paramref name="now"/> (the caller's clock, as above).</summary>
    Task<KpiDay> DayAsync(DateTimeOffset now);
}

[Reentrant]
internal sealed class MetricsGrainService(GrainId id, Silo silo, ILoggerFactory loggers, IServiceMetrics metrics)
    : GrainService(id, silo, loggers), IMetricsGrainService
{
    public Task<KpiSnapshot> SnapshotAsync(DateTimeOffset now) => Task.FromResult(metrics.Snapshot(now));

    public Task<KpiDay> DayAsync(DateTimeOffset now) => Task.FromResult(metrics.Day(now));
}

public interface IMetricsGrainServiceClient : IGrainServiceClient<IMetricsGrainService>
{
    IMetricsGrainService On(SiloAddress silo);
}

internal sealed class MetricsGrainServiceClient(IServiceProvider services)
    : GrainServiceClient<IMetricsGrainService>(services), IMetricsGrainServiceClient
{
    public IMetricsGrainService On(SiloAddress silo) => GetGrainService(silo);
}
