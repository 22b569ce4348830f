using Orleans.Concurrency;

namespace Switchboard.Conversations;

/// <summary>
/// The authority on one conversation (keyed by its id): status, messages, assigned agent.
/// Every change is stored before the call returns.
/// </summary>
public interface IConversationGrain : IGrainWithStringKey
{
    /// <summary>
    /// Opens the conversation, starts its first-response clock, puts it in the queue of its topic (supervisors for a
    /// high-tier complaint) and acknowledges it to the customer with an estimate from the queue's live state.
    /// The same start again (a retry: same customer name, topic and first message) answers the conversation it
    /// opened, <see cref="StartOutcome.Replayed"/>, and changes nothing. Refused with
    /// <see cref="SwitchboardError.Invalid"/> for an unknown topic or a bad message, and with
    /// <see cref="SwitchboardError.Conflict"/> for a different start on a conversation already started.
    /// </summary>
    [RetrySafe]
    Task<StartOutcome> StartAsync(StartConversation start);

    /// <summary>
    /// Opens the conversation for a messaging channel's message <paramref name="messageId"/> (the grain's id is
    /// derived from the channel and the message id). The same channel message again returns the conversation it
    /// opened (<see cref="StartOutcome.Replayed"/>) and changes nothing.
    /// </summary>
    [RetrySafe]
    Task<StartOutcome> StartFromChannelAsync(string channel, string messageId, StartConversation start);

    /// <summary>
    /// Appends a customer message the channel that opened the conversation received as <paramref name="messageId"/>.
    /// The same id again returns the message first stored (<see cref="PostOutcome.Replayed"/>); with another text it
    /// is refused with <see cref="SwitchboardError.Conflict"/>. Another channel is refused with
    /// <see cref="SwitchboardError.Forbidden"/>.
    /// </summary>
    [RetrySafe]
    Task<PostOutcome> PostChannelMessageAsync(string channel, string messageId, string text);
    /// <see cref="StartAsync"/> on behalf of the customer grain: with the customer's recent history, an agent to offer
    /// it to first, for outreach the trigger (the first message is then the opening message, sent to the customer),
    /// and for a channel's customer the channel and its message id (the same message again is
    /// <see cref="StartOutcome.Replayed"/>, as with <see cref="StartFromChannelAsync"/>).
    /// </summary>
    [RetrySafe]
    Task<StartOutcome> StartForCustomerAsync(StartConversation start, CustomerStart customer);

    /// <summary>
    /// Whether the conversation was started and is not resolved (waiting, assigned or a ticket): what a web client's
    /// limit on open conversations counts. Reads nothing else, so nothing of the transcript travels.
    /// </summary>
    [RetrySafe]
    Task<bool> IsOpenAsync();

    /// <summary>The conversation so far; <see cref="SwitchboardError.NotFound"/> if it was never started.</summary>
    [RetrySafe]
    Task<ConversationView> GetAsync();

    /// <summary>
    /// Appends a customer message and pushes it to the assigned agent, if any. A message that shows anger raises the
    /// conversation's emotion, which shortens its clock and raises its priority. With a <paramref name="messageId"/>
    /// a retry is answered with the message first stored (even after the conversation closed); the same id with
    /// another text is <see cref="SwitchboardError.Conflict"/>. Once the transcript is full (its message or byte cap,
    /// <see cref="ConversationView.Full"/>) a new message is refused with <see cref="SwitchboardError.Conflict"/>; the
    /// message that fills it is taken, and a system note tells both sides to start a new conversation.
    /// </summary>
    [RetrySafe]
    Task<PostOutcome> PostCustomerMessageAsync(string text, string? messageId = null);

    /// <summary>
    /// Appends an agent's reply; <see cref="SwitchboardError.Forbidden"/> unless the conversation is assigned to that
    /// agent. With a <paramref name="messageId"/> a retry is answered with the reply first stored. Agents' replies
    /// count towards the transcript's cap; once it is full the agent may still post a small reserve of replies, then
    /// <see cref="SwitchboardError.Conflict"/> (resolving always works).
    /// </summary>
    [RetrySafe]
    Task<ChatMessage> PostAgentMessageAsync(string agentId, string text, string? messageId = null);

    /// <summary>
    /// A queue offers the conversation, waiting in <paramref name="skill"/> under <paramref name="ticket"/>, to an
    /// agent. The conversation asks the agent's grain for a slot and, if it is granted, is assigned and stored before
    /// it answers. Offers are taken one at a time, so however many queues offer the conversation at once, it takes one
    /// slot of one agent; and only the conversation gives a slot back (resolved, transferred, returned), never a
    /// queue. <see cref="OfferOutcome.Gone"/> when it no longer waits there under that ticket.
    /// </summary>
    Task<OfferResult> OfferAsync(string skill, int ticket, string agentId);

    /// <summary>
    /// The assigned agent moves the conversation to another skill's queue and gives up its capacity; the customer's
    /// wait keeps counting from the start. <see cref="SwitchboardError.Invalid"/> for an unknown or the current skill.
    /// </summary>
    Task TransferAsync(string agentId, string toSkill);

    /// <summary>
    /// A supervisor moves the conversation, whoever holds it, to another skill's queue; the agent who held it is
    /// told and freed. <see cref="SwitchboardError.Conflict"/> when nobody holds it.
    /// </summary>
    Task TransferAsSupervisorAsync(string supervisorId, string toSkill);

    /// <summary>A supervisor closes the conversation, whoever holds it. <see cref="SwitchboardError.Conflict"/> when nobody holds it.</summary>
    [RetrySafe]
    Task ResolveAsSupervisorAsync(string supervisorId);

    /// <summary>The assigned agent closes the conversation; both sides are told. A complaint gets a follow-up later.</summary>
    [RetrySafe]
    Task ResolveAsync(string agentId);

    /// <summary>
    /// An agent takes a ticket (a conversation nobody could take live): a supervisor, or an agent with the topic's
    /// skill, with free capacity. <see cref="SwitchboardError.Conflict"/> if it is not a ticket or the agent is full;
    /// the same agent's claim again answers the conversation it holds. A ticket with somewhere to send an answer (the
    /// customer left a message, or came from a messaging channel) is instead claimed to be answered later
    /// (<see cref="AnswerTicketAsync"/>): supervisors only, no capacity taken, and
    /// <see cref="SwitchboardError.Conflict"/> when another supervisor claimed it first.
    /// </summary>
    [RetrySafe]
    Task<ConversationView> ClaimTicketAsync(string agentId);

    /// <summary>
    /// The waiting customer leaves a message instead of waiting: the conversation leaves its queues and becomes a
    /// ticket with the customer's contact and text, stored before it answers. An email address is required unless the
    /// conversation came from a messaging channel (whose outbound webhook then takes the answer). The same
    /// <see cref="Supervision.LeftMessage.RequestId"/> again answers the conversation and changes nothing; another
    /// message once one was left, or a conversation an agent holds or that is closed, is
    /// <see cref="SwitchboardError.Conflict"/>; a bad address or an empty message <see cref="SwitchboardError.Invalid"/>.
    /// A channel (<paramref name="channel"/>) may leave one only on a conversation it opened
    /// (<see cref="SwitchboardError.Forbidden"/>), and a web customer only on a web conversation.
    /// </summary>
    [RetrySafe]
    Task<ConversationView> LeaveMessageAsync(string requestId, string? email, string text, string? channel = null);

    /// <summary>
    /// The supervisor who claimed the ticket answers it. The answer is stored (and shown in the transcript) before this
    /// returns; delivery (email, or the channel's outbound webhook) runs afterwards from the conversation's clock,
    /// retried with backoff up to a bound, and survives a silo's death. The same <paramref name="answerId"/> again
    /// answers the conversation; a second, different answer is <see cref="SwitchboardError.Conflict"/>, as is answering a
    /// ticket one did not claim.
    /// </summary>
    [RetrySafe]
    Task<ConversationView> AnswerTicketAsync(string agentId, string answerId, string text);

    /// <summary>
    /// A supervisor sends an undelivered answer again: a new round of attempts starts now. An answer already delivered
    /// is not sent again (the conversation is answered, unchanged), so a retry can never make a second mail.
    /// <see cref="SwitchboardError.Conflict"/> when there is no answer to send.
    /// </summary>
    [RetrySafe]
    Task<ConversationView> RetryTicketAnswerAsync(string agentId);

    /// <summary>
    /// Whether the conversation is assigned to <paramref name="agentId"/> now, or is asking that agent for a slot.
    /// Read-only and interleaved, so an agent checking the capacity it holds never waits behind the conversation
    /// (conversations call agents).
    /// </summary>
    [AlwaysInterleave]
    [RetrySafe]
    Task<bool> IsAssignedToAsync(string agentId);

    /// <summary>
    /// The deadline service wakes the conversation: its own clock may have been lost with its silo (or a queue it
    /// waits in lost its waiting list). It does whatever fell due, joins its queues again if it waits, and tells the
    /// service its next time. Nobody waits for it.
    /// </summary>
    [OneWay]
    Task WakeAsync();

    /// <summary>
    /// The agent went offline and its grace period ran out: if the conversation is still theirs, it returns to the front of its queue.
    /// One-way so an agent never waits on a conversation (conversations call agents).
    /// </summary>
    [OneWay]
    Task ReclaimAsync(string agentId);

    /// <summary>
    /// The customer left. Before any agent answer the conversation is abandoned (resolved, <c>Abandoned</c> set);
    /// after one it is resolved by the customer. The agent is told and freed. Idempotent once resolved.
    /// </summary>
    [RetrySafe]
    Task<ConversationView> LeaveAsync();

    /// <summary>
    /// The customer is typing: the agent holding the conversation hears it (nobody while it waits). Nothing is stored
    /// (a typing signal is ephemeral) and it interleaves with everything, so it never waits behind a command; on a
    /// closed conversation it does nothing.
    /// </summary>
    [AlwaysInterleave]
    [RetrySafe]
    Task CustomerTypingAsync();

    /// <summary>
    /// The agent holding the conversation is typing: the customer hears it, under <paramref name="agentName"/>. Nothing
    /// is stored; <see cref="SwitchboardError.Forbidden"/> for an agent who does not hold it (a closed one included).
    /// </summary>
    [AlwaysInterleave]
    [RetrySafe]
    Task AgentTypingAsync(string agentId, string agentName);

    /// <summary>
    /// The customer rates a resolved conversation 1–5 with an optional comment (at most 1000 characters). Once per
    /// conversation: the same rating again answers the stored one, a different one is refused with
    /// <see cref="SwitchboardError.Conflict"/>, as is rating an open or abandoned one; a bad score or comment with
    /// <see cref="SwitchboardError.Invalid"/>.
    /// </summary>
    [RetrySafe]
    Task<ConversationRating> RateAsync(int score, string? comment);

    /// <summary>
    /// An agent takes the conversation from the console's Unassigned view, where they saw it waiting in
    /// <paramref name="queue"/> under <paramref name="ticket"/>: the same path as a queue's offer (the agent's grain
    /// grants the slot, <see cref="Agents.IAgentGrain.TryPickAsync"/>; the assignment is stored before the answer), then it
    /// leaves every queue it waited in. The same agent's pick again answers the conversation it holds;
    /// <see cref="SwitchboardError.Conflict"/> when it no longer waits there under that ticket, or the agent's grain
    /// refuses (no room, skill or connection).
    /// </summary>
    [RetrySafe]
    Task<ConversationView> PickAsync(string agentId, string queue, int ticket);
}
