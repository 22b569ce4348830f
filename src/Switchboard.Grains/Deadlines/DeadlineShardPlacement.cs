using Orleans.Placement;
using Orleans.Runtime.Placement;

namespace Switchboard.Deadlines;

/// <summary>
/// Deadline shards spread over the cluster: shard k lives on the k-th active silo (mod the count), in address order,
/// so each silo holds about shards ÷ silos of them and every silo agrees where each belongs. Placed by first call
/// instead, all shards landed on the first silo up and stayed there: one silo did all the cluster's deadline storage,
/// and losing it lost every shard at once.
/// </summary>
[Serializable, GenerateSerializer, Immutable, SuppressReferenceTracking]
public sealed class DeadlineShardPlacement : PlacementStrategy
{
    internal static DeadlineShardPlacement Instance { get; } = new();

    /// <summary>The silo a shard belongs on among <paramref name="silos"/> (any order); null when there is none.</summary>
    public static SiloAddress? Owner(long shard, IEnumerable<SiloAddress> silos)
    {
        var ordered = silos.ToArray();
        if (ordered.Length == 0)
        {
            return null;
        }

        Array.Sort(ordered);
        return ordered[(int)((ulong)shard % (ulong)ordered.Length)];
    }
}

[AttributeUsage(AttributeTargets.Class, AllowMultiple = false)]
public sealed class DeadlineShardPlacementAttribute() : PlacementAttribute(DeadlineShardPlacement.Instance);

/// <summary>
/// Places a shard on its owner among the silos that may host it; a placement hint (a stopping silo handing its grains
/// over, a test moving one) comes first, as for Orleans' own strategies.
/// </summary>
public sealed class DeadlineShardPlacementDirector : IPlacementDirector
{
    public Task<SiloAddress> OnAddActivation(PlacementStrategy strategy, PlacementTarget target, IPlacementContext context)
    {
        SiloAddress[] silos;
        try
        {
            silos = context.GetCompatibleSilos(target);
        }
        catch (OrleansException)
        {
            // Orleans throws when no silo is left (the last one stopping, asked where a shard should migrate).
            silos = [];
        }

        // No silo at all happens when the last one stops: its shards, asked where to migrate, stay (the local silo is
        // the answer that means "do not move"), instead of an error per shard in the log of every single-silo stop.
        var chosen = IPlacementDirector.GetPlacementHint(target.RequestContextData, silos)
            ?? DeadlineShardPlacement.Owner(target.GrainIdentity.GetIntegerKey(), silos)
            ?? context.LocalSilo;
        return Task.FromResult(chosen);
    }
}
