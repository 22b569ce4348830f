using Microsoft.AspNetCore.SignalR;
using Switchboard.Conversations;
using Switchboard.Notifications;
using Switchboard.Queues;
using Switchboard.Supervision;

namespace Switchboard.Hubs;

/// <summary>
/// Delivers grain notifications to the hubs' groups through the <see cref="PushOutbox"/>: the grain's call returns at
/// once, and a failed push is logged there, never thrown back into a grain.
/// </summary>
internal sealed partial class SignalRChatNotifier(
    IHubContext<AgentHub, IAgentClient> agents,
    IHubContext<CustomerHub, ICustomerClient> customers,
    PushOutbox outbox,
    Auth.TokenIssuer tokens) : IChatNotifier
{
    private IHubContext<AgentHub, IAgentClient> Agents => agents;

    private PushOutbox Outbox => outbox;

    public void ConversationQueued(string skill, QueueEntry entry, QueuePlacement placement)
    {
        var queued = new ConversationQueued(entry.ConversationId, skill, placement.Position, placement.EstimatedWait);
        ToCustomers(entry.ConversationId, group => customers.Clients.Group(group).ConversationQueued(queued));
    }

    public void ConversationAssigned(string agentId, ConversationView conversation)
    {
        ToAgent(agentId, group => agents.Clients.Group(group).ConversationAssigned(conversation));
        ChangeToWatchers(conversation.Id, "assigned", agentId);
    }

    public void MessagePosted(string conversationId, string? agentId, ChatMessage message)
    {
        var posted = new MessagePosted(conversationId, message);
        ToCustomers(conversationId, group => customers.Clients.Group(group).MessagePosted(posted));
        if (agentId is not null)
        {
            ToAgent(agentId, group => agents.Clients.Group(group).MessagePosted(posted));
        }

        MessageToWatchers(posted);
    }

    public void ConversationClosed(string conversationId, string? agentId)
    {
        var closed = new ConversationClosed(conversationId, agentId);
        ToCustomers(conversationId, group => customers.Clients.Group(group).ConversationClosed(closed));
        if (agentId is not null)
        {
            ToAgent(agentId, group => agents.Clients.Group(group).ConversationClosed(closed));
        }

        ChangeToWatchers(conversationId, "closed", agentId);
    }

    public void ConversationLeft(string conversationId, string? agentId)
    {
        var closed = new ConversationClosed(conversationId, agentId, ByCustomer: true);
        ToCustomers(conversationId, group => customers.Clients.Group(group).ConversationClosed(closed));
        if (agentId is not null)
        {
            ToAgent(agentId, group => agents.Clients.Group(group).ConversationClosed(closed));
        }

        ChangeToWatchers(conversationId, "closed", agentId);
    }

    // Typing takes the lane of its target like every push: after the messages before it, before the ones after.
    public void CustomerTyping(string agentId, string conversationId, string customerName)
    {
        var typing = new Typing(conversationId, MessageAuthor.Customer, customerName);
        ToAgent(agentId, group => agents.Clients.Group(group).Typing(typing));
    }

    public void AgentTyping(string conversationId, string agentId, string agentName)
    {
        var typing = new Typing(conversationId, MessageAuthor.Agent, agentName);
        ToCustomers(conversationId, group => customers.Clients.Group(group).Typing(typing));
    }

    public void ConversationWithdrawn(string agentId, string conversationId, string reason)
    {
        var withdrawn = new ConversationWithdrawn(conversationId, reason);
        ToAgent(agentId, group => agents.Clients.Group(group).ConversationWithdrawn(withdrawn));
        ChangeToWatchers(conversationId, "withdrawn", agentId);
    }

    public void SlaWarning(string agentId, string conversationId, DateTimeOffset dueAt, TimeSpan timeLeft)
    {
        var warning = new SlaWarning(conversationId, dueAt, timeLeft);
        ToAgent(agentId, group => agents.Clients.Group(group).SlaWarning(warning));
    }

    public void FollowUpDue(string agentId, string conversationId)
    {
        var due = new FollowUpDue(conversationId);
        ToAgent(agentId, group => agents.Clients.Group(group).FollowUpDue(due));
    }

    /// <summary>Only connections that proved to be this customer are in the group: they get the conversation's customer token.</summary>
    public void OutreachOpened(string customerId, string conversationId, ChatMessage opening)
    {
        var token = tokens.IssueCustomer(conversationId);
        var opened = new OutreachOpened(conversationId, opening, token.Token, token.ExpiresAt);
        var group = Groups.Customer(customerId);
        outbox.Post(group, () => customers.Clients.Group(group).OutreachOpened(opened));
    }

    public void SupervisorAlert(SupervisorAlert alert) =>
        outbox.Post(Groups.Supervisors, () => agents.Clients.Group(Groups.Supervisors).SupervisorAlert(alert));

    public Task SentToAgentAsync(string agentId) => outbox.SentAsync(Groups.Agent(agentId));

    private void ToAgent(string agentId, Func<string, Task> send)
    {
        var group = Groups.Agent(agentId);
        outbox.Post(group, () => send(group));
    }

    private void ToCustomers(string conversationId, Func<string, Task> send)
    {
        var group = Groups.Conversation(conversationId);
        outbox.Post(group, () => send(group));
    }
}
