using Switchboard.Agents;
using Switchboard.Metrics;
using Switchboard.Sla;
using Switchboard.Supervision;

namespace Switchboard.Conversations;

/// <summary>What the customer does at the end: leave, and rate the service; and what both sides say while typing.</summary>
public sealed partial class ConversationGrain
{
    public async Task<ConversationView> LeaveAsync()
    {
        EnsureStarted();
        // A customer who left a message goes away to be answered later: the ticket stays, never lost with the page.
        if (State.Status == ConversationStatus.Resolved || (State.Status == ConversationStatus.Ticket && State.LeftMessage is not null))
        {
            return View();
        }

        var now = Time.GetUtcNow();
        var agentId = State.Status == ConversationStatus.Assigned ? State.AgentId : null;
        var queues = State.Queues.ToArray();
        var wasTicket = State.Status == ConversationStatus.Ticket;
        // Left before any answer: abandoned. After one: the customer closed a served conversation (resolved).
        State.Abandoned = State.FirstResponseAt is null;
        State.Status = ConversationStatus.Resolved;
        State.ResolvedAt = now;
        State.Queues.Clear();
        // A served complaint still gets its follow-up, from the agent who held it.
        State.FollowUpDueAt = !State.Abandoned && agentId is not null ? ConversationClock.FollowUpDueAt(State.Tier, now, Sla) : null;
        var notice = Append(MessageAuthor.System, null, Language.Text("customer.left"), now);
        await CommitAsync();
        Metrics.Record(State.Abandoned ? ConversationEvents.Abandoned(State, now) : ConversationEvents.Resolved(State, _transcript, agentId, now));
        ReportToCustomer();

        Notifier.MessagePosted(Id, agentId, notice);
        Notifier.ConversationLeft(Id, agentId);
        await RemoveFromQueuesAsync(queues);
        if (wasTicket)
        {
            await GrainFactory.Grain<ITicketBoardGrain>(0).RemoveAsync(Id);
        }

        if (agentId is not null)
        {
            await ReleaseAgentAsync(agentId);
            await RecordInAgentHistoryAsync(agentId, endedByCustomer: true);
        }

        return View();
    }

    public async Task<ConversationRating> RateAsync(int score, string? comment)
    {
        EnsureStarted();
        if (score is < 1 or > 5)
        {
            throw SwitchboardException.Invalid("A rating is a score from 1 to 5.");
        }

        comment = string.IsNullOrWhiteSpace(comment) ? null : comment.Trim();
        if (comment?.Length > ConversationRating.MaxCommentLength)
        {
            throw SwitchboardException.Invalid($"A rating comment is at most {ConversationRating.MaxCommentLength} characters.");
        }

        if (State.Status != ConversationStatus.Resolved || State.Abandoned)
        {
            throw SwitchboardException.Conflict($"Conversation '{Id}' can be rated once an agent has resolved it.");
        }

        if (State.Rating is { } rating)
        {
            // The same rating again is a retry, answered with the stored one; another one is a change, refused.
            return rating.Score == score && rating.Comment == comment
                ? rating
                : throw SwitchboardException.Conflict($"Conversation '{Id}' is already rated; a rating cannot be changed.");
        }

        var now = Time.GetUtcNow();
        State.Rating = new ConversationRating(score, comment, now);
        await CommitAsync();
        Metrics.Record(ConversationEvents.Rated(State, score, now));
        ReportToCustomer();
        return State.Rating;
    }

    public Task CustomerTypingAsync()
    {
        EnsureStarted();
        // Read-only: no state change, nothing stored. While it waits nobody is there to hear it.
        if (State is { Status: ConversationStatus.Assigned, AgentId: { } agentId })
        {
            Notifier.CustomerTyping(agentId, Id, State.CustomerName);
        }

        return Task.CompletedTask;
    }

    public Task AgentTypingAsync(string agentId, string agentName)
    {
        EnsureStarted();
        if (State.Status != ConversationStatus.Assigned || State.AgentId != agentId)
        {
            throw SwitchboardException.Forbidden($"Conversation '{Id}' is not assigned to agent '{agentId}'.");
        }

        Notifier.AgentTyping(Id, agentId, agentName);
        return Task.CompletedTask;
    }
}
