using Switchboard.Conversations;
using Switchboard.Supervision;

namespace Switchboard.Hubs;

/// <summary>Pushed when a message is posted (by either side or the system).</summary>
public sealed record MessagePosted(string ConversationId, ChatMessage Message);

/// <summary>
/// Pushed to the customer while the conversation waits: on arrival and when its place changes materially.
/// Position 1 is served next; the estimated wait is null when nobody who serves the queue is online.
/// </summary>
public sealed record ConversationQueued(string ConversationId, string Skill, int Position, TimeSpan? EstimatedWait);

/// <summary>Pushed to both sides when a conversation is resolved.</summary>
/// <param name="ByCustomer">The customer ended it (<c>LeaveConversation</c>), not an agent or supervisor.</param>
public sealed record ConversationClosed(string ConversationId, string? ResolvedBy, bool ByCustomer = false);

/// <summary>
/// Pushed to the other side while someone in the conversation types: to the agent holding it when the customer
/// types, to the customer when that agent does. At most one per sender and conversation every
/// <see cref="TypingThrottle.Interval"/>; show it until a message arrives or a few seconds pass without another.
/// </summary>
/// <param name="From">Who is typing: <c>customer</c> or <c>agent</c>.</param>
/// <param name="Name">Their name as the other side knows it (the customer's name, the agent's display name).</param>
public sealed record Typing(string ConversationId, MessageAuthor From, string Name);

/// <summary>Pushed to an agent who no longer holds a conversation.</summary>
public sealed record ConversationWithdrawn(string ConversationId, string Reason);

/// <summary>Pushed to the assigned agent when the first-response deadline is near and nobody has answered.</summary>
public sealed record SlaWarning(string ConversationId, DateTimeOffset DueAt, TimeSpan TimeLeft);

/// <summary>Pushed to the agent who resolved a complaint when its follow-up is due.</summary>
public sealed record FollowUpDue(string ConversationId);

/// <summary>Pushed to a customer's channel (group <c>customer:{id}</c>) when a shop opens an outbound conversation with them.</summary>
/// <param name="CustomerToken">Joins it (<c>JoinConversation</c>), as the token a start returns does.</param>
public sealed record OutreachOpened(string ConversationId, ChatMessage Message, string CustomerToken, DateTimeOffset CustomerTokenExpiresAt);

/// <summary>What the server pushes to an agent's connections (group <c>agent:{id}</c>; supervisors also <c>supervisors</c>).</summary>
public interface IAgentClient : ILiveChatClient
{
    Task ConversationAssigned(ConversationView conversation);

    Task MessagePosted(MessagePosted posted);

    Task ConversationClosed(ConversationClosed closed);

    /// <summary>The customer of a conversation this agent holds is typing.</summary>
    Task Typing(Typing typing);

    Task ConversationWithdrawn(ConversationWithdrawn withdrawn);

    Task SlaWarning(SlaWarning warning);

    Task FollowUpDue(FollowUpDue followUp);

    /// <summary>Supervisors only: breaches, tickets, follow-ups as they happen.</summary>
    Task SupervisorAlert(SupervisorAlert alert);

    /// <summary>Every console: a supervisor changed quick replies or house rules (read the console settings again).</summary>
    Task SettingsChanged(SettingsChanged changed);
}

/// <summary>What the server pushes to a customer's connections (group <c>conversation:{id}</c>).</summary>
public interface ICustomerClient
{
    Task ConversationQueued(ConversationQueued queued);

    Task MessagePosted(MessagePosted posted);

    Task ConversationClosed(ConversationClosed closed);

    /// <summary>The agent holding the conversation is typing.</summary>
    Task Typing(Typing typing);

    /// <summary>To connections listening as the customer: an outbound conversation opened; join it to see the thread.</summary>
    Task OutreachOpened(OutreachOpened opened);
}

internal static class Groups
{
    public const string Supervisors = "supervisors";

    public static string Agent(string agentId) => $"agent:{agentId}";

    public static string Conversation(string conversationId) => $"conversation:{conversationId}";

    public static string Customer(string customerId) => $"customer:{customerId}";
}
