using System.Net;
using Orleans.Runtime.Placement;
using Switchboard.Deadlines;

namespace Switchboard.Tests.Sla;

/// <summary>Where a deadline shard goes: its owner among the silos that may host it, and nowhere when there is none.</summary>
public sealed class DeadlineShardPlacementTests
{
    private static readonly SiloAddress[] Silos =
        [.. Enumerable.Range(0, 3).Select(i => SiloAddress.New(new IPEndPoint(IPAddress.Loopback, 11_111 + i), 1))];

    [Fact]
    public async Task AShardIsPlacedOnItsOwnerAmongTheSilosThatMayHostIt()
    {
        var director = new DeadlineShardPlacementDirector();
        for (var shard = 0; shard < 7; shard++)
        {
            var placed = await director.OnAddActivation(DeadlineShardPlacement.Instance, Target(shard), new Context(Silos[0], Silos));
            Assert.Equal(DeadlineShardPlacement.Owner(shard, Silos), placed);
        }
    }

    [Fact]
    public async Task WhenTheLastSiloStopsItsShardsStayInsteadOfFailingToFindADestination()
    {
        // A stopping silo is no longer among the compatible ones; alone in its cluster, it is asked where each shard
        // should migrate. The answer "here" means "do not move" (it used to throw, logged as an error per shard).
        var placed = await new DeadlineShardPlacementDirector().OnAddActivation(
            DeadlineShardPlacement.Instance, Target(5), new Context(Silos[1], [], SiloStatus.ShuttingDown));

        Assert.Equal(Silos[1], placed);
    }

    private static PlacementTarget Target(long shard) =>
        new(GrainId.Create("deadlineshard", shard.ToString("X", System.Globalization.CultureInfo.InvariantCulture)), [], default, 0);

    private sealed class Context(SiloAddress local, SiloAddress[] compatible, SiloStatus status = SiloStatus.Active) : IPlacementContext
    {
        public SiloAddress LocalSilo => local;

        public SiloStatus LocalSiloStatus => status;

        public SiloAddress[] GetCompatibleSilos(PlacementTarget target) => compatible;

        public IReadOnlyDictionary<ushort, SiloAddress[]> GetCompatibleSilosWithVersions(PlacementTarget target) =>
            new Dictionary<ushort, SiloAddress[]> { [0] = compatible };
    }
}
