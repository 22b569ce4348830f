using System.Net;
using System.Net.Http.Json;
using System.Collections.Immutable;
using System.Text.Json;
using Microsoft.AspNetCore.SignalR;
using Microsoft.AspNetCore.SignalR.Client;
using Switchboard.Agents;
using Switchboard.Conversations;
using Switchboard.Hubs;

namespace Switchboard.Tests.EndToEnd;

/// <summary>
/// Issue 19: a supervisor on a live chat over the real hubs — monitor, join, write, reassign — and internal notes
/// that reach the agent and supervisors but never the customer's connection or reads; every supervisor call refused
/// for a plain agent.
/// </summary>
[Collection(SiloCollection.Name)]
public sealed class LiveChatSupervisionTests(SiloFixture silo) : HubTests
{
    [Fact]
    public async Task ASupervisorMonitorsJoinsAndReassignsALiveChatAndTheCustomerAndBothAgentsSeeTheirPart()
    {
        var (first, skill) = silo.NewLane();
        var second = await MakeAgentAsync(skill);
        var firstAgent = silo.AgentConnection(first);
        var firstAssigned = new Inbox<ConversationView>(firstAgent, nameof(IAgentClient.ConversationAssigned));
        var firstMessages = new Inbox<MessagePosted>(firstAgent, nameof(IAgentClient.MessagePosted));
        var firstWithdrawn = new Inbox<ConversationWithdrawn>(firstAgent, nameof(IAgentClient.ConversationWithdrawn));
        await ConnectAsync(firstAgent);
        var (customer, session, customerMessages, staffOnly) = await StartChatAsync(skill, "Ann Smith", "My parcel never came.");
        var id = session.Conversation.Id;
        await firstAssigned.WaitAsync(c => c.Id == id);

        // Monitor: the conversation so far, then its new messages live; the agent's slot and the supervisor's are untouched.
        var supervisor = silo.AgentConnection(SiloFixture.Supervisor);
        var watched = new Inbox<MessagePosted>(supervisor, nameof(IAgentClient.WatchedMessagePosted));
        var watchedNotes = new Inbox<NotePosted>(supervisor, nameof(IAgentClient.NotePosted));
        var changes = new Inbox<WatchedConversationChanged>(supervisor, nameof(IAgentClient.WatchedConversationChanged));
        await ConnectAsync(supervisor);
        var monitored = await supervisor.InvokeAsync<ConversationView>(nameof(AgentHub.MonitorConversation), id);
        Assert.Equal(first, monitored.AgentId);
        Assert.Equal("My parcel never came.", monitored.Messages[0].Text);
        var asked = await customer.InvokeAsync<ChatMessage>(nameof(CustomerHub.SendMessage), id, "Hello? Anyone?");
        Assert.Equal("Hello? Anyone?", (await watched.WaitAsync(m => m.Message.Sequence == asked.Sequence)).Message.Text);
        Assert.Equal(id, Assert.Single((await firstAgent.InvokeAsync<AgentView>(nameof(AgentHub.GetProfile))).Conversations));
        Assert.Empty((await supervisor.InvokeAsync<AgentView>(nameof(AgentHub.GetProfile))).Conversations);

        // Join: the customer reads that a supervisor joined, and so does the agent; then the supervisor's message.
        await supervisor.InvokeAsync<ConversationView>(nameof(AgentHub.JoinConversation), id);
        const string joinedText = "Lane Supervisor, a supervisor, has joined the conversation.";
        await customerMessages.WaitAsync(m => m.Message.From == MessageAuthor.System && m.Message.Text == joinedText);
        await firstMessages.WaitAsync(m => m.Message.Text == joinedText);
        var written = await supervisor.InvokeAsync<ChatMessage>(nameof(AgentHub.SendSupervisorMessage), id, Guid.NewGuid().ToString("N"), "I am looking into it with your agent.");
        var heard = await customerMessages.WaitAsync(m => m.Message.Sequence == written.Sequence);
        Assert.Equal((MessageAuthor.Agent, SiloFixture.Supervisor, "Lane Supervisor"), (heard.Message.From, heard.Message.AgentId, heard.Message.AgentName));
        await firstMessages.WaitAsync(m => m.Message.Sequence == written.Sequence);

        // A note from the agent: the supervisor hears it; then a reply the customer does hear, after which the note
        // would have arrived if it were pushed to the customer at all.
        var note = await firstAgent.InvokeAsync<InternalNote>(nameof(AgentHub.AddNote), id, Guid.NewGuid().ToString("N"), "Courier lost it: refund, do not promise a date.");
        Assert.Equal(first, (await watchedNotes.WaitAsync(n => n.Note.Id == note.Id)).Note.AuthorId);
        var reply = await firstAgent.InvokeAsync<ChatMessage>(nameof(AgentHub.SendMessage), id, "We will refund you today.");
        await customerMessages.WaitAsync(m => m.Message.Sequence == reply.Sequence);

        // Reassign to the second agent: the first is told and freed, the second gets it with the note, the customer
        // hears who joined, the supervisor sees the change.
        var secondAgent = silo.AgentConnection(second);
        var secondAssigned = new Inbox<ConversationView>(secondAgent, nameof(IAgentClient.ConversationAssigned));
        await ConnectAsync(secondAgent);
        var reassigned = await supervisor.InvokeAsync<ConversationView>(nameof(AgentHub.ReassignToAgent), id, second);
        Assert.Equal((ConversationStatus.Assigned, second), (reassigned.Status, reassigned.AgentId));
        await firstWithdrawn.WaitAsync(w => w.ConversationId == id);
        var handedOver = await secondAssigned.WaitAsync(c => c.Id == id);
        Assert.Equal(note.Text, Assert.Single(handedOver.Notes).Text);
        await customerMessages.WaitAsync(m => m.Message.Text == "Second Desk has joined the conversation.");
        await changes.WaitAsync(c => c.ConversationId == id && c.Change == "assigned" && c.AgentId == second);
        Assert.Empty((await firstAgent.InvokeAsync<AgentView>(nameof(AgentHub.GetProfile))).Conversations);
        Assert.Equal(id, Assert.Single((await secondAgent.InvokeAsync<AgentView>(nameof(AgentHub.GetProfile))).Conversations));

        // The note never reached the customer: not pushed (under any name), not in what they read over the hub or HTTP.
        Assert.All(staffOnly, inbox => Assert.Empty(inbox.Received));
        Assert.DoesNotContain(customerMessages.Received, m => m.Message.Text.Contains("Courier", StringComparison.Ordinal));
        var rejoined = await customer.InvokeAsync<ConversationView>(nameof(CustomerHub.JoinConversation), id, session.CustomerToken);
        Assert.Empty(rejoined.Notes);
        Assert.Empty(rejoined.Supervisors);
        using var asCustomer = silo.As(session.CustomerToken);
        var body = await asCustomer.GetStringAsync($"/api/conversations/{id}");
        Assert.DoesNotContain("Courier", body, StringComparison.Ordinal);
        Assert.Equal(note.Text, Assert.Single((await silo.ReadConversationAsync(id)).Notes).Text);
    }

    [Fact]
    public async Task APlainAgentIsRefusedEverySupervisorActionAndNothingChanges()
    {
        var (holder, skill) = silo.NewLane();
        var (other, _) = silo.NewLane();
        var holding = silo.AgentConnection(holder);
        var assigned = new Inbox<ConversationView>(holding, nameof(IAgentClient.ConversationAssigned));
        await ConnectAsync(holding);
        var (_, session, _, _) = await StartChatAsync(skill, "Ben Ode", "Where is my refund?");
        var id = session.Conversation.Id;
        await assigned.WaitAsync(c => c.Id == id);
        var before = await silo.ReadConversationAsync(id);

        var plain = await ConnectAsync(silo.AgentConnection(other));
        var refusals = new (string Method, object[] Arguments, string Expected)[]
        {
            (nameof(AgentHub.MonitorConversation), [id], "Only supervisors monitor conversations."),
            (nameof(AgentHub.JoinConversation), [id], "Only supervisors join other agents' conversations."),
            (nameof(AgentHub.SendSupervisorMessage), [id, Guid.NewGuid().ToString("N"), "Hi"], "Only supervisors write into other agents' conversations."),
            (nameof(AgentHub.ReassignToAgent), [id, other], "Only supervisors reassign conversations."),
            (nameof(AgentHub.ReassignToQueue), [id, "general"], "Only supervisors reassign conversations."),
            // Notes: only on a conversation the agent holds.
            (nameof(AgentHub.AddNote), [id, Guid.NewGuid().ToString("N"), "Not mine"], $"is not assigned to agent '{other}'"),
        };
        foreach (var (method, arguments, expected) in refusals)
        {
            var refused = await Assert.ThrowsAsync<HubException>(() => plain.InvokeCoreAsync<object>(method, arguments));
            Assert.Contains(expected, refused.Message, StringComparison.Ordinal);
        }

        // A supervisor who did not join may not write; an id that is not a conversation's is refused before any grain.
        var supervisor = await ConnectAsync(silo.AgentConnection(SiloFixture.Supervisor));
        var unjoined = await Assert.ThrowsAsync<HubException>(() =>
            supervisor.InvokeAsync<ChatMessage>(nameof(AgentHub.SendSupervisorMessage), id, Guid.NewGuid().ToString("N"), "Hello"));
        Assert.Contains("Join conversation", unjoined.Message, StringComparison.Ordinal);
        await Assert.ThrowsAsync<HubException>(() => supervisor.InvokeAsync<ConversationView>(nameof(AgentHub.MonitorConversation), "../x"));
        // Reassigning to an agent who cannot take it (not skilled in the topic) is refused by that agent's grain.
        var notSkilled = await Assert.ThrowsAsync<HubException>(() => supervisor.InvokeAsync<ConversationView>(nameof(AgentHub.ReassignToAgent), id, other));
        Assert.Contains($"Agent '{other}' cannot take conversation", notSkilled.Message, StringComparison.Ordinal);

        await silo.AssertUnchangedAsync(before);
        var after = await silo.ReadConversationAsync(id);
        Assert.Empty(after.Notes);
        Assert.Empty(after.Supervisors);
        Assert.Equal(id, Assert.Single((await holding.InvokeAsync<AgentView>(nameof(AgentHub.GetProfile))).Conversations));
        Assert.Empty((await plain.InvokeAsync<AgentView>(nameof(AgentHub.GetProfile))).Conversations);
    }

    /// <summary>A second agent for <paramref name="skill"/>, made as an administrator would (<c>PUT /api/agents</c>).</summary>
    private async Task<string> MakeAgentAsync(string skill)
    {
        var id = $"desk-{Guid.NewGuid():N}"[..13];
        var profile = new AgentProfile("Second Desk", new Dictionary<string, int> { [skill] = 3 }.ToImmutableDictionary(), 2);
        using var made = await silo.SupervisorHttp.PutAsJsonAsync($"/api/agents/{id}", profile, silo.Json);
        Assert.Equal(HttpStatusCode.OK, made.StatusCode);
        return id;
    }

    private async Task<(HubConnection Connection, StartedConversation Session, Inbox<MessagePosted> Messages, Inbox<JsonElement>[] StaffOnly)> StartChatAsync(
        string skill, string name, string text)
    {
        var customer = silo.CustomerConnection();
        var messages = new Inbox<MessagePosted>(customer, nameof(ICustomerClient.MessagePosted));
        // Names only the agent hub uses: a customer's connection must never hear them.
        Inbox<JsonElement>[] staffOnly =
        [
            new(customer, nameof(IAgentClient.NotePosted)),
            new(customer, nameof(IAgentClient.WatchedMessagePosted)),
            new(customer, nameof(IAgentClient.WatchedConversationChanged)),
        ];
        await ConnectAsync(customer);
        var session = await customer.InvokeAsync<StartedConversation>(nameof(CustomerHub.StartConversation), new StartConversation(name, skill, text));
        return (customer, session, messages, staffOnly);
    }
}
