using Switchboard.Conversations;

namespace Switchboard.Metrics;

/// <summary>The service events a conversation's state changes make; pure, so the KPI arithmetic is tested without Orleans.</summary>
public static class ConversationEvents
{
    internal static ServiceEvent Started(ConversationState s) => new(ServiceEventKind.Started, s.StartedAt, s.Topic);

    /// <summary>After an assignment: the wait counts from when it was (last) put in line.</summary>
    internal static ServiceEvent Assigned(ConversationState s) =>
        new(ServiceEventKind.Assigned, s.AssignedAt ?? s.QueuedAt, s.Topic, s.AgentId, (s.AssignedAt ?? s.QueuedAt) - s.QueuedAt);

    internal static ServiceEvent Breached(ConversationState s, DateTimeOffset at) =>
        new(ServiceEventKind.Breached, at, s.Topic, s.AgentId);

    /// <summary>After an agent reply was appended: the first response (if it is one) and the response time.</summary>
    internal static IEnumerable<ServiceEvent> Replied(ConversationState s, IReadOnlyList<ChatMessage> messages, string agentId, bool firstResponse) =>
        Replied(messages, s.StartedAt, s.Topic, agentId, firstResponse, withinSla: !s.Breached);

    /// <summary>
    /// The reply is the last message. Its response time runs from the earliest customer message since the previous
    /// agent message; an agent writing twice in a row answers nothing new.
    /// </summary>
    public static IEnumerable<ServiceEvent> Replied(
        IReadOnlyList<ChatMessage> messages, DateTimeOffset startedAt, string skill, string agentId, bool firstResponse, bool withinSla)
    {
        var reply = messages[^1];
        if (firstResponse)
        {
            yield return new ServiceEvent(ServiceEventKind.FirstResponse, reply.At, skill, agentId, reply.At - startedAt, withinSla);
        }

        DateTimeOffset? waitingSince = null;
        for (var i = messages.Count - 2; i >= 0 && messages[i].From != MessageAuthor.Agent; i--)
        {
            if (messages[i].From == MessageAuthor.Customer)
            {
                waitingSince = messages[i].At;
            }
        }

        if (waitingSince is { } since)
        {
            yield return new ServiceEvent(ServiceEventKind.Response, reply.At, skill, agentId, reply.At - since);
        }
    }

    /// <summary>Closed after an answer (by the agent, or by the customer leaving): one-touch with a single agent reply.</summary>
    internal static ServiceEvent Resolved(ConversationState s, IReadOnlyList<ChatMessage> messages, string? agentId, DateTimeOffset at) =>
        Resolved(messages, s.StartedAt, s.Topic, agentId, at);

    public static ServiceEvent Resolved(IReadOnlyList<ChatMessage> messages, DateTimeOffset startedAt, string skill, string? agentId, DateTimeOffset at) =>
        new(ServiceEventKind.Resolved, at, skill, agentId, at - startedAt, messages.Count(m => m.From == MessageAuthor.Agent) == 1);

    internal static ServiceEvent Abandoned(ConversationState s, DateTimeOffset at) =>
        new(ServiceEventKind.Abandoned, at, s.Topic, s.AgentId, at - s.StartedAt);

    internal static ServiceEvent Rated(ConversationState s, int score, DateTimeOffset at) =>
        new(ServiceEventKind.Rated, at, s.Topic, s.AgentId, Score: score);
}
