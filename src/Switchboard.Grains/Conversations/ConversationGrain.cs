using System.Collections.Immutable;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Switchboard.Agents;
using Switchboard.Notifications;
using Switchboard.Queues;

namespace Switchboard.Conversations;

public sealed class ConversationGrain(
    [PersistentState("conversation", SwitchboardOptions.StorageName)] IPersistentState<ConversationState> state,
    IOptions<SwitchboardOptions> options,
    IChatNotifier notifier,
    TimeProvider time,
    ILogger<ConversationGrain> logger) : Grain, IConversationGrain
{
    private readonly SwitchboardOptions _options = options.Value;

    private ConversationState State => state.State;

    private string Id => this.GetPrimaryKeyString();

    public async Task<ConversationView> StartAsync(StartConversation start)
    {
        start = start with { CustomerName = start.CustomerName?.Trim()!, Topic = ConversationRules.NormalizeSkill(start.Topic) };
        ConversationRules.ValidateStart(start, _options);
        if (State.Started)
        {
            throw SwitchboardException.Conflict($"Conversation '{Id}' has already started.");
        }

        var now = time.GetUtcNow();
        State.Started = true;
        State.CustomerName = start.CustomerName;
        State.CustomerId = start.CustomerId;
        State.Topic = start.Topic;
        State.Priority = start.Priority;
        State.Vip = start.Vip;
        State.RequiredProficiency = start.RequiredProficiency;
        State.StartedAt = now;
        State.Status = ConversationStatus.Waiting;
        State.WaitingSince = now;
        State.Ticket = 1;
        Append(MessageAuthor.Customer, null, start.Text, now);
        await state.WriteStateAsync();

        await EnqueueAsync();
        return View();
    }

    public Task<ConversationView> GetAsync()
    {
        EnsureStarted();
        return Task.FromResult(View());
    }

    public async Task<ChatMessage> PostCustomerMessageAsync(string text)
    {
        EnsureOpen();
        ConversationRules.ValidateText(text, _options);

        var message = Append(MessageAuthor.Customer, null, text, time.GetUtcNow());
        await state.WriteStateAsync();
        await notifier.MessagePostedAsync(Id, State.AgentId, message);
        return message;
    }

    public async Task<ChatMessage> PostAgentMessageAsync(string agentId, string text)
    {
        EnsureHeldBy(agentId);
        ConversationRules.ValidateText(text, _options);

        var now = time.GetUtcNow();
        State.FirstResponseAt ??= now;
        var message = Append(MessageAuthor.Agent, agentId, text, now);
        await state.WriteStateAsync();
        await notifier.MessagePostedAsync(Id, agentId, message);
        return message;
    }

    public async Task<bool> AssignAsync(string agentId, string agentName, string skill, int ticket)
    {
        if (!State.Started || State.Status != ConversationStatus.Waiting || State.Topic != skill || State.Ticket != ticket)
        {
            return false;
        }

        State.Status = ConversationStatus.Assigned;
        State.AgentId = agentId;
        State.Returned = false;
        var joined = Append(MessageAuthor.System, agentId, $"{agentName} has joined the conversation.", time.GetUtcNow());
        await state.WriteStateAsync();

        await notifier.ConversationAssignedAsync(agentId, View());
        await notifier.MessagePostedAsync(Id, agentId: null, joined);
        return true;
    }

    public async Task TransferAsync(string agentId, string toSkill)
    {
        EnsureHeldBy(agentId);
        toSkill = ConversationRules.NormalizeSkill(toSkill);
        ConversationRules.ValidateSkill(toSkill, _options);
        if (toSkill == State.Topic)
        {
            throw SwitchboardException.Invalid($"Conversation '{Id}' is already in the {toSkill} queue; transfer it to another skill.");
        }

        var notice = Append(MessageAuthor.System, agentId, $"Transferred to {DisplayName(toSkill)}; the next free agent will answer.", time.GetUtcNow());
        State.Topic = toSkill;
        // The customer's wait counts from the start, so a transfer does not send them to the back of the line.
        ReturnToWaiting(front: false);
        await state.WriteStateAsync();

        await GrainFactory.GetGrain<IAgentGrain>(agentId).ReleaseAsync(Id);
        await EnqueueAsync();
        await notifier.ConversationWithdrawnAsync(agentId, Id, $"transferred to {toSkill}");
        await notifier.MessagePostedAsync(Id, agentId: null, notice);
    }

    public async Task ResolveAsync(string agentId)
    {
        EnsureStarted();
        if (State.Status == ConversationStatus.Resolved && State.AgentId == agentId)
        {
            return;
        }

        EnsureHeldBy(agentId);
        var now = time.GetUtcNow();
        State.Status = ConversationStatus.Resolved;
        State.ResolvedAt = now;
        var notice = Append(MessageAuthor.System, agentId, "The conversation was resolved.", now);
        await state.WriteStateAsync();

        await GrainFactory.GetGrain<IAgentGrain>(agentId).ReleaseAsync(Id);
        await notifier.MessagePostedAsync(Id, agentId, notice);
        await notifier.ConversationClosedAsync(Id, agentId);
    }

    public async Task ReclaimAsync(string agentId)
    {
        if (!State.Started || State.Status != ConversationStatus.Assigned || State.AgentId != agentId)
        {
            return;
        }

        var notice = Append(MessageAuthor.System, agentId, "Your agent was disconnected; the next free agent will answer.", time.GetUtcNow());
        ReturnToWaiting(front: true);
        await state.WriteStateAsync();

        logger.LogInformation("Conversation {ConversationId} returned to queue {Skill} from offline agent {AgentId}", Id, State.Topic, agentId);
        await EnqueueAsync();
        await notifier.ConversationWithdrawnAsync(agentId, Id, "offline grace period ended");
        await notifier.MessagePostedAsync(Id, agentId: null, notice);
    }

    private void ReturnToWaiting(bool front)
    {
        State.Status = ConversationStatus.Waiting;
        State.AgentId = null;
        State.Ticket++;
        State.WaitingSince = State.StartedAt;
        State.Returned = front;
    }

    private async Task EnqueueAsync()
    {
        var priority = State.Priority + (State.Vip ? _options.VipBoost : 0);
        var entry = new QueueEntry(Id, State.Ticket, priority, State.RequiredProficiency, State.WaitingSince, State.Returned);
        try
        {
            await GrainFactory.GetGrain<IQueueGrain>(State.Topic).EnqueueAsync(entry);
        }
        catch (Exception ex)
        {
            // The conversation is stored as waiting; a queue that cannot be reached must not fail the customer's request.
            logger.LogError(ex, "Conversation {ConversationId} could not be queued in {Skill}", Id, State.Topic);
        }
    }

    private ChatMessage Append(MessageAuthor from, string? agentId, string text, DateTimeOffset at)
    {
        var message = new ChatMessage(State.Messages.Count + 1, from, agentId, text, at);
        State.Messages.Add(message);
        return message;
    }

    private void EnsureStarted()
    {
        if (!State.Started)
        {
            throw SwitchboardException.NotFound($"Conversation '{Id}' does not exist.");
        }
    }

    private void EnsureOpen()
    {
        EnsureStarted();
        if (State.Status == ConversationStatus.Resolved)
        {
            throw SwitchboardException.Conflict($"Conversation '{Id}' is resolved; start a new one.");
        }
    }

    private void EnsureHeldBy(string agentId)
    {
        EnsureOpen();
        if (State.Status != ConversationStatus.Assigned || State.AgentId != agentId)
        {
            throw SwitchboardException.Forbidden($"Conversation '{Id}' is not assigned to agent '{agentId}'.");
        }
    }

    private string DisplayName(string skill) =>
        _options.Skills.TryGetValue(skill, out var s) && !string.IsNullOrWhiteSpace(s.DisplayName) ? s.DisplayName : skill;

    private ConversationView View() => new(
        Id,
        State.CustomerName,
        State.Topic,
        State.Status,
        State.AgentId,
        State.Priority,
        State.Vip,
        State.StartedAt,
        [.. State.Messages]);
}
