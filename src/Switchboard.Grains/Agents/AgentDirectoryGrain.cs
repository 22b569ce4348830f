using System.Collections.Immutable;

namespace Switchboard.Agents;

[GenerateSerializer, Alias("Switchboard.AgentDirectoryState")]
public sealed class AgentDirectoryState
{
    [Id(0)] public HashSet<string> Made { get; set; } = [];
}

public sealed class AgentDirectoryGrain(
    [PersistentState("agent-directory", SwitchboardOptions.StorageName)] IPersistentState<AgentDirectoryState> state) : Grain, IAgentDirectoryGrain
{
    public async Task AddAsync(string agentId)
    {
        if (!state.State.Made.Add(agentId))
        {
            return;
        }

        try
        {
            await state.WriteStateAsync();
        }
        catch
        {
            // Not stored: not known either, so the caller's retry stores it.
            state.State.Made.Remove(agentId);
            throw;
        }
    }

    public Task<bool> ContainsAsync(string agentId) => Task.FromResult(state.State.Made.Contains(agentId));

    public Task<ImmutableArray<string>> ListAsync() => Task.FromResult(state.State.Made.Order(StringComparer.Ordinal).ToImmutableArray());
}
