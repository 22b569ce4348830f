using System.Collections.Immutable;

namespace Switchboard.Supervision;

/// <summary>
/// The list of tickets supervisors see (key 0: one board; tickets are rare and never on the message path).
/// Conversations add and remove themselves; the board never calls them.
/// </summary>
public interface ITicketBoardGrain : IGrainWithIntegerKey
{
    /// <summary>Adds or replaces a ticket. Stored before it returns.</summary>
    [RetrySafe]
    Task AddAsync(TicketSummary ticket);

    /// <summary>Removes a ticket once claimed. Idempotent.</summary>
    [RetrySafe]
    Task RemoveAsync(string conversationId);

    /// <summary>Open tickets, oldest first.</summary>
    [RetrySafe]
    Task<ImmutableArray<TicketSummary>> GetAsync();
}
