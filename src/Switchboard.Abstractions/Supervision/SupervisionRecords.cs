using Switchboard.Conversations;

namespace Switchboard.Supervision;

/// <summary>What supervisors are told about as it happens.</summary>
public enum SupervisorAlertKind
{
    /// <summary>A first-response deadline passed without an answer.</summary>
    Breach,

    /// <summary>Nobody could take a conversation live; it became a ticket.</summary>
    Ticket,

    /// <summary>A resolved complaint is due its follow-up.</summary>
    FollowUp,

    /// <summary>A queue's first response time jumped (recent 15 min against the hour before); no conversation id.</summary>
    Anomaly,

    /// <summary>An answer to a ticket could not be delivered after every attempt; a supervisor may retry it.</summary>
    Undelivered,
}

[GenerateSerializer, Immutable, Alias("Switchboard.SupervisorAlert")]
public sealed record SupervisorAlert(
    [property: Id(0)] SupervisorAlertKind Kind,
    [property: Id(1)] string ConversationId,
    [property: Id(2)] string Topic,
    [property: Id(3)] string Detail,
    [property: Id(4)] DateTimeOffset At);

/// <summary>A conversation waiting as a ticket.</summary>
/// <param name="Contact">Where an answer goes (an email address, or <c>channel:&lt;name&gt;</c>); null: nobody to write to, take it live.</param>
/// <param name="LeftMessage">What the customer wrote when they left a message.</param>
/// <param name="ClaimedBy">The supervisor answering it.</param>
/// <param name="Answer">The answer and its delivery: pending, or failed with the last error.</param>
[GenerateSerializer, Immutable, Alias("Switchboard.TicketSummary")]
public sealed record TicketSummary(
    [property: Id(0)] string ConversationId,
    [property: Id(1)] string CustomerName,
    [property: Id(2)] string Topic,
    [property: Id(3)] ComplaintTier Tier,
    [property: Id(4)] Emotion Emotion,
    [property: Id(5)] DateTimeOffset StartedAt,
    [property: Id(6)] DateTimeOffset TicketedAt,
    [property: Id(7)] string FirstMessage,
    [property: Id(8)] string? Contact = null,
    [property: Id(9)] string? LeftMessage = null,
    [property: Id(10)] string? ClaimedBy = null,
    [property: Id(11)] TicketAnswer? Answer = null);
