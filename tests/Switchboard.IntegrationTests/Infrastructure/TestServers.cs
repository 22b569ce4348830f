namespace Switchboard.IntegrationTests.Infrastructure;

/// <summary>
/// The PostgreSQL and Redis servers a test may need. scripts/test.sh starts them (scripts/services.sh) and names them
/// in the environment; without them a test skips and says why, except under CI=true, where a missing server fails it.
/// </summary>
public static class TestServers
{
    public const string PostgresVariable = "SWITCHBOARD_TEST_POSTGRES";
    public const string RedisVariable = "SWITCHBOARD_TEST_REDIS";

    /// <summary>An Npgsql connection string to a database with deploy/postgres/*.sql applied.</summary>
    public static string Postgres => Require(PostgresVariable, "PostgreSQL");

    /// <summary>A StackExchange.Redis configuration string.</summary>
    public static string Redis => Require(RedisVariable, "Redis");

    public static bool IsCi => string.Equals(Environment.GetEnvironmentVariable("CI"), "true", StringComparison.OrdinalIgnoreCase);

    /// <summary>Skips (or, on CI, fails) unless <paramref name="available"/>.</summary>
    public static void Require(bool available, string reason)
    {
        if (available)
        {
            return;
        }

        if (IsCi)
        {
            throw new InvalidOperationException($"{reason} CI=true, so this is a failure, not a skip.");
        }

        throw new SkipException(reason);
    }

    private static string Require(string variable, string server)
    {
        var value = Environment.GetEnvironmentVariable(variable);
        Require(!string.IsNullOrWhiteSpace(value), $"{server} is not available: {variable} is not set (scripts/test.sh starts one with scripts/services.sh).");
        return value!;
    }
}
