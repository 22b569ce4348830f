using System.Collections.Immutable;

namespace Switchboard.Conversations;

/// <summary>Where a conversation is in its life.</summary>
public enum ConversationStatus
{
    /// <summary>In a queue, waiting for an agent.</summary>
    Waiting,

    /// <summary>Held by one agent.</summary>
    Assigned,

    /// <summary>Closed by the agent; nothing more can be posted.</summary>
    Resolved,

    /// <summary>Nobody could take it live: kept as a ticket for supervisors to hand out and answer later.</summary>
    Ticket,
}

/// <summary>How the customer feels, as the channel says or their messages show; it sets the first-response clock.</summary>
public enum Emotion
{
    /// <summary>Nothing known: the default clock.</summary>
    Neutral,

    /// <summary>A calm enquiry: a longer clock.</summary>
    Calm,

    /// <summary>A mild complaint: a shorter clock and a higher priority.</summary>
    Upset,

    /// <summary>Angry: the shortest clock and the highest priority.</summary>
    Angry,
}

/// <summary>Complaint tiers, from the amount at stake and any threat of a public review.</summary>
public enum ComplaintTier
{
    None,

    /// <summary>Under the medium amount: any agent, a long clock.</summary>
    Low,

    /// <summary>Between the medium and high amounts: a senior agent.</summary>
    Medium,

    /// <summary>Over the high amount, or a public review threatened: a supervisor.</summary>
    High,
}

/// <summary>The clock-driven things that happened to a conversation, recorded on it and pushed as they happen.</summary>
public enum SlaEventKind
{
    Acknowledged,
    EmotionRaised,
    Warning,
    ReservationExpired,
    Breached,
    Overflowed,
    Ticketed,
    FollowUpDue,
}

/// <summary>One staged action on a conversation's clock.</summary>
[GenerateSerializer, Immutable, Alias("Switchboard.SlaEvent")]
public sealed record SlaEvent(
    [property: Id(0)] SlaEventKind Kind,
    [property: Id(1)] DateTimeOffset At,
    [property: Id(2)] string? AgentId,
    [property: Id(3)] string Detail);

/// <summary>Who wrote a message.</summary>
public enum MessageAuthor
{
    Customer,
    Agent,
    System,
}

/// <summary>What a channel sends to open a conversation.</summary>
/// <param name="CustomerName">How agents address the customer: one line of visible text, at most <c>Switchboard:MaxNameLength</c> characters (text elements), not a look-alike of a member of staff's name.</param>
/// <param name="Topic">The skill the conversation needs (a configured queue, e.g. <c>shipping</c>).</param>
/// <param name="Text">The customer's first message.</param>
/// <param name="Priority">0–10, set by the channel (complaint, urgency); higher is served first.</param>
/// <param name="Vip">A VIP customer; adds the configured boost to the priority.</param>
/// <param name="RequiredProficiency">1–5: the lowest proficiency in the topic an agent needs to take it.</param>
/// <param name="CustomerId">The channel's id for the customer, if it has one.</param>
/// <param name="Emotion">How the customer feels, if the channel knows; raised later by what the customer writes.</param>
/// <param name="Complaint">This is a complaint; with <paramref name="Amount"/> it sets the complaint tier.</param>
/// <param name="Amount">The amount at stake in a complaint, in the shop's currency.</param>
/// <param name="PublicReviewThreat">The customer threatens a public negative review: a high-tier complaint.</param>
/// <param name="Context">What else the channel knows (e.g. <c>order</c>, <c>email</c>, <c>language</c>); shown to the agent and used by quick replies.</param>
/// <param name="StartId">
/// The client's own id for this start (a random UUID, 8–100 characters of letters, digits and <c>-_.</c>): the same
/// start id again is a retry and answers the conversation the first try opened. Without one every start is new.
/// </param>
/// <param name="Language">
/// The customer's language as a BCP 47 tag (<c>de</c>, <c>de-AT</c>, <c>ru</c>): the language of what the server says to
/// them. A malformed tag is refused; a language the shop does not serve is taken as the default (<c>en</c>).
/// </param>
[GenerateSerializer, Immutable, Alias("Switchboard.StartConversation")]
public sealed record StartConversation(
    [property: Id(0)] string CustomerName,
    [property: Id(1)] string Topic,
    [property: Id(2)] string Text,
    [property: Id(3)] int Priority = 0,
    [property: Id(4)] bool Vip = false,
    [property: Id(5)] int RequiredProficiency = 1,
    [property: Id(6)] string? CustomerId = null,
    [property: Id(7)] Emotion Emotion = Emotion.Neutral,
    [property: Id(8)] bool Complaint = false,
    [property: Id(9)] decimal? Amount = null,
    [property: Id(10)] bool PublicReviewThreat = false,
    [property: Id(11)] ImmutableDictionary<string, string>? Context = null,
    [property: Id(12)] string? StartId = null,
    [property: Id(13)] string? Language = null);

/// <summary>One message in a conversation; <see cref="Sequence"/> orders them and lets clients drop duplicates.</summary>
/// <param name="AgentName">
/// On the notice that an agent joined: the agent's name, so a client knows it without reading the notice's text,
/// which is in the customer's language.
/// </param>
[GenerateSerializer, Immutable, Alias("Switchboard.ChatMessage")]
public sealed record ChatMessage(
    [property: Id(0)] int Sequence,
    [property: Id(1)] MessageAuthor From,
    [property: Id(2)] string? AgentId,
    [property: Id(3)] string Text,
    [property: Id(4)] DateTimeOffset At,
    [property: Id(5)] string? AgentName = null);

/// <summary>A conversation as clients see it.</summary>
/// <param name="Ticket">The message the customer left, who claimed it and the answer, once it is a ticket.</param>
/// <param name="LeaveMessageFrom">
/// While it waits: from when the customer is offered to leave a message instead (at once when nobody who handles the
/// topic was available at the start, otherwise <c>Switchboard:Tickets:OfferAfter</c> into the wait).
/// </param>
/// <param name="Full">
/// The transcript reached its cap (messages or bytes of text): the customer can post no more and starts a new
/// conversation; its agent may still post a few messages and resolve it.
/// </param>
/// <param name="Language">The customer's language (a supported code such as <c>en</c>, <c>de</c>, <c>ru</c>): what the server's notices to them are written in.</param>
/// <param name="Notes">The staff's internal notes (<see cref="InternalNote"/>); always empty in what a customer reads.</param>
/// <param name="Supervisors">The supervisors who joined the conversation; empty in what a customer reads.</param>
[GenerateSerializer, Immutable, Alias("Switchboard.ConversationView")]
public sealed record ConversationView(
    [property: Id(0)] string Id,
    [property: Id(1)] string CustomerName,
    [property: Id(2)] string Topic,
    [property: Id(3)] ConversationStatus Status,
    [property: Id(4)] string? AgentId,
    [property: Id(5)] int Priority,
    [property: Id(6)] bool Vip,
    [property: Id(7)] DateTimeOffset StartedAt,
    [property: Id(8)] ImmutableArray<ChatMessage> Messages,
    [property: Id(9)] Emotion Emotion,
    [property: Id(10)] ComplaintTier Tier,
    [property: Id(11)] DateTimeOffset FirstResponseDueAt,
    [property: Id(12)] DateTimeOffset? FirstResponseAt,
    [property: Id(13)] bool Breached,
    [property: Id(14)] ImmutableArray<SlaEvent> SlaEvents,
    [property: Id(15)] ImmutableDictionary<string, string> Context,
    [property: Id(16)] bool Abandoned = false,
    [property: Id(17)] ConversationRating? Rating = null,
    [property: Id(18)] string? Channel = null,
    [property: Id(19)] string? CustomerId = null,
    [property: Id(20)] ImmutableArray<Customers.CustomerConversation> History = default,
    [property: Id(21)] OutreachInfo? Outreach = null,
    [property: Id(22)] RoutingPreference? Preference = null,
    [property: Id(23)] string? ReopenedFrom = null,
    [property: Id(24)] DateTimeOffset? ResolvedAt = null,
    [property: Id(25)] bool Full = false,
    [property: Id(26)] string Language = "en",
    [property: Id(27)] Supervision.TicketInfo? Ticket = null,
    [property: Id(28)] DateTimeOffset? LeaveMessageFrom = null,
    [property: Id(29)] ImmutableArray<InternalNote> Notes = default,
    [property: Id(30)] ImmutableArray<string> Supervisors = default);

/// <summary>
/// A start as answered: the conversation (a new one, or the customer's open one it joined), and whether this was a
/// retry of a channel's message already taken (nothing new was stored).
/// </summary>
[GenerateSerializer, Immutable, Alias("Switchboard.StartOutcome")]
public sealed record StartOutcome(
    [property: Id(0)] ConversationView Conversation,
    [property: Id(1)] bool Replayed);

/// <summary>A posted message as stored, and whether this was a retry (the same message id) of one already taken.</summary>
[GenerateSerializer, Immutable, Alias("Switchboard.PostOutcome")]
public sealed record PostOutcome(
    [property: Id(0)] ChatMessage Message,
    [property: Id(1)] bool Replayed);

/// <summary>Why an outbound conversation was opened, and whether the customer has answered it.</summary>
/// <param name="Reason">The trigger's description for the agent, e.g. "Delivery more than 24 h late".</param>
[GenerateSerializer, Immutable, Alias("Switchboard.OutreachInfo")]
public sealed record OutreachInfo(
    [property: Id(0)] string Trigger,
    [property: Id(1)] string Reason,
    [property: Id(2)] bool CustomerAnswered = false);

/// <summary>Why a conversation is offered to one agent first.</summary>
public enum PreferenceReason
{
    /// <summary>The customer's last agent, who serves this topic, within the return window.</summary>
    LastAgent,

    /// <summary>The agent who resolved the customer's conversation on this topic within the reopen window.</summary>
    Reopened,
}

/// <summary>
/// The agent a conversation is offered to first. <see cref="HoldUntil"/> is set when the hold applied (the agent
/// was online and serves the queue): until then no other agent is offered it; never past the first-response deadline.
/// </summary>
[GenerateSerializer, Immutable, Alias("Switchboard.RoutingPreference")]
public sealed record RoutingPreference(
    [property: Id(0)] string AgentId,
    [property: Id(1)] PreferenceReason Reason,
    [property: Id(2)] DateTimeOffset? HoldUntil = null);

/// <summary>
/// What the customer grain adds to a start: the recent history, the preferred agent, an outreach trigger, and for a
/// customer of a messaging channel the channel and its message id (so a retry is answered, not opened twice).
/// </summary>
/// <param name="Outreach">For outreach: the start's text is the opening message, written by us to the customer.</param>
/// <param name="Channel">The channel the customer is known by; with <paramref name="MessageId"/> when the channel sent this start.</param>
[GenerateSerializer, Immutable, Alias("Switchboard.CustomerStart")]
public sealed record CustomerStart(
    [property: Id(0)] ImmutableArray<Customers.CustomerConversation> History,
    [property: Id(1)] RoutingPreference? Preference,
    [property: Id(2)] string? ReopenedFrom = null,
    [property: Id(3)] OutreachInfo? Outreach = null,
    [property: Id(4)] string? Channel = null,
    [property: Id(5)] string? MessageId = null);

/// <summary>How a queue's offer of a waiting conversation to an agent ended.</summary>
public enum OfferOutcome
{
    /// <summary>The agent's grain granted a slot and the conversation is assigned to the agent (stored).</summary>
    Assigned,

    /// <summary>The agent's grain granted no slot (full, away, offline, not skilled enough); nothing changed.</summary>
    Refused,

    /// <summary>The conversation no longer waits in that queue under that ticket; the queue drops its entry.</summary>
    Gone,
}

/// <summary>The answer to an offer, with the agent's availability as its grain last told it (null when not asked).</summary>
[GenerateSerializer, Immutable, Alias("Switchboard.OfferResult")]
public sealed record OfferResult(
    [property: Id(0)] OfferOutcome Outcome,
    [property: Id(1)] Agents.AgentAvailability? Availability = null)
{
    public static readonly OfferResult Gone = new(OfferOutcome.Gone);
}

/// <summary>Where a conversation stands in a queue: position 1 is served next; the wait is null when nobody serves it now.</summary>
[GenerateSerializer, Immutable, Alias("Switchboard.QueuePlacement")]
public sealed record QueuePlacement(
    [property: Id(0)] int Position,
    [property: Id(1)] TimeSpan? EstimatedWait);
