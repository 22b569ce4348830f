using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;
using Npgsql;
using Orleans.Serialization;
using Orleans.Serialization.Serializers;
using Orleans.Storage;
using Orleans.TestingHost;
using Switchboard.Hosting.Postgres;
using Switchboard.IntegrationTests.Infrastructure;
using Xunit.Abstractions;

namespace Switchboard.IntegrationTests.Providers;

/// <summary>
/// The project's PostgreSQL grain storage on a real PostgreSQL: Orleans' storage contract (ETags, conflicts, clears
/// that keep the version), writes sent together without one caller's conflict touching another's, and state that
/// outlives the silo that wrote it.
/// </summary>
[Collection(Cluster.ClusterCollection.Name)]
public sealed class PostgresGrainStorageTests(ITestOutputHelper output)
{
    private static readonly IServiceProvider Serialization = new ServiceCollection().AddSerializer().BuildServiceProvider();
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(30);

    [SkippableFact]
    public async Task AStateRoundTripsWithItsVersionAndAWriterHoldingAnOldVersionIsRefusedAndChangesNothing()
    {
        await using var storage = await OpenAsync(NewServiceId());
        var grain = Grain("round-trip");

        var fresh = await ReadAsync(storage, grain);
        Assert.False(fresh.RecordExists);
        Assert.Null(fresh.ETag);
        Assert.Empty(fresh.State!);

        var state = State("one");
        await storage.WriteStateAsync("conversation", grain, state);
        Assert.Equal("1", state.ETag);
        Assert.True(state.RecordExists);
        var read = await ReadAsync(storage, grain);
        Assert.True(read.RecordExists);
        Assert.Equal("1", read.ETag);
        Assert.Equal("one", read.State!["text"]);

        state.State!["text"] = "two";
        await storage.WriteStateAsync("conversation", grain, state);
        Assert.Equal("2", state.ETag);

        // A second activation (a failover) still holding version 1 must not overwrite version 2.
        read.State!["text"] = "stale";
        var refused = await Assert.ThrowsAsync<InconsistentStateException>(() => storage.WriteStateAsync("conversation", grain, read));
        Assert.Equal("2", refused.StoredEtag);
        Assert.Equal("1", refused.CurrentEtag);
        // Nor may a first writer who believes nothing was stored.
        await Assert.ThrowsAsync<InconsistentStateException>(() => storage.WriteStateAsync("conversation", grain, State("rival")));
        var after = await ReadAsync(storage, grain);
        Assert.Equal("two", after.State!["text"]);
        Assert.Equal("2", after.ETag);

        // Another state name, or another service sharing the database, is another row.
        Assert.False((await ReadAsync(storage, grain, stateName: "customer")).RecordExists);
        await using var neighbour = await OpenAsync(NewServiceId());
        Assert.False((await ReadAsync(neighbour, grain)).RecordExists);
    }

    [SkippableFact]
    public async Task AConflictInABatchFailsOnlyItsOwnWriteAndTheOthersInTheSameBatchAreStored()
    {
        var serviceId = NewServiceId();
        var application = $"storage-test-{serviceId}";
        await using var storage = await OpenAsync(serviceId, writers: 1, application);
        var blocker = Grain("blocker");
        var blocked = State("first");
        await storage.WriteStateAsync("conversation", blocker, blocked);
        var neighbours = Enumerable.Range(0, 20).Select(i => Grain($"neighbour-{i}")).ToList();
        var stale = await ReadAsync(storage, blocker);
        var others = new List<GrainState<Dictionary<string, string>>>();
        foreach (var grain in neighbours)
        {
            var state = State($"before {grain}");
            await storage.WriteStateAsync("conversation", grain, state);
            others.Add(state);
        }

        // The only writer is held on a row lock, so everything queued meanwhile goes out as its next batch.
        await using var holder = await HoldRowAsync(serviceId, blocker);
        blocked.State!["text"] = "second";
        var waiting = storage.WriteStateAsync("conversation", blocker, blocked);
        await WaitUntilBlockedAsync(application);
        var before = storage.Statistics;

        var writes = neighbours.Select((grain, i) =>
        {
            others[i].State!["text"] = $"after {grain}";
            return storage.WriteStateAsync("conversation", grain, others[i]);
        }).ToList();
        stale.State!["text"] = "stale";
        var conflict = storage.WriteStateAsync("conversation", blocker, stale);
        // A key PostgreSQL's text cannot hold is refused at once, never queued beside the others.
        await Assert.ThrowsAsync<ArgumentException>(() => storage.WriteStateAsync("conversation", Grain("nul\0key"), State("x")));

        await holder.RollbackAsync();
        await waiting.WaitAsync(Patience);
        await Task.WhenAll(writes).WaitAsync(Patience);
        await Assert.ThrowsAsync<InconsistentStateException>(() => conflict.WaitAsync(Patience));

        var sent = storage.Statistics;
        output.WriteLine($"measured: {sent.WriteBatches - before.WriteBatches} batches for {sent.Writes - before.Writes} writes while the writer was held; largest batch {sent.LargestWriteBatch}");
        Assert.Equal(2, sent.WriteBatches - before.WriteBatches);
        Assert.Equal(neighbours.Count + 2, sent.Writes - before.Writes);
        for (var i = 0; i < neighbours.Count; i++)
        {
            var read = await ReadAsync(storage, neighbours[i]);
            Assert.Equal($"after {neighbours[i]}", read.State!["text"]);
            Assert.Equal("2", read.ETag);
            Assert.Equal("2", others[i].ETag);
        }

        var kept = await ReadAsync(storage, blocker);
        Assert.Equal("second", kept.State!["text"]);
        Assert.Equal("2", kept.ETag);
    }

    [SkippableFact]
    public async Task AClearKeepsTheRowsVersionSoOnlyAWriterNamingItMayWriteAgain()
    {
        await using var storage = await OpenAsync(NewServiceId());
        var grain = Grain("cleared");
        var state = State("doomed");
        await storage.WriteStateAsync("deadline", grain, state);
        var stale = await ReadAsync(storage, grain, stateName: "deadline");
        await storage.WriteStateAsync("deadline", grain, state);

        await Assert.ThrowsAsync<InconsistentStateException>(() => storage.ClearStateAsync("deadline", grain, stale));
        await storage.ClearStateAsync("deadline", grain, state);
        Assert.Equal("3", state.ETag);
        Assert.False(state.RecordExists);
        Assert.Empty(state.State!);

        var cleared = await ReadAsync(storage, grain, stateName: "deadline");
        Assert.False(cleared.RecordExists);
        Assert.Equal("3", cleared.ETag);
        Assert.Empty(cleared.State!);

        // Someone who believes nothing was ever stored is refused, as is a clear from before; the holder of the
        // cleared version writes on.
        await Assert.ThrowsAsync<InconsistentStateException>(() => storage.WriteStateAsync("deadline", grain, State("rival")));
        await Assert.ThrowsAsync<InconsistentStateException>(() => storage.ClearStateAsync("deadline", grain, State("")));
        state.State!["text"] = "again";
        await storage.WriteStateAsync("deadline", grain, state);
        Assert.Equal("4", state.ETag);
        var again = await ReadAsync(storage, grain, stateName: "deadline");
        Assert.True(again.RecordExists);
        Assert.Equal("again", again.State!["text"]);

        // Clearing what was never written changes nothing and leaves no version behind.
        var never = State("");
        await storage.ClearStateAsync("deadline", Grain("never"), never);
        Assert.Null(never.ETag);
        Assert.Null((await ReadAsync(storage, Grain("never"), stateName: "deadline")).ETag);
    }

    [SkippableFact]
    public async Task ManyConcurrentWritersAreEachStoredExactlyOnce()
    {
        const int Grains = 400;
        const int WritesEach = 5;
        var serviceId = NewServiceId();
        await using var storage = await OpenAsync(serviceId);
        var states = Enumerable.Range(0, Grains).Select(_ => State("")).ToArray();

        // Every grain writes in turn, as a grain does; the grains all at once.
        await Task.WhenAll(Enumerable.Range(0, Grains).Select(async i =>
        {
            for (var n = 1; n <= WritesEach; n++)
            {
                states[i].State!["text"] = $"grain {i} write {n}";
                await storage.WriteStateAsync("conversation", Grain($"many-{i}"), states[i]);
            }
        })).WaitAsync(Patience * 2);

        var sent = storage.Statistics;
        output.WriteLine($"measured: {sent.Writes} writes in {sent.WriteBatches} batches (largest {sent.LargestWriteBatch}), {Grains} grains x {WritesEach}");
        Assert.Equal(Grains * WritesEach, sent.Writes);
        await using var connection = new NpgsqlConnection(TestServers.Postgres);
        await connection.OpenAsync();
        await using var rows = new NpgsqlCommand($"SELECT count(*), min(version), max(version) FROM {PostgresGrainStorage.Table} WHERE service_id = $1", connection)
        {
            Parameters = { new() { Value = serviceId } },
        };
        await using (var reader = await rows.ExecuteReaderAsync())
        {
            await reader.ReadAsync();
            Assert.Equal(Grains, reader.GetInt64(0));
            Assert.Equal(WritesEach, reader.GetInt64(1));
            Assert.Equal(WritesEach, reader.GetInt64(2));
        }

        var reads = await Task.WhenAll(Enumerable.Range(0, Grains).Select(i => ReadAsync(storage, Grain($"many-{i}"))));
        for (var i = 0; i < Grains; i++)
        {
            Assert.Equal($"grain {i} write {WritesEach}", reads[i].State!["text"]);
            Assert.Equal($"{WritesEach}", reads[i].ETag);
        }
    }

    [SkippableFact]
    public async Task AGrainsStateWrittenBeforeItsSiloStoppedIsReadBackByTheNextSilo()
    {
        var serviceId = NewServiceId();
        var key = $"counter-{Guid.NewGuid():N}";
        await using (var first = await DeployAsync(serviceId))
        {
            var counter = first.Client.GetGrain<IStoredCounterGrain>(key);
            Assert.Equal(1, await counter.AddAsync("one"));
            Assert.Equal(2, await counter.AddAsync("two"));
            await first.StopAllSilosAsync();
        }

        await using var second = await DeployAsync(serviceId);
        var again = second.Client.GetGrain<IStoredCounterGrain>(key);
        Assert.Equal(["one", "two"], await again.ListAsync());
        Assert.Equal(3, await again.AddAsync("three"));
    }

    [SkippableFact]
    public async Task ConfigurationNamesTheStorageByProviderTypeAndConnectionName()
    {
        var postgres = TestServers.Postgres;
        var builder = new InProcessTestClusterBuilder(1);
        var serviceId = NewServiceId();
        builder.Options.ClusterId = serviceId;
        builder.Options.ServiceId = serviceId;
        builder.Options.ConfigureFileLogging = false;
        // The silo's host only: Orleans clients read the same section and know no grain storage providers.
        builder.ConfigureSiloHost((_, host) => host.Configuration.AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["ConnectionStrings:pg"] = postgres,
            [$"Orleans:GrainStorage:{SwitchboardOptions.StorageName}:ProviderType"] = PostgresGrainStorageOptions.ProviderType,
            [$"Orleans:GrainStorage:{SwitchboardOptions.StorageName}:ConnectionName"] = "pg",
            [$"Orleans:GrainStorage:{SwitchboardOptions.StorageName}:Writers"] = "3",
        }));
        await using var cluster = builder.Build();
        await cluster.DeployAsync();

        var storage = cluster.Silos[0].ServiceProvider.GetRequiredKeyedService<IGrainStorage>(SwitchboardOptions.StorageName);
        Assert.IsType<PostgresGrainStorage>(storage);
        var options = cluster.Silos[0].ServiceProvider.GetRequiredService<IOptionsMonitor<PostgresGrainStorageOptions>>().Get(SwitchboardOptions.StorageName);
        Assert.Equal(3, options.Writers);
        Assert.Equal(postgres, options.ConnectionString);
        var state = State("configured");
        await storage.WriteStateAsync("conversation", Grain("configured"), state);
        Assert.Equal("configured", (await ReadAsync((PostgresGrainStorage)storage, Grain("configured"))).State!["text"]);
    }

    private static async Task<InProcessTestCluster> DeployAsync(string serviceId)
    {
        var postgres = TestServers.Postgres;
        var builder = new InProcessTestClusterBuilder(1);
        builder.Options.ClusterId = serviceId;
        builder.Options.ServiceId = serviceId;
        builder.Options.ConfigureFileLogging = false;
        builder.ConfigureSilo((_, silo) => silo.AddPostgresGrainStorage(SwitchboardOptions.StorageName, o => o.ConnectionString = postgres));
        var cluster = builder.Build();
        await cluster.DeployAsync();
        return cluster;
    }

    private static async Task<PostgresGrainStorage> OpenAsync(string serviceId, int writers = 2, string? application = null)
    {
        var connection = new NpgsqlConnectionStringBuilder(TestServers.Postgres) { ApplicationName = application ?? "storage-test" };
        var storage = new PostgresGrainStorage(
            serviceId,
            new PostgresGrainStorageOptions { ConnectionString = connection.ConnectionString, Writers = writers },
            new OrleansGrainStorageSerializer(Serialization.GetRequiredService<Serializer>()),
            Serialization.GetRequiredService<IActivatorProvider>(),
            NullLogger<PostgresGrainStorage>.Instance);
        await storage.StartAsync(CancellationToken.None);
        return storage;
    }

    /// <summary>Locks the grain's row in a transaction of its own until rolled back.</summary>
    private static async Task<NpgsqlTransaction> HoldRowAsync(string serviceId, GrainId grain)
    {
        var connection = new NpgsqlConnection(new NpgsqlConnectionStringBuilder(TestServers.Postgres) { Pooling = false }.ConnectionString);
        await connection.OpenAsync();
        var transaction = await connection.BeginTransactionAsync();
        await using var command = new NpgsqlCommand($"SELECT 1 FROM {PostgresGrainStorage.Table} WHERE service_id = $1 AND state_name = 'conversation' AND grain_id = $2 FOR UPDATE", connection, transaction)
        {
            Parameters = { new() { Value = serviceId }, new() { Value = grain.ToString() } },
        };
        Assert.Equal(1, await command.ExecuteScalarAsync());
        return transaction;
    }

    /// <summary>Waits until a connection of <paramref name="application"/> waits on a row lock.</summary>
    private static async Task WaitUntilBlockedAsync(string application)
    {
        await using var connection = new NpgsqlConnection(new NpgsqlConnectionStringBuilder(TestServers.Postgres) { Pooling = false }.ConnectionString);
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand("SELECT count(*) FROM pg_stat_activity WHERE application_name = $1 AND wait_event_type = 'Lock'", connection)
        {
            Parameters = { new() { Value = application } },
        };
        using var timeout = new CancellationTokenSource(Patience);
        while ((long)(await command.ExecuteScalarAsync(timeout.Token))! == 0)
        {
            await Task.Delay(20, timeout.Token);
        }
    }

    private static async Task<GrainState<Dictionary<string, string>>> ReadAsync(IGrainStorage storage, GrainId grain, string stateName = "conversation")
    {
        var state = new GrainState<Dictionary<string, string>>(new() { ["left"] = "over" }) { ETag = "99", RecordExists = true };
        await storage.ReadStateAsync(stateName, grain, state);
        return state;
    }

    private static GrainId Grain(string key) => GrainId.Create("conversation", key);

    private static GrainState<Dictionary<string, string>> State(string text) => new(new() { ["text"] = text });

    private static string NewServiceId() => $"pg-storage-{Guid.NewGuid():N}"[..22];
}

/// <summary>A grain whose list lives in the grain storage Switchboard's grains use.</summary>
public interface IStoredCounterGrain : IGrainWithStringKey
{
    Task<int> AddAsync(string item);

    Task<List<string>> ListAsync();
}

public sealed class StoredCounterGrain(
    [PersistentState("counter", SwitchboardOptions.StorageName)] IPersistentState<List<string>> state) : Grain, IStoredCounterGrain
{
    public async Task<int> AddAsync(string item)
    {
        state.State.Add(item);
        await state.WriteStateAsync();
        return state.State.Count;
    }

    public Task<List<string>> ListAsync() => Task.FromResult(state.State);
}
