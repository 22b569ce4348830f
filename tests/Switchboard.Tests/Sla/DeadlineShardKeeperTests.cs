using System.Net;
using Switchboard.Deadlines;

namespace Switchboard.Tests.Sla;

/// <summary>
/// When the keeper calls every deadline shard so that the shards a departed silo held come back at once: a silo that
/// crashes counts when it is dead; one that stops gracefully counts again when it is dead, because until then its own
/// activations of the shards still answer (and are then deactivated with it).
/// </summary>
public sealed class DeadlineShardKeeperTests
{
    private static readonly SiloAddress Self = Silo(0);
    private static readonly SiloAddress Other = Silo(1);

    [Fact]
    public void ASiloThatCrashesCountsWhenItIsDeclaredDead()
    {
        var gone = DeadlineShardKeeper.Departed(Members(SiloStatus.Active), Members(SiloStatus.Dead), Self);

        Assert.Equal([Other], gone);
    }

    [Fact]
    public void ASiloStoppingGracefullyCountsWhenItStopsBeingActiveAndAgainWhenItIsDead()
    {
        Assert.Equal([Other], DeadlineShardKeeper.Departed(Members(SiloStatus.Active), Members(SiloStatus.ShuttingDown), Self));
        Assert.Empty(DeadlineShardKeeper.Departed(Members(SiloStatus.ShuttingDown), Members(SiloStatus.Stopping), Self));
        Assert.Equal([Other], DeadlineShardKeeper.Departed(Members(SiloStatus.Stopping), Members(SiloStatus.Dead), Self));
    }

    [Fact]
    public void ASiloJoiningOrLongDeadOrThisSiloNeverCounts()
    {
        Assert.Empty(DeadlineShardKeeper.Departed(Members(SiloStatus.Joining), Members(SiloStatus.Active), Self));
        Assert.Empty(DeadlineShardKeeper.Departed(Members(SiloStatus.Dead), Members(SiloStatus.Dead), Self));
        Assert.Empty(DeadlineShardKeeper.Departed(Members(SiloStatus.Dead), new Dictionary<SiloAddress, SiloStatus> { [Self] = SiloStatus.Active }, Self));
        var selfStopping = new Dictionary<SiloAddress, SiloStatus> { [Self] = SiloStatus.ShuttingDown, [Other] = SiloStatus.Active };
        Assert.Empty(DeadlineShardKeeper.Departed(Members(SiloStatus.Active), selfStopping, Self));
    }

    [Fact]
    public void ASiloRemovedFromTheTableWhileNotDeadCountsAsDead()
    {
        var gone = DeadlineShardKeeper.Departed(Members(SiloStatus.Stopping), new Dictionary<SiloAddress, SiloStatus> { [Self] = SiloStatus.Active }, Self);

        Assert.Equal([Other], gone);
    }

    private static Dictionary<SiloAddress, SiloStatus> Members(SiloStatus other) =>
        new() { [Self] = SiloStatus.Active, [Other] = other };

    private static SiloAddress Silo(int i) => SiloAddress.New(new IPEndPoint(IPAddress.Loopback, 11_111 + i), 1);
}
