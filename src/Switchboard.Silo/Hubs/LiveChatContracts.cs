using Switchboard.Conversations;

namespace Switchboard.Hubs;

/// <summary>A live chat on the floor, for a supervisor to pick and monitor.</summary>
public sealed record LiveChat(string Id, string CustomerName, string Topic, ConversationStatus Status, string? AgentId, DateTimeOffset StartedAt);

/// <summary>The floor's live chats and the agents a supervisor may reassign one to.</summary>
public sealed record LiveChats(LiveChat[] Chats, Api.AgentOverview[] Agents);

/// <summary>Pushed to the agent holding a conversation and to the supervisors watching it when staff leave an internal note.</summary>
public sealed record NotePosted(string ConversationId, InternalNote Note);

/// <summary>
/// Pushed to the supervisors watching a conversation when who holds it changes: <c>assigned</c> (to
/// <paramref name="AgentId"/>), <c>withdrawn</c> (from <paramref name="AgentId"/>) or <c>closed</c>. Read the
/// conversation again (<c>MonitorConversation</c>) for the rest.
/// </summary>
public sealed record WatchedConversationChanged(string ConversationId, string Change, string? AgentId);

/// <summary>What a supervisor's connections hear of the conversations they watch, and what agents hear of notes.</summary>
public interface ILiveChatClient
{
    /// <summary>An internal note on a conversation this agent holds, or a supervisor watches.</summary>
    Task NotePosted(NotePosted posted);

    /// <summary>A message in a conversation this connection watches (everything the customer and the agent see).</summary>
    Task WatchedMessagePosted(MessagePosted posted);

    /// <summary>The conversation this connection watches was assigned, withdrawn from its agent, or closed.</summary>
    Task WatchedConversationChanged(WatchedConversationChanged changed);
}

internal static class WatchGroups
{
    /// <summary>The agent hub's connections watching one conversation (supervisors only: <c>MonitorConversation</c>).</summary>
    public static string Of(string conversationId) => $"watch:{conversationId}";
}
