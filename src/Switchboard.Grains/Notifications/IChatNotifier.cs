using Switchboard.Conversations;
using Switchboard.Queues;

namespace Switchboard.Notifications;

/// <summary>
/// Pushes what happened in a conversation to the people in it. The silo implements it over SignalR; tests record it.
/// Grains call it after the change is stored; a failed push never undoes a change.
/// </summary>
public interface IChatNotifier
{
    /// <summary>
    /// A conversation is waiting in <paramref name="skill"/>'s queue with no agent free for it; <paramref name="position"/>
    /// is 1 for the next to be served.
    /// </summary>
    Task ConversationQueuedAsync(string skill, QueueEntry entry, int position);

    /// <summary>The agent got a conversation, with everything said so far.</summary>
    Task ConversationAssignedAsync(string agentId, ConversationView conversation);

    /// <summary>A message was posted; the customer always hears it, the agent when <paramref name="agentId"/> is set.</summary>
    Task MessagePostedAsync(string conversationId, string? agentId, ChatMessage message);

    /// <summary>The conversation was resolved; both sides hear it.</summary>
    Task ConversationClosedAsync(string conversationId, string? agentId);

    /// <summary>The agent no longer holds the conversation (transferred, or reclaimed after going offline).</summary>
    Task ConversationWithdrawnAsync(string agentId, string conversationId, string reason);
}
