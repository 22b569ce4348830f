using System.Collections.Immutable;
using Orleans.Concurrency;

namespace Switchboard.Agents;

/// <summary>
/// The agents made through <c>PUT /api/agents/{id}</c> (key 0: one list; agents are made by supervisors, rarely).
/// With the configured agents it says which agent ids exist without activating an agent grain for each id someone
/// asks about: the development sign-in answers anyone, so a probe for an id nobody made must cost nothing that stays.
/// </summary>
public interface IAgentDirectoryGrain : IGrainWithIntegerKey
{
    /// <summary>Records that an agent was made; stored before it returns. Idempotent.</summary>
    [RetrySafe]
    Task AddAsync(string agentId);

    /// <summary>Whether an agent of that id was made (configured agents are not listed here).</summary>
    [ReadOnly]
    [RetrySafe]
    Task<bool> ContainsAsync(string agentId);

    /// <summary>Every agent id made so far, in ordinal order (for the supervisor's overview).</summary>
    [ReadOnly]
    [RetrySafe]
    Task<ImmutableArray<string>> ListAsync();
}
