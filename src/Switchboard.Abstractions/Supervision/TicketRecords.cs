namespace Switchboard.Supervision;

/// <summary>What a customer left when they chose to be answered later instead of waiting.</summary>
/// <param name="RequestId">The client's id for this request: the same request again is answered, not stored twice.</param>
/// <param name="Email">Where the answer goes; null for a messaging channel's customer (the channel's outbound webhook).</param>
/// <param name="Text">The customer's message for whoever answers.</param>
[GenerateSerializer, Immutable, Alias("Switchboard.LeftMessage")]
public sealed record LeftMessage(
    [property: Id(0)] string RequestId,
    [property: Id(1)] string? Email,
    [property: Id(2)] string Text,
    [property: Id(3)] DateTimeOffset At);

/// <summary>How far an answer to a ticket has gone.</summary>
public enum AnswerDelivery
{
    /// <summary>Stored, not delivered yet: an attempt is due at <see cref="TicketAnswer.NextAttemptAt"/>.</summary>
    Pending,

    /// <summary>The mail server or the channel's webhook took it.</summary>
    Delivered,

    /// <summary>Every attempt failed (<see cref="TicketAnswer.LastError"/>); it waits for a supervisor's retry.</summary>
    Failed,
}

/// <summary>A supervisor's answer to a ticket and where its delivery stands.</summary>
/// <param name="MessageId">Stable across attempts: the outbound webhook's <c>messageId</c> and the mail's Message-Id, for the receiver to deduplicate on.</param>
/// <param name="Via"><c>email</c>, or <c>channel:&lt;name&gt;</c>.</param>
[GenerateSerializer, Immutable, Alias("Switchboard.TicketAnswer")]
public sealed record TicketAnswer(
    [property: Id(0)] string AnswerId,
    [property: Id(1)] string AgentId,
    [property: Id(2)] string Text,
    [property: Id(3)] DateTimeOffset At,
    [property: Id(4)] string MessageId,
    [property: Id(5)] string Via,
    [property: Id(6)] AnswerDelivery Delivery,
    [property: Id(7)] int Attempts,
    [property: Id(8)] string? LastError,
    [property: Id(9)] DateTimeOffset? NextAttemptAt,
    [property: Id(10)] DateTimeOffset? DeliveredAt);

/// <summary>The ticket side of a conversation: the message left, who claimed it to answer, the answer.</summary>
/// <param name="Contact">Where an answer goes: the email address, or <c>channel:&lt;name&gt;</c>; null when there is none (take it live).</param>
[GenerateSerializer, Immutable, Alias("Switchboard.TicketInfo")]
public sealed record TicketInfo(
    [property: Id(0)] LeftMessage? Message,
    [property: Id(1)] string? Contact,
    [property: Id(2)] string? ClaimedBy,
    [property: Id(3)] TicketAnswer? Answer);
