using Orleans.Core.Internal;
using Switchboard.Deadlines;

namespace Switchboard.Tests.Cluster;

/// <summary>
/// The deadline shards on storage that keeps a cleared record (Orleans' ADO.NET providers by default): a segment that
/// emptied and is used again is written over its cleared record, not refused as a conflict.
/// </summary>
public sealed class DeadlineStorageTests : IAsyncLifetime
{
    private ClusterFixture _fixture = null!;

    public async Task InitializeAsync() => _fixture = await ClusterFixture.DeployAsync(new ClusterFixture
    {
        SiloCount = 1,
        Storage = ClusterStorage.Shared,
        KeepClearedRecords = true,
    });

    public Task DisposeAsync() => _fixture.DisposeAsync();

    [Fact]
    public async Task ASegmentThatEmptiedIsStoredAgainWhenAWakeUpTimeFallsInItOnceMore()
    {
        var shard = _fixture.Grains.GetGrain<IDeadlineShardGrain>(0);
        var wakeAt = _fixture.Now.AddMinutes(30);
        await shard.TrackAsync("first", wakeAt, []);

        // The first conversation leaves the segment; the next stored change (another segment's) clears it in the
        // same write.
        await shard.UpdateAsync("first", null, []);
        await shard.TrackAsync("elsewhere", wakeAt.AddHours(2), []);

        // Another conversation due in the same segment: stored, over the cleared record.
        await shard.TrackAsync("second", wakeAt, []);
    }

    [Fact]
    public async Task ANewActivationStoresAWakeUpTimeInASegmentAnEarlierOneCleared()
    {
        var shard = _fixture.Grains.GetGrain<IDeadlineShardGrain>(1);
        var wakeAt = _fixture.Now.AddMinutes(40);
        await shard.TrackAsync("first", wakeAt, []);
        await shard.UpdateAsync("first", null, []);
        await shard.TrackAsync("elsewhere", wakeAt.AddHours(2), []);
        // Later writes of the shard's directory no longer name the cleared segment.
        await shard.TrackAsync("later", wakeAt.AddHours(3), []);
        await shard.TrackAsync("latest", wakeAt.AddHours(4), []);

        // The next activation knows nothing of the cleared segment (it is not in the directory), as after a move or a
        // crash: its first write there meets the cleared record's version. Before the fix it forgot that version
        // again on every read and every write of the segment was refused, each refusal deactivating the shard.
        await shard.AsReference<IGrainManagementExtension>().DeactivateOnIdle();
        await shard.TrackAsync("second", wakeAt, []);
        await shard.TrackAsync("third", wakeAt.AddSeconds(1), []);

        // Still the same activation, holding "elsewhere", "later" and "latest" (read back), "second" and "third".
        Assert.Equal(5, await shard.EnsureActiveAsync(siloLost: false));
    }
}
