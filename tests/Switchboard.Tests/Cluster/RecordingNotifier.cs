using Switchboard.Conversations;
using Switchboard.Notifications;
using Switchboard.Queues;
using Switchboard.Supervision;

namespace Switchboard.Tests.Cluster;

public sealed record Notification(string Kind, string? AgentId, string ConversationId, object? Payload);

/// <summary>Records every push the grains make and lets a test wait for one (no sleeping, no polling).</summary>
public sealed class RecordingNotifier : IChatNotifier
{
    public const string Queued = nameof(Queued);
    public const string Assigned = nameof(Assigned);
    public const string Posted = nameof(Posted);
    public const string Closed = nameof(Closed);
    public const string Withdrawn = nameof(Withdrawn);
    public const string Warning = nameof(Warning);
    public const string FollowUp = nameof(FollowUp);
    public const string Alert = nameof(Alert);
    public const string Outreach = nameof(Outreach);
    public const string Note = nameof(Note);

    private readonly Lock _lock = new();
    private readonly List<Notification> _seen = [];
    private readonly List<(Func<IReadOnlyList<Notification>, bool> Condition, TaskCompletionSource Done)> _waiters = [];

    public void ConversationQueued(string skill, QueueEntry entry, QueuePlacement placement) =>
        Record(new(Queued, null, entry.ConversationId, (entry, placement, skill)));

    public void ConversationAssigned(string agentId, ConversationView conversation) =>
        Record(new(Assigned, agentId, conversation.Id, conversation));

    public void MessagePosted(string conversationId, string? agentId, ChatMessage message) =>
        Record(new(Posted, agentId, conversationId, message));

    public void ConversationClosed(string conversationId, string? agentId) =>
        Record(new(Closed, agentId, conversationId, null));

    public void ConversationWithdrawn(string agentId, string conversationId, string reason) =>
        Record(new(Withdrawn, agentId, conversationId, reason));

    public void SlaWarning(string agentId, string conversationId, DateTimeOffset dueAt, TimeSpan timeLeft) =>
        Record(new(Warning, agentId, conversationId, timeLeft));

    public void FollowUpDue(string agentId, string conversationId) =>
        Record(new(FollowUp, agentId, conversationId, null));

    public void OutreachOpened(string customerId, string conversationId, ChatMessage opening) =>
        Record(new(Outreach, null, conversationId, (customerId, opening)));

    public void SupervisorAlert(SupervisorAlert alert) =>
        Record(new(Alert, null, alert.ConversationId, alert));

    public void NotePosted(string conversationId, string? agentId, InternalNote note) =>
        Record(new(Note, agentId, conversationId, note));

    /// <summary>Completes once what has been pushed so far satisfies <paramref name="condition"/>, or times out.</summary>
    public Task WaitUntilAsync(Func<IReadOnlyList<Notification>, bool> condition, TimeSpan? timeout = null)
    {
        var done = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        lock (_lock)
        {
            if (condition(_seen))
            {
                return Task.CompletedTask;
            }

            _waiters.Add((condition, done));
        }

        return done.Task.WaitAsync(timeout ?? TimeSpan.FromSeconds(20));
    }

    /// <summary>The first notification (already pushed or still to come) that matches.</summary>
    public async Task<Notification> WaitAsync(Func<Notification, bool> match, TimeSpan? timeout = null)
    {
        await WaitUntilAsync(seen => seen.Any(match), timeout);
        lock (_lock)
        {
            return _seen.First(match);
        }
    }

    public async Task<(string AgentId, ConversationView Conversation)> WaitForAssignmentAsync(string conversationId)
    {
        var seen = await WaitAsync(n => n.Kind == Assigned && n.ConversationId == conversationId);
        return (seen.AgentId!, (ConversationView)seen.Payload!);
    }

    /// <summary>Waits until each conversation has been reported waiting in its queue.</summary>
    public Task WaitForQueuedAsync(params string[] conversationIds)
    {
        var expected = conversationIds.ToHashSet();
        return WaitUntilAsync(seen => seen.Where(n => n.Kind == Queued && expected.Contains(n.ConversationId))
            .Select(n => n.ConversationId).Distinct().Count() == expected.Count);
    }

    public int Count(Func<Notification, bool> match)
    {
        lock (_lock)
        {
            return _seen.Count(match);
        }
    }

    /// <summary>The places in line the conversation's customer was told so far, in order, from any queue.</summary>
    public IReadOnlyList<int> PlacesTold(string conversationId)
    {
        lock (_lock)
        {
            return [.. _seen.Where(n => n.Kind == Queued && n.ConversationId == conversationId)
                .Select(n => ((ValueTuple<QueueEntry, QueuePlacement, string>)n.Payload!).Item2.Position)];
        }
    }

    /// <summary>Waits until the conversation's customer has been told this place in line.</summary>
    public Task WaitForPlaceAsync(string conversationId, int position) =>
        WaitAsync(n => n.Kind == Queued && n.ConversationId == conversationId
            && ((ValueTuple<QueueEntry, QueuePlacement, string>)n.Payload!).Item2.Position == position);

    public Task SentToAgentAsync(string agentId) => Task.CompletedTask;

    private void Record(Notification notification)
    {
        lock (_lock)
        {
            _seen.Add(notification);
            for (var i = _waiters.Count - 1; i >= 0; i--)
            {
                if (_waiters[i].Condition(_seen))
                {
                    _waiters[i].Done.TrySetResult();
                    _waiters.RemoveAt(i);
                }
            }
        }
    }
}
