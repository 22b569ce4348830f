using System.Globalization;
using System.Runtime.InteropServices;
using System.Threading.Channels;
using Npgsql;
using NpgsqlTypes;
using Orleans.Serialization.Serializers;
using Orleans.Storage;

namespace Switchboard.Hosting.Postgres;

/// <summary>
/// Grain state in one PostgreSQL table of the project's own (<see cref="Table"/>): one row per (service id, state
/// name, grain id) holds the state in the storage serializer's format and a version that is the row's ETag.
/// <para>
/// Orleans' ADO.NET provider opens and closes a pooled connection, has Npgsql parse its SQL and makes a round trip for
/// every operation. Here a few writer loops, each on a connection it keeps open, take whatever writes have queued and
/// send them as one <see cref="NpgsqlBatch"/>: one round trip and one commit for all of them (PostgreSQL runs a batch
/// as one implicit transaction), with statements Npgsql prepares once per connection. Reads are batched the same way
/// by reader loops of their own, so an activation never waits behind a commit. Callers hear only after PostgreSQL
/// has answered: an acknowledged write is committed.
/// </para>
/// <para>
/// No statement of a batch can fail for one caller's reason (a failed statement would roll back the whole batch):
/// a stale ETag makes an <c>INSERT … ON CONFLICT DO NOTHING</c> or an <c>UPDATE … WHERE version = $expected</c> touch
/// no row, and that caller alone gets an <see cref="InconsistentStateException"/>; keys PostgreSQL's text type cannot
/// hold are refused before they are queued.
/// </para>
/// <para>
/// ETags follow Orleans' ADO.NET provider with its defaults: a read of nothing gives no ETag; a write or clear must name
/// the version it read (none for a record never written), or it is refused and changes nothing; a clear keeps the row,
/// emptied, with a new version, which a read reports with <c>RecordExists=false</c> and the next write must name
/// (the deadline shards rely on it). Since a row is never deleted, versions count per row and never repeat.
/// </para>
/// </summary>
public sealed partial class PostgresGrainStorage : IGrainStorage, ILifecycleParticipant<ISiloLifecycle>, IAsyncDisposable
{
    /// <summary>The table, created at start when missing.</summary>
    public const string Table = "switchboard_grain_state";

    // Created under an advisory lock, so silos starting together do not race on CREATE TABLE IF NOT EXISTS.
    // fillfactor: every write replaces its row; room left on the page lets PostgreSQL update in place (HOT).
    private const string Schema = $"""
        SELECT pg_advisory_xact_lock(hashtext('{Table}'));
        CREATE TABLE IF NOT EXISTS {Table} (
            service_id text   NOT NULL,
            state_name text   NOT NULL,
            grain_id   text   NOT NULL,
            version    bigint NOT NULL,
            payload    bytea,
            PRIMARY KEY (service_id, state_name, grain_id)
        ) WITH (fillfactor = 70);
        """;

    private const string Key = "service_id = $1 AND state_name = $2 AND grain_id = $3";
    private const string Read = $"SELECT version, payload FROM {Table} WHERE {Key}";
    private const string Insert = $"INSERT INTO {Table} (service_id, state_name, grain_id, version, payload) VALUES ($1, $2, $3, 1, $4) ON CONFLICT DO NOTHING";
    private const string Update = $"UPDATE {Table} SET version = version + 1, payload = $4 WHERE {Key} AND version = $5";
    private const string Clear = $"UPDATE {Table} SET version = version + 1, payload = NULL WHERE {Key} AND version = $4";
    // A clear of what its caller believes was never written: it stands if no row exists, whatever the row holds.
    private const string Touch = $"UPDATE {Table} SET version = version WHERE {Key}";

    private readonly string _serviceId;
    private readonly PostgresGrainStorageOptions _options;
    private readonly IGrainStorageSerializer _serializer;
    private readonly IActivatorProvider _activators;
    private readonly ILogger _logger;
    private readonly Channel<Change> _changes;
    private readonly Channel<Lookup> _lookups;
    private readonly TaskCompletionSource _opened = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private Task[] _loops = [];
    private int _stopped;
    private long _writeBatches;
    private long _writes;
    private long _readBatches;
    private long _reads;
    private int _largestWriteBatch;

    public PostgresGrainStorage(
        string serviceId,
        PostgresGrainStorageOptions options,
        IGrainStorageSerializer serializer,
        IActivatorProvider activators,
        ILogger<PostgresGrainStorage> logger)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(options.ConnectionString, nameof(options.ConnectionString));
        _serviceId = serviceId;
        _options = options;
        _serializer = serializer;
        _activators = activators;
        _logger = logger;
        // One loop reads its queue without a lock; several share a queue that takes one (contended under load).
        _changes = Channel.CreateUnbounded<Change>(new UnboundedChannelOptions { SingleReader = options.Writers == 1 });
        _lookups = Channel.CreateUnbounded<Lookup>(new UnboundedChannelOptions { SingleReader = options.Readers == 1 });
    }

    /// <summary>What the loops have done so far: batches and statements, written and read.</summary>
    public PostgresStorageStatistics Statistics => new(
        Interlocked.Read(ref _writeBatches),
        Interlocked.Read(ref _writes),
        Volatile.Read(ref _largestWriteBatch),
        Interlocked.Read(ref _readBatches),
        Interlocked.Read(ref _reads));

    public void Participate(ISiloLifecycle lifecycle) =>
        // Open before any grain runs; closed after the last grain has deactivated (and written its state).
        lifecycle.Subscribe(nameof(PostgresGrainStorage), ServiceLifecycleStage.RuntimeInitialize, StartAsync, StopAsync);

    /// <summary>Creates the table if it is missing and starts the loops.</summary>
    public async Task StartAsync(CancellationToken cancellationToken)
    {
        try
        {
            await using (var connection = await OpenAsync(cancellationToken))
            await using (var transaction = await connection.BeginTransactionAsync(cancellationToken))
            {
                await using var command = new NpgsqlCommand(Schema, connection, transaction);
                await command.ExecuteNonQueryAsync(cancellationToken);
                await transaction.CommitAsync(cancellationToken);
            }

            _loops =
            [
                .. Enumerable.Range(0, _options.Writers).Select(_ => Task.Run(WriteLoopAsync, CancellationToken.None)),
                .. Enumerable.Range(0, _options.Readers).Select(_ => Task.Run(ReadLoopAsync, CancellationToken.None)),
            ];
            _opened.TrySetResult();
            LogOpened(Table, Describe(), _options.Writers, _options.Readers);
        }
        catch (Exception ex)
        {
            _opened.TrySetException(new InvalidOperationException($"The grain storage table {Table} could not be opened in {Describe()}: {ex.Message}", ex));
            throw;
        }
    }

    /// <summary>Sends every change already queued, refuses new ones, and closes the connections.</summary>
    public async Task StopAsync(CancellationToken cancellationToken)
    {
        _changes.Writer.TryComplete();
        _lookups.Writer.TryComplete();
        await Task.WhenAll(_loops).ConfigureAwait(false);
        if (_opened.Task.IsCompletedSuccessfully && Interlocked.Exchange(ref _stopped, 1) == 0)
        {
            var sent = Statistics;
            LogClosed(sent.Writes, sent.WriteBatches, sent.LargestWriteBatch, sent.Reads, sent.ReadBatches);
        }

        _opened.TrySetException(Closed());
    }

    public async ValueTask DisposeAsync() => await StopAsync(CancellationToken.None).ConfigureAwait(false);

    public async Task ReadStateAsync<T>(string stateName, GrainId grainId, IGrainState<T> grainState)
    {
        var lookup = new Lookup(stateName, Storable(stateName, grainId.ToString()));
        await QueueAsync(_lookups, lookup);
        var (found, version, payload) = await lookup.Done.Task;
        grainState.State = payload is null ? Create<T>() : _serializer.Deserialize<T>(new BinaryData(payload)) ?? Create<T>();
        grainState.ETag = found ? ToETag(version) : null;
        grainState.RecordExists = payload is not null;
    }

    public async Task WriteStateAsync<T>(string stateName, GrainId grainId, IGrainState<T> grainState)
    {
        var serialized = _serializer.Serialize(grainState.State);
        var payload = MemoryMarshal.TryGetArray(serialized.ToMemory(), out var segment) && segment is { Offset: 0, Array: { } array } && array.Length == segment.Count
            ? array
            : serialized.ToArray();
        var version = await CommitAsync(new Change(stateName, Storable(stateName, grainId.ToString()), Expected(stateName, grainId, grainState.ETag, "WriteState"), grainState.ETag, payload));
        grainState.ETag = ToETag(version);
        grainState.RecordExists = true;
    }

    public async Task ClearStateAsync<T>(string stateName, GrainId grainId, IGrainState<T> grainState)
    {
        var version = await CommitAsync(new Change(stateName, Storable(stateName, grainId.ToString()), Expected(stateName, grainId, grainState.ETag, "ClearState"), grainState.ETag, Payload: null));
        grainState.State = Create<T>();
        grainState.ETag = ToETag(version);
        grainState.RecordExists = false;
    }

    private async Task<long?> CommitAsync(Change change)
    {
        await QueueAsync(_changes, change);
        var outcome = await change.Done.Task;
        return outcome.Refused
            ? throw new InconsistentStateException(
                $"Version conflict ({(change.Payload is null ? "ClearState" : "WriteState")}): state {change.StateName} of grain {change.GrainId} is at version {ToETag(outcome.Version) ?? "none"} in {Table}, not {change.ETag ?? "none"}.",
                ToETag(outcome.Version),
                change.ETag)
            : outcome.Version;
    }

    private async ValueTask QueueAsync<TItem>(Channel<TItem> channel, TItem item)
    {
        if (!_opened.Task.IsCompletedSuccessfully)
        {
            await _opened.Task;
        }

        if (!channel.Writer.TryWrite(item))
        {
            throw Closed();
        }
    }

    private async Task WriteLoopAsync()
    {
        var batch = new List<Change>(_options.MaxBatch);
        var reader = _changes.Reader;
        NpgsqlConnection? connection = null;
        while (await reader.WaitToReadAsync().ConfigureAwait(false))
        {
            while (batch.Count < _options.MaxBatch && reader.TryRead(out var change))
            {
                batch.Add(change);
            }

            // Another loop took what woke this one.
            if (batch.Count == 0)
            {
                continue;
            }

            try
            {
                connection ??= await OpenAsync(CancellationToken.None).ConfigureAwait(false);
                var outcomes = await CommitAsync(connection, batch).ConfigureAwait(false);
                Interlocked.Increment(ref _writeBatches);
                Interlocked.Add(ref _writes, batch.Count);
                if (batch.Count > Volatile.Read(ref _largestWriteBatch))
                {
                    Volatile.Write(ref _largestWriteBatch, batch.Count);
                }

                // Callers hear only after the commit: an acknowledged write is in PostgreSQL.
                for (var i = 0; i < batch.Count; i++)
                {
                    batch[i].Done.TrySetResult(outcomes[i]);
                }
            }
            catch (Exception ex)
            {
                // Nothing of the batch is stored (the implicit transaction was rolled back), unless the connection
                // broke while the commit was on its way: then each caller's next write finds out (a version conflict).
                LogBatchFailed(ex, batch.Count, Table);
                foreach (var change in batch)
                {
                    change.Done.TrySetException(ex);
                }

                connection = await DropIfBrokenAsync(connection).ConfigureAwait(false);
            }

            batch.Clear();
        }

        if (connection is not null)
        {
            await connection.DisposeAsync().ConfigureAwait(false);
        }
    }

    /// <summary>Sends the batch (again, after a deadlock between two batches); then reads what refused changes found.</summary>
    private async Task<Outcome[]> CommitAsync(NpgsqlConnection connection, List<Change> changes)
    {
        for (var attempt = 1; ; attempt++)
        {
            try
            {
                return await TryCommitAsync(connection, changes).ConfigureAwait(false);
            }
            catch (PostgresException ex) when (attempt < 3 && ex.SqlState is PostgresErrorCodes.DeadlockDetected or PostgresErrorCodes.SerializationFailure)
            {
                // Two batches locked the same rows in opposite orders (only a grain active twice does that):
                // PostgreSQL rolled this one back, so it is sent again as it was.
                LogBatchRetried(ex.SqlState, changes.Count);
            }
        }
    }

    private async Task<Outcome[]> TryCommitAsync(NpgsqlConnection connection, List<Change> changes)
    {
        var outcomes = new Outcome[changes.Count];
        await using (var batch = new NpgsqlBatch(connection))
        {
            foreach (var change in changes)
            {
                batch.BatchCommands.Add(Statement(change));
            }

            // Parsed and planned once per connection: a statement already prepared there costs nothing more.
            await batch.PrepareAsync().ConfigureAwait(false);
            await batch.ExecuteNonQueryAsync().ConfigureAwait(false);
            var refused = 0;
            for (var i = 0; i < changes.Count; i++)
            {
                var change = changes[i];
                var touched = batch.BatchCommands[i].RecordsAffected;
                outcomes[i] = change switch
                {
                    { Expected: null, Payload: null } => new Outcome(Refused: touched != 0, null),
                    { Expected: null } => new Outcome(Refused: touched != 1, 1),
                    { Expected: { } expected } => new Outcome(Refused: touched != 1, expected + 1),
                };
                refused += outcomes[i].Refused ? 1 : 0;
            }

            if (refused == 0)
            {
                return outcomes;
            }
        }

        // Rare (a second activation, a failover): what each refused caller is up against, for its exception.
        await using var stored = new NpgsqlBatch(connection);
        var asked = new List<int>();
        for (var i = 0; i < changes.Count; i++)
        {
            if (outcomes[i].Refused)
            {
                stored.BatchCommands.Add(KeyCommand(Read, changes[i]));
                asked.Add(i);
            }
        }

        await using var rows = await stored.ExecuteReaderAsync().ConfigureAwait(false);
        foreach (var i in asked)
        {
            outcomes[i] = outcomes[i] with { Version = await rows.ReadAsync().ConfigureAwait(false) ? rows.GetInt64(0) : null };
            await rows.NextResultAsync().ConfigureAwait(false);
        }

        return outcomes;
    }

    private NpgsqlBatchCommand Statement(Change change)
    {
        switch (change)
        {
            case { Expected: null, Payload: null }:
                return KeyCommand(Touch, change);
            case { Expected: null, Payload: { } payload }:
                var insert = KeyCommand(Insert, change);
                insert.Parameters.Add(new NpgsqlParameter<byte[]> { NpgsqlDbType = NpgsqlDbType.Bytea, TypedValue = payload });
                return insert;
            case { Expected: { } expected, Payload: { } written }:
                var update = KeyCommand(Update, change);
                update.Parameters.Add(new NpgsqlParameter<byte[]> { NpgsqlDbType = NpgsqlDbType.Bytea, TypedValue = written });
                update.Parameters.Add(new NpgsqlParameter<long> { NpgsqlDbType = NpgsqlDbType.Bigint, TypedValue = expected });
                return update;
            case { Expected: { } version }:
                var clear = KeyCommand(Clear, change);
                clear.Parameters.Add(new NpgsqlParameter<long> { NpgsqlDbType = NpgsqlDbType.Bigint, TypedValue = version });
                return clear;
            default:
                throw new System.Diagnostics.UnreachableException();
        }
    }

    private async Task ReadLoopAsync()
    {
        var batch = new List<Lookup>(_options.MaxBatch);
        var reader = _lookups.Reader;
        NpgsqlConnection? connection = null;
        while (await reader.WaitToReadAsync().ConfigureAwait(false))
        {
            while (batch.Count < _options.MaxBatch && reader.TryRead(out var lookup))
            {
                batch.Add(lookup);
            }

            if (batch.Count == 0)
            {
                continue;
            }

            try
            {
                connection ??= await OpenAsync(CancellationToken.None).ConfigureAwait(false);
                await using (var command = new NpgsqlBatch(connection))
                {
                    foreach (var lookup in batch)
                    {
                        command.BatchCommands.Add(KeyCommand(Read, lookup.StateName, lookup.GrainId));
                    }

                    await command.PrepareAsync().ConfigureAwait(false);
                    await using var rows = await command.ExecuteReaderAsync().ConfigureAwait(false);
                    foreach (var lookup in batch)
                    {
                        lookup.Result = await rows.ReadAsync().ConfigureAwait(false)
                            ? (true, rows.GetInt64(0), rows.IsDBNull(1) ? null : rows.GetFieldValue<byte[]>(1))
                            : (false, 0, null);
                        await rows.NextResultAsync().ConfigureAwait(false);
                    }
                }

                Interlocked.Increment(ref _readBatches);
                Interlocked.Add(ref _reads, batch.Count);
                foreach (var lookup in batch)
                {
                    lookup.Done.TrySetResult(lookup.Result);
                }
            }
            catch (Exception ex)
            {
                LogReadFailed(ex, batch.Count, Table);
                foreach (var lookup in batch)
                {
                    lookup.Done.TrySetException(ex);
                }

                connection = await DropIfBrokenAsync(connection).ConfigureAwait(false);
            }

            batch.Clear();
        }

        if (connection is not null)
        {
            await connection.DisposeAsync().ConfigureAwait(false);
        }
    }

    /// <summary>
    /// A connection from the pool Orleans' ADO.NET providers use with the same connection string (membership,
    /// reminders), so the silo's connections stay within its Maximum Pool Size; each loop keeps its own open.
    /// </summary>
    private async Task<NpgsqlConnection> OpenAsync(CancellationToken cancellationToken)
    {
        var connection = new NpgsqlConnection(_options.ConnectionString);
        try
        {
            await connection.OpenAsync(cancellationToken).ConfigureAwait(false);
            return connection;
        }
        catch
        {
            await connection.DisposeAsync().ConfigureAwait(false);
            throw;
        }
    }

    /// <summary>A connection that failed is closed, and the next batch opens another (PostgreSQL restarted, say).</summary>
    private static async ValueTask<NpgsqlConnection?> DropIfBrokenAsync(NpgsqlConnection? connection)
    {
        if (connection is null || connection.FullState == System.Data.ConnectionState.Open)
        {
            return connection;
        }

        await connection.DisposeAsync().ConfigureAwait(false);
        return null;
    }

    private NpgsqlBatchCommand KeyCommand(string sql, Change change) => KeyCommand(sql, change.StateName, change.GrainId);

    private NpgsqlBatchCommand KeyCommand(string sql, string stateName, string grainId) => new(sql)
    {
        Parameters =
        {
            new NpgsqlParameter<string> { NpgsqlDbType = NpgsqlDbType.Text, TypedValue = _serviceId },
            new NpgsqlParameter<string> { NpgsqlDbType = NpgsqlDbType.Text, TypedValue = stateName },
            new NpgsqlParameter<string> { NpgsqlDbType = NpgsqlDbType.Text, TypedValue = grainId },
        },
    };

    private static long? Expected(string stateName, GrainId grainId, string? etag, string operation)
    {
        // No ETag (null or blank, as Orleans' ADO.NET provider reads it) means "I hold no stored version".
        if (string.IsNullOrWhiteSpace(etag))
        {
            return null;
        }

        return long.TryParse(etag, NumberStyles.None, CultureInfo.InvariantCulture, out var version)
            ? version
            : throw new InconsistentStateException($"Version conflict ({operation}): state {stateName} of grain {grainId} is held with ETag '{etag}', which no version in {Table} has.", null, etag);
    }

    /// <summary>
    /// A name PostgreSQL's text can hold (no NUL, no unpaired surrogate): refused here, for its caller alone, rather
    /// than failing the batch it would have joined.
    /// </summary>
    private static string Storable(string stateName, string value)
    {
        if (!IsStorable(stateName) || !IsStorable(value))
        {
            throw new ArgumentException($"Grain state '{stateName}' of '{value}' cannot be stored: the name holds a NUL character or an unpaired surrogate.");
        }

        return value;
    }

    internal static bool IsStorable(string text)
    {
        for (var i = 0; i < text.Length; i++)
        {
            var c = text[i];
            if (c == '\0' || char.IsLowSurrogate(c))
            {
                return false;
            }

            if (char.IsHighSurrogate(c))
            {
                if (i + 1 == text.Length || !char.IsLowSurrogate(text[i + 1]))
                {
                    return false;
                }

                i++;
            }
        }

        return true;
    }

    private ObjectDisposedException Closed() => new(nameof(PostgresGrainStorage), $"The grain storage {Table} in {Describe()} is closed.");

    private string Describe()
    {
        var target = new NpgsqlConnectionStringBuilder(_options.ConnectionString);
        return $"{target.Host}:{target.Port}, database {target.Database}";
    }

    private T Create<T>() => _activators.GetActivator<T>().Create();

    private static string? ToETag(long? version) => version?.ToString(CultureInfo.InvariantCulture);

    [LoggerMessage(Level = LogLevel.Information, Message = "Grain storage: PostgreSQL table {Table} in {Database}, {Writers} writer and {Readers} reader connections")]
    private partial void LogOpened(string table, string database, int writers, int readers);

    [LoggerMessage(Level = LogLevel.Information, Message = "Grain storage closed: {Writes} writes in {WriteBatches} batches (largest {LargestBatch}), {Reads} reads in {ReadBatches} batches")]
    private partial void LogClosed(long writes, long writeBatches, int largestBatch, long reads, long readBatches);

    [LoggerMessage(Level = LogLevel.Error, Message = "Grain storage: a batch of {Count} writes to {Table} failed; none of them was acknowledged")]
    private partial void LogBatchFailed(Exception exception, int count, string table);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Grain storage: a batch of {Count} writes met another in a deadlock ({SqlState}) and is sent again")]
    private partial void LogBatchRetried(string sqlState, int count);

    [LoggerMessage(Level = LogLevel.Error, Message = "Grain storage: a batch of {Count} reads from {Table} failed")]
    private partial void LogReadFailed(Exception exception, int count, string table);

    /// <summary>A write (with a payload) or a clear (without), with the version its caller holds.</summary>
    private sealed record Change(string StateName, string GrainId, long? Expected, string? ETag, byte[]? Payload)
    {
        public TaskCompletionSource<Outcome> Done { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);
    }

    /// <summary>The row's new version, or a refusal with the version the row has (none: no row).</summary>
    private readonly record struct Outcome(bool Refused, long? Version);

    /// <summary>A read: whether a row exists, its version, and its payload (none: cleared).</summary>
    private sealed class Lookup(string stateName, string grainId)
    {
        public string StateName { get; } = stateName;

        public string GrainId { get; } = grainId;

        public (bool Found, long Version, byte[]? Payload) Result { get; set; }

        public TaskCompletionSource<(bool Found, long Version, byte[]? Payload)> Done { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);
    }
}

/// <summary>What a <see cref="PostgresGrainStorage"/> has sent: write batches and writes, the largest batch, read batches and reads.</summary>
public readonly record struct PostgresStorageStatistics(long WriteBatches, long Writes, int LargestWriteBatch, long ReadBatches, long Reads);
