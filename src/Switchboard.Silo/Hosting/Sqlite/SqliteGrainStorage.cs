using System.Collections.Concurrent;
using System.Globalization;
using System.Runtime.InteropServices;
using System.Threading.Channels;
using Microsoft.Data.Sqlite;
using Orleans.Serialization.Serializers;
using Orleans.Storage;

namespace Switchboard.Hosting.Sqlite;

/// <summary>
/// Grain state in one local SQLite file: the embedded silo's durable default. One row per (state name, grain id)
/// holds the state in the storage serializer's format and a version that is the row's ETag.
/// <para>
/// Writes and clears go through one writer: callers queue their change, and a single loop commits whatever has
/// queued as one transaction (group commit), then answers each caller with its own outcome, so a stale ETag fails
/// only its own change. Reads run on connections of their own (WAL: they never wait for the writer).
/// </para>
/// <para>
/// ETags follow Orleans' providers: a read of nothing gives no ETag and <c>RecordExists=false</c>; a write or clear
/// must name the version it read (none for a record that does not exist), or it is refused with
/// <see cref="InconsistentStateException"/> and changes nothing; a clear deletes the row. Versions are numbered
/// across the whole file, never per row, so an ETag read before a clear can never match the row written after it.
/// </para>
/// </summary>
public sealed partial class SqliteGrainStorage : IGrainStorage, ILifecycleParticipant<ISiloLifecycle>, IAsyncDisposable
{
    /// <summary>The most changes one transaction commits.</summary>
    public const int MaxBatch = 1024;

    // Read connections kept open between reads; more are opened while reads overlap, and closed after.
    private const int IdleReaders = 8;

    private const int SchemaVersion = 1;

    private readonly string _connectionString;
    private readonly IGrainStorageSerializer _serializer;
    private readonly IActivatorProvider _activators;
    private readonly ILogger _logger;
    private readonly Channel<Change> _changes = Channel.CreateUnbounded<Change>(new UnboundedChannelOptions { SingleReader = true });
    private readonly ConcurrentQueue<Reader> _readers = new();
    private readonly TaskCompletionSource _opened = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private Writer? _writer;
    private Task? _writing;
    private volatile bool _closed;
    private long _batches;
    private long _committed;
    private int _largestBatch;

    public SqliteGrainStorage(string databasePath, IGrainStorageSerializer serializer, IActivatorProvider activators, ILogger<SqliteGrainStorage> logger)
    {
        DatabasePath = Path.GetFullPath(databasePath);
        _serializer = serializer;
        _activators = activators;
        _logger = logger;
        _connectionString = new SqliteConnectionStringBuilder
        {
            DataSource = DatabasePath,
            Mode = SqliteOpenMode.ReadWriteCreate,
            // This class keeps its own connections; the provider's pool would hold the file open after Stop.
            Pooling = false,
        }.ToString();
    }

    /// <summary>The database file, as a full path.</summary>
    public string DatabasePath { get; }

    /// <summary>What the writer has committed so far: transactions, changes, and the most changes one held.</summary>
    public SqliteWriteStatistics Statistics =>
        new(Interlocked.Read(ref _batches), Interlocked.Read(ref _committed), Volatile.Read(ref _largestBatch));

    public void Participate(ISiloLifecycle lifecycle) =>
        // Opened before any grain runs and closed after the last grain has deactivated (and written its state).
        lifecycle.Subscribe(nameof(SqliteGrainStorage), ServiceLifecycleStage.RuntimeInitialize, StartAsync, StopAsync);

    /// <summary>Opens (or creates) the database and starts the writer.</summary>
    public Task StartAsync(CancellationToken cancellationToken)
    {
        SqliteConnection? connection = null;
        try
        {
            if (Path.GetDirectoryName(DatabasePath) is { Length: > 0 } folder)
            {
                Directory.CreateDirectory(folder);
            }

            connection = new SqliteConnection(_connectionString);
            connection.Open();
            Execute(connection, "PRAGMA busy_timeout = 30000;");
            // WAL: readers never wait for the writer, and a commit appends to the log instead of rewriting pages.
            // NORMAL: a commit does not wait for the disk; the log is synced at checkpoints. A process that dies
            // loses nothing it committed; a machine that loses power may lose the last commits, never the file.
            var journal = Convert.ToString(Scalar(connection, "PRAGMA journal_mode = WAL;"), CultureInfo.InvariantCulture);
            if (!string.Equals(journal, "wal", StringComparison.OrdinalIgnoreCase))
            {
                throw new InvalidOperationException($"SQLite refused write-ahead logging for {DatabasePath} (journal mode '{journal}').");
            }

            Execute(connection, "PRAGMA synchronous = NORMAL;");
            var schema = Convert.ToInt32(Scalar(connection, "PRAGMA user_version;"), CultureInfo.InvariantCulture);
            if (schema > SchemaVersion)
            {
                throw new InvalidOperationException($"{DatabasePath} was written by a newer Switchboard (schema {schema}; this one knows {SchemaVersion}).");
            }

            Execute(connection, $"""
                BEGIN IMMEDIATE;
                CREATE TABLE IF NOT EXISTS grain_state (
                    state_name TEXT NOT NULL,
                    grain_id   TEXT NOT NULL,
                    version    INTEGER NOT NULL,
                    payload    BLOB NOT NULL,
                    PRIMARY KEY (state_name, grain_id));
                CREATE TABLE IF NOT EXISTS last_version (
                    id      INTEGER PRIMARY KEY CHECK (id = 0),
                    version INTEGER NOT NULL);
                INSERT OR IGNORE INTO last_version (id, version) VALUES (0, 0);
                PRAGMA user_version = {SchemaVersion};
                COMMIT;
                """);
            _writer = new Writer(connection);
            _writing = Task.Run(WriteAsync, CancellationToken.None);
            _opened.TrySetResult();
            LogOpened(DatabasePath);
        }
        catch (Exception ex)
        {
            if (_writer is null)
            {
                connection?.Dispose();
            }

            _opened.TrySetException(new InvalidOperationException($"The grain storage database {DatabasePath} could not be opened: {ex.Message}", ex));
            throw;
        }

        return Task.CompletedTask;
    }

    /// <summary>Commits every change already queued, refuses new ones, and closes the database.</summary>
    public async Task StopAsync(CancellationToken cancellationToken)
    {
        _changes.Writer.TryComplete();
        if (_writing is not null)
        {
            await _writing.ConfigureAwait(false);
        }

        _closed = true;
        // Never opened: whoever waits for it hears why.
        _opened.TrySetException(Closed());
        DisposeIdleReaders();
        // The last connection to close checkpoints the log into the file and removes it.
        _writer?.Dispose();
        _writer = null;
    }

    public async ValueTask DisposeAsync() => await StopAsync(CancellationToken.None).ConfigureAwait(false);

    public async Task ReadStateAsync<T>(string stateName, GrainId grainId, IGrainState<T> grainState)
    {
        if (!_opened.Task.IsCompletedSuccessfully)
        {
            await _opened.Task;
        }

        ObjectDisposedException.ThrowIf(_closed, this);
        var reader = Rent();
        (long Version, byte[] Payload)? row;
        try
        {
            row = reader.Read(stateName, grainId.ToString());
        }
        finally
        {
            Return(reader);
        }

        if (row is { } found)
        {
            grainState.State = _serializer.Deserialize<T>(new BinaryData(found.Payload)) ?? Create<T>();
            grainState.ETag = ToETag(found.Version);
            grainState.RecordExists = true;
        }
        else
        {
            grainState.State = Create<T>();
            grainState.ETag = null;
            grainState.RecordExists = false;
        }
    }

    public async Task WriteStateAsync<T>(string stateName, GrainId grainId, IGrainState<T> grainState)
    {
        var serialized = _serializer.Serialize(grainState.State);
        var payload = MemoryMarshal.TryGetArray(serialized.ToMemory(), out var segment) && segment is { Offset: 0, Array: { } array } && array.Length == segment.Count
            ? array
            : serialized.ToArray();
        var version = await CommitAsync(new Change(stateName, grainId.ToString(), grainState.ETag, payload));
        grainState.ETag = ToETag(version);
        grainState.RecordExists = true;
    }

    public async Task ClearStateAsync<T>(string stateName, GrainId grainId, IGrainState<T> grainState)
    {
        await CommitAsync(new Change(stateName, grainId.ToString(), grainState.ETag, Payload: null));
        grainState.State = Create<T>();
        grainState.ETag = null;
        grainState.RecordExists = false;
    }

    private async Task<long?> CommitAsync(Change change)
    {
        if (!_opened.Task.IsCompletedSuccessfully)
        {
            await _opened.Task;
        }

        if (!TryParseETag(change.ETag, out _))
        {
            throw Conflict(change, stored: null);
        }

        if (!_changes.Writer.TryWrite(change))
        {
            throw Closed();
        }

        var outcome = await change.Done.Task;
        return outcome.Refused ? throw Conflict(change, outcome.Stored) : outcome.Version;
    }

    private InconsistentStateException Conflict(Change change, long? stored) => new(
        $"Version conflict ({(change.Payload is null ? "ClearState" : "WriteState")}): state {change.StateName} of grain {change.GrainId} is at version {ToETag(stored) ?? "none"} in {DatabasePath}, not {change.ETag ?? "none"}.",
        ToETag(stored),
        change.ETag);

    private async Task WriteAsync()
    {
        var batch = new List<Change>(MaxBatch);
        var reader = _changes.Reader;
        while (await reader.WaitToReadAsync().ConfigureAwait(false))
        {
            while (batch.Count < MaxBatch && reader.TryRead(out var change))
            {
                batch.Add(change);
            }

            Outcome[] outcomes;
            try
            {
                outcomes = _writer!.Commit(batch);
            }
            catch (Exception ex)
            {
                // The transaction was rolled back: nothing of the batch is stored, and every caller is told.
                LogBatchFailed(ex, batch.Count, DatabasePath);
                foreach (var change in batch)
                {
                    change.Done.TrySetException(ex);
                }

                batch.Clear();
                continue;
            }

            Interlocked.Increment(ref _batches);
            Interlocked.Add(ref _committed, batch.Count);
            if (batch.Count > _largestBatch)
            {
                Volatile.Write(ref _largestBatch, batch.Count);
            }

            // Callers hear only after the commit: an acknowledged write is in the file.
            for (var i = 0; i < batch.Count; i++)
            {
                batch[i].Done.TrySetResult(outcomes[i]);
            }

            batch.Clear();
        }
    }

    private Reader Rent() => _readers.TryDequeue(out var reader) ? reader : new Reader(_connectionString);

    private void Return(Reader reader)
    {
        if (_closed || _readers.Count >= IdleReaders)
        {
            reader.Dispose();
            return;
        }

        _readers.Enqueue(reader);
        // Closed while this read ran: Stop may have emptied the queue before the reader came back.
        if (_closed)
        {
            DisposeIdleReaders();
        }
    }

    private void DisposeIdleReaders()
    {
        while (_readers.TryDequeue(out var reader))
        {
            reader.Dispose();
        }
    }

    private ObjectDisposedException Closed() => new(nameof(SqliteGrainStorage), $"The grain storage database {DatabasePath} is closed.");

    private T Create<T>() => _activators.GetActivator<T>().Create();

    private static string? ToETag(long? version) => version?.ToString(CultureInfo.InvariantCulture);

    // No ETag (null or blank, as Orleans' ADO.NET provider reads it) means "I hold no stored version".
    private static bool TryParseETag(string? etag, out long? version)
    {
        version = null;
        if (string.IsNullOrWhiteSpace(etag))
        {
            return true;
        }

        if (long.TryParse(etag, NumberStyles.None, CultureInfo.InvariantCulture, out var parsed))
        {
            version = parsed;
            return true;
        }

        return false;
    }

    private static void Execute(SqliteConnection connection, string sql)
    {
        using var command = connection.CreateCommand();
        command.CommandText = sql;
        command.ExecuteNonQuery();
    }

    private static object? Scalar(SqliteConnection connection, string sql)
    {
        using var command = connection.CreateCommand();
        command.CommandText = sql;
        return command.ExecuteScalar();
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Grain storage: SQLite database {Path}")]
    private partial void LogOpened(string path);

    [LoggerMessage(Level = LogLevel.Error, Message = "Grain storage: a transaction of {Count} changes to {Path} failed; none of them was stored")]
    private partial void LogBatchFailed(Exception exception, int count, string path);

    /// <summary>A write (with a payload) or a clear (without), with the ETag its caller holds.</summary>
    private sealed record Change(string StateName, string GrainId, string? ETag, byte[]? Payload)
    {
        public TaskCompletionSource<Outcome> Done { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);
    }

    /// <summary>The row's new version (none after a clear), or a refusal with the version the row has.</summary>
    private readonly record struct Outcome(bool Refused, long? Version, long? Stored);

    /// <summary>The writer's connection and its prepared statements; used by the write loop only.</summary>
    private sealed class Writer : IDisposable
    {
        private readonly SqliteConnection _connection;
        private readonly SqliteCommand _lastVersion;
        private readonly SqliteCommand _setLastVersion;
        private readonly SqliteCommand _insert;
        private readonly SqliteCommand _update;
        private readonly SqliteCommand _delete;
        private readonly SqliteCommand _stored;
        private readonly SqliteCommand[] _all;

        public Writer(SqliteConnection connection)
        {
            _connection = connection;
            _lastVersion = Command("SELECT version FROM last_version WHERE id = 0;");
            _setLastVersion = Command("UPDATE last_version SET version = $next WHERE id = 0;", "$next");
            _insert = Command("INSERT INTO grain_state (state_name, grain_id, version, payload) VALUES ($state, $grain, $next, $payload) ON CONFLICT DO NOTHING;", "$state", "$grain", "$next", "$payload");
            _update = Command("UPDATE grain_state SET version = $next, payload = $payload WHERE state_name = $state AND grain_id = $grain AND version = $version;", "$state", "$grain", "$next", "$payload", "$version");
            _delete = Command("DELETE FROM grain_state WHERE state_name = $state AND grain_id = $grain AND version = $version;", "$state", "$grain", "$version");
            _stored = Command("SELECT version FROM grain_state WHERE state_name = $state AND grain_id = $grain;", "$state", "$grain");
            _all = [_lastVersion, _setLastVersion, _insert, _update, _delete, _stored];
        }

        /// <summary>Applies the changes in order in one transaction; a refused change changes nothing.</summary>
        public Outcome[] Commit(List<Change> batch)
        {
            var outcomes = new Outcome[batch.Count];
            using var transaction = _connection.BeginTransaction(deferred: false);
            foreach (var command in _all)
            {
                command.Transaction = transaction;
            }

            var last = (long)_lastVersion.ExecuteScalar()!;
            var next = last;
            for (var i = 0; i < batch.Count; i++)
            {
                outcomes[i] = Apply(batch[i], ref next);
            }

            if (next != last)
            {
                _setLastVersion.Parameters["$next"].Value = next;
                _setLastVersion.ExecuteNonQuery();
            }

            transaction.Commit();
            return outcomes;
        }

        public void Dispose()
        {
            foreach (var command in _all)
            {
                command.Dispose();
            }

            _connection.Dispose();
        }

        private Outcome Apply(Change change, ref long next)
        {
            TryParseETag(change.ETag, out var expected);
            var applied = (change.Payload, expected) switch
            {
                ({ } payload, null) => Run(_insert, change, next + 1, payload, expected),
                ({ } payload, _) => Run(_update, change, next + 1, payload, expected),
                (null, { }) => Run(_delete, change, null, null, expected),
                // Clearing what does not exist, as its caller believes: nothing to do, unless it does exist.
                (null, null) => Stored(change) is null,
            };
            if (!applied)
            {
                return new Outcome(Refused: true, Version: null, Stored: Stored(change));
            }

            if (change.Payload is null)
            {
                return new Outcome(Refused: false, Version: null, Stored: null);
            }

            next++;
            return new Outcome(Refused: false, Version: next, Stored: null);
        }

        private static bool Run(SqliteCommand command, Change change, long? next, byte[]? payload, long? version)
        {
            command.Parameters["$state"].Value = change.StateName;
            command.Parameters["$grain"].Value = change.GrainId;
            if (next is { } n)
            {
                command.Parameters["$next"].Value = n;
            }

            if (payload is not null)
            {
                command.Parameters["$payload"].Value = payload;
            }

            if (version is { } v)
            {
                command.Parameters["$version"].Value = v;
            }

            return command.ExecuteNonQuery() == 1;
        }

        private long? Stored(Change change)
        {
            _stored.Parameters["$state"].Value = change.StateName;
            _stored.Parameters["$grain"].Value = change.GrainId;
            return _stored.ExecuteScalar() is long version ? version : null;
        }

        private SqliteCommand Command(string sql, params string[] parameters)
        {
            var command = _connection.CreateCommand();
            command.CommandText = sql;
            foreach (var name in parameters)
            {
                command.Parameters.Add(new SqliteParameter { ParameterName = name, SqliteType = name == "$payload" ? SqliteType.Blob : name is "$state" or "$grain" ? SqliteType.Text : SqliteType.Integer });
            }

            return command;
        }
    }

    /// <summary>A read connection with its prepared statement; one reader at a time.</summary>
    private sealed class Reader : IDisposable
    {
        private readonly SqliteConnection _connection;
        private readonly SqliteCommand _read;

        public Reader(string connectionString)
        {
            _connection = new SqliteConnection(connectionString);
            _connection.Open();
            _read = _connection.CreateCommand();
            _read.CommandText = "SELECT version, payload FROM grain_state WHERE state_name = $state AND grain_id = $grain;";
            _read.Parameters.Add(new SqliteParameter { ParameterName = "$state", SqliteType = SqliteType.Text });
            _read.Parameters.Add(new SqliteParameter { ParameterName = "$grain", SqliteType = SqliteType.Text });
            _read.Prepare();
        }

        public (long Version, byte[] Payload)? Read(string stateName, string grainId)
        {
            _read.Parameters["$state"].Value = stateName;
            _read.Parameters["$grain"].Value = grainId;
            using var rows = _read.ExecuteReader();
            return rows.Read() ? (rows.GetInt64(0), rows.GetFieldValue<byte[]>(1)) : null;
        }

        public void Dispose()
        {
            _read.Dispose();
            _connection.Dispose();
        }
    }
}

/// <summary>What a <see cref="SqliteGrainStorage"/> writer has committed: transactions, changes, the largest transaction.</summary>
public readonly record struct SqliteWriteStatistics(long Batches, long Changes, int LargestBatch);
