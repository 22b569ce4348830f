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

    [Fact]
    public async Task AWakeUpTimeThatEndsOrMovesLaterIsLeftInItsStoredSegmentUntilTheShardWritesItAgain()
    {
        var shard = _fixture.Grains.GetGrain<IDeadlineShardGrain>(2);
        var wakeAt = _fixture.Now.AddMinutes(50);
        await shard.TrackAsync("ends", wakeAt, []);
        await shard.TrackAsync("moves", wakeAt, []);
        var segment = SegmentOf(2, wakeAt);
        var stored = Store.Read(StateName, segment)!.Value.ETag;

        // One conversation ends, the other's time moves later: the stored segment holds earlier times than needed,
        // which can only wake them early. A write someone waits on (another segment's) used to take this one along.
        await shard.UpdateAsync("ends", null, []);
        await shard.UpdateAsync("moves", wakeAt.AddMinutes(5), []);
        await shard.TrackAsync("elsewhere", wakeAt.AddHours(1), []);
        Assert.Equal(stored, Store.Read(StateName, segment)!.Value.ETag);

        // Leaving memory, the shard writes what it left: the next activation reads back only what is held.
        await shard.AsReference<IGrainManagementExtension>().DeactivateOnIdle();
        Assert.Equal(2, await shard.EnsureActiveAsync(siloLost: false));
        Assert.Empty(Store.Read(StateName, segment)!.Value.Data);
    }

    [Fact]
    public async Task AnActivationThatReadsAConversationInTwoSegmentsKeepsTheEarlierTime()
    {
        var shard = _fixture.Grains.GetGrain<IDeadlineShardGrain>(3);
        var earlier = _fixture.Now.AddMinutes(30);
        var later = earlier.AddMinutes(10);
        await shard.TrackAsync("moved", later, []);
        await shard.TrackAsync("moved", earlier, []);

        // The shard dies before it writes the leftover in the later segment (its writes fail on the way out).
        Store.Refuse(StateName);
        try
        {
            await shard.AsReference<IGrainManagementExtension>().DeactivateOnIdle();
            Assert.Equal(1, await shard.EnsureActiveAsync(siloLost: false));
        }
        finally
        {
            Store.Accept(StateName);
        }

        // Told the later time again (one-way): a move out of the segment it holds if it kept the earlier time, so the
        // later segment is written with the next flush; the same time as it holds if it kept the later one, so
        // nothing is written for 40 minutes.
        var laterSegment = SegmentOf(3, later);
        var written = Store.NextWriteAsync(StateName, refused: false, of: id => id == laterSegment);
        await shard.UpdateAsync("moved", later, []);
        await written.WaitAsync(TimeSpan.FromSeconds(10));
    }

    private const string StateName = "deadlines";

    private SharedGrainStore Store => _fixture.SharedStore!;

    private static GrainId SegmentOf(long shard, DateTimeOffset wakeAt) =>
        GrainId.Create("deadline-segment", $"{shard}-{wakeAt.UtcTicks / new DeadlineOptions().SegmentWidth.Ticks}");
}
