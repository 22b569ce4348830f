using System.Diagnostics;
using Switchboard.Conversations;
using Switchboard.IntegrationTests.Infrastructure;
using Xunit.Abstractions;

namespace Switchboard.IntegrationTests.Cluster;

[Collection(ClusterCollection.Name)]
public sealed class PostgresClusterTests(ITestOutputHelper output)
{
    [SkippableFact]
    public async Task AnAgentOnOneSiloGetsAConversationStartedThroughAnotherAndMessagesFlowBothWays()
    {
        await using var cluster = SiloCluster.OnPostgres("smoke", TestServers.Postgres, TestServers.Redis)
            .WithSkill("smoke")
            .WithAgent("smoke-agent", 2, "smoke");
        var clock = Stopwatch.StartNew();
        var silos = await cluster.StartAsync(3);
        output.WriteLine($"measured: 3 silos on PostgreSQL joined in {clock.Elapsed.TotalSeconds:F1} s");

        var started = await ChatSmoke.RunAsync(cluster, agentSilo: silos[0], customerSilo: silos[2], "smoke-agent", "smoke");

        // Stored in PostgreSQL: any silo reads the same conversation (as a supervisor; its customer's token opens it too).
        var id = started.Conversation.Id;
        var seen = await cluster.GetAsync<ConversationView>(silos[1], $"/api/conversations/{id}");
        using var asCustomer = new HttpRequestMessage(HttpMethod.Get, new Uri(silos[1].BaseAddress, $"/api/conversations/{id}"));
        asCustomer.Headers.Authorization = new("Bearer", started.CustomerToken);
        using var customerRead = await cluster.Http.SendAsync(asCustomer);
        Assert.Equal(System.Net.HttpStatusCode.OK, customerRead.StatusCode);
        Assert.Equal(ConversationStatus.Assigned, seen.Status);
        Assert.Equal(["Where is order 1234?", "Agent smoke-agent has joined the conversation.", "It left the depot today.", "Thank you!"],
            seen.Messages.Where(m => !m.Text.StartsWith("We have your question", StringComparison.Ordinal)).Select(m => m.Text));
    }
}
