using System.Collections.Immutable;
using Orleans.Concurrency;

namespace Switchboard.Agents;

/// <summary>
/// One agent's closed conversations (keyed by agent id): what the console's Closed today view and its search read.
/// Each conversation adds itself when it closes in that agent's hands, so a search reads one grain, never every
/// conversation. Bounded: the newest <c>Switchboard:Workspace:HistoryPerAgent</c> conversations, each with at most
/// <c>Switchboard:Workspace:SearchTextLength</c> characters of its messages to search in.
/// </summary>
public interface IAgentHistoryGrain : IGrainWithStringKey
{
    /// <summary>Adds (or replaces, by id) a closed conversation; stored before it returns. Idempotent.</summary>
    [RetrySafe]
    Task RecordAsync(PastConversation conversation);

    /// <summary>
    /// The agent's closed conversations, newest first, at most <paramref name="limit"/>: those closed at or after
    /// <paramref name="closedSince"/> (all kept if null) whose customer name, order number or text contains every word
    /// of <paramref name="query"/> (case- and accent-insensitive; all if empty), each with a snippet around the first hit.
    /// </summary>
    [ReadOnly]
    [RetrySafe]
    Task<ImmutableArray<PastConversationHit>> FindAsync(DateTimeOffset? closedSince, string? query, int limit);
}
