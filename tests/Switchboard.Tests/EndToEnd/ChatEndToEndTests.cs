using System.Diagnostics;
using System.Net;
using System.Net.Http.Json;
using Microsoft.AspNetCore.SignalR.Client;
using Switchboard.Agents;
using Switchboard.Conversations;
using Switchboard.Hubs;
using Xunit.Abstractions;

namespace Switchboard.Tests.EndToEnd;

[Collection(SiloCollection.Name)]
public sealed class ChatEndToEndTests(SiloFixture silo, ITestOutputHelper output) : HubTests
{
    [Fact]
    public async Task AChatStartedOverSignalRIsRoutedAnsweredAndResolved()
    {
        var (agentId, skill) = silo.NewLane();
        var (agent, assignments, agentMessages, agentClosures) = await ConnectAgentAsync(agentId);
        var customer = await ConnectAsync(silo.CustomerConnection());
        var customerMessages = new Inbox<MessagePosted>(customer, nameof(IAgentClient.MessagePosted));
        var customerClosures = new Inbox<ConversationClosed>(customer, nameof(IAgentClient.ConversationClosed));

        var clock = Stopwatch.StartNew();
        var session = await customer.InvokeAsync<StartedConversation>(
            nameof(CustomerHub.StartConversation), new StartConversation("Ann Smith", skill, "Where is order 1234?"));
        var started = session.Conversation;
        var assigned = await assignments.WaitAsync(c => c.Id == started.Id);
        output.WriteLine($"Assignment latency over SignalR (start invoked -> agent has it): {clock.Elapsed.TotalMilliseconds:F2} ms");

        Assert.Equal(ConversationStatus.Waiting, started.Status);
        Assert.Equal(agentId, assigned.AgentId);
        Assert.Equal("Where is order 1234?", assigned.Messages[0].Text);
        Assert.Equal("Ann Smith", assigned.CustomerName);

        var reply = await agent.InvokeAsync<ChatMessage>(nameof(AgentHub.SendMessage), started.Id, "It ships tomorrow.");
        var heard = await customerMessages.WaitAsync(m => m.Message.Sequence == reply.Sequence);
        Assert.Equal(MessageAuthor.Agent, heard.Message.From);
        Assert.Equal("It ships tomorrow.", heard.Message.Text);
        await customerMessages.WaitAsync(m => m.Message.From == MessageAuthor.System && m.Message.Text.Contains("has joined"));

        var thanks = await customer.InvokeAsync<ChatMessage>(nameof(CustomerHub.SendMessage), started.Id, "Thanks!");
        Assert.Equal("Thanks!", (await agentMessages.WaitAsync(m => m.Message.Sequence == thanks.Sequence)).Message.Text);

        await agent.InvokeAsync(nameof(AgentHub.Resolve), started.Id);
        Assert.Equal(agentId, (await customerClosures.WaitAsync(c => c.ConversationId == started.Id)).ResolvedBy);
        await customerMessages.WaitAsync(m => m.Message.From == MessageAuthor.System && m.Message.Text.Contains("resolved"));
        await agentClosures.WaitAsync(c => c.ConversationId == started.Id);

        var final = await customer.InvokeAsync<ConversationView>(nameof(CustomerHub.JoinConversation), started.Id, session.CustomerToken);
        Assert.Equal(ConversationStatus.Resolved, final.Status);
        var profile = await agent.InvokeAsync<AgentView>(nameof(AgentHub.GetProfile));
        Assert.Empty(profile.Conversations);
    }

    [Fact]
    public async Task AChatStartedOverHttpReachesTheAgentAndTheReplyIsStored()
    {
        var (agentId, skill) = silo.NewLane();
        var (agent, assignments, agentMessages, _) = await ConnectAgentAsync(agentId);

        var response = await silo.Http.PostAsJsonAsync(
            "/api/conversations", new StartConversation("Bo", skill, "My parcel is late", Vip: true), silo.Json);
        Assert.Equal(HttpStatusCode.Created, response.StatusCode);
        var session = await silo.ReadAsync<StartedConversation>(response);
        var started = session.Conversation;
        Assert.Equal($"/api/conversations/{started.Id}", response.Headers.Location?.OriginalString);
        using var customer = silo.As(session.CustomerToken);

        var assigned = await assignments.WaitAsync(c => c.Id == started.Id);
        Assert.True(assigned.Vip);
        await agent.InvokeAsync<ChatMessage>(nameof(AgentHub.SendMessage), started.Id, "Checking it now.");

        var more = await customer.PostAsJsonAsync($"/api/conversations/{started.Id}/messages", new { text = "Thank you" }, silo.Json);
        Assert.Equal(HttpStatusCode.Created, more.StatusCode);
        await agentMessages.WaitAsync(m => m.ConversationId == started.Id && m.Message.Text == "Thank you");

        var stored = await customer.GetFromJsonAsync<ConversationView>($"/api/conversations/{started.Id}", silo.Json);
        Assert.Equal(
            [MessageAuthor.Customer, MessageAuthor.System, MessageAuthor.System, MessageAuthor.Agent, MessageAuthor.Customer],
            stored!.Messages.Select(m => m.From));
        Assert.Equal(agentId, stored.AgentId);
    }

    [Fact]
    public async Task ConversationsInARowAreEachRoutedAndTheirLatencyIsReported()
    {
        const int count = 50;
        var (agentId, skill) = silo.NewLane();
        var (agent, assignments, _, _) = await ConnectAgentAsync(agentId);
        var customer = await ConnectAsync(silo.CustomerConnection());
        var started = new List<string>(count);
        var latencies = new List<double>(count);

        for (var i = 0; i < count; i++)
        {
            var clock = Stopwatch.StartNew();
            var conversation = (await customer.InvokeAsync<StartedConversation>(
                nameof(CustomerHub.StartConversation), new StartConversation($"Customer {i}", skill, "Hello"))).Conversation;
            await assignments.WaitAsync(c => c.Id == conversation.Id);
            latencies.Add(clock.Elapsed.TotalMilliseconds);
            started.Add(conversation.Id);
            await agent.InvokeAsync(nameof(AgentHub.Resolve), conversation.Id);
        }

        latencies.Sort();
        output.WriteLine(
            $"Assignment latency over SignalR, {count} sequential chats on one silo: p50 {latencies[count / 2]:F2} ms, " +
            $"p90 {latencies[(int)(count * 0.9)]:F2} ms, max {latencies[^1]:F2} ms");

        // Routed, each: the agent was handed every conversation once, in the order the customer started them, and the
        // silo's own record of each names that agent (as the one who resolved it).
        Assert.Equal(started, assignments.Received.Select(c => c.Id));
        Assert.All(assignments.Received, c => Assert.Equal(agentId, c.AgentId));
        foreach (var id in started)
        {
            var stored = await silo.ReadConversationAsync(id);
            Assert.Equal((ConversationStatus.Resolved, agentId), (stored.Status, stored.AgentId));
        }
    }

    [Fact]
    public async Task AnAgentTransfersAChatToAnotherQueueAndThatQueuesAgentGetsIt()
    {
        var (firstId, firstSkill) = silo.NewLane();
        var (secondId, secondSkill) = silo.NewLane();
        var (first, firstAssignments, _, _) = await ConnectAgentAsync(firstId);
        var (_, secondAssignments, _, _) = await ConnectAgentAsync(secondId);
        var withdrawn = new Inbox<ConversationWithdrawn>(first, nameof(IAgentClient.ConversationWithdrawn));

        var started = (await silo.StartOverHttpAsync(new StartConversation("Cy", firstSkill, "Refund please"))).Conversation;
        await firstAssignments.WaitAsync(c => c.Id == started.Id);

        await first.InvokeAsync(nameof(AgentHub.Transfer), started.Id, secondSkill);

        var moved = await secondAssignments.WaitAsync(c => c.Id == started.Id);
        Assert.Equal(secondSkill, moved.Topic);
        await withdrawn.WaitAsync(w => w.ConversationId == started.Id);
    }

    private async Task<(HubConnection Connection, Inbox<ConversationView> Assignments, Inbox<MessagePosted> Messages, Inbox<ConversationClosed> Closures)> ConnectAgentAsync(string agentId)
    {
        var connection = silo.AgentConnection(agentId);
        var assignments = new Inbox<ConversationView>(connection, nameof(IAgentClient.ConversationAssigned));
        var messages = new Inbox<MessagePosted>(connection, nameof(IAgentClient.MessagePosted));
        var closures = new Inbox<ConversationClosed>(connection, nameof(IAgentClient.ConversationClosed));
        await ConnectAsync(connection);
        return (connection, assignments, messages, closures);
    }
}
