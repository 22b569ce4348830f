using System.Collections.Concurrent;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Orleans.Runtime.Placement;

namespace Switchboard.Placement;

/// <summary>
/// The activations on this silo that should move, not stop, when the silo stops gracefully: the queues, whose waiting
/// lists and agent caches live only in memory. Agents and conversations are not moved: their state is stored (an
/// agent's open connections with it) and they come back on their next call; moving them too made a stopping silo's
/// grains wait on each other (a moving grain's calls to another moving grain) past the host's shutdown timeout.
/// Grains add and remove themselves; the registry is optional, so a silo without <see cref="ShutdownMigration"/> has none.
/// </summary>
public sealed class MovableActivations
{
    private readonly ConcurrentDictionary<GrainId, IGrainContext> _activations = new();

    public int Count => _activations.Count;

    public void Add(IGrainContext grain) => _activations[grain.GrainId] = grain;

    public void Remove(IGrainContext grain) => _activations.TryRemove(new KeyValuePair<GrainId, IGrainContext>(grain.GrainId, grain));

    public IReadOnlyCollection<IGrainContext> Snapshot() => [.. _activations.Values];

    /// <summary>Registers the grain for the life of its activation, when the silo keeps a registry.</summary>
    public static void Track(IGrainBase grain, IServiceProvider services)
    {
        if (services.GetService<MovableActivations>() is { } registry)
        {
            registry.Add(grain.GrainContext);
        }
    }

    public static void Untrack(IGrainBase grain, IServiceProvider services) =>
        services.GetService<MovableActivations>()?.Remove(grain.GrainContext);
}

/// <summary>
/// Orleans deactivates a stopping silo's grains; this hands them over instead. Once the silo's own membership entry
/// says it is shutting down (so placement no longer picks it), every registered activation migrates, spread over the
/// active silos, carrying its in-memory state through dehydration; then Orleans' deactivation finds little left.
/// Bounded in time: what has not moved by then is deactivated as before and recovers from storage.
/// </summary>
public sealed class ShutdownMigration(
    MovableActivations activations,
    ILocalSiloDetails local,
    IClusterMembershipService membership,
    ILogger<ShutdownMigration> logger) : ILifecycleParticipant<ISiloLifecycle>
{
    private static readonly TimeSpan WaitForShuttingDown = TimeSpan.FromSeconds(5);
    // Well within the host's shutdown timeout (30 s by default), which also covers Orleans' own deactivation after this.
    private static readonly TimeSpan WaitForMoves = TimeSpan.FromSeconds(10);

    public void Participate(ISiloLifecycle lifecycle) =>
        // The stage at which membership writes ShuttingDown; both stop together, and this waits to see it.
        lifecycle.Subscribe(nameof(ShutdownMigration), ServiceLifecycleStage.BecomeActive, _ => Task.CompletedTask, MoveAsync);

    private async Task MoveAsync(CancellationToken cancellationToken)
    {
        var self = local.SiloAddress;
        var waited = System.Diagnostics.Stopwatch.StartNew();
        while (membership.CurrentSnapshot.GetSiloStatus(self) == SiloStatus.Active && waited.Elapsed < WaitForShuttingDown && !cancellationToken.IsCancellationRequested)
        {
            await Task.Delay(TimeSpan.FromMilliseconds(20), CancellationToken.None);
        }

        var targets = membership.CurrentSnapshot.Members.Values
            .Where(m => m.Status == SiloStatus.Active && !m.SiloAddress.Equals(self))
            .Select(m => m.SiloAddress)
            .ToList();
        var moving = activations.Snapshot();
        if (targets.Count == 0 || moving.Count == 0)
        {
            return;
        }

        logger.LogInformation("Silo {Silo} is stopping: moving {Count} activations to {Targets}", self, moving.Count, string.Join(", ", targets));
        var i = 0;
        foreach (var grain in moving)
        {
            // Spread over the silos that stay; the hint is honoured by every placement strategy for an active silo.
            var hint = new Dictionary<string, object> { [IPlacementDirector.PlacementHintKey] = targets[i++ % targets.Count] };
            grain.Migrate(hint, CancellationToken.None);
        }

        var moved = Task.WhenAll(moving.Select(g => g.Deactivated));
        await Task.WhenAny(moved, Task.Delay(WaitForMoves, CancellationToken.None));
        logger.LogInformation(
            "Silo {Silo} moved {Moved} of {Count} activations in {Seconds:0.0} s",
            self, moving.Count(g => g.Deactivated.IsCompleted), moving.Count, waited.Elapsed.TotalSeconds);
    }
}

public static class ShutdownMigrationExtensions
{
    /// <summary>A graceful stop hands queues, agents and open conversations over to the silos that stay.</summary>
    public static ISiloBuilder AddShutdownMigration(this ISiloBuilder silo)
    {
        silo.Services.AddSingleton<MovableActivations>();
        silo.Services.AddSingleton<ShutdownMigration>();
        silo.Services.AddSingleton<ILifecycleParticipant<ISiloLifecycle>>(services => services.GetRequiredService<ShutdownMigration>());
        return silo;
    }
}
