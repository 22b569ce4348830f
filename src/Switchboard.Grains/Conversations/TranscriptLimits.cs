namespace Switchboard.Conversations;

/// <summary>
/// How much one conversation may hold: the part of <c>Switchboard:Limits</c> that conversation grains enforce (the
/// edge's sizes and rates in the same section are the silo's <c>LimitsOptions</c>). Without a cap a stranger who keeps
/// writing within the rate limits grows a transcript, and the silo's memory, for as long as they like.
/// </summary>
public sealed class TranscriptLimits
{
    /// <summary>
    /// Messages one conversation holds at most (customer, agent and system messages alike); the customer's message
    /// that reaches it is the last one taken from the customer.
    /// </summary>
    public int MaxMessagesPerConversation { get; set; } = 1000;

    /// <summary>
    /// Message text one conversation holds at most, in UTF-8 bytes (what storage and the wire carry); the customer's
    /// message that reaches it is the last one taken from the customer.
    /// </summary>
    public long MaxTranscriptBytes { get; set; } = 1024 * 1024;

    /// <summary>
    /// Messages the assigned agent may still post once the conversation is full, to answer the last question and say
    /// goodbye. Resolving and transferring always work: their notes are the system's, which no cap refuses.
    /// </summary>
    public int AgentReserveMessages { get; set; } = 20;

    /// <summary>
    /// Messages stored together as one page of a transcript. The newest messages (fewer than a page) are stored with
    /// the conversation's state on every change; each full page is written once, apart, so a message costs the same
    /// in the 200th place as in the 5th. A larger page makes each change write more; a smaller one, more pages to read
    /// when a long conversation is loaded again.
    /// </summary>
    public int MessagesPerPage { get; set; } = 32;

    public IEnumerable<string> Problems(int maxMessageLength)
    {
        const string prefix = "Switchboard:Limits:";
        if (MessagesPerPage is < 2 or > 1000)
        {
            yield return $"{prefix}MessagesPerPage must be between 2 and 1000.";
        }

        // The opening message and its acknowledgement must fit, and one more from the customer.
        if (MaxMessagesPerConversation < 3)
        {
            yield return $"{prefix}MaxMessagesPerConversation must be at least 3.";
        }

        if (MaxTranscriptBytes < 1024)
        {
            yield return $"{prefix}MaxTranscriptBytes must be at least 1024.";
        }

        if (AgentReserveMessages < 0)
        {
            yield return $"{prefix}AgentReserveMessages must not be negative.";
        }

        if (MaxTranscriptBytes < maxMessageLength)
        {
            yield return $"{prefix}MaxTranscriptBytes must hold at least one message of Switchboard:MaxMessageLength ({maxMessageLength}).";
        }
    }
}
