using Orleans.Concurrency;
using Switchboard.Agents;

namespace Switchboard.Queues;

/// <summary>
/// The waiting list for one skill (keyed by the skill) and a cache of the agents who serve it. Soft state: rebuilt
/// from conversations and agents, which are the authorities. Its inbound calls are one-way so that nobody waits on a
/// queue while the queue waits on them (queues call agents and conversations, never the other way round).
/// </summary>
public interface IQueueGrain : IGrainWithStringKey
{
    /// <summary>Adds or replaces a waiting conversation and assigns at once if an agent is free.</summary>
    [OneWay]
    Task EnqueueAsync(QueueEntry entry);

    /// <summary>Drops a conversation that no longer waits here (resolved or moved). Idempotent.</summary>
    [OneWay]
    Task RemoveAsync(string conversationId);

    /// <summary>An agent's availability changed; assigns at once if that freed capacity.</summary>
    [OneWay]
    Task UpdateAgentAsync(AgentAvailability availability);

    /// <summary>The waiting list in service order and the known agents.</summary>
    Task<QueueView> GetAsync();
}
