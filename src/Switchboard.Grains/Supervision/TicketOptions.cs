namespace Switchboard.Supervision;

/// <summary>
/// Leaving a message and answering it later, bound from <c>Switchboard:Tickets</c> (the SMTP server is the silo's
/// own setting, <c>Switchboard:Tickets:Smtp</c>; a channel's outbound webhook is the channel's).
/// </summary>
public sealed class TicketOptions
{
    /// <summary>How long a customer waits before the chat page offers to leave a message (at once when nobody who handles the topic is available).</summary>
    public TimeSpan OfferAfter { get; set; } = TimeSpan.FromMinutes(2);

    /// <summary>The wait after a failed delivery attempt; it doubles after each further failure, with jitter.</summary>
    public TimeSpan FirstRetry { get; set; } = TimeSpan.FromSeconds(10);

    /// <summary>The longest wait between two attempts.</summary>
    public TimeSpan MaxRetry { get; set; } = TimeSpan.FromMinutes(10);

    /// <summary>Attempts in one round; after them the answer shows as undelivered until a supervisor retries it.</summary>
    public int MaxAttempts { get; set; } = 6;

    /// <summary>How long one attempt (SMTP conversation or webhook call) may take.</summary>
    public TimeSpan AttemptTimeout { get; set; } = TimeSpan.FromSeconds(30);

    public IEnumerable<string> Problems(string section)
    {
        if (OfferAfter <= TimeSpan.Zero || OfferAfter > TimeSpan.FromDays(1))
        {
            yield return $"{section}:OfferAfter must be positive and at most a day (e.g. 00:02:00).";
        }

        if (FirstRetry <= TimeSpan.Zero || MaxRetry < FirstRetry)
        {
            yield return $"{section}:FirstRetry must be positive and {section}:MaxRetry at least as long.";
        }

        if (MaxAttempts is < 1 or > 100)
        {
            yield return $"{section}:MaxAttempts must be 1–100.";
        }

        if (AttemptTimeout <= TimeSpan.Zero || AttemptTimeout > TimeSpan.FromMinutes(5))
        {
            yield return $"{section}:AttemptTimeout must be positive and at most 5 minutes.";
        }
    }
}

/// <summary>One answer to deliver, as the conversation hands it to <see cref="ITicketDelivery"/>.</summary>
/// <param name="MessageId">The same for every attempt of this answer: the receiver deduplicates on it.</param>
/// <param name="Email">The customer's address, or null for a channel's customer.</param>
/// <param name="Channel">The messaging channel whose outbound webhook takes it, or null for email.</param>
/// <param name="ChannelCustomerId">The channel's own id for the customer, when it named one.</param>
/// <param name="Language">The customer's language when the conversation knows it (optional).</param>
public sealed record TicketDeliveryRequest(
    string ConversationId,
    string MessageId,
    string? Email,
    string? Channel,
    string? ChannelCustomerId,
    string CustomerName,
    string Topic,
    string TopicName,
    string Question,
    string Answer,
    string AgentId,
    DateTimeOffset AnsweredAt,
    string? Language = null);

/// <summary>
/// Sends answers to tickets out of the cluster (SMTP, a channel's outbound webhook). Silo-local: conversations resolve
/// it from the silo's services for each attempt and never hold a connection.
/// </summary>
public interface ITicketDelivery
{
    /// <summary>Delivers the answer once, or throws with a message a supervisor can read (it is shown on the board).</summary>
    Task DeliverAsync(TicketDeliveryRequest request, CancellationToken cancellationToken);
}
