using System.Collections.Immutable;
using Switchboard.Agents;
using Switchboard.Conversations;
using Switchboard.Customers;

namespace Switchboard.Tests.Cluster;

/// <summary>A customer's history lives in grain storage, so a silo going away takes none of it (storage shared by all silos).</summary>
[Collection(CrashClusterCollection.Name)]
public sealed class CustomerHistoryRestartTests(CrashClusterFixture fixture)
{
    [Fact]
    public async Task HistoryIsShownOnAssignmentAfterTheSiloThatHeldTheCustomerStopped()
    {
        await fixture.EnsureAllSilosAsync();
        var (victim, other) = (fixture.Cluster.Silos[1], fixture.Cluster.Silos[2]);
        var skill = fixture.NewSkill();
        var agent = fixture.Grains.GetGrain<IAgentGrain>($"agent-{Guid.NewGuid():N}");
        await CrashClusterFixture.OnSiloAsync(other, async () =>
        {
            await agent.ConfigureAsync(new AgentProfile("Test Agent", ImmutableDictionary<string, int>.Empty.Add(skill, 3), 2));
            return await agent.ConnectAsync(ClusterFixture.ConnectionOf(agent));
        });
        await using var hub = new HubHeartbeat(CrashClusterFixture.PresenceRefreshPeriod);
        hub.Keep(agent);

        var customerId = CustomerIds.NewWeb();
        var customer = fixture.Grains.GetGrain<ICustomerGrain>(customerId);
        var context = ImmutableDictionary<string, string>.Empty.Add("order", "77");
        // The customer, the conversation and the queue are placed on the silo that will stop.
        var first = (await CrashClusterFixture.OnSiloAsync(victim, () => customer.StartAsync(
            new StartConversation("Ann", skill, "Where is order 77?", Context: context), NewId()))).Conversation;
        Assert.Equal(victim.SiloAddress, fixture.HostOf(customer));
        var conversation = fixture.Grains.GetGrain<IConversationGrain>(first.Id);
        var (agentId, _) = await fixture.Notifier.WaitForAssignmentAsync(first.Id);
        await conversation.PostAgentMessageAsync(agentId, "It left the warehouse today.");
        await conversation.ResolveAsync(agentId);
        await conversation.RateAsync(5, "Quick");

        await fixture.Cluster.StopSiloAsync(victim);

        var second = (await customer.StartAsync(new StartConversation("Ann", skill, "It has not arrived yet"), NewId())).Conversation;
        var (_, assigned) = await fixture.Notifier.WaitForAssignmentAsync(second.Id);
        var past = Assert.Single(assigned.History);
        Assert.Equal(first.Id, past.Id);
        Assert.Equal("resolved", past.Outcome);
        Assert.Equal(agentId, past.ResolvedBy);
        Assert.Equal(5, past.Rating);
        Assert.Equal("It left the warehouse today.", past.LastMessage);
        var remembered = await customer.GetAsync();
        Assert.Equal(["77"], remembered!.Profile.Orders.AsEnumerable());
        Assert.Equal([second.Id, first.Id], remembered.Conversations.Select(c => c.Id));
        await fixture.AssertInvariantsAsync([agent], [first.Id, second.Id], skill);

        await fixture.EnsureAllSilosAsync();
    }

    private static string NewId() => Guid.NewGuid().ToString("N");
}
