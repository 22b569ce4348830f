using System.Collections.Immutable;

namespace Switchboard.Supervision;

[GenerateSerializer, Alias("Switchboard.TicketBoardState")]
public sealed class TicketBoardState
{
    [Id(0)] public Dictionary<string, TicketSummary> Tickets { get; set; } = [];
}

public sealed class TicketBoardGrain(
    [PersistentState("tickets", SwitchboardOptions.StorageName)] IPersistentState<TicketBoardState> state) : Grain, ITicketBoardGrain
{
    public async Task AddAsync(TicketSummary ticket)
    {
        state.State.Tickets[ticket.ConversationId] = ticket;
        await state.WriteStateAsync();
    }

    public async Task RemoveAsync(string conversationId)
    {
        if (state.State.Tickets.Remove(conversationId))
        {
            await state.WriteStateAsync();
        }
    }

    public Task<ImmutableArray<TicketSummary>> GetAsync() =>
        Task.FromResult(state.State.Tickets.Values.OrderBy(t => t.TicketedAt).ThenBy(t => t.ConversationId, StringComparer.Ordinal).ToImmutableArray());
}
