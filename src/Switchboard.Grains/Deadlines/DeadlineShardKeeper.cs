using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace Switchboard.Deadlines;

/// <summary>
/// Keeps every deadline shard active: when this silo starts (a whole cluster restarted: the shards load what they
/// stored and fire what is overdue) and whenever a silo leaves the cluster (the shards it held come back on the silos
/// that stay at once, instead of at their reminder's next tick, up to a minute later). Each shard's own reminder is
/// the last resort.
/// </summary>
public sealed class DeadlineShardKeeper(
    IGrainFactory grains,
    IClusterMembershipService membership,
    ILocalSiloDetails local,
    IOptions<SwitchboardOptions> options,
    ILogger<DeadlineShardKeeper> logger) : ILifecycleParticipant<ISiloLifecycle>
{
    private const int Attempts = 8;
    private static readonly Backoff Retry = new(TimeSpan.FromMilliseconds(200), TimeSpan.FromSeconds(5));
    private readonly CancellationTokenSource _stopping = new();
    private Task _watching = Task.CompletedTask;

    public void Participate(ISiloLifecycle lifecycle) =>
        lifecycle.Subscribe(nameof(DeadlineShardKeeper), ServiceLifecycleStage.Active, OnStartAsync, OnStopAsync);

    private Task OnStartAsync(CancellationToken cancellationToken)
    {
        _watching = Task.Run(() => WatchAsync(_stopping.Token));
        return Task.CompletedTask;
    }

    private async Task OnStopAsync(CancellationToken cancellationToken)
    {
        await _stopping.CancelAsync();
        await _watching.WaitAsync(cancellationToken).ContinueWith(_ => { }, TaskScheduler.Default);
    }

    private async Task WatchAsync(CancellationToken stopping)
    {
        await EnsureAllActiveAsync("silo started", siloLost: false, stopping);
        Dictionary<SiloAddress, SiloStatus>? known = null;
        try
        {
            await foreach (var snapshot in membership.MembershipUpdates.WithCancellation(stopping))
            {
                var now = snapshot.Members.Values.ToDictionary(m => m.SiloAddress, m => m.Status);
                var gone = known is null ? [] : Departed(known, now, local.SiloAddress);
                known = now;
                if (gone.Count > 0)
                {
                    await EnsureAllActiveAsync($"silo {string.Join(", ", gone)} left", siloLost: true, stopping);
                }
            }
        }
        catch (OperationCanceledException) when (stopping.IsCancellationRequested)
        {
        }
    }

    /// <summary>
    /// The silos (other than this one) that stopped being active or died since the last snapshot. A silo stopping
    /// gracefully counts twice: when it stops being active (a crash-free hand-over starts) and when it is dead, because
    /// only then are the shards it held deactivated and stored; a call to a shard before that reaches the old activation
    /// and nothing would bring the shard back until its reminder, up to a minute later.
    /// </summary>
    internal static List<SiloAddress> Departed(
        IReadOnlyDictionary<SiloAddress, SiloStatus> before,
        IReadOnlyDictionary<SiloAddress, SiloStatus> now,
        SiloAddress self)
    {
        List<SiloAddress> gone = [];
        foreach (var (silo, was) in before)
        {
            if (silo.Equals(self) || was == SiloStatus.Dead)
            {
                continue;
            }

            var status = now.TryGetValue(silo, out var s) ? s : SiloStatus.Dead;
            if ((was == SiloStatus.Active && status != SiloStatus.Active) || status == SiloStatus.Dead)
            {
                gone.Add(silo);
            }
        }

        return gone;
    }

    private async Task EnsureAllActiveAsync(string why, bool siloLost, CancellationToken stopping)
    {
        var shards = options.Value.Deadlines.Shards;
        var held = await Task.WhenAll(Enumerable.Range(0, shards).Select(shard => EnsureActiveAsync(shard, why, siloLost, stopping)));
        logger.LogDebug("Deadline shards active ({Why}): {Count} wake-up times held", why, held.Sum());
    }

    /// <summary>
    /// Calls one shard, trying again a few times: right after a silo is declared dead, a call may still be routed to
    /// the activation it held until the directory forgets it.
    /// </summary>
    private async Task<int> EnsureActiveAsync(int shard, string why, bool siloLost, CancellationToken stopping)
    {
        for (var attempt = 1; ; attempt++)
        {
            try
            {
                return await grains.Grain<IDeadlineShardGrain>(shard).EnsureActiveAsync(siloLost);
            }
            catch (Exception ex) when (!stopping.IsCancellationRequested)
            {
                if (attempt == Attempts)
                {
                    logger.LogWarning(ex, "Deadline shard {Shard} could not be reached ({Why}); its reminder brings it back", shard, why);
                    return 0;
                }

                logger.LogDebug(ex, "Deadline shard {Shard} could not be reached ({Why}); trying again in {Delay}", shard, why, Retry.After(attempt - 1));
            }

            try
            {
                await Task.Delay(Retry.After(attempt - 1), stopping);
            }
            catch (OperationCanceledException)
            {
                return 0;
            }
        }
    }
}

public static class DeadlineSiloExtensions
{
    /// <summary>The deadline service's keeper on this silo (the shards themselves are ordinary grains).</summary>
    public static ISiloBuilder AddDeadlineService(this ISiloBuilder silo)
    {
        silo.Services.AddMetrics();
        silo.Services.TryAddSingleton<DeadlineMetrics>();
        silo.Services.AddSingleton<DeadlineShardKeeper>();
        silo.AddPlacementDirector<DeadlineShardPlacement, DeadlineShardPlacementDirector>();
        silo.Services.AddSingleton<ILifecycleParticipant<ISiloLifecycle>>(services => services.GetRequiredService<DeadlineShardKeeper>());
        return silo;
    }
}
