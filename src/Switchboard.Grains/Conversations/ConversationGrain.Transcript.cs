using System.Globalization;
using System.Text;

namespace Switchboard.Conversations;

/// <summary>
/// The transcript's cap (<see cref="TranscriptLimits"/>): a conversation holds at most so many messages and so many
/// bytes of text, the agent's and the system's included. The customer's or agent's message that reaches the cap is
/// taken, and a system note tells both sides; from then on the customer is refused (and told to start a new
/// conversation) while the agent may post a small reserve and resolve. Nothing stored is ever dropped.
/// </summary>
public sealed partial class ConversationGrain
{
    /// <summary>The system note posted once, with the message that fills the conversation.</summary>
    /// <summary>The note in English (the built-in catalogue's <c>conversation.full</c>); a customer hears it in their language.</summary>
    public const string FullNotice = "This conversation is full; please start a new one.";

    // The transcript's text in UTF-8 bytes: counted once per activation, then kept up to date by Append, so a post
    // never walks a megabyte of text.
    private long _transcriptBytes;

    private TranscriptLimits Limits => _options.Limits;

    /// <summary>The transcript reached a cap: the customer may post no more. Judged by the settings now in force.</summary>
    private bool Full =>
        _transcript.Count >= Limits.MaxMessagesPerConversation || _transcriptBytes >= Limits.MaxTranscriptBytes;

    private void CountTranscript()
    {
        _transcriptBytes = 0;
        foreach (var message in _transcript)
        {
            _transcriptBytes += Encoding.UTF8.GetByteCount(message.Text);
        }
    }

    private void CountInTranscript(ChatMessage message) => _transcriptBytes += Encoding.UTF8.GetByteCount(message.Text);

    private void EnsureRoomForCustomer()
    {
        if (Full)
        {
            throw SwitchboardException.Conflict(
                $"Conversation '{Id}' is full: a conversation holds at most {Limits.MaxMessagesPerConversation} messages and {Size(Limits.MaxTranscriptBytes)} of text. Please start a new conversation.");
        }
    }

    /// <summary>
    /// The agent may go on past the cap for <see cref="TranscriptLimits.AgentReserveMessages"/> messages, counted from
    /// where it was reached (from now, for a conversation stored full before the cap existed or under a lower cap).
    /// </summary>
    private void EnsureRoomForAgent()
    {
        if (!Full)
        {
            return;
        }

        var posted = 0;
        for (var i = State.FullAt ?? _transcript.Count; i < _transcript.Count; i++)
        {
            posted += _transcript[i].From == MessageAuthor.Agent ? 1 : 0;
        }

        if (posted >= Limits.AgentReserveMessages)
        {
            throw SwitchboardException.Conflict(
                $"Conversation '{Id}' is full, and its agent has posted the {Limits.AgentReserveMessages} messages kept for closing it; resolve it (the customer can start a new conversation).");
        }
    }

    /// <summary>
    /// After a customer's or an agent's message: if that message filled the conversation, the note that says so
    /// (appended here, once in the conversation's life, and stored with the message); otherwise null.
    /// </summary>
    private ChatMessage? NoteIfFull(DateTimeOffset now)
    {
        if (State.FullAt is not null || !Full)
        {
            return null;
        }

        State.FullAt = _transcript.Count;
        return Append(MessageAuthor.System, null, Language.Text("conversation.full"), now);
    }

    private static string Size(long bytes) => bytes switch
    {
        >= 1024 * 1024 when bytes % (1024 * 1024) == 0 => string.Create(CultureInfo.InvariantCulture, $"{bytes / (1024 * 1024)} MiB"),
        >= 1024 when bytes % 1024 == 0 => string.Create(CultureInfo.InvariantCulture, $"{bytes / 1024} KiB"),
        _ => string.Create(CultureInfo.InvariantCulture, $"{bytes} bytes"),
    };
}
