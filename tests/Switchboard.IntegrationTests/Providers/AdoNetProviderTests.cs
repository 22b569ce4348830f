using System.Diagnostics;
using Microsoft.Extensions.DependencyInjection;
using Orleans.Storage;
using Switchboard.IntegrationTests.Infrastructure;
using Xunit.Abstractions;

namespace Switchboard.IntegrationTests.Providers;

/// <summary>
/// The contract between the Orleans ADO.NET providers and deploy/postgres/*.sql, exercised through the providers
/// themselves: versions (ETags), conflicts, clearing, reminder ring ranges, and a reminder that outlives its cluster.
/// </summary>
[Collection(Cluster.ClusterCollection.Name)]
public sealed class AdoNetProviderTests(ITestOutputHelper output)
{
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(60);

    [SkippableFact]
    public async Task GrainStateRoundTripsAndAWriterHoldingAnOldVersionIsRefused()
    {
        await using var cluster = await ProviderCluster.DeployAsync(TestServers.Postgres, NewServiceId(), new ReminderLog());
        var storage = cluster.Silos[0].ServiceProvider.GetRequiredKeyedService<IGrainStorage>(SwitchboardOptions.StorageName);

        // String, Guid and integer keys travel in different columns; each must find its own row.
        GrainId[] grains =
        [
            GrainId.Create("probe", $"text-key-{Guid.NewGuid():N}-x"),
            GrainId.Create(GrainType.Create("probe"), GrainIdKeyExtensions.CreateGuidKey(Guid.NewGuid())),
            GrainId.Create(GrainType.Create("probe"), GrainIdKeyExtensions.CreateIntegerKey(Random.Shared.NextInt64(), "extension")),
        ];
        foreach (var grain in grains)
        {
            var fresh = await ReadAsync(storage, grain);
            Assert.False(fresh.RecordExists);
            Assert.Null(fresh.ETag);

            var state = new GrainState<ProbeState>(new ProbeState { Value = $"one for {grain}" });
            await storage.WriteStateAsync("probe", grain, state);
            Assert.Equal("1", state.ETag);
            Assert.True(state.RecordExists);

            var read = await ReadAsync(storage, grain);
            Assert.Equal($"one for {grain}", read.State!.Value);
            Assert.Equal("1", read.ETag);

            state.State!.Value = "two";
            await storage.WriteStateAsync("probe", grain, state);
            Assert.Equal("2", state.ETag);

            // Someone still holding version 1 (a second activation during a failover) must not overwrite version 2.
            read.State!.Value = "stale";
            await Assert.ThrowsAsync<InconsistentStateException>(() => storage.WriteStateAsync("probe", grain, read));
            Assert.Equal("two", (await ReadAsync(storage, grain)).State!.Value);

            // Two first writers: one wins, the other is refused.
            var rival = new GrainState<ProbeState>(new ProbeState { Value = "rival" });
            await Assert.ThrowsAsync<InconsistentStateException>(() => storage.WriteStateAsync("probe", grain, rival));

            await storage.ClearStateAsync("probe", grain, state);
            Assert.Equal("3", state.ETag);
            Assert.False(state.RecordExists);
            var cleared = await ReadAsync(storage, grain);
            Assert.False(cleared.RecordExists);
            Assert.Null(cleared.State!.Value);
            Assert.Equal("3", cleared.ETag);

            state.State!.Value = "after clear";
            await storage.WriteStateAsync("probe", grain, state);
            Assert.Equal("4", state.ETag);
            Assert.Equal("after clear", (await ReadAsync(storage, grain)).State!.Value);
        }

        // The same key under another grain type is another grain.
        Assert.False((await ReadAsync(storage, grains[0], grainType: "other-probe")).RecordExists);
    }

    [SkippableFact]
    public async Task ClearingWithDeleteStateOnClearRemovesTheRowAndAStaleClearIsRefused()
    {
        await using var cluster = await ProviderCluster.DeployAsync(TestServers.Postgres, NewServiceId(), new ReminderLog());
        var storage = cluster.Silos[0].ServiceProvider.GetRequiredKeyedService<IGrainStorage>(ProviderCluster.DeletingStorage);
        var grain = GrainId.Create("probe", $"deleted-{Guid.NewGuid():N}-x");

        var state = new GrainState<ProbeState>(new ProbeState { Value = "doomed" });
        await storage.WriteStateAsync("probe", grain, state);
        var stale = await ReadAsync(storage, grain);
        await storage.WriteStateAsync("probe", grain, state);

        await Assert.ThrowsAsync<InconsistentStateException>(() => storage.ClearStateAsync("probe", grain, stale));
        await storage.ClearStateAsync("probe", grain, state);
        Assert.Null(state.ETag);
        var gone = await ReadAsync(storage, grain);
        Assert.False(gone.RecordExists);
        Assert.Null(gone.ETag);

        // Deleted means a fresh start: the next write is version 1 again.
        await storage.WriteStateAsync("probe", grain, state);
        Assert.Equal("1", state.ETag);
    }

    [SkippableFact]
    public async Task TheReminderTableStoresVersionsAndAnswersEveryRangeOfTheRing()
    {
        await using var cluster = await ProviderCluster.DeployAsync(TestServers.Postgres, NewServiceId(), new ReminderLog());
        var table = cluster.Silos[0].ServiceProvider.GetRequiredService<IReminderTable>();
        var start = DateTime.UtcNow;

        var grains = Enumerable.Range(0, 60).Select(i => GrainId.Create("probe", $"ring-{i}-{Guid.NewGuid():N}")).ToList();
        foreach (var grain in grains)
        {
            var etag = await table.UpsertRow(new ReminderEntry { GrainId = grain, ReminderName = "deadline", StartAt = start, Period = TimeSpan.FromMinutes(1) });
            Assert.NotNull(etag);
        }

        // One grain with two reminders, one of them with a period too long for an int of milliseconds.
        var owner = grains[0];
        var longPeriod = TimeSpan.FromDays(40);
        var longEtag = await table.UpsertRow(new ReminderEntry { GrainId = owner, ReminderName = "follow-up", StartAt = start, Period = longPeriod });
        var rows = await table.ReadRows(owner);
        Assert.Equal(["deadline", "follow-up"], rows.Reminders.Select(r => r.ReminderName).Order());
        var followUp = (await table.ReadRow(owner, "follow-up"))!;
        Assert.Equal(longPeriod, followUp.Period);
        Assert.Equal(longEtag, followUp.ETag);
        Assert.Equal(start, followUp.StartAt, TimeSpan.FromMilliseconds(1));

        // Updating moves the version on; deleting needs the current one.
        var movedEtag = await table.UpsertRow(new ReminderEntry { GrainId = owner, ReminderName = "follow-up", StartAt = start.AddHours(1), Period = longPeriod });
        Assert.NotEqual(longEtag, movedEtag);
        Assert.False(await table.RemoveRow(owner, "follow-up", longEtag!));
        Assert.True(await table.RemoveRow(owner, "follow-up", movedEtag!));
        Assert.Null(await table.ReadRow(owner, "follow-up"));
        Assert.Single((await table.ReadRows(owner)).Reminders);

        // Each silo reads its part of the ring, (begin, end]; a range may wrap past the top, and begin == end is all of it.
        var hashes = grains.ToDictionary(g => g, g => g.GetUniformHashCode());
        var sorted = hashes.Values.Order().ToList();
        uint[] edges = [0, 1, sorted[5], sorted[20], sorted[40], 0x7FFFFFFF, 0x80000000, 0x80000001, sorted[^3], 0xFFFFFFFF];
        foreach (var begin in edges)
        {
            foreach (var end in edges)
            {
                var expected = grains.Where(g => InRange(hashes[g], begin, end)).ToHashSet();
                var found = (await table.ReadRows(begin, end)).Reminders.Select(r => r.GrainId).ToHashSet();
                Assert.True(expected.SetEquals(found), $"range ({begin:X8}, {end:X8}]: expected {expected.Count}, found {found.Count}");
            }
        }
    }

    [SkippableFact]
    public async Task AReminderSetBeforeTheWholeClusterStopsFiresAfterItStartsAgain()
    {
        var serviceId = NewServiceId();
        var log = new ReminderLog();
        var key = $"deadline-{Guid.NewGuid():N}";
        var due = TimeSpan.FromSeconds(10);

        Stopwatch clock;
        await using (var first = await ProviderCluster.DeployAsync(TestServers.Postgres, serviceId, log))
        {
            await first.Client.GetGrain<IReminderProbeGrain>(key).RemindAsync(due);
            clock = Stopwatch.StartNew();
            // Killed: nothing in memory survives, only what the reminder table holds.
            await first.KillSiloAsync(first.Silos[0]);
        }

        output.WriteLine($"measured: in-process cluster killed {clock.Elapsed.TotalSeconds:F1} s after the reminder was set");
        Assert.True(clock.Elapsed < due, "The first cluster took longer to stop than the reminder's due time; the test proves nothing.");

        await using var second = await ProviderCluster.DeployAsync(TestServers.Postgres, serviceId, log);
        output.WriteLine($"measured: a new cluster was up {clock.Elapsed.TotalSeconds:F1} s after the reminder was set (due at {due.TotalSeconds:F0} s)");
        var probe = second.Client.GetGrain<IReminderProbeGrain>(key);
        Assert.True(await probe.HasReminderAsync());
        await log.WaitAsync(key, Patience);
        output.WriteLine($"measured: the reminder fired {clock.Elapsed.TotalSeconds:F1} s after it was set, on the new cluster");

        await probe.ForgetAsync();
        Assert.False(await probe.HasReminderAsync());
    }

    private static bool InRange(uint hash, uint begin, uint end) =>
        begin < end ? hash > begin && hash <= end : hash > begin || hash <= end;

    private static async Task<GrainState<ProbeState>> ReadAsync(IGrainStorage storage, GrainId grain, string grainType = "probe")
    {
        var state = new GrainState<ProbeState>(new ProbeState());
        await storage.ReadStateAsync(grainType, grain, state);
        return state;
    }

    private static string NewServiceId() => $"providers-{Guid.NewGuid():N}"[..18];

    [GenerateSerializer]
    public sealed class ProbeState
    {
        [Id(0)]
        public string? Value { get; set; }
    }
}
