using Npgsql;

namespace Switchboard.IntegrationTests.Infrastructure;

/// <summary>
/// Counts PostgreSQL's connections to the test database in the background (<c>pg_stat_activity</c>, every
/// <see cref="Interval"/>) and keeps the peaks: of the connections whose Application Name starts with a prefix (one
/// <see cref="SiloCluster"/>'s silos tag theirs <c>cluster id/silo name</c>), per silo, and of the whole database
/// (other tests' connections included). Sampled: a peak shorter than the interval can be missed, though pooled
/// connections stay open (idle) for minutes, so a silo's count rarely falls back between samples.
/// </summary>
public sealed class PostgresActivity : IAsyncDisposable
{
    private const string Query =
        "SELECT coalesce(application_name, ''), count(*)::int FROM pg_stat_activity "
        + "WHERE datname = current_database() AND pid <> pg_backend_pid() GROUP BY 1";

    private readonly Lock _lock = new();
    private readonly Dictionary<string, int> _peakByApplication = [];
    private readonly NpgsqlConnection _connection;
    private readonly string _prefix;
    private readonly CancellationTokenSource _stop = new();
    private Task _sampling = Task.CompletedTask;
    private int _peak;
    private int _databasePeak;
    private int _samples;

    private PostgresActivity(NpgsqlConnection connection, string prefix, TimeSpan interval)
    {
        _connection = connection;
        _prefix = prefix;
        Interval = interval;
    }

    public TimeSpan Interval { get; }

    /// <summary>PostgreSQL's <c>max_connections</c>.</summary>
    public int MaxConnections { get; private init; }

    /// <summary>The most connections with the prefix seen at once.</summary>
    public int Peak
    {
        get
        {
            lock (_lock)
            {
                return _peak;
            }
        }
    }

    /// <summary>The most connections to the database seen at once, whoever held them (this sampler's own excluded).</summary>
    public int DatabasePeak
    {
        get
        {
            lock (_lock)
            {
                return _databasePeak;
            }
        }
    }

    /// <summary>Each application's own peak (the prefix left off), for the applications with the prefix.</summary>
    public IReadOnlyDictionary<string, int> PeakByApplication
    {
        get
        {
            lock (_lock)
            {
                return new Dictionary<string, int>(_peakByApplication);
            }
        }
    }

    public int Samples
    {
        get
        {
            lock (_lock)
            {
                return _samples;
            }
        }
    }

    /// <summary>Samples the connections of <paramref name="cluster"/>'s silos (and the whole database).</summary>
    public static Task<PostgresActivity> StartAsync(SiloCluster cluster, TimeSpan? interval = null) =>
        StartAsync(cluster.Postgres ?? throw new InvalidOperationException("The cluster is not on PostgreSQL."), cluster.ApplicationPrefix, interval);

    /// <summary>Takes a first sample, then samples in the background until disposed or <see cref="StopAsync"/>.</summary>
    public static async Task<PostgresActivity> StartAsync(string postgres, string applicationPrefix, TimeSpan? interval = null)
    {
        // Its own connection, outside the test process's pool, named so that nobody counts it as theirs.
        var connectionString = new NpgsqlConnectionStringBuilder(postgres) { Pooling = false, ApplicationName = "switchboard-tests/activity" };
        var connection = new NpgsqlConnection(connectionString.ConnectionString);
        await connection.OpenAsync();
        int maxConnections;
        await using (var show = new NpgsqlCommand("SELECT current_setting('max_connections')::int", connection))
        {
            maxConnections = (int)(await show.ExecuteScalarAsync())!;
        }

        var activity = new PostgresActivity(connection, applicationPrefix, interval ?? TimeSpan.FromMilliseconds(100)) { MaxConnections = maxConnections };
        await activity.SampleAsync(CancellationToken.None);
        activity._sampling = Task.Run(() => activity.SampleUntilStoppedAsync(activity._stop.Token));
        return activity;
    }

    /// <summary>Stops sampling; throws what stopped it early, if anything did.</summary>
    public async Task StopAsync()
    {
        await _stop.CancelAsync();
        await _sampling;
    }

    /// <summary>One line for a test's output: the peak, per silo, the whole database and the server's limit.</summary>
    public string Describe()
    {
        var perSilo = string.Join(", ", PeakByApplication.OrderBy(p => p.Key, StringComparer.Ordinal).Select(p => $"{p.Key} {p.Value}"));
        return $"{Peak} ({perSilo}; whole database {DatabasePeak}, max_connections {MaxConnections}; {Samples} samples every {Interval.TotalMilliseconds:F0} ms)";
    }

    public async ValueTask DisposeAsync()
    {
        try
        {
            await StopAsync();
        }
        catch (Exception)
        {
            // Disposal follows a test's outcome; a sampler that failed there has nothing to add to it.
        }

        await _connection.DisposeAsync();
        _stop.Dispose();
    }

    private async Task SampleUntilStoppedAsync(CancellationToken stop)
    {
        using var timer = new PeriodicTimer(Interval);
        try
        {
            while (await timer.WaitForNextTickAsync(stop))
            {
                await SampleAsync(stop);
            }
        }
        catch (OperationCanceledException) when (stop.IsCancellationRequested)
        {
        }
    }

    private async Task SampleAsync(CancellationToken stop)
    {
        var counts = new Dictionary<string, int>();
        await using (var command = new NpgsqlCommand(Query, _connection))
        await using (var reader = await command.ExecuteReaderAsync(stop))
        {
            while (await reader.ReadAsync(stop))
            {
                counts[reader.GetString(0)] = reader.GetInt32(1);
            }
        }

        lock (_lock)
        {
            _samples++;
            _databasePeak = Math.Max(_databasePeak, counts.Values.Sum());
            var ours = counts.Where(c => c.Key.StartsWith(_prefix, StringComparison.Ordinal)).ToList();
            _peak = Math.Max(_peak, ours.Sum(c => c.Value));
            foreach (var (application, count) in ours)
            {
                var name = application[_prefix.Length..];
                _peakByApplication[name] = Math.Max(_peakByApplication.GetValueOrDefault(name), count);
            }
        }
    }
}
