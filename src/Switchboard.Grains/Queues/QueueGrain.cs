using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Switchboard.Agents;
using Switchboard.Conversations;
using Switchboard.Notifications;
using Switchboard.Routing;

namespace Switchboard.Queues;

/// <summary>
/// Matches waiting conversations with agents for one skill. A matching pass is scheduled whenever a conversation
/// arrives or an agent frees capacity (never on a polling loop); arrivals during a pass schedule one more.
/// Kept alive: its waiting list lives only in memory.
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
    private readonly HashSet<QueueEntry> _arrived = new(ReferenceEqualityComparer.Instance);
    private readonly HashSet<string> _tried = [];
    private bool _dispatchScheduled;

    private string Skill => this.GetPrimaryKeyString();

    public Task EnqueueAsync(QueueEntry entry)
    {
        Remove(entry.ConversationId);
        _waiting.Add(entry);
        _waitingById[entry.ConversationId] = entry;
        _arrived.Add(entry);
        ScheduleDispatch();
        return Task.CompletedTask;
    }

    public Task RemoveAsync(string conversationId)
    {
        Remove(conversationId);
        return Task.CompletedTask;
    }

    public Task UpdateAgentAsync(AgentAvailability availability)
    {
        _agents[availability.AgentId] = availability;
        if (availability.HasFreeCapacity)
        {
            ScheduleDispatch();
        }

        return Task.CompletedTask;
    }

    public Task<QueueView> GetAsync() =>
        Task.FromResult(new QueueView(Skill, [.. _waiting], [.. _agents.Values.OrderBy(a => a.AgentId, StringComparer.Ordinal)]));

    public async Task DispatchAsync()
    {
        _dispatchScheduled = false;
        if (_waiting.Count > 0 && AnyFreeAgent())
        {
            // A copy: reporting calls interleave with this pass and may add or remove entries while it awaits.
            foreach (var entry in _waiting.ToArray())
            {
                if (!AnyFreeAgent())
                {
                    break;
                }

                if (_waitingById.GetValueOrDefault(entry.ConversationId) == entry)
                {
                    await TryAssignAsync(entry);
                }
            }
        }

        await ReportArrivalsStillWaitingAsync();
    }

    private void ScheduleDispatch()
    {
        if (!_dispatchScheduled)
        {
            _dispatchScheduled = true;
            // A one-way call to itself: the pass runs as the queue's own turn, after the reporting call has returned.
            this.AsReference<IQueueGrain>().DispatchAsync().Ignore();
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

            RemoveIfCurrent(entry);
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
                // The conversation moved on (resolved, transferred, queued again): give the capacity back.
                await agent.ReleaseAsync(entry.ConversationId);
            }

            return;
        }
    }

    private async Task ReportArrivalsStillWaitingAsync()
    {
        if (_arrived.Count == 0)
        {
            return;
        }

        // Positions first, pushes after: reporting calls may change the set while a push is awaited.
        var report = new List<(QueueEntry Entry, int Position)>(_arrived.Count);
        var position = 0;
        foreach (var entry in _waiting)
        {
            position++;
            if (_arrived.Contains(entry))
            {
                report.Add((entry, position));
            }
        }

        _arrived.Clear();
        foreach (var (entry, at) in report)
        {
            await notifier.ConversationQueuedAsync(Skill, entry, at);
        }
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
            _arrived.Remove(existing);
        }
    }

    private void RemoveIfCurrent(QueueEntry entry)
    {
        if (_waitingById.GetValueOrDefault(entry.ConversationId) == entry)
        {
            Remove(entry.ConversationId);
        }
    }
}
