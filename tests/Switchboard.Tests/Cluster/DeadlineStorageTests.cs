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
}
