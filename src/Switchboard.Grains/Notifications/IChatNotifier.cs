using Switchboard.Conversations;
using Switchboard.Queues;
using Switchboard.Supervision;

namespace Switchboard.Notifications;

/// <summary>
/// Pushes what happened in a conversation to the people in it. The silo implements it over SignalR; tests record it.
/// Grains call it after the change is stored; a failed or dropped push never undoes a change (clients read the state
/// again when they reconnect).
/// </summary>
/// <remarks>
/// No grain waits on a client: every push is handed to the connection tier and the call returns at once. Pushes to the
/// same person leave this silo in the order they were made; a connection that cannot keep up is closed, and only it.
/// </remarks>
public interface IChatNotifier
{
    /// <summary>A conversation waits in <paramref name="skill"/>'s queue, first reported or materially moved.</summary>
    void ConversationQueued(string skill, QueueEntry entry, QueuePlacement placement);

    /// <summary>The agent got a conversation, with everything said so far.</summary>
    void ConversationAssigned(string agentId, ConversationView conversation);

    /// <summary>A message was posted; the customer always hears it, the agent when <paramref name="agentId"/> is set.</summary>
    void MessagePosted(string conversationId, string? agentId, ChatMessage message);

    /// <summary>The conversation was resolved; both sides hear it.</summary>
    void ConversationClosed(string conversationId, string? agentId);

    /// <summary>
    /// The customer ended the conversation; both sides hear it as a close, marked as the customer's, so the agent's
    /// console can say who ended it. A notifier that draws no such distinction reports a plain close.
    /// </summary>
    void ConversationLeft(string conversationId, string? agentId) => ConversationClosed(conversationId, agentId);

    /// <summary>
    /// The customer is typing in a conversation <paramref name="agentId"/> holds: that agent hears it. Ephemeral:
    /// nothing is stored, and a notifier that does not carry typing signals drops them.
    /// </summary>
    void CustomerTyping(string agentId, string conversationId, string customerName)
    {
    }

    /// <summary>The agent holding the conversation is typing: the customer hears it. Ephemeral, as <see cref="CustomerTyping"/>.</summary>
    void AgentTyping(string conversationId, string agentId, string agentName)
    {
    }

    /// <summary>The agent no longer holds the conversation (transferred, reservation expired, reclaimed after going offline).</summary>
    void ConversationWithdrawn(string agentId, string conversationId, string reason);

    /// <summary>The assigned agent has not answered and the first-response deadline is near.</summary>
    void SlaWarning(string agentId, string conversationId, DateTimeOffset dueAt, TimeSpan timeLeft);

    /// <summary>A resolved complaint is due its follow-up; the agent who resolved it hears it.</summary>
    void FollowUpDue(string agentId, string conversationId);

    /// <summary>An outbound conversation was opened for the customer: their channel hears the opening message.</summary>
    void OutreachOpened(string customerId, string conversationId, ChatMessage opening);

    /// <summary>Every connected supervisor hears it.</summary>
    void SupervisorAlert(SupervisorAlert alert);

    /// <summary>
    /// An internal note was left: the agent holding the conversation (<paramref name="agentId"/>, if any) and the
    /// supervisors watching it hear it; never the customer.
    /// </summary>
    void NotePosted(string conversationId, string? agentId, InternalNote note)
    {
    }

    /// <summary>
    /// The conversation, active on this silo, is watched by supervisors (or no longer active here): while it is, its
    /// messages, notes and changes are also pushed to the watchers' group. Only conversations a supervisor watched pay
    /// for that push. A notifier without watchers ignores it.
    /// </summary>
    void Watch(string conversationId, bool watched)
    {
    }

    /// <summary>
    /// Completes once every push to the agent made so far has left this silo (written to the agent's connections here
    /// or handed to the backplane); it never waits on the agent's connection. A conversation awaits it before it gives
    /// back the agent's slot, so the agent hears a withdrawal or a close before any assignment that reuses the slot,
    /// whichever silo makes that assignment.
    /// </summary>
    Task SentToAgentAsync(string agentId);
}
