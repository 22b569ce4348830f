using System.Data.Common;
using System.Diagnostics;
using System.Net.Sockets;
using Microsoft.Extensions.Options;
using Npgsql;

namespace Switchboard.Hosting;

/// <summary>How a silo waits at start for the PostgreSQL its Orleans providers use, bound from <c>Switchboard:Cluster</c>.</summary>
public sealed class ClusterStartupOptions
{
    public const string Section = "Switchboard:Cluster";

    /// <summary>How long a silo keeps trying to reach PostgreSQL at start before it exits with the reason.</summary>
    public TimeSpan StartupRetryFor { get; set; } = TimeSpan.FromMinutes(2);
}

/// <summary>
/// Before anything else starts (Orleans, Kestrel), opens one connection through each PostgreSQL connection string an
/// Orleans ADO.NET provider is configured with, and checks the project's schema is there. Orleans' own start gives a
/// silo one try: a refused connection fails the membership table's initialisation and the process aborts with a stack
/// trace. Here every failure is logged with its reason (refused, too many connections, wrong password, ...) and tried
/// again, with backoff, for <see cref="ClusterStartupOptions.StartupRetryFor"/>; then the silo exits with
/// <see cref="PostgresUnreachableException.ExitCode"/>. The connection comes from, and returns to, the pool Orleans uses.
/// </summary>
internal sealed class PostgresStartupCheck(
    IConfiguration configuration,
    IOptions<ClusterStartupOptions> options,
    ILogger<PostgresStartupCheck> logger) : IHostedLifecycleService
{
    // At most 5 s: short enough that a silo joins within seconds of PostgreSQL coming back, long enough not to add to a
    // crowd of clients PostgreSQL is already refusing.
    private static readonly Backoff Retry = new(TimeSpan.FromMilliseconds(500), TimeSpan.FromSeconds(5));

    // Npgsql's own: a connection string without Maximum Pool Size may open this many connections per process.
    private const int NpgsqlDefaultPoolSize = 100;

    /// <summary>
    /// The PostgreSQL connection strings the configured Orleans ADO.NET providers (clustering, grain storage,
    /// reminders) and the project's Postgres grain storage will use, by connection name; the same rules Orleans
    /// applies to its <c>Orleans</c> section.
    /// </summary>
    public static IReadOnlyDictionary<string, string> PostgresConnections(IConfiguration configuration)
    {
        var orleans = configuration.GetSection("Orleans");
        var providers = new[] { orleans.GetSection("Clustering"), orleans.GetSection("Reminders") }
            .Concat(orleans.GetSection("GrainStorage").GetChildren());
        var found = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var provider in providers)
        {
            var invariant = provider["Invariant"] ?? provider["ProviderType"] switch
            {
                "PostgresDatabase" or "AzurePostgresFlexibleServerDatabase" => "Npgsql",
                // The project's own grain storage (Hosting/Postgres): Npgsql without an Invariant.
                Postgres.PostgresGrainStorageOptions.ProviderType => "Npgsql",
                _ => null,
            };
            if (provider["ProviderType"] is null || invariant != "Npgsql")
            {
                continue;
            }

            if (!string.IsNullOrWhiteSpace(provider["ConnectionString"]))
            {
                found.TryAdd($"{provider.Path}:ConnectionString", provider["ConnectionString"]!);
            }
            else if (provider["ConnectionName"] is { } name && configuration.GetConnectionString(name) is { Length: > 0 } connectionString)
            {
                found.TryAdd($"ConnectionStrings:{name}", connectionString);
            }
        }

        return found;
    }

    public async Task StartingAsync(CancellationToken cancellationToken)
    {
        foreach (var (name, connectionString) in PostgresConnections(configuration))
        {
            await WaitUntilReachableAsync(name, connectionString, cancellationToken);
        }
    }

    public Task StartAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    public Task StartedAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    public Task StoppingAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    public Task StoppedAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    private async Task WaitUntilReachableAsync(string name, string connectionString, CancellationToken stopping)
    {
        var target = new NpgsqlConnectionStringBuilder(connectionString);
        var described = $"{name}: {target.Host}:{target.Port}, database {target.Database}, user {target.Username}";
        if (!SetsPoolSize(connectionString))
        {
            logger.LogWarning(
                "{Connection} sets no Maximum Pool Size, so this silo may open up to {Pool} connections (Npgsql's default), as many as PostgreSQL allows by default: add Maximum Pool Size (README, Run a cluster)",
                name, NpgsqlDefaultPoolSize);
        }

        var retryFor = options.Value.StartupRetryFor;
        var clock = Stopwatch.StartNew();
        for (var attempt = 1; ; attempt++)
        {
            // The attempt may not outlast the retry time (Npgsql's Timeout alone would let it run on for 15 s).
            using var deadline = CancellationTokenSource.CreateLinkedTokenSource(stopping);
            deadline.CancelAfter(Max(retryFor - clock.Elapsed, TimeSpan.FromSeconds(1)));
            var (reason, server) = await TryOnceAsync(connectionString, target, deadline.Token, stopping);
            if (reason is null)
            {
                logger.LogInformation(
                    "PostgreSQL ({Connection}) answers{After}: max_connections {MaxConnections}, {InUse} in use; this silo may open up to {Pool} (Maximum Pool Size), waiting up to {Timeout} s for one when all are busy (Timeout)",
                    described,
                    attempt == 1 ? "" : $" after {attempt} attempts in {clock.Elapsed.TotalSeconds:F1} s",
                    server.MaxConnections,
                    server.InUse,
                    target.MaxPoolSize,
                    target.Timeout);
                return;
            }

            var left = retryFor - clock.Elapsed;
            if (left <= TimeSpan.Zero)
            {
                var message = $"This silo could not use PostgreSQL ({described}) within {retryFor} (Switchboard:Cluster:StartupRetryFor), "
                    + $"{attempt} attempts: {reason}. It exits with code {PostgresUnreachableException.ExitCode} without joining the cluster.";
                logger.LogCritical("{Message}", message);
                throw new PostgresUnreachableException(message);
            }

            var wait = Min(Retry.After(attempt - 1), left);
            logger.LogWarning(
                "This silo cannot use PostgreSQL ({Connection}) yet: {Reason}. Attempt {Attempt}; trying again in {Delay:F1} s, for {Left:F0} s more (Switchboard:Cluster:StartupRetryFor {RetryFor})",
                described, reason, attempt, wait.TotalSeconds, left.TotalSeconds, retryFor);
            await Task.Delay(wait, stopping);
        }
    }

    /// <summary>One connection and one query: null and what the server says, or why it failed.</summary>
    private static async Task<(string? Reason, (int MaxConnections, long InUse) Server)> TryOnceAsync(
        string connectionString, NpgsqlConnectionStringBuilder target, CancellationToken deadline, CancellationToken stopping)
    {
        try
        {
            await using var connection = new NpgsqlConnection(connectionString);
            await connection.OpenAsync(deadline);
            await using var command = new NpgsqlCommand(
                "SELECT current_setting('max_connections')::int, (SELECT count(*) FROM pg_stat_activity WHERE datname = current_database()), to_regclass('orleansquery') IS NOT NULL",
                connection);
            await using var reader = await command.ExecuteReaderAsync(deadline);
            await reader.ReadAsync(deadline);
            if (!reader.GetBoolean(2))
            {
                return ($"PostgreSQL answers, but database {target.Database} has no Orleans schema (table orleansquery): apply deploy/postgres/*.sql (scripts/services.sh start does)", default);
            }

            return (null, (reader.GetInt32(0), reader.GetInt64(1)));
        }
        catch (OperationCanceledException) when (!stopping.IsCancellationRequested)
        {
            return ("no answer before the retry time ran out", default);
        }
        catch (Exception failure) when (failure is DbException or SocketException or TimeoutException)
        {
            return (Explain(failure, target), default);
        }
    }

    /// <summary>The reason in an operator's words, with PostgreSQL's own code and text.</summary>
    internal static string Explain(Exception failure, NpgsqlConnectionStringBuilder target) => failure switch
    {
        PostgresException { SqlState: PostgresErrorCodes.TooManyConnections } e =>
            $"too many connections ({e.SqlState}: {e.MessageText}); PostgreSQL's max_connections (or a role's or database's connection limit) is used up: every silo may hold up to its Maximum Pool Size ({target.MaxPoolSize} here), so silos × pool must stay below it",
        PostgresException { SqlState: PostgresErrorCodes.InvalidPassword } e =>
            $"wrong password for user {target.Username} ({e.SqlState}: {e.MessageText}); check the connection string's Password",
        PostgresException { SqlState: PostgresErrorCodes.InvalidAuthorizationSpecification } e =>
            $"user {target.Username} may not connect ({e.SqlState}: {e.MessageText})",
        PostgresException { SqlState: PostgresErrorCodes.InvalidCatalogName } e =>
            $"database {target.Database} does not exist ({e.SqlState}: {e.MessageText})",
        PostgresException { SqlState: PostgresErrorCodes.CannotConnectNow } e =>
            $"PostgreSQL is starting up or shutting down ({e.SqlState}: {e.MessageText})",
        PostgresException e => $"{e.SqlState}: {e.MessageText}",
        _ when Find<SocketException>(failure) is { SocketErrorCode: SocketError.ConnectionRefused } =>
            $"connection refused: nothing listens on {target.Host}:{target.Port} (PostgreSQL down, or another port)",
        _ when Find<SocketException>(failure) is { } socket => $"{target.Host}:{target.Port}: {socket.Message} ({socket.SocketErrorCode})",
        _ when Find<TimeoutException>(failure) is not null =>
            $"no answer from {target.Host}:{target.Port} within {target.Timeout} s (the connection string's Timeout)",
        _ => failure.Message,
    };

    private static T? Find<T>(Exception? failure)
        where T : Exception
    {
        for (; failure is not null; failure = failure.InnerException)
        {
            if (failure is T found)
            {
                return found;
            }
        }

        return null;
    }

    /// <summary>Whether the connection string names a pool size (under any of Npgsql's spellings).</summary>
    private static bool SetsPoolSize(string connectionString)
    {
        var keys = new DbConnectionStringBuilder { ConnectionString = connectionString };
        return new[] { "Maximum Pool Size", "Max Pool Size", "MaxPoolSize" }.Any(keys.ContainsKey);
    }

    private static TimeSpan Min(TimeSpan a, TimeSpan b) => a < b ? a : b;

    private static TimeSpan Max(TimeSpan a, TimeSpan b) => a > b ? a : b;
}

/// <summary>The silo gave up waiting for PostgreSQL at start; the message says why (it has been logged).</summary>
public sealed class PostgresUnreachableException(string message) : Exception(message)
{
    /// <summary>The process exit code, like the load-test tool's for a target it cannot reach.</summary>
    public const int ExitCode = 3;
}

public static class StartupHosting
{
    /// <summary>
    /// Runs until the process is stopped; returns the exit code. A silo that gave up waiting for PostgreSQL at start
    /// exits with <see cref="PostgresUnreachableException.ExitCode"/> (the reason is logged), and one stopped while
    /// starting with 0, rather than aborting on an unhandled exception.
    /// </summary>
    public static int RunSwitchboard(this WebApplication app)
    {
        // Taken before Run: a host that failed to start is disposed, and its services with it.
        var stopping = app.Lifetime.ApplicationStopping;
        try
        {
            app.Run();
            return 0;
        }
        catch (PostgresUnreachableException)
        {
            return PostgresUnreachableException.ExitCode;
        }
        catch (OperationCanceledException) when (stopping.IsCancellationRequested)
        {
            // Stopped (SIGTERM) while still starting, for example while waiting for PostgreSQL: what was asked.
            return 0;
        }
    }

    /// <summary>
    /// Waits for PostgreSQL before the silo starts, when an Orleans provider uses it (nothing on embedded defaults).
    /// </summary>
    public static IServiceCollection AddPostgresStartupCheck(this IServiceCollection services)
    {
        services.AddOptions<ClusterStartupOptions>()
            .BindConfiguration(ClusterStartupOptions.Section)
            .Validate(o => o.StartupRetryFor >= TimeSpan.Zero, $"{ClusterStartupOptions.Section}:StartupRetryFor must not be negative.")
            .ValidateOnStart();
        services.AddHostedService<PostgresStartupCheck>();
        return services;
    }
}
