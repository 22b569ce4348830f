using Switchboard.Conversations;
using Switchboard.Queues;
using Switchboard.Supervision;

namespace Switchboard.Notifications;

/// <summary>
/// Pushes what happened in a conversation to the people in it. The silo implements it over SignalR; tests record it.
/// Grains call it after the change is stored; a failed push never undoes a change.
/// </summary>
public interface IChatNotifier
{
    /// <summary>A conversation waits in <paramref name="skill"/>'s queue, first reported or materially moved.</summary>
    Task ConversationQueuedAsync(string skill, QueueEntry entry, QueuePlacement placement);

    /// <summary>The agent got a conversation, with everything said so far.</summary>
    Task ConversationAssignedAsync(string agentId, ConversationView conversation);

    /// <summary>A message was posted; the customer always hears it, the agent when <paramref name="agentId"/> is set.</summary>
    Task MessagePostedAsync(string conversationId, string? agentId, ChatMessage message);

    /// <summary>The conversation was resolved; both sides hear it.</summary>
    Task ConversationClosedAsync(string conversationId, string? agentId);

    /// <summary>The agent no longer holds the conversation (transferred, reservation expired, reclaimed after going offline).</summary>
    Task ConversationWithdrawnAsync(string agentId, string conversationId, string reason);

    /// <summary>The assigned agent has not answered and the first-response deadline is near.</summary>
    Task SlaWarningAsync(string agentId, string conversationId, DateTimeOffset dueAt, TimeSpan timeLeft);

    /// <summary>A resolved complaint is due its follow-up; the agent who resolved it hears it.</summary>
    Task FollowUpDueAsync(string agentId, string conversationId);

    /// <summary>An outbound conversation was opened for the customer: their channel hears the opening message.</summary>
    Task OutreachOpenedAsync(string customerId, string conversationId, ChatMessage opening);

    /// <summary>Every connected supervisor hears it.</summary>
    Task SupervisorAlertAsync(SupervisorAlert alert);
}
