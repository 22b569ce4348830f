using Microsoft.Extensions.DependencyInjection;

namespace Switchboard.Metrics;

public static class MetricsSiloExtensions
{
    /// <summary>
    /// The silo-local KPI recorder and meter, the per-silo metrics grain service and the cluster reader. Every silo
    /// (and every test cluster) that hosts Switchboard grains needs it.
    /// </summary>
    public static ISiloBuilder AddSwitchboardMetrics(this ISiloBuilder silo)
    {
        silo.Services.AddMetrics();
        silo.Services.AddSingleton<IServiceMetrics, SiloServiceMetrics>();
        silo.AddGrainService<MetricsGrainService>();
        silo.Services.AddSingleton<IMetricsGrainServiceClient, MetricsGrainServiceClient>();
        silo.Services.AddSingleton<ClusterKpis>();
        silo.Services.AddSingleton<IClusterKpis>(services => services.GetRequiredService<ClusterKpis>());
        return silo;
    }
}
