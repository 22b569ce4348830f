using Switchboard.Conversations;

namespace Switchboard.Hubs;

/// <summary>Pushed when a message is posted (by either side or the system).</summary>
public sealed record MessagePosted(string ConversationId, ChatMessage Message);

/// <summary>Pushed to the customer when the conversation waits in a queue; position 1 is served next.</summary>
public sealed record ConversationQueued(string ConversationId, string Skill, int Position);

/// <summary>Pushed to both sides when a conversation is resolved.</summary>
public sealed record ConversationClosed(string ConversationId, string? ResolvedBy);

/// <summary>Pushed to an agent who no longer holds a conversation.</summary>
public sealed record ConversationWithdrawn(string ConversationId, string Reason);

/// <summary>What the server pushes to an agent's connections (group <c>agent:{id}</c>).</summary>
public interface IAgentClient
{
    Task ConversationAssigned(ConversationView conversation);

    Task MessagePosted(MessagePosted posted);

    Task ConversationClosed(ConversationClosed closed);

    Task ConversationWithdrawn(ConversationWithdrawn withdrawn);
}

/// <summary>What the server pushes to a customer's connections (group <c>conversation:{id}</c>).</summary>
public interface ICustomerClient
{
    Task ConversationQueued(ConversationQueued queued);

    Task MessagePosted(MessagePosted posted);

    Task ConversationClosed(ConversationClosed closed);
}

internal static class Groups
{
    public static string Agent(string agentId) => $"agent:{agentId}";

    public static string Conversation(string conversationId) => $"conversation:{conversationId}";
}
