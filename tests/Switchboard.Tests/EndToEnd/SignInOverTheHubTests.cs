using System.Net.Http.Json;
using Microsoft.AspNetCore.SignalR.Client;
using Switchboard.Agents;
using Switchboard.Conversations;
using Switchboard.Hubs;
using Switchboard.Queues;

namespace Switchboard.Tests.EndToEnd;

/// <summary>The product's sign-in over the agent hub: Away (the default of <c>Switchboard:SignInStatus</c>), then Online.</summary>
[Collection(SiloCollection.Name)]
public sealed class SignInOverTheHubTests(SiloFixture silo) : HubTests
{
    [Fact]
    public async Task AnAgentSignsInAwayIsRoutedNothingAndTakesTheWaitingChatOnceTheyChooseOnline()
    {
        var (agentId, skill) = silo.NewLane();
        var connection = silo.AgentConnection(agentId);
        var assignments = new Inbox<ConversationView>(connection, nameof(IAgentClient.ConversationAssigned));
        var agent = await StartOnlyAsync(connection);
        Assert.Equal(AgentPresence.Away, (await agent.InvokeAsync<AgentView>(nameof(AgentHub.GetProfile))).Presence);

        var started = (await silo.StartOverHttpAsync(new StartConversation("Ann", skill, "Where is order 1234?"))).Conversation;

        // The queue knows the agent, as not taking chats, and keeps the conversation waiting.
        var queue = (await silo.SupervisorHttp.GetFromJsonAsync<QueueView>($"/api/queues/{skill}", silo.Json))!;
        Assert.Contains(queue.Waiting, e => e.ConversationId == started.Id);
        Assert.False(Assert.Single(queue.Agents, a => a.AgentId == agentId).Accepting);
        Assert.Empty(await agent.InvokeAsync<ConversationView[]>(nameof(AgentHub.GetConversations)));

        Assert.Equal(AgentPresence.Online, (await agent.InvokeAsync<AgentView>(nameof(AgentHub.SetPresence), AgentPresence.Online)).Presence);
        Assert.Equal(started.Id, (await assignments.WaitAsync(c => c.Id == started.Id)).Id);
    }
}
