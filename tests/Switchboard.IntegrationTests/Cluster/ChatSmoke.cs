using Switchboard.Conversations;
using Switchboard.Hubs;
using Switchboard.IntegrationTests.Infrastructure;

namespace Switchboard.IntegrationTests.Cluster;

/// <summary>Start, route, message: one conversation across two different silos of a running cluster.</summary>
internal static class ChatSmoke
{
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(30);

    /// <summary>
    /// The agent connects to <paramref name="agentSilo"/>, the customer to <paramref name="customerSilo"/>. The
    /// conversation grain lives on one silo, so at least one of the two sides hears its pushes from another silo: both
    /// hearing them proves the backplane carries pushes across silos. Returns the conversation as started, with the
    /// customer's token for it.
    /// </summary>
    public static async Task<StartedConversation> RunAsync(SiloCluster cluster, SiloProcess agentSilo, SiloProcess customerSilo, string agentId, string skill)
    {
        Assert.NotEqual(agentSilo.BaseAddress, customerSilo.BaseAddress);
        await using var agent = HubClient.ForAgent(cluster.AgentToken(agentId), () => agentSilo.BaseAddress);
        var assigned = agent.Inbox<ConversationView>(nameof(IAgentClient.ConversationAssigned));
        var agentHears = agent.Inbox<MessagePosted>(nameof(IAgentClient.MessagePosted));
        await agent.ConnectAsync();

        await using var customer = HubClient.ForCustomer(() => customerSilo.BaseAddress);
        var customerHears = customer.Inbox<MessagePosted>(nameof(ICustomerClient.MessagePosted));
        await customer.ConnectAsync();

        var start = await customer.CallAsync<StartedConversation>(
            nameof(CustomerHub.StartConversation), [new StartConversation("Ann", skill, "Where is order 1234?")], Patience);
        var started = start.Conversation;
        var offered = await assigned.WaitAsync(c => c.Id == started.Id, Patience);
        Assert.Equal(agentId, offered.AgentId);
        Assert.Equal("Where is order 1234?", offered.Messages[0].Text);

        var reply = await agent.CallAsync<ChatMessage>(nameof(AgentHub.SendMessage), [started.Id, "It left the depot today."], Patience);
        var heard = await customerHears.WaitAsync(m => m.ConversationId == started.Id && m.Message.Sequence == reply.Sequence, Patience);
        Assert.Equal("It left the depot today.", heard.Message.Text);

        var thanks = await customer.CallAsync<ChatMessage>(nameof(CustomerHub.SendMessage), [started.Id, "Thank you!"], Patience);
        var agentHeard = await agentHears.WaitAsync(m => m.ConversationId == started.Id && m.Message.Sequence == thanks.Sequence, Patience);
        Assert.Equal("Thank you!", agentHeard.Message.Text);
        return start;
    }
}
