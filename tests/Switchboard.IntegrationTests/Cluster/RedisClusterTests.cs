using System.Diagnostics;
using Switchboard.IntegrationTests.Infrastructure;
using Xunit.Abstractions;

namespace Switchboard.IntegrationTests.Cluster;

/// <summary>The alternative membership: Orleans clustering on Redis (grain state in memory, as nothing is killed here).</summary>
[Collection(ClusterCollection.Name)]
public sealed class RedisClusterTests(ITestOutputHelper output)
{
    [SkippableFact]
    public async Task SilosOnRedisClusteringRouteAConversationAcrossSilosAndCarryItsMessages()
    {
        await using var cluster = SiloCluster.OnRedis("redis", TestServers.Redis)
            .WithSkill("smoke")
            .WithAgent("smoke-agent", 2, "smoke");
        var clock = Stopwatch.StartNew();
        var silos = await cluster.StartAsync(2);
        output.WriteLine($"measured: 2 silos on Redis clustering joined in {clock.Elapsed.TotalSeconds:F1} s");

        await ChatSmoke.RunAsync(cluster, agentSilo: silos[0], customerSilo: silos[1], "smoke-agent", "smoke");
    }
}
