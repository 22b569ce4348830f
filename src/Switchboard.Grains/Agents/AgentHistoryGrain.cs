using System.Collections.Immutable;
using System.Globalization;
using Microsoft.Extensions.Options;

namespace Switchboard.Agents;

[GenerateSerializer, Alias("Switchboard.AgentHistoryState")]
public sealed class AgentHistoryState
{
    /// <summary>Oldest first; at most <see cref="WorkspaceOptions.HistoryPerAgent"/>.</summary>
    [Id(0)] public List<PastConversation> Closed { get; set; } = [];
}

/// <summary>
/// One agent's closed conversations, kept so the console finds them again without reading any conversation: its
/// Closed today view and its search (customer name, order number, text). A search looks at this agent's bounded list
/// only, so its cost does not grow with the cluster's conversations.
/// </summary>
public sealed class AgentHistoryGrain(
    [PersistentState("agent-history", SwitchboardOptions.StorageName)] IPersistentState<AgentHistoryState> state,
    IOptions<SwitchboardOptions> options) : Grain, IAgentHistoryGrain
{
    // Words beyond these are ignored: a search is a few words, and each costs a pass over the list.
    private const int MaxWords = 8;
    private const int MaxQueryLength = 200;
    private const int SnippetLength = 140;

    private static readonly CompareInfo Compare = CultureInfo.InvariantCulture.CompareInfo;
    private const CompareOptions Loose = CompareOptions.IgnoreCase | CompareOptions.IgnoreNonSpace | CompareOptions.IgnoreWidth;

    private readonly WorkspaceOptions _options = options.Value.Workspace;

    private List<PastConversation> Closed => state.State.Closed;

    public async Task RecordAsync(PastConversation conversation)
    {
        ArgumentNullException.ThrowIfNull(conversation);
        var text = conversation.Text.Length > _options.SearchTextLength
            ? conversation.Text[^_options.SearchTextLength..]
            : conversation.Text;
        var entry = conversation with { Text = text };
        var at = Closed.FindIndex(c => c.Id == entry.Id);
        if (at >= 0 && Closed[at] == entry)
        {
            return;
        }

        var before = Closed.ToList();
        if (at >= 0)
        {
            Closed.RemoveAt(at);
        }

        // Kept in the order they closed: a conversation that closes again (reopened, resolved by a supervisor) moves up.
        var place = Closed.FindLastIndex(c => c.ClosedAt <= entry.ClosedAt) + 1;
        Closed.Insert(place, entry);
        if (Closed.Count > _options.HistoryPerAgent)
        {
            Closed.RemoveRange(0, Closed.Count - _options.HistoryPerAgent);
        }

        try
        {
            await state.WriteStateAsync();
        }
        catch
        {
            // Not stored, not kept: the caller's retry records it.
            state.State.Closed = before;
            throw;
        }
    }

    public Task<ImmutableArray<PastConversationHit>> FindAsync(DateTimeOffset? closedSince, string? query, int limit)
    {
        var words = Words(query);
        var found = ImmutableArray.CreateBuilder<PastConversationHit>();
        for (var i = Closed.Count - 1; i >= 0 && found.Count < Math.Max(0, limit); i--)
        {
            var c = Closed[i];
            if (closedSince is { } since && c.ClosedAt < since)
            {
                // Newest first: everything before this one closed earlier still.
                break;
            }

            if (words.All(word => Contains(c.CustomerName, word) || Contains(c.Order, word) || Contains(c.Text, word)))
            {
                found.Add(new PastConversationHit(c.Id, c.CustomerName, c.Topic, c.Order, c.StartedAt, c.ClosedAt, c.EndedByCustomer, Snippet(c.Text, words), c.Language));
            }
        }

        return Task.FromResult(found.ToImmutable());
    }

    private static string[] Words(string? query)
    {
        if (string.IsNullOrWhiteSpace(query))
        {
            return [];
        }

        var bounded = query.Length > MaxQueryLength ? query[..MaxQueryLength] : query;
        return [.. bounded.Split((char[]?)null, StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).Distinct().Take(MaxWords)];
    }

    private static bool Contains(string? text, string word) => text is not null && Compare.IndexOf(text, word, Loose) >= 0;

    /// <summary>The text around the first word found in it, or its end (the latest messages) when the hit was the name or order.</summary>
    private static string Snippet(string text, string[] words)
    {
        var hit = words.Select(word => Compare.IndexOf(text, word, Loose)).Where(at => at >= 0).DefaultIfEmpty(-1).Min();
        if (text.Length <= SnippetLength)
        {
            return text;
        }

        if (hit < 0)
        {
            return "…" + text[^SnippetLength..].TrimStart();
        }

        var start = Math.Clamp(hit - (SnippetLength / 3), 0, text.Length - SnippetLength);
        return (start > 0 ? "…" : "") + text.Substring(start, SnippetLength).Trim() + (start + SnippetLength < text.Length ? "…" : "");
    }
}
