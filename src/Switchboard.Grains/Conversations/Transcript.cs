using System.Collections.Immutable;
using Orleans.Storage;

namespace Switchboard.Conversations;

/// <summary>
/// A conversation's messages, stored so that a message costs the same whatever came before it. The newest messages
/// (fewer than a page) travel in the conversation's own state, which every command stores anyway; each time they fill
/// a page (<see cref="TranscriptLimits.MessagesPerPage"/>) that page is written once, under its own id, and leaves the
/// state. So a conversation's stored state stays small, a 200-message chat writes no growing copies, and a short chat
/// writes nothing more than before.
/// </summary>
/// <remarks>
/// The conversation's state is the commit point: it names its sealed pages (<see cref="ConversationState.Pages"/>) and
/// holds the rest. A page is written, under a name never used before, before the state that names it; if that state
/// write fails, the page is an orphan nobody reads (the next seal of the same messages gets a new name), so no write
/// ever overwrites a page, even from a second activation of the same conversation while a silo is being declared dead.
/// Message ids (a client's retry is answered with its stored message) go with their messages.
/// </remarks>
internal sealed class Transcript(IPersistentState<ConversationState> state) : IReadOnlyList<ChatMessage>
{
    private const string StateName = "transcript";

    // The sealed pages' messages in order, and their client ids; the rest are the state's.
    private readonly List<ChatMessage> _sealed = [];
    private readonly Dictionary<string, int> _sealedIds = new(StringComparer.Ordinal);

    private ConversationState State => state.State;

    public int Count => _sealed.Count + State.Messages.Count;

    public ChatMessage this[int index] => index < _sealed.Count ? _sealed[index] : State.Messages[index - _sealed.Count];

    /// <summary>Reads the sealed pages the state names.</summary>
    public async Task LoadAsync(IGrainStorage storage, string conversationId)
    {
        _sealed.Clear();
        _sealedIds.Clear();
        for (var page = 0; page < State.Pages.Count; page++)
        {
            var stored = new GrainState<TranscriptPage>(new TranscriptPage());
            await storage.ReadStateAsync(StateName, PageId(conversationId, page, State.Pages[page]), stored);
            if (!stored.RecordExists || stored.State is null)
            {
                throw new InvalidOperationException($"Conversation '{conversationId}' names {State.Pages.Count} pages of messages, but page {page} is not stored.");
            }

            _sealed.AddRange(stored.State.Messages);
            foreach (var (id, sequence) in stored.State.MessageIds)
            {
                _sealedIds[id] = sequence;
            }
        }
    }

    public ChatMessage Add(MessageAuthor from, string? agentId, string text, DateTimeOffset at, string? agentName = null)
    {
        var message = new ChatMessage(Count + 1, from, agentId, text, at, agentName);
        State.Messages.Add(message);
        return message;
    }

    /// <summary>Remembers which message a client's id stands for.</summary>
    public void Identify(string messageId, int sequence) => State.MessageIds[messageId] = sequence;

    public bool Has(string messageId) => State.MessageIds.ContainsKey(messageId) || _sealedIds.ContainsKey(messageId);

    /// <summary>The message a client's id stands for, if it was used.</summary>
    public ChatMessage? Find(string messageId) =>
        State.MessageIds.TryGetValue(messageId, out var sequence) || _sealedIds.TryGetValue(messageId, out sequence)
            ? this[sequence - 1]
            : null;

    public IEnumerator<ChatMessage> GetEnumerator() => _sealed.Concat(State.Messages).GetEnumerator();

    System.Collections.IEnumerator System.Collections.IEnumerable.GetEnumerator() => GetEnumerator();

    public ImmutableArray<ChatMessage> ToImmutableArray()
    {
        var all = ImmutableArray.CreateBuilder<ChatMessage>(Count);
        all.AddRange(_sealed);
        all.AddRange(State.Messages);
        return all.MoveToImmutable();
    }

    /// <summary>Whether the state holds a full page that <see cref="SealAsync"/> would write.</summary>
    public bool HasFullPage(int messagesPerPage) => State.Messages.Count >= messagesPerPage;

    /// <summary>
    /// Writes every full page the state holds (one, unless the state was stored under an older layout or a larger
    /// page) and takes it out of the state; the caller then stores the state, which is what makes the page count.
    /// </summary>
    public async Task SealAsync(IGrainStorage storage, string conversationId, int messagesPerPage)
    {
        while (State.Messages.Count >= messagesPerPage)
        {
            var first = _sealed.Count + 1;
            var page = new TranscriptPage { Messages = State.Messages.GetRange(0, messagesPerPage) };
            foreach (var (id, sequence) in State.MessageIds)
            {
                if (sequence < first + messagesPerPage)
                {
                    page.MessageIds[id] = sequence;
                }
            }

            var name = Random.Shared.NextInt64(long.MaxValue);
            await storage.WriteStateAsync(StateName, PageId(conversationId, State.Pages.Count, name), new GrainState<TranscriptPage>(page));

            // Stored: the messages move from the state to the sealed pages (the state write that follows commits it).
            _sealed.AddRange(page.Messages);
            State.Messages.RemoveRange(0, messagesPerPage);
            foreach (var (id, sequence) in page.MessageIds)
            {
                _sealedIds[id] = sequence;
                State.MessageIds.Remove(id);
            }

            State.Pages.Add(name);
        }
    }

    /// <summary>Page <paramref name="index"/> of the conversation, as named when it was sealed.</summary>
    public static GrainId PageId(string conversationId, int index, long name) =>
        GrainId.Create("transcript-page", string.Create(System.Globalization.CultureInfo.InvariantCulture, $"{conversationId}/{index}/{name:x}"));
}

/// <summary>One sealed page of a transcript: its messages and the client ids that stand for them.</summary>
[GenerateSerializer, Alias("Switchboard.TranscriptPage")]
public sealed class TranscriptPage
{
    [Id(0)] public List<ChatMessage> Messages { get; set; } = [];

    [Id(1)] public Dictionary<string, int> MessageIds { get; set; } = [];
}
