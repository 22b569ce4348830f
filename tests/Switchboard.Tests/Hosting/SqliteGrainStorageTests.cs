using Microsoft.Data.Sqlite;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging.Abstractions;
using Orleans.Runtime;
using Orleans.Serialization;
using Orleans.Serialization.Serializers;
using Orleans.Storage;
using Switchboard.Hosting.Sqlite;

namespace Switchboard.Tests.Hosting;

/// <summary>
/// The SQLite grain storage keeps the contract Orleans' own providers keep (ETags, missing records, clears), for any
/// grain id and state name, and commits concurrent writes together without letting one caller's conflict touch another's.
/// </summary>
public sealed class SqliteGrainStorageTests : IDisposable
{
    private static readonly IServiceProvider Serialization = new ServiceCollection().AddSerializer().BuildServiceProvider();

    private readonly TempDatabase _database = new();

    public void Dispose() => _database.Dispose();

    [Fact]
    public async Task ReadingAStateNeverWrittenFindsNoRecordNoETagAndAFreshState()
    {
        await using var storage = await OpenAsync();
        var state = new GrainState<Dictionary<string, string>>(new() { ["left"] = "over" }) { ETag = "7", RecordExists = true };

        await storage.ReadStateAsync("conversation", Grain("never-written"), state);

        Assert.False(state.RecordExists);
        Assert.Null(state.ETag);
        Assert.Empty(state.State!);
    }

    [Fact]
    public async Task AWriteIsReadBackWithItsETagAfterTheDatabaseIsClosedAndOpenedAgain()
    {
        var text = new string('x', 1024);
        var written = State(text);
        await using (var storage = await OpenAsync())
        {
            await storage.WriteStateAsync("conversation", Grain("c1"), written);
        }

        Assert.True(written.RecordExists);
        Assert.NotNull(written.ETag);
        await using var reopened = await OpenAsync();
        var read = State("");
        await reopened.ReadStateAsync("conversation", Grain("c1"), read);

        Assert.True(read.RecordExists);
        Assert.Equal(written.ETag, read.ETag);
        Assert.Equal(text, read.State!["text"]);
    }

    [Fact]
    public async Task AWriteWithAStaleETagIsRefusedAndChangesNothing()
    {
        await using var storage = await OpenAsync();
        var grain = Grain("c2");
        var first = State("first");
        await storage.WriteStateAsync("conversation", grain, first);
        var staleETag = first.ETag;
        var second = State("second");
        second.ETag = staleETag;
        await storage.WriteStateAsync("conversation", grain, second);

        var stale = State("stale");
        stale.ETag = staleETag;
        var refused = await Assert.ThrowsAsync<InconsistentStateException>(() => storage.WriteStateAsync("conversation", grain, stale));

        Assert.Equal(second.ETag, refused.StoredEtag);
        Assert.Equal(staleETag, refused.CurrentEtag);
        Assert.Equal(staleETag, stale.ETag);
        var read = State("");
        await storage.ReadStateAsync("conversation", grain, read);
        Assert.Equal(("second", second.ETag), (read.State!["text"], read.ETag));
    }

    [Fact]
    public async Task AFirstWriteIsRefusedWhenTheRecordAlreadyExistsAndABlankETagCountsAsNone()
    {
        await using var storage = await OpenAsync();
        var grain = Grain("c3");
        // The deadline shards keep "" for a segment they found missing; a first write with it is a first write.
        var first = State("first");
        first.ETag = "";
        await storage.WriteStateAsync("deadlines", grain, first);

        var second = State("second");
        await Assert.ThrowsAsync<InconsistentStateException>(() => storage.WriteStateAsync("deadlines", grain, second));
        var garbled = State("garbled");
        garbled.ETag = "not-a-version";
        await Assert.ThrowsAsync<InconsistentStateException>(() => storage.WriteStateAsync("deadlines", grain, garbled));

        var read = State("");
        await storage.ReadStateAsync("deadlines", grain, read);
        Assert.Equal(("first", first.ETag), (read.State!["text"], read.ETag));
    }

    [Fact]
    public async Task AClearDeletesTheRecordAndAnETagReadBeforeItNeverMatchesAgain()
    {
        await using var storage = await OpenAsync();
        var grain = Grain("c4");
        var state = State("kept");
        await storage.WriteStateAsync("conversation", grain, state);
        var beforeClear = state.ETag;

        var staleClear = State("");
        staleClear.ETag = "999999";
        await Assert.ThrowsAsync<InconsistentStateException>(() => storage.ClearStateAsync("conversation", grain, staleClear));
        var noETagClear = State("");
        await Assert.ThrowsAsync<InconsistentStateException>(() => storage.ClearStateAsync("conversation", grain, noETagClear));

        await storage.ClearStateAsync("conversation", grain, state);
        Assert.Equal((false, null), (state.RecordExists, state.ETag));
        var read = State("");
        await storage.ReadStateAsync("conversation", grain, read);
        Assert.Equal((false, null), (read.RecordExists, read.ETag));

        // Written again from nothing: a holder of the ETag from before the clear is still refused.
        await storage.WriteStateAsync("conversation", grain, State("again"));
        var old = State("old");
        old.ETag = beforeClear;
        await Assert.ThrowsAsync<InconsistentStateException>(() => storage.WriteStateAsync("conversation", grain, old));
        // Clearing what is not there (as its caller believes) is done already.
        await storage.ClearStateAsync("conversation", Grain("never-written"), State(""));
    }

    [Fact]
    public async Task StatesAreKeptApartByStateNameAndByAnyGrainId()
    {
        await using var storage = await OpenAsync();
        GrainId[] grains = [Grain("same"), GrainId.Create("deadlineshard", "3"), GrainId.Create("deadlineshard", "3+segment-17"), GrainId.Create("transcript", "c/1/page/0")];
        foreach (var grain in grains)
        {
            foreach (var name in new[] { "conversation", "deadlines" })
            {
                await storage.WriteStateAsync(name, grain, State($"{name} of {grain}"));
            }
        }

        foreach (var grain in grains)
        {
            foreach (var name in new[] { "conversation", "deadlines" })
            {
                var read = State("");
                await storage.ReadStateAsync(name, grain, read);
                Assert.Equal($"{name} of {grain}", read.State!["text"]);
            }
        }
    }

    [Fact]
    public async Task ConcurrentWritesFromManyTasksAllLandAndAreCommittedTogether()
    {
        const int Writers = 300;
        await using var storage = await OpenAsync();
        var before = storage.Statistics;

        // Another connection holds the database's write lock, so the writes queue up behind the writer's first
        // transaction; every call has queued its write when its task has returned.
        Task[] writes;
        using (HoldWriteLock())
        {
            var calls = Enumerable.Range(0, Writers)
                .Select(i => Task.Factory.StartNew(() => storage.WriteStateAsync("conversation", Grain($"w{i}"), State($"payload {i} {new string('p', 1000)}")), CancellationToken.None, TaskCreationOptions.None, TaskScheduler.Default))
                .ToArray();
            writes = await Task.WhenAll(calls);
        }

        await Task.WhenAll(writes);
        var after = storage.Statistics;
        Assert.Equal(Writers, after.Changes - before.Changes);
        // The first transaction took what had queued when it began; everything else went in the next one.
        Assert.InRange(after.Batches - before.Batches, 1, 2);
        Assert.True(after.LargestBatch >= Writers / 2, $"The largest transaction held {after.LargestBatch} of {Writers} writes.");
        var etags = new HashSet<string>();
        for (var i = 0; i < Writers; i++)
        {
            var read = State("");
            await storage.ReadStateAsync("conversation", Grain($"w{i}"), read);
            Assert.StartsWith($"payload {i} ", read.State!["text"]);
            Assert.True(etags.Add(read.ETag!));
        }
    }

    [Fact]
    public async Task AStaleETagInATransactionFailsOnlyItsOwnWrite()
    {
        await using var storage = await OpenAsync();
        var grains = Enumerable.Range(0, 11).Select(i => Grain($"b{i}")).ToArray();
        var states = new GrainState<Dictionary<string, string>>[grains.Length];
        for (var i = 0; i < grains.Length; i++)
        {
            states[i] = State("v1");
            await storage.WriteStateAsync("conversation", grains[i], states[i]);
        }

        const int Stale = 5;
        var staleETag = states[Stale].ETag;
        await storage.WriteStateAsync("conversation", grains[Stale], states[Stale]);
        var before = storage.Statistics;

        Task[] writes;
        using (HoldWriteLock())
        {
            // A write first, which the writer may take alone; the rest queue behind it and share a transaction with
            // the stale write at least on one side of it.
            writes = new Task[grains.Length];
            for (var i = 0; i < grains.Length; i++)
            {
                var next = State("v2");
                next.ETag = i == Stale ? staleETag : states[i].ETag;
                writes[i] = storage.WriteStateAsync("conversation", grains[i], next);
            }
        }

        await Assert.ThrowsAsync<InconsistentStateException>(() => writes[Stale]);
        await Task.WhenAll(writes.Where((_, i) => i != Stale));
        Assert.InRange(storage.Statistics.Batches - before.Batches, 1, 2);
        for (var i = 0; i < grains.Length; i++)
        {
            var read = State("");
            await storage.ReadStateAsync("conversation", grains[i], read);
            Assert.Equal(i == Stale ? "v1" : "v2", read.State!["text"]);
        }
    }

    [Fact]
    public async Task AStoppedStorageRefusesWritesAndCommittedOnesAreInTheFile()
    {
        var storage = await OpenAsync();
        await storage.WriteStateAsync("conversation", Grain("last"), State("last"));
        await storage.StopAsync(CancellationToken.None);

        await Assert.ThrowsAsync<ObjectDisposedException>(() => storage.WriteStateAsync("conversation", Grain("late"), State("late")));
        await Assert.ThrowsAsync<ObjectDisposedException>(() => storage.ReadStateAsync("conversation", Grain("last"), State("")));
        // Closed cleanly: the write-ahead log was folded into the file.
        Assert.False(File.Exists(_database.Path + "-wal"));
        await using var reopened = await OpenAsync();
        var read = State("");
        await reopened.ReadStateAsync("conversation", Grain("last"), read);
        Assert.Equal("last", read.State!["text"]);
    }

    private async Task<SqliteGrainStorage> OpenAsync()
    {
        var storage = new SqliteGrainStorage(
            _database.Path,
            new OrleansGrainStorageSerializer(Serialization.GetRequiredService<Serializer>()),
            Serialization.GetRequiredService<IActivatorProvider>(),
            NullLogger<SqliteGrainStorage>.Instance);
        await storage.StartAsync(CancellationToken.None);
        return storage;
    }

    /// <summary>Takes the database's write lock on a connection of its own until disposed.</summary>
    private SqliteConnection HoldWriteLock()
    {
        var holder = new SqliteConnection(new SqliteConnectionStringBuilder { DataSource = _database.Path, Pooling = false }.ToString());
        holder.Open();
        using var begin = holder.CreateCommand();
        begin.CommandText = "BEGIN IMMEDIATE;";
        begin.ExecuteNonQuery();
        return holder;
    }

    private static GrainId Grain(string key) => GrainId.Create("conversation", key);

    private static GrainState<Dictionary<string, string>> State(string text) => new(new() { ["text"] = text });
}

/// <summary>A database file in a folder of its own, deleted with the folder.</summary>
public sealed class TempDatabase : IDisposable
{
    private readonly DirectoryInfo _folder = Directory.CreateTempSubdirectory("switchboard-sqlite-");

    public string Path => System.IO.Path.Combine(_folder.FullName, "switchboard.db");

    public void Dispose() => _folder.Delete(recursive: true);
}
