using Microsoft.AspNetCore.Diagnostics.HealthChecks;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using Orleans.Runtime;
using Orleans.Storage;
using Prometheus;

namespace Switchboard.Hosting;

/// <summary><c>/health/live</c>, <c>/health/ready</c> and the Prometheus <c>/metrics</c> endpoint.</summary>
public static class HealthAndMetrics
{
    private const string Ready = "ready";

    public static WebApplicationBuilder AddSwitchboardHealthAndMetrics(this WebApplicationBuilder builder, bool gateway = false)
    {
        if (gateway)
        {
            builder.Services.AddHealthChecks().AddCheck<ClusterConnectionCheck>("cluster-connection", tags: [Ready]);
        }
        else
        {
            builder.Services.AddHealthChecks()
                .AddCheck<SiloMembershipCheck>("cluster-membership", tags: [Ready])
                .AddCheck<GrainStorageCheck>("grain-storage", tags: [Ready]);
        }

        // Both listeners start before the silo creates its meters, so no first measurement is missed.
        PrometheusBridge.ExcludeFromMeterAdapter();
        _ = Prometheus.Metrics.DefaultRegistry;
        var bridge = new PrometheusBridge();
        builder.Services.AddSingleton(_ => bridge);
        return builder;
    }

    public static WebApplication MapSwitchboardHealthAndMetrics(this WebApplication app)
    {
        // Live: the process answers. Ready: this silo is an active cluster member and its grain storage answers (a
        // gateway: the cluster answers it).
        app.MapHealthChecks("/health/live", new HealthCheckOptions { Predicate = _ => false });
        app.MapHealthChecks("/health/ready", new HealthCheckOptions { Predicate = check => check.Tags.Contains(Ready) });
        // prometheus-net: its own process metrics plus every System.Diagnostics.Metrics meter (Switchboard, Orleans,
        // the .NET runtime) through its meter adapter.
        app.MapMetrics("/metrics");
        return app;
    }
}

/// <summary>Healthy once this silo is Active in the cluster's membership.</summary>
internal sealed class SiloMembershipCheck(IClusterMembershipService membership, ILocalSiloDetails silo) : IHealthCheck
{
    public Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default)
    {
        var status = membership.CurrentSnapshot.GetSiloStatus(silo.SiloAddress);
        return Task.FromResult(status == SiloStatus.Active
            ? HealthCheckResult.Healthy($"Silo {silo.SiloAddress} is active.")
            : HealthCheckResult.Unhealthy($"Silo {silo.SiloAddress} is {status} in the cluster."));
    }
}

/// <summary>Healthy when a read from the grain storage answers within a few seconds.</summary>
internal sealed class GrainStorageCheck(IServiceProvider services) : IHealthCheck
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(5);
    private static readonly GrainId Probe = GrainId.Create("switchboard-health", "probe");

    public async Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default)
    {
        try
        {
            var storage = services.GetRequiredKeyedService<IGrainStorage>(SwitchboardOptions.StorageName);
            await storage.ReadStateAsync("health", Probe, new GrainState<ProbeState>()).WaitAsync(Timeout, cancellationToken);
            return HealthCheckResult.Healthy("Grain storage answered.");
        }
        catch (Exception ex)
        {
            return HealthCheckResult.Unhealthy("Grain storage did not answer.", ex);
        }
    }
}

[GenerateSerializer, Alias("Switchboard.HealthProbeState")]
public sealed class ProbeState
{
    [Id(0)] public int Value { get; set; }
}
