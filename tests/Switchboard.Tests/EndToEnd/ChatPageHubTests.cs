using System.Diagnostics;
using Microsoft.AspNetCore.SignalR;
using Microsoft.AspNetCore.SignalR.Client;
using Switchboard.Agents;
using Switchboard.Conversations;
using Switchboard.Hubs;
using Xunit.Abstractions;

namespace Switchboard.Tests.EndToEnd;

/// <summary>
/// Issue 18 over real sockets: typing signals both ways, throttled on the silo's (fake) clock; ending a chat from the
/// customer's side; and what a connection that is not in a conversation may not do to it.
/// </summary>
[Collection(FakeTimeSiloCollection.Name)]
public sealed class ChatPageHubTests(FakeTimeSiloFixture silo, ITestOutputHelper output) : HubTests
{
    private const int Flood = 25;

    [Fact]
    public async Task TypingReachesTheOtherSideOncePerIntervalHoweverOftenItIsSent()
    {
        var chat = await OpenChatAsync("Ann Typist");

        // The customer's flood: one signal reaches the agent. Pushes to the agent leave in order, so once the agent
        // has the message sent after the flood, every typing push the flood made has arrived too.
        for (var i = 0; i < Flood; i++)
        {
            await chat.Customer.InvokeAsync(nameof(CustomerHub.SignalTyping), chat.Id);
        }

        await chat.CustomerSaysAsync("first");
        var heard = Assert.Single(chat.AgentTyping.Received);
        Assert.Equal(new Typing(chat.Id, MessageAuthor.Customer, "Ann Typist"), heard);

        // One interval later the next signal goes through, and only one again.
        silo.Time.Advance(TypingThrottle.Interval);
        for (var i = 0; i < Flood; i++)
        {
            await chat.Customer.InvokeAsync(nameof(CustomerHub.SignalTyping), chat.Id);
        }

        await chat.CustomerSaysAsync("second");
        Assert.Equal(2, chat.AgentTyping.Received.Count);

        // The agent's flood, the other way: the customer hears it once, under the agent's name.
        for (var i = 0; i < Flood; i++)
        {
            await chat.Agent.InvokeAsync(nameof(AgentHub.SignalTyping), chat.Id);
        }

        await chat.AgentSaysAsync("an answer");
        var agentTyping = Assert.Single(chat.CustomerTyping.Received);
        Assert.Equal(MessageAuthor.Agent, agentTyping.From);
        Assert.Equal(chat.AgentName, agentTyping.Name);

        // Ephemeral: the conversation holds the start, the acknowledgement, the join notice and the three messages.
        var stored = await silo.ReadConversationAsync(chat.Id);
        Assert.Equal(6, stored.Messages.Length);
        Assert.Equal(["first", "second", "an answer"], stored.Messages.Skip(3).Select(m => m.Text));

        // What a signal costs the caller, printed (never asserted): one that goes on (a grain call and a push) and
        // one the throttle drops (a dictionary look-up), over the same connection. The agent has answered, so moving
        // the clock on takes nothing from anyone.
        var (goneOn, dropped) = (new List<double>(), new List<double>());
        for (var i = 0; i < 20; i++)
        {
            silo.Time.Advance(TypingThrottle.Interval);
            var clock = Stopwatch.StartNew();
            await chat.Customer.InvokeAsync(nameof(CustomerHub.SignalTyping), chat.Id);
            goneOn.Add(clock.Elapsed.TotalMicroseconds);
            clock.Restart();
            await chat.Customer.InvokeAsync(nameof(CustomerHub.SignalTyping), chat.Id);
            dropped.Add(clock.Elapsed.TotalMicroseconds);
        }

        output.WriteLine($"measured: typing signal round trip, median of 20: {Median(goneOn):F0} µs when it goes on, {Median(dropped):F0} µs when the throttle drops it");
        await chat.CustomerSaysAsync("third");
        Assert.Equal(2 + 20, chat.AgentTyping.Received.Count);
    }

    [Fact]
    public async Task AStrangersTypingAndLeavingAreRefusedAndChangeNothing()
    {
        var chat = await OpenChatAsync("Bea Private");
        var before = await silo.ReadConversationAsync(chat.Id);

        var (otherAgentId, _) = silo.NewLane();
        var otherAgent = await ConnectAsync(silo.AgentConnection(otherAgentId));
        for (var attempt = 0; attempt < 2; attempt++)
        {
            // Refused every time, not once and then dropped by the throttle.
            var refused = await Assert.ThrowsAsync<HubException>(() => otherAgent.InvokeAsync(nameof(AgentHub.SignalTyping), chat.Id));
            Assert.Contains("is not assigned to agent", refused.Message);
        }

        var stranger = await ConnectAsync(silo.CustomerConnection());
        var strangerTyping = await Assert.ThrowsAsync<HubException>(() => stranger.InvokeAsync(nameof(CustomerHub.SignalTyping), chat.Id));
        Assert.Contains($"has not joined conversation '{chat.Id}'", strangerTyping.Message);
        var strangerLeave = await Assert.ThrowsAsync<HubException>(() => stranger.InvokeAsync<ConversationView>(nameof(CustomerHub.LeaveConversation), chat.Id));
        Assert.Contains($"has not joined conversation '{chat.Id}'", strangerLeave.Message);
        var badId = await Assert.ThrowsAsync<HubException>(() => stranger.InvokeAsync(nameof(CustomerHub.SignalTyping), "not-an-id"));
        Assert.Contains("32 lower-case hex digits", badId.Message);

        // Nobody heard a thing: the messages after the refusals arrive with no typing push before them.
        await silo.AssertUnchangedAsync(before);
        await chat.AgentSaysAsync("still here");
        await chat.CustomerSaysAsync("me too");
        Assert.Empty(chat.CustomerTyping.Received);
        Assert.Empty(chat.AgentTyping.Received);
        Assert.Equal(ConversationStatus.Assigned, (await silo.ReadConversationAsync(chat.Id)).Status);
    }

    [Fact]
    public async Task TheCustomerEndingAChatTellsTheAgentItWasTheirsAndFreesTheSlot()
    {
        // Answered, then ended by the customer: resolved, not abandoned, rateable.
        var answered = await OpenChatAsync("Cid Leaving");
        await answered.AgentSaysAsync("How can I help?");
        var left = await answered.Customer.InvokeAsync<ConversationView>(nameof(CustomerHub.LeaveConversation), answered.Id);
        Assert.Equal((ConversationStatus.Resolved, false), (left.Status, left.Abandoned));
        var closed = await answered.AgentClosures.WaitAsync(c => c.ConversationId == answered.Id);
        Assert.Equal(new ConversationClosed(answered.Id, answered.AgentId, ByCustomer: true), closed);
        Assert.True((await answered.CustomerClosures.WaitAsync(c => c.ConversationId == answered.Id)).ByCustomer);
        Assert.Empty((await answered.Agent.InvokeAsync<AgentView>(nameof(AgentHub.GetProfile))).Conversations);
        var rating = await answered.Customer.InvokeAsync<ConversationRating>(nameof(CustomerHub.RateConversation), answered.Id, 5, "Quick");
        Assert.Equal(5, rating.Score);

        // Ended again: answered with the closed conversation, nothing more.
        var again = await answered.Customer.InvokeAsync<ConversationView>(nameof(CustomerHub.LeaveConversation), answered.Id);
        Assert.Equal(left.Messages.Length, again.Messages.Length);

        // Assigned but not answered yet: abandoned, and not rateable.
        var unanswered = await OpenChatAsync("Dee Impatient");
        var abandoned = await unanswered.Customer.InvokeAsync<ConversationView>(nameof(CustomerHub.LeaveConversation), unanswered.Id);
        Assert.Equal((ConversationStatus.Resolved, true), (abandoned.Status, abandoned.Abandoned));
        Assert.True((await unanswered.AgentClosures.WaitAsync(c => c.ConversationId == unanswered.Id)).ByCustomer);
        Assert.Empty((await unanswered.Agent.InvokeAsync<AgentView>(nameof(AgentHub.GetProfile))).Conversations);
        var refused = await Assert.ThrowsAsync<HubException>(() => unanswered.Customer.InvokeAsync<ConversationRating>(nameof(CustomerHub.RateConversation), unanswered.Id, 1, null));
        Assert.Contains("can be rated once an agent has resolved it", refused.Message);
    }

    private static double Median(List<double> values) => values.Order().ElementAt(values.Count / 2);

    /// <summary>A lane's agent (online) and a customer whose conversation that agent holds, with their pushes recorded.</summary>
    private async Task<Chat> OpenChatAsync(string customerName)
    {
        var (agentId, skill) = silo.NewLane();
        var agent = silo.AgentConnection(agentId);
        var assigned = new Inbox<ConversationView>(agent, nameof(IAgentClient.ConversationAssigned));
        var chat = new Chat(
            agentId,
            $"Agent {int.Parse(agentId[^2..], System.Globalization.CultureInfo.InvariantCulture)}",
            agent,
            silo.CustomerConnection());
        await ConnectAsync(agent);
        await ConnectAsync(chat.Customer);
        var started = await chat.Customer.InvokeAsync<StartedConversation>(nameof(CustomerHub.StartConversation), new StartConversation(customerName, skill, "Hello?"));
        chat.Id = started.Conversation.Id;
        await assigned.WaitAsync(c => c.Id == chat.Id);
        return chat;
    }

    private sealed class Chat
    {
        public Chat(string agentId, string agentName, HubConnection agent, HubConnection customer)
        {
            (AgentId, AgentName, Agent, Customer) = (agentId, agentName, agent, customer);
            AgentTyping = new(agent, nameof(IAgentClient.Typing));
            AgentMessages = new(agent, nameof(IAgentClient.MessagePosted));
            AgentClosures = new(agent, nameof(IAgentClient.ConversationClosed));
            CustomerTyping = new(customer, nameof(ICustomerClient.Typing));
            CustomerMessages = new(customer, nameof(ICustomerClient.MessagePosted));
            CustomerClosures = new(customer, nameof(ICustomerClient.ConversationClosed));
        }

        public string Id { get; set; } = "";

        public string AgentId { get; }

        public string AgentName { get; }

        public HubConnection Agent { get; }

        public HubConnection Customer { get; }

        public Inbox<Typing> AgentTyping { get; }

        public Inbox<MessagePosted> AgentMessages { get; }

        public Inbox<ConversationClosed> AgentClosures { get; }

        public Inbox<Typing> CustomerTyping { get; }

        public Inbox<MessagePosted> CustomerMessages { get; }

        public Inbox<ConversationClosed> CustomerClosures { get; }

        /// <summary>Posts as the customer and waits until the agent has it.</summary>
        public async Task CustomerSaysAsync(string text)
        {
            var sent = await Customer.InvokeAsync<ChatMessage>(nameof(CustomerHub.SendMessage), Id, text);
            await AgentMessages.WaitAsync(m => m.ConversationId == Id && m.Message.Sequence == sent.Sequence);
        }

        /// <summary>Posts as the agent and waits until the customer has it.</summary>
        public async Task AgentSaysAsync(string text)
        {
            var sent = await Agent.InvokeAsync<ChatMessage>(nameof(AgentHub.SendMessage), Id, text);
            await CustomerMessages.WaitAsync(m => m.ConversationId == Id && m.Message.Sequence == sent.Sequence);
        }
    }
}
