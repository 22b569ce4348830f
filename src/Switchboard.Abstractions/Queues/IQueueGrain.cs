using Orleans.Concurrency;
using Switchboard.Agents;
using Switchboard.Conversations;

namespace Switchboard.Queues;

/// <summary>
/// The waiting list for one skill (keyed by the skill) and a cache of the agents who serve it. Soft state: rebuilt
/// from conversations and agents, which are the authorities.
/// </summary>
/// <remarks>
/// Queues call agents and conversations while they match; agents and conversations call queues to report changes.
/// The reporting calls interleave and never wait on anything, so neither side can deadlock the other, and a caller
/// that awaited one knows the queue has the change. Matching itself runs in the queue's own turns.
/// </remarks>
public interface IQueueGrain : IGrainWithStringKey
{
    /// <summary>
    /// Adds or replaces a waiting conversation (the same entry again changes nothing) and says where it stands;
    /// matching follows at once if an agent is free.
    /// </summary>
    [AlwaysInterleave]
    [RetrySafe]
    Task<QueuePlacement> EnqueueAsync(QueueEntry entry);

    /// <summary>Drops a conversation that no longer waits here (resolved or moved). Idempotent.</summary>
    [AlwaysInterleave]
    [RetrySafe]
    Task RemoveAsync(string conversationId);

    /// <summary>An agent's availability changed; matching follows at once if that freed capacity.</summary>
    [AlwaysInterleave]
    [RetrySafe]
    Task UpdateAgentAsync(AgentAvailability availability);

    /// <summary>
    /// Counts a first-response outcome for today's SLA attainment (soft state, like the rest of the queue: the
    /// durable numbers come with service metrics).
    /// </summary>
    [AlwaysInterleave]
    Task RecordFirstResponseAsync(bool withinSla);

    /// <summary>
    /// A first response of this queue's skill took <paramref name="firstResponse"/> (answered in time or late). The
    /// queue watches for FRT jumps and alerts supervisors once per episode.
    /// </summary>
    [OneWay, AlwaysInterleave]
    Task ObserveFirstResponseAsync(TimeSpan firstResponse);

    /// <summary>The waiting list in service order and the known agents.</summary>
    [RetrySafe]
    Task<QueueView> GetAsync();

    /// <summary>Matches waiting conversations with free agents. The queue schedules this itself; others need not call it.</summary>
    [OneWay]
    Task DispatchAsync();
}
