using System.Text;
using Microsoft.Extensions.Logging;
using Switchboard.Agents;
using Switchboard.Metrics;

namespace Switchboard.Conversations;

/// <summary>The agent's workspace: picking a waiting conversation, and telling the agent's history it closed.</summary>
public sealed partial class ConversationGrain
{
    public async Task<ConversationView> PickAsync(string agentId, string queue, int ticket)
    {
        EnsureStarted();
        if (State is { Status: ConversationStatus.Assigned } && State.AgentId == agentId)
        {
            // This agent's pick again (a retry whose answer was lost): it is theirs already.
            return View();
        }

        if (State.Status != ConversationStatus.Waiting || !State.Queues.Contains(queue) || State.Ticket != ticket)
        {
            throw SwitchboardException.Conflict(State.Status == ConversationStatus.Assigned
                ? $"Conversation '{Id}' was taken by another agent meanwhile."
                : $"Conversation '{Id}' no longer waits in the {queue} queue.");
        }

        var agent = GrainFactory.Grain<IAgentGrain>(agentId);
        var required = queue == Queues.Queues.Supervisors ? 1 : State.RequiredProficiency;
        var queues = State.Queues.ToArray();
        // As for a queue's offer: until the assignment is stored the agent may ask whether this slot is claimed; it is.
        _reservingWith = agentId;
        try
        {
            var reservation = await agent.TryPickAsync(Id, queue, required);
            if (!reservation.Granted)
            {
                var held = reservation.Availability;
                throw SwitchboardException.Conflict(held.Capacity > 0 && held.Active >= held.Capacity
                    ? $"You hold {held.Active} of {held.Capacity} conversations; close one before you take another."
                    : $"You cannot take conversation '{Id}': it needs {queue} at proficiency {required} and a connected console.");
            }

            var joined = Assign(agentId, reservation.AgentName);
            await CommitAsync();
            _requeued = false;
            Metrics.Record(ConversationEvents.Assigned(State));
            ReportToCustomer();

            Notifier.ConversationAssigned(agentId, View());
            Notifier.MessagePosted(Id, agentId: null, joined);
        }
        finally
        {
            _reservingWith = null;
        }

        // No queue offered it, so every queue it waited in still lists it, the picked one too.
        await RemoveFromQueuesAsync(queues);
        return View();
    }

    /// <summary>
    /// The conversation closed in <paramref name="agentId"/>'s hands: it goes in that agent's history (Closed today,
    /// search). After the close is stored and told; a failure here leaves the close as it is and is logged.
    /// </summary>
    private async Task RecordInAgentHistoryAsync(string agentId, bool endedByCustomer)
    {
        var past = new PastConversation(
            Id,
            State.CustomerName,
            State.Topic,
            State.Context.GetValueOrDefault("order"),
            State.StartedAt,
            State.ResolvedAt ?? Time.GetUtcNow(),
            endedByCustomer,
            SearchText(_options.Workspace.SearchTextLength),
            State.Language);
        try
        {
            await GrainFactory.Grain<IAgentHistoryGrain>(agentId).RecordAsync(past);
        }
        catch (Exception ex)
        {
            logger.LogWarning(ex, "Conversation {ConversationId} could not be added to agent {AgentId}'s history", Id, agentId);
        }
    }

    /// <summary>The customers' and agents' messages, oldest first, only as many of the newest as fill <paramref name="length"/>.</summary>
    private string SearchText(int length)
    {
        var parts = new List<string>();
        var total = 0;
        for (var i = _transcript.Count - 1; i >= 0 && total < length; i--)
        {
            var message = _transcript[i];
            if (message.From != MessageAuthor.System)
            {
                parts.Add(message.Text);
                total += message.Text.Length + 1;
            }
        }

        parts.Reverse();
        var text = string.Join('\n', parts);
        return text.Length > length ? text[^length..] : text;
    }
}
