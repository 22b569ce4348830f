using System.Diagnostics;
using Microsoft.AspNetCore.SignalR.Client;
using Microsoft.Extensions.DependencyInjection;
using Switchboard.Agents;
using Switchboard.Conversations;
using Switchboard.Hubs;
using Switchboard.IntegrationTests.Infrastructure;
using Xunit.Abstractions;

namespace Switchboard.IntegrationTests.Cluster;

/// <summary>
/// Presence belongs to the connections: when the silo that held an agent's grain stops (SIGTERM) or dies (SIGKILL),
/// an agent whose connection is on another silo must not look offline, and must get work at once.
/// </summary>
[Collection(ClusterCollection.Name)]
public sealed class PresenceTests(ITestOutputHelper output)
{
    private const int AgentCount = 9;
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(30);

    [SkippableTheory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task AgentsConnectedToSurvivingSilosStayOnlineAndGetWorkWhenTheSiloHoldingTheirGrainsGoes(bool kill)
    {
        var skill = kill ? "presence-kill" : "presence-stop";
        await using var cluster = SiloCluster.OnPostgres(kill ? "pkill" : "pstop", TestServers.Postgres, TestServers.Redis).WithSkill(skill);
        var agentIds = Enumerable.Range(0, AgentCount).Select(i => $"{skill}-agent-{i}").ToArray();
        foreach (var agentId in agentIds)
        {
            cluster.WithAgent(agentId, 1, skill);
        }

        var silos = await cluster.StartAsync(3);
        var agents = new Dictionary<string, (HubConnection Connection, Inbox<ConversationView> Assigned, SiloProcess Silo)>();
        try
        {
            for (var i = 0; i < AgentCount; i++)
            {
                var silo = silos[i % silos.Count];
                var connection = new HubConnectionBuilder()
                    .WithUrl(new Uri(silo.BaseAddress, AgentHub.Path), o => o.AccessTokenProvider = () => Task.FromResult<string?>(cluster.AgentToken(agentIds[i])))
                    .AddJsonProtocol(o => Hosting.SwitchboardHosting.ConfigureJson(o.PayloadSerializerOptions))
                    .Build();
                var assigned = new Inbox<ConversationView>();
                connection.On<ConversationView>(nameof(IAgentClient.ConversationAssigned), assigned.Add);
                await connection.StartAsync();
                agents[agentIds[i]] = (connection, assigned, silo);
            }

            // The silo that hosts the most agent grains goes; the agents connected to it are not the point here.
            await using var client = await cluster.ConnectClientAsync();
            var hosts = await client.Grains.GetGrain<IManagementGrain>(0).GetDetailedGrainStatistics();
            var victim = silos.OrderByDescending(s => hosts.Count(h => h.SiloAddress.Endpoint.Port == s.SiloPort && h.GrainType.Contains(nameof(AgentGrain), StringComparison.Ordinal))).First();
            var staying = agents.Where(a => a.Value.Silo != victim).Select(a => a.Key).ToList();
            var grainsThere = hosts.Count(h => h.SiloAddress.Endpoint.Port == victim.SiloPort && h.GrainType.Contains(nameof(AgentGrain), StringComparison.Ordinal));
            var clock = Stopwatch.StartNew();
            if (kill)
            {
                await victim.KillAsync();
            }
            else
            {
                await victim.StopAsync(Patience);
            }

            output.WriteLine($"{victim.Name} {(kill ? "killed" : "stopped")} with {grainsThere} agent grains in {clock.Elapsed.TotalSeconds:F1} s; "
                + $"{staying.Count} agents are connected to the other silos");

            // Read right away (after a kill, once the cluster knows: the read waits for that): every agent connected to
            // a silo that stays is online.
            var survivor = cluster.Running.First();
            var offline = new List<string>();
            foreach (var agentId in staying)
            {
                var view = await ReadAsync<AgentView>(cluster, survivor, $"/api/agents/{agentId}");
                if (view.Presence != AgentPresence.Online)
                {
                    offline.Add($"{agentId} ({view.Presence})");
                }
            }

            var readAfter = clock.Elapsed;
            Assert.True(offline.Count == 0, $"Connected agents read as not online after the {(kill ? "kill" : "stop")}: {string.Join(", ", offline)}");

            // And they get work: one conversation each, each assigned at once (capacity 1: one per agent).
            var started = new List<StartedConversation>();
            foreach (var _ in staying)
            {
                started.Add(await StartAsync(cluster, survivor, new StartConversation("Ann", skill, "Hello?")));
            }

            var gotWork = await Task.WhenAll(staying.Select(a => agents[a].Assigned.WaitAsync(c => started.Any(s => s.Conversation.Id == c.Id), Patience)));
            output.WriteLine($"measured: after the {(kill ? "kill" : "graceful stop")} of the silo holding {grainsThere} agent grains, all {staying.Count} agents "
                + $"connected elsewhere read online {readAfter.TotalSeconds:F1} s after it and each got a conversation {clock.Elapsed.TotalSeconds:F1} s after it");
            Assert.Equal(staying.Count, gotWork.Select(c => c.Id).Distinct().Count());
        }
        catch
        {
            output.WriteLine(cluster.Logs());
            throw;
        }
        finally
        {
            await Task.WhenAll(agents.Values.Select(a => a.Connection.DisposeAsync().AsTask()));
        }
    }

    /// <summary>A read that waits out the moments a killed silo is not yet declared dead (the silo answers 503 then).</summary>
    private static async Task<T> ReadAsync<T>(SiloCluster cluster, SiloProcess silo, string path)
    {
        var clock = Stopwatch.StartNew();
        while (true)
        {
            try
            {
                return await cluster.GetAsync<T>(silo, path);
            }
            catch (HttpRequestException ex) when (ex.StatusCode == System.Net.HttpStatusCode.ServiceUnavailable && clock.Elapsed < Patience)
            {
                await Task.Delay(TimeSpan.FromMilliseconds(200));
            }
        }
    }

    private static async Task<StartedConversation> StartAsync(SiloCluster cluster, SiloProcess silo, StartConversation start)
    {
        // A customer: no token.
        using var anonymous = new HttpClient();
        using var response = await anonymous.PostAsync(
            new Uri(silo.BaseAddress, "/api/conversations"),
            System.Net.Http.Json.JsonContent.Create(start, options: cluster.Json));
        response.EnsureSuccessStatusCode();
        return (await System.Net.Http.Json.HttpContentJsonExtensions.ReadFromJsonAsync<StartedConversation>(response.Content, cluster.Json))!;
    }
}
