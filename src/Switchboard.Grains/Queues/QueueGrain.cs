using System.Collections.Immutable;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Switchboard.Agents;
using Switchboard.Conversations;
using Switchboard.Notifications;
using Switchboard.Routing;

namespace Switchboard.Queues;

/// <summary>
/// Matches waiting conversations with agents for one skill. Dispatch runs whenever a conversation arrives or an
/// agent frees capacity, never on a polling loop. Kept alive: its waiting list lives only in memory.
/// </summary>
[KeepAlive]
public sealed class QueueGrain(
    IOptions<SwitchboardOptions> options,
    IChatNotifier notifier,
    ILogger<QueueGrain> logger) : Grain, IQueueGrain
{
    private readonly SortedSet<QueueEntry> _waiting = new(new WaitingOrder(options.Value.AgingInterval));
    private readonly Dictionary<string, QueueEntry> _waitingById = [];
    private readonly Dictionary<string, AgentAvailability> _agents = [];
    private readonly HashSet<string> _tried = [];

    private string Skill => this.GetPrimaryKeyString();

    public async Task EnqueueAsync(QueueEntry entry)
    {
        Remove(entry.ConversationId);
        _waiting.Add(entry);
        _waitingById[entry.ConversationId] = entry;
        await DispatchAsync();

        if (_waitingById.ContainsKey(entry.ConversationId))
        {
            await notifier.ConversationQueuedAsync(Skill, entry, PositionOf(entry));
        }
    }

    public Task RemoveAsync(string conversationId)
    {
        Remove(conversationId);
        return Task.CompletedTask;
    }

    public Task UpdateAgentAsync(AgentAvailability availability)
    {
        _agents[availability.AgentId] = availability;
        return availability.HasFreeCapacity ? DispatchAsync() : Task.CompletedTask;
    }

    public Task<QueueView> GetAsync() =>
        Task.FromResult(new QueueView(Skill, [.. _waiting], [.. _agents.Values.OrderBy(a => a.AgentId, StringComparer.Ordinal)]));

    private async Task DispatchAsync()
    {
        if (_waiting.Count == 0 || !AnyFreeAgent())
        {
            return;
        }

        // A copy, because assigning removes entries; the grain is not reentrant, so nothing else changes the set meanwhile.
        foreach (var entry in _waiting.ToArray())
        {
            if (!AnyFreeAgent())
            {
                return;
            }

            await TryAssignAsync(entry);
        }
    }

    private async Task TryAssignAsync(QueueEntry entry)
    {
        _tried.Clear();
        while (AgentRanking.TryPickBest(_agents.Values, entry.RequiredProficiency, _tried, out var candidate))
        {
            _tried.Add(candidate.AgentId);
            var agent = GrainFactory.GetGrain<IAgentGrain>(candidate.AgentId);
            var reservation = await agent.TryReserveAsync(entry.ConversationId, Skill, entry.RequiredProficiency);
            _agents[candidate.AgentId] = reservation.Availability;
            if (!reservation.Granted)
            {
                continue;
            }

            Remove(entry.ConversationId);
            var accepted = false;
            try
            {
                accepted = await GrainFactory.GetGrain<IConversationGrain>(entry.ConversationId)
                    .AssignAsync(candidate.AgentId, reservation.AgentName, Skill, entry.Ticket);
            }
            catch (Exception ex)
            {
                logger.LogError(ex, "Assigning conversation {ConversationId} to {AgentId} failed", entry.ConversationId, candidate.AgentId);
            }

            if (!accepted)
            {
                // The conversation moved on (resolved, transferred, re-queued): give the capacity back.
                await agent.ReleaseAsync(entry.ConversationId);
            }

            return;
        }
    }

    private int PositionOf(QueueEntry entry)
    {
        var position = 1;
        foreach (var waiting in _waiting)
        {
            if (ReferenceEquals(waiting, entry))
            {
                return position;
            }

            position++;
        }

        return position;
    }

    private bool AnyFreeAgent()
    {
        foreach (var agent in _agents.Values)
        {
            if (agent.HasFreeCapacity)
            {
                return true;
            }
        }

        return false;
    }

    private void Remove(string conversationId)
    {
        if (_waitingById.Remove(conversationId, out var existing))
        {
            _waiting.Remove(existing);
        }
    }
}
