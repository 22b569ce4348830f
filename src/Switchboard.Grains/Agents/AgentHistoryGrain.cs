using System.Collections.Immutable;
using System.Globalization;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Orleans.Storage;

namespace Switchboard.Agents;

[GenerateSerializer, Alias("Switchboard.AgentHistoryState")]
public sealed class AgentHistoryState
{
    /// <summary>The newest closed conversations, oldest first: fewer than a segment (<see cref="AgentHistoryGrain.SegmentSize"/>) once stored.</summary>
    [Id(0)] public List<PastConversation> Closed { get; set; } = [];

    /// <summary>The sealed segments stored apart, oldest first, each named by the random number it was written under.</summary>
    [Id(1)] public List<long> Segments { get; set; } = [];
}

/// <summary>A full segment of an agent's history, written once under its own id.</summary>
[GenerateSerializer, Alias("Switchboard.AgentHistorySegment")]
public sealed class AgentHistorySegment
{
    [Id(0)] public List<PastConversation> Closed { get; set; } = [];
}

/// <summary>
/// One agent's closed conversations, kept so the console finds them again without reading any conversation: its
/// Closed today view and its search (customer name, order number, text). A search looks at this agent's bounded list
/// only, so its cost does not grow with the cluster's conversations. As with transcripts, a close must not rewrite
/// the whole history: the state holds only the newest few; each full segment of <see cref="SegmentSize"/> is written
/// once under its own id (a name never used before, written before the state that names it), and the oldest segment
/// is dropped (cleared after the state stops naming it) once the history holds more than
/// <c>Switchboard:Workspace:HistoryPerAgent</c>.
/// </summary>
public sealed class AgentHistoryGrain(
    [PersistentState("agent-history", SwitchboardOptions.StorageName)] IPersistentState<AgentHistoryState> state,
    IOptions<SwitchboardOptions> options,
    ILogger<AgentHistoryGrain> logger) : Grain, IAgentHistoryGrain
{
    public const int SegmentSize = 20;
    private const string SegmentStateName = "agent-history-segment";

    // Words beyond these are ignored: a search is a few words, and each costs a pass over the list.
    private const int MaxWords = 8;
    private const int MaxQueryLength = 200;
    private const int SnippetLength = 140;

    private static readonly CompareInfo Compare = CultureInfo.InvariantCulture.CompareInfo;
    private const CompareOptions Loose = CompareOptions.IgnoreCase | CompareOptions.IgnoreNonSpace | CompareOptions.IgnoreWidth;

    private readonly WorkspaceOptions _options = options.Value.Workspace;

    // The sealed segments' entries, in the order of State.Segments.
    private readonly List<List<PastConversation>> _sealed = [];

    private AgentHistoryState State => state.State;

    private IGrainStorage Storage => ServiceProvider.GetRequiredKeyedService<IGrainStorage>(SwitchboardOptions.StorageName);

    // Each sealed segment's stored version, which clearing it must name (storage that keeps versions refuses a clear
    // without one: on PostgreSQL every old segment stayed behind with a warning).
    private readonly Dictionary<long, string?> _segmentVersions = [];

    private string AgentId => this.GetPrimaryKeyString();

    public override async Task OnActivateAsync(CancellationToken cancellationToken)
    {
        foreach (var name in State.Segments)
        {
            var stored = new GrainState<AgentHistorySegment>(new AgentHistorySegment());
            await Storage.ReadStateAsync(SegmentStateName, SegmentId(name), stored);
            _segmentVersions[name] = stored.ETag;
            // A segment the state names was written before it: missing means storage lost it, and the rest still counts.
            _sealed.Add(stored.RecordExists && stored.State is not null ? stored.State.Closed : []);
        }
    }

    public async Task RecordAsync(PastConversation conversation)
    {
        ArgumentNullException.ThrowIfNull(conversation);
        var text = conversation.Text.Length > _options.SearchTextLength
            ? conversation.Text[^_options.SearchTextLength..]
            : conversation.Text;
        var entry = conversation with { Text = text };
        if (State.Closed.Contains(entry) || _sealed.Any(segment => segment.Contains(entry)))
        {
            return;
        }

        // A conversation that closes again (reopened, resolved by a supervisor) is kept once, as it closed last; a
        // copy in a sealed segment stays there and is passed over by searches (they take the newest of an id).
        State.Closed.RemoveAll(c => c.Id == entry.Id);
        State.Closed.Insert(State.Closed.FindLastIndex(c => c.ClosedAt <= entry.ClosedAt) + 1, entry);
        var dropped = new List<long>();
        try
        {
            if (State.Closed.Count >= SegmentSize)
            {
                var segment = new AgentHistorySegment { Closed = State.Closed.GetRange(0, SegmentSize) };
                var name = Random.Shared.NextInt64(long.MaxValue);
                var written = new GrainState<AgentHistorySegment>(segment);
                await Storage.WriteStateAsync(SegmentStateName, SegmentId(name), written);
                _segmentVersions[name] = written.ETag;
                State.Closed.RemoveRange(0, SegmentSize);
                State.Segments.Add(name);
                _sealed.Add(segment.Closed);
            }

            while (State.Segments.Count > 0 && (State.Segments.Count - 1) * SegmentSize + State.Closed.Count >= _options.HistoryPerAgent)
            {
                dropped.Add(State.Segments[0]);
                State.Segments.RemoveAt(0);
                _sealed.RemoveAt(0);
            }

            await state.WriteStateAsync();
        }
        catch
        {
            // Not stored: this activation goes, and the next reads what was (the caller's retry records it then).
            DeactivateOnIdle();
            throw;
        }

        foreach (var name in dropped)
        {
            try
            {
                _segmentVersions.Remove(name, out var version);
                await Storage.ClearStateAsync(SegmentStateName, SegmentId(name), new GrainState<AgentHistorySegment>(new AgentHistorySegment()) { ETag = version, RecordExists = true });
            }
            catch (Exception ex)
            {
                // Nobody names it any more: left over, never read.
                logger.LogWarning(ex, "Agent {AgentId}'s history could not clear an old segment", AgentId);
            }
        }
    }

    private GrainId SegmentId(long name) =>
        GrainId.Create("agent-history-segment", string.Create(CultureInfo.InvariantCulture, $"{AgentId}/{name:x}"));

    /// <summary>Every kept entry, newest first, each conversation once (as it closed last).</summary>
    private IEnumerable<PastConversation> NewestFirst()
    {
        var seen = new HashSet<string>(StringComparer.Ordinal);
        for (var i = State.Closed.Count - 1; i >= 0; i--)
        {
            if (seen.Add(State.Closed[i].Id))
            {
                yield return State.Closed[i];
            }
        }

        for (var s = _sealed.Count - 1; s >= 0; s--)
        {
            for (var i = _sealed[s].Count - 1; i >= 0; i--)
            {
                if (seen.Add(_sealed[s][i].Id))
                {
                    yield return _sealed[s][i];
                }
            }
        }
    }

    public Task<ImmutableArray<PastConversationHit>> FindAsync(DateTimeOffset? closedSince, string? query, int limit)
    {
        var words = Words(query);
        var found = ImmutableArray.CreateBuilder<PastConversationHit>();
        foreach (var c in NewestFirst())
        {
            if (found.Count >= limit)
            {
                break;
            }

            if (closedSince is { } since && c.ClosedAt < since)
            {
                // Not a break: a retried record can arrive after later ones, and the whole list is small.
                continue;
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
