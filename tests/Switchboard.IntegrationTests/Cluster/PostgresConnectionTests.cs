using System.Diagnostics;
using Npgsql;
using Switchboard.IntegrationTests.Infrastructure;
using Xunit.Abstractions;

namespace Switchboard.IntegrationTests.Cluster;

/// <summary>
/// Silos and PostgreSQL's connections: a silo PostgreSQL turns away at start says why and tries again (or, past its
/// retry time, exits with the reason), and silos stay within their bounded pools.
/// </summary>
[Collection(ClusterCollection.Name)]
public sealed class PostgresConnectionTests(ITestOutputHelper output)
{
    private const string Retrying = "cannot use PostgreSQL";
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(60);

    [SkippableFact]
    public async Task ASiloPostgresTurnsAwaySaysWhyKeepsTryingAndJoinsOnceLetIn()
    {
        await using var gate = PostgresGate.Closed(TestServers.Postgres);
        await using var cluster = SiloCluster.OnPostgres("pgwait", gate.ConnectionString, TestServers.Redis);
        try
        {
            var silo = cluster.Launch();
            var refused = await silo.WaitForLogAsync(l => l.Contains(Retrying) && l.Contains("connection refused"), Patience);
            output.WriteLine(refused);

            gate.Refuse();
            var full = await silo.WaitForLogAsync(l => l.Contains(Retrying) && l.Contains("53300"), Patience);
            output.WriteLine(full);
            Assert.Contains("too many connections", full);
            Assert.Contains($"Maximum Pool Size ({SiloCluster.PoolSize} here)", full);

            var letIn = Stopwatch.StartNew();
            gate.Open();
            await silo.WaitUntilReadyAsync(SiloCluster.StartTimeout);
            var answered = await silo.WaitForLogAsync(l => l.Contains("PostgreSQL") && l.Contains("answers after"), Patience);
            output.WriteLine(answered);
            output.WriteLine($"measured: a silo PostgreSQL turned away (refused, then 53300) joined {letIn.Elapsed.TotalSeconds:F1} s after it was let in "
                + $"({silo.RecentLog.Split(Environment.NewLine).Count(l => l.Contains(Retrying))} refused attempts before)");
            Assert.Equal(3, await cluster.MembershipStatusAsync(silo));
        }
        catch
        {
            output.WriteLine(cluster.Logs());
            throw;
        }
    }

    [SkippableFact]
    public async Task ASiloWithAWrongPasswordExitsWithTheReasonAfterItsRetryTime()
    {
        var wrongPassword = new NpgsqlConnectionStringBuilder(TestServers.Postgres) { Password = "not-the-password" }.ConnectionString;
        await using var cluster = SiloCluster.OnPostgres("pgpassword", wrongPassword, TestServers.Redis)
            .With("Switchboard__Cluster__StartupRetryFor", "00:00:03");
        try
        {
            var clock = Stopwatch.StartNew();
            var silo = cluster.Launch();
            var exitCode = await silo.WaitForExitAsync(Patience);
            var log = silo.RecentLog.Split(Environment.NewLine);
            var attempts = log.Where(l => l.Contains(Retrying)).ToList();
            var gaveUp = Assert.Single(log, l => l.Contains("crit: ") && l.Contains("could not use PostgreSQL"));
            output.WriteLine(gaveUp);
            output.WriteLine($"measured: a silo with a wrong PostgreSQL password exited with code {exitCode} {clock.Elapsed.TotalSeconds:F1} s after it was started, "
                + $"{attempts.Count + 1} attempts (StartupRetryFor 3 s)");

            Assert.Equal(3, exitCode);
            Assert.True(attempts.Count >= 2, $"The silo tried {attempts.Count + 1} times in 3 s.");
            Assert.All(attempts, a => Assert.Contains("wrong password for user switchboard (28P01", a));
            Assert.Contains("28P01", gaveUp);
            Assert.Contains("exits with code 3", gaveUp);
        }
        catch
        {
            output.WriteLine(cluster.Logs());
            throw;
        }
    }

    [SkippableFact]
    public async Task ThreeSilosStartAndServeAChatWithinTheirBoundedPools()
    {
        await using var cluster = SiloCluster.OnPostgres("pgpool", TestServers.Postgres, TestServers.Redis)
            .WithSkill("smoke")
            .WithAgent("smoke-agent", 2, "smoke");
        await using var activity = await PostgresActivity.StartAsync(cluster);
        try
        {
            var silos = await cluster.StartAsync(3);
            await ChatSmoke.RunAsync(cluster, agentSilo: silos[0], customerSilo: silos[2], "smoke-agent", "smoke");
            await activity.StopAsync();
            output.WriteLine($"measured: PostgreSQL peak connections {activity.Peak} for a 3-silo cluster start and one chat: {activity.Describe()}");

            foreach (var silo in silos)
            {
                await silo.WaitForLogAsync(l => l.Contains($"this silo may open up to {SiloCluster.PoolSize} (Maximum Pool Size)"), Patience);
            }

            Assert.Equal(silos.Select(s => s.Name).Order(), activity.PeakByApplication.Keys.Order());
            Assert.All(activity.PeakByApplication.Values, peak => Assert.InRange(peak, 1, SiloCluster.PoolSize));
            Assert.True(activity.DatabasePeak < activity.MaxConnections, activity.Describe());
        }
        catch
        {
            output.WriteLine(cluster.Logs());
            throw;
        }
    }
}
