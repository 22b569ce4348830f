using Microsoft.Extensions.Logging;
using Orleans.Runtime;

namespace Switchboard.Metrics;

/// <summary>
/// Reads the whole cluster's KPIs: asks every active silo's metrics service for its share at the same instant and
/// merges them. A silo that does not answer is left out (and logged); its share comes back when it does. Runs in a
/// silo (it reads membership and calls the silos' grain services); a gateway reads through <see cref="KpiReaderGrain"/>.
/// </summary>
public sealed class ClusterKpis(
    IClusterMembershipService membership,
    IMetricsGrainServiceClient services,
    TimeProvider time,
    ILogger<ClusterKpis> logger) : IClusterKpis
{
    private static readonly TimeSpan SiloTimeout = TimeSpan.FromSeconds(5);

    public async Task<KpiSnapshot> ReadAsync()
    {
        var now = time.GetUtcNow();
        var merged = new KpiSnapshot { At = now };
        foreach (var share in await FromEverySiloAsync(silo => silo.SnapshotAsync(now)))
        {
            merged.Merge(share);
        }

        return merged;
    }

    /// <summary>Today (UTC) in quarters of an hour, up to now, for the whole cluster.</summary>
    public async Task<(DateTimeOffset At, KpiDay Day)> ReadDayAsync()
    {
        var now = time.GetUtcNow();
        // An empty day cut the same way: the intervals are there even when no silo answers.
        var merged = new KpiTimeline(TimeSpan.FromMinutes(1)).Day(now);
        foreach (var share in await FromEverySiloAsync(silo => silo.DayAsync(now)))
        {
            merged.Merge(share);
        }

        return (now, merged);
    }

    private async Task<IEnumerable<T>> FromEverySiloAsync<T>(Func<IMetricsGrainService, Task<T>> read) where T : class
    {
        var silos = membership.CurrentSnapshot.Members.Values
            .Where(m => m.Status == SiloStatus.Active)
            .Select(m => m.SiloAddress)
            .ToArray();
        var shares = await Task.WhenAll(silos.Select(async silo =>
        {
            try
            {
                return await read(services.On(silo)).WaitAsync(SiloTimeout);
            }
            catch (Exception ex)
            {
                logger.LogWarning(ex, "Silo {Silo} did not give its KPIs; they are left out of this read", silo);
                return null;
            }
        }));

        return shares.OfType<T>();
    }
}
