using Microsoft.AspNetCore.SignalR;
using Switchboard.Conversations;
using Switchboard.Notifications;
using Switchboard.Queues;
using Switchboard.Supervision;

namespace Switchboard.Hubs;

/// <summary>Delivers grain notifications to the hubs' groups. A failed push is logged, never thrown back into a grain.</summary>
internal sealed class SignalRChatNotifier(
    IHubContext<AgentHub, IAgentClient> agents,
    IHubContext<CustomerHub, ICustomerClient> customers,
    Auth.TokenIssuer tokens,
    ILogger<SignalRChatNotifier> logger) : IChatNotifier
{
    public Task ConversationQueuedAsync(string skill, QueueEntry entry, QueuePlacement placement) =>
        Guard(customers.Clients.Group(Groups.Conversation(entry.ConversationId))
            .ConversationQueued(new ConversationQueued(entry.ConversationId, skill, placement.Position, placement.EstimatedWait)));

    public Task ConversationAssignedAsync(string agentId, ConversationView conversation) =>
        Guard(agents.Clients.Group(Groups.Agent(agentId)).ConversationAssigned(conversation));

    public Task MessagePostedAsync(string conversationId, string? agentId, ChatMessage message)
    {
        var posted = new MessagePosted(conversationId, message);
        var toCustomer = customers.Clients.Group(Groups.Conversation(conversationId)).MessagePosted(posted);
        return agentId is null
            ? Guard(toCustomer)
            : Guard(Task.WhenAll(toCustomer, agents.Clients.Group(Groups.Agent(agentId)).MessagePosted(posted)));
    }

    public Task ConversationClosedAsync(string conversationId, string? agentId)
    {
        var closed = new ConversationClosed(conversationId, agentId);
        var toCustomer = customers.Clients.Group(Groups.Conversation(conversationId)).ConversationClosed(closed);
        return agentId is null
            ? Guard(toCustomer)
            : Guard(Task.WhenAll(toCustomer, agents.Clients.Group(Groups.Agent(agentId)).ConversationClosed(closed)));
    }

    public Task ConversationWithdrawnAsync(string agentId, string conversationId, string reason) =>
        Guard(agents.Clients.Group(Groups.Agent(agentId)).ConversationWithdrawn(new ConversationWithdrawn(conversationId, reason)));

    public Task SlaWarningAsync(string agentId, string conversationId, DateTimeOffset dueAt, TimeSpan timeLeft) =>
        Guard(agents.Clients.Group(Groups.Agent(agentId)).SlaWarning(new SlaWarning(conversationId, dueAt, timeLeft)));

    public Task FollowUpDueAsync(string agentId, string conversationId) =>
        Guard(agents.Clients.Group(Groups.Agent(agentId)).FollowUpDue(new FollowUpDue(conversationId)));

    /// <summary>Only connections that proved to be this customer are in the group: they get the conversation's customer token.</summary>
    public Task OutreachOpenedAsync(string customerId, string conversationId, ChatMessage opening)
    {
        var token = tokens.IssueCustomer(conversationId);
        return Guard(customers.Clients.Group(Groups.Customer(customerId))
            .OutreachOpened(new OutreachOpened(conversationId, opening, token.Token, token.ExpiresAt)));
    }

    public Task SupervisorAlertAsync(SupervisorAlert alert) =>
        Guard(agents.Clients.Group(Groups.Supervisors).SupervisorAlert(alert));

    private async Task Guard(Task push)
    {
        try
        {
            await push;
        }
        catch (Exception ex)
        {
            logger.LogWarning(ex, "A SignalR push failed; the change it reported is stored");
        }
    }
}
