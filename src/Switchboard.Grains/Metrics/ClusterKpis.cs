using Microsoft.Extensions.Logging;
using Orleans.Runtime;

namespace Switchboard.Metrics;

/// <summary>
/// Reads the whole cluster's KPIs: asks every active silo's metrics service for its share at the same instant and
/// merges them. A silo that does not answer is left out (and logged); its share comes back when it does.
/// </summary>
public sealed class ClusterKpis(
    IClusterMembershipService membership,
    IMetricsGrainServiceClient services,
    TimeProvider time,
    ILogger<ClusterKpis> logger)
{
    private static readonly TimeSpan SiloTimeout = TimeSpan.FromSeconds(5);

    public async Task<KpiSnapshot> ReadAsync()
    {
        var now = time.GetUtcNow();
        var silos = membership.CurrentSnapshot.Members.Values
            .Where(m => m.Status == SiloStatus.Active)
            .Select(m => m.SiloAddress)
            .ToArray();
        var shares = await Task.WhenAll(silos.Select(async silo =>
        {
            try
            {
                return await services.On(silo).SnapshotAsync(now).WaitAsync(SiloTimeout);
            }
            catch (Exception ex)
            {
                logger.LogWarning(ex, "Silo {Silo} did not give its KPIs; they are left out of this read", silo);
                return null;
            }
        }));

        var merged = new KpiSnapshot { At = now };
        foreach (var share in shares.OfType<KpiSnapshot>())
        {
            merged.Merge(share);
        }

        return merged;
    }
}
