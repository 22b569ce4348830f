using Orleans.Concurrency;

namespace Switchboard.Conversations;

/// <summary>
/// A supervisor on a live conversation, and the staff's internal notes on it: the same grain as
/// <see cref="IConversationGrain"/> (same key), seen through the calls only staff make. Every change is stored before
/// the call returns. Who may call what (supervisor or not) is the edge's check; the grain checks what only it knows
/// (who holds the conversation, whether a supervisor joined).
/// </summary>
public interface ISupervisedConversationGrain : IGrainWithStringKey
{
    /// <summary>
    /// A supervisor starts watching: from now on the conversation's messages, notes and changes are also pushed to the
    /// connections watching it (the silo's <c>watch:{id}</c> group), whichever silo holds the conversation. Nothing of
    /// the assigned agent changes (no slot, no capacity). Answers the conversation so far, notes included.
    /// <see cref="SwitchboardError.NotFound"/> if it was never started.
    /// </summary>
    [RetrySafe]
    Task<ConversationView> WatchAsync(string supervisorId);

    /// <summary>
    /// A supervisor joins the conversation an agent holds: the customer and the agent are told (in the customer's
    /// language) and the supervisor may then write into it (<see cref="PostSupervisorMessageAsync"/>). The same
    /// supervisor joining again changes nothing. <see cref="SwitchboardError.Conflict"/> unless it is assigned.
    /// </summary>
    [RetrySafe]
    Task<ConversationView> JoinAsSupervisorAsync(string supervisorId, string supervisorName);

    /// <summary>
    /// A supervisor who joined writes to the customer; the customer, the agent holding it and the watchers hear it.
    /// The same <paramref name="messageId"/> again answers the message first stored. House rules and the transcript's
    /// cap apply as to agents. <see cref="SwitchboardError.Forbidden"/> for a supervisor who did not join,
    /// <see cref="SwitchboardError.Conflict"/> unless it is assigned.
    /// </summary>
    [RetrySafe]
    Task<ChatMessage> PostSupervisorMessageAsync(string supervisorId, string supervisorName, string messageId, string text);

    /// <summary>
    /// A supervisor hands the conversation (waiting, or held by another agent) to the named agent. The agent's grain
    /// grants the slot as for any offer (online, the topic's skill at the required proficiency, room); refused, it is
    /// <see cref="SwitchboardError.Conflict"/> and nothing changes. Granted, the conversation is stored as the new
    /// agent's before it answers, the previous agent is told and their slot given back, and the customer hears who
    /// joined. Asking again for the agent who holds it now answers the conversation and changes nothing.
    /// </summary>
    [RetrySafe]
    Task<ConversationView> ReassignToAgentAsync(string supervisorId, string agentId);

    /// <summary>
    /// Leaves an internal note: stored with the conversation, shown to the agent holding it and to supervisors, never
    /// to the customer (not pushed, not in what the customer reads, not sent to a channel). A plain agent may leave
    /// one only on a conversation they hold (<see cref="SwitchboardError.Forbidden"/>); a supervisor on any open one.
    /// The same <paramref name="noteId"/> again answers the note first stored.
    /// </summary>
    [RetrySafe]
    Task<InternalNote> AddNoteAsync(string authorId, string authorName, bool supervisor, string noteId, string text);
}
