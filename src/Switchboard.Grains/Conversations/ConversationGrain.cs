using System.Collections.Immutable;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Orleans.Storage;
using Switchboard.Agents;
using Switchboard.Metrics;
using Switchboard.Notifications;
using Switchboard.Queues;
using Switchboard.Sla;
using Switchboard.Supervision;

namespace Switchboard.Conversations;

/// <summary>
/// One conversation: the authority on its status, messages, assignment and first-response clock. Every command checks,
/// changes the state, commits it (<see cref="CommitAsync"/>: stored, then the clock and the deadline service set for
/// the next due time) and then tells people; the clock itself is in ConversationGrain.Clock.cs.
/// </summary>
public sealed partial class ConversationGrain(
    [PersistentState("conversation", SwitchboardOptions.StorageName)] IPersistentState<ConversationState> state,
    IOptions<SwitchboardOptions> options,
    IChatNotifier notifier,
    TimeProvider time,
    IServiceMetrics metrics,
    ILogger<ConversationGrain> logger) : Grain, IConversationGrain, ISupervisedConversationGrain
{
    private readonly SwitchboardOptions _options = options.Value;
    // Queued again by this activation (on activation or a wake-up) since the last assignment: the assigning queue
    // may hold that fresh entry, so an assignment must take it out of every queue.
    private bool _requeued;
    private IGrainTimer? _enqueueRetry;
    private int _enqueueFailures;

    /// <summary>The agent this conversation is asking for a slot right now (an offer between reservation and store).</summary>
    private string? _reservingWith;

    private ConversationState State => state.State;

    // The messages: sealed pages stored apart, the newest in the state (see Transcript).
    private readonly Transcript _transcript = new(state);

    private SlaOptions Sla => _options.Sla;

    /// <summary>The customer's language: what the server says to them, and how their emotion is read.</summary>
    private Languages.LanguagePack Language => _options.Language(State.Language);

    private string Id => this.GetPrimaryKeyString();

    // The customer's leave and rating live in ConversationGrain.Customer.cs; primary-constructor parameters are
    // visible only in this part.
    private IChatNotifier Notifier => notifier;

    private TimeProvider Time => time;

    private IServiceMetrics Metrics => metrics;

    private string PrimaryQueue => State.Tier == ComplaintTier.High ? Queues.Queues.Supervisors : State.Topic;

    private IGrainStorage Storage => ServiceProvider.GetRequiredKeyedService<IGrainStorage>(SwitchboardOptions.StorageName);

    public override async Task OnActivateAsync(CancellationToken cancellationToken)
    {
        if (!State.Started)
        {
            return;
        }

        await _transcript.LoadAsync(Storage, Id);
        CountTranscript();
        ResumeWatch();

        // Back after a deactivation or a silo failure: the queue may have lost it, and the clock must run again
        // (whatever fell due meanwhile is done at once).
        if (State.Status == ConversationStatus.Waiting)
        {
            await RequeueAsync();
        }

        await OnClockAsync();
    }

    public Task<StartOutcome> StartAsync(StartConversation start) => StartCoreAsync(start, customer: null);

    public Task<StartOutcome> StartFromChannelAsync(string channel, string messageId, StartConversation start) =>
        StartForCustomerAsync(start, new CustomerStart([], null, Channel: channel, MessageId: messageId));

    public async Task<StartOutcome> StartForCustomerAsync(StartConversation start, CustomerStart customer)
    {
        ArgumentNullException.ThrowIfNull(customer);
        if (State.Started && customer is { Channel: { } channel, MessageId: { } messageId })
        {
            // The channel sent this message before: the conversation it opened, once.
            if (State.Channel == channel && _transcript.Has(messageId))
            {
                return new StartOutcome(View(), Replayed: true);
            }

            throw SwitchboardException.Conflict($"Conversation '{Id}' has already started.");
        }

        return await StartCoreAsync(start, customer);
    }

    private async Task<StartOutcome> StartCoreAsync(StartConversation start, CustomerStart? customer)
    {
        start = start with { CustomerName = Text.Names.Normalize(start.CustomerName), Topic = ConversationRules.NormalizeSkill(start.Topic) };
        ConversationRules.ValidateStart(start, _options);
        if (State.Started)
        {
            // The same start again: a retry whose answer was lost (a client's, or the silo's own after a silo failed),
            // which reached this conversation because its id comes from the start's id.
            return IsSameStart(start)
                ? new StartOutcome(View(), Replayed: true)
                : throw SwitchboardException.Conflict($"Conversation '{Id}' has already started with a different first message; a start id is for one start only.");
        }

        var now = time.GetUtcNow();
        State.Started = true;
        State.Language = Languages.LanguageTags.Resolve(start.Language, _options.ServedLanguages());
        State.Channel = customer?.Channel;
        State.CustomerName = start.CustomerName;
        State.CustomerId = start.CustomerId;
        State.Topic = start.Topic;
        State.Priority = start.Priority;
        State.Vip = start.Vip;
        // The first message counts like any other: an angry opening shortens the clock from the start. An outreach
        // opening is ours, not the customer's.
        var outreach = customer?.Outreach;
        State.Emotion = outreach is null ? SlaPolicy.Detect(start.Text, start.Emotion, Language.Emotion) : start.Emotion;
        State.Context = start.Context is null ? [] : new Dictionary<string, string>(start.Context);
        State.Tier = SlaPolicy.Classify(start.Complaint, start.Amount, start.PublicReviewThreat, Sla);
        State.RequiredProficiency = State.Tier == ComplaintTier.Medium
            ? Math.Max(start.RequiredProficiency, Sla.SeniorProficiency)
            : start.RequiredProficiency;
        State.StartedAt = now;
        State.FirstResponseDueAt = now + SlaPolicy.FirstResponseTarget(State.Tier, State.Emotion, Sla);
        State.Status = ConversationStatus.Waiting;
        State.WaitingSince = now;
        State.QueuedAt = now;
        State.Ticket = 1;
        State.Queues = [PrimaryQueue];
        State.History = [.. customer?.History ?? []];
        State.Outreach = outreach;
        State.ReopenedFrom = customer?.ReopenedFrom;
        State.Preference = customer?.Preference is { } preference
            ? preference with { HoldUntil = await HoldForAsync(preference.AgentId, now) }
            : null;
        var opening = Append(outreach is null ? MessageAuthor.Customer : MessageAuthor.System, null, start.Text, now);
        if (customer?.MessageId is { } messageId)
        {
            _transcript.Identify(messageId, opening.Sequence);
        }

        // Queued before it is stored: the queue's placement goes into the acknowledgement, and an assignment that
        // comes back waits for this call to finish (the grain is not reentrant).
        var placement = await EnqueueAsync();
        State.NobodyAvailableAtStart = placement is { EstimatedWait: null };
        // The customer did not ask anything in an outreach: the opening message is what they hear.
        var acknowledgement = opening;
        if (outreach is null)
        {
            acknowledgement = Append(MessageAuthor.System, null, Acknowledgement(placement), now);
            Record(SlaEventKind.Acknowledged, null, acknowledgement.Text, now);
        }

        // Nothing stored on a failure: this activation's half-started state is dropped with it.
        await CommitAsync();
        metrics.Record(ConversationEvents.Started(State));
        ReportToCustomer(customer is null ? new Customers.CustomerDetails(State.CustomerName, State.Vip, start.Context) : null);
        notifier.MessagePosted(Id, agentId: null, acknowledgement);
        if (outreach is not null && State.CustomerId is { } customerId)
        {
            notifier.OutreachOpened(customerId, Id, opening);
        }

        return new StartOutcome(View(), Replayed: false);
    }

    /// <summary>Whether <paramref name="start"/> is the one that opened this conversation (who, about what, what they first said).</summary>
    private bool IsSameStart(StartConversation start) =>
        State.CustomerName == start.CustomerName
        && State.Topic == start.Topic
        && _transcript.Count > 0
        && _transcript[0].Text == start.Text;

    /// <summary>
    /// Until when only the preferred agent is offered this conversation: the hold applies when that agent is online
    /// and serves the queue at the required proficiency (an agent who is away or offline would only make the customer
    /// wait), and ends at the first-response deadline at the latest.
    /// </summary>
    private async Task<DateTimeOffset?> HoldForAsync(string agentId, DateTimeOffset now)
    {
        AgentView? agent;
        try
        {
            agent = await GrainFactory.Grain<IAgentGrain>(agentId).GetAsync();
        }
        catch (Exception ex)
        {
            logger.LogWarning(ex, "Conversation {ConversationId} could not check preferred agent {AgentId}; routing it normally", Id, agentId);
            return null;
        }

        var proficiency = PrimaryQueue == Queues.Queues.Supervisors
            ? (agent?.Profile.Supervisor == true ? 5 : 0)
            : agent?.Profile.Skills.GetValueOrDefault(PrimaryQueue) ?? 0;
        var required = PrimaryQueue == Queues.Queues.Supervisors ? 1 : State.RequiredProficiency;
        if (agent is not { Presence: AgentPresence.Online } || proficiency < required || _options.Customers.LastAgentHold <= TimeSpan.Zero)
        {
            return null;
        }

        return Routing.LastAgentHold.End(now, _options.Customers.LastAgentHold, State.FirstResponseDueAt);
    }

    /// <summary>
    /// Tells the customer's history what changed; one-way, so the customer (who may be calling us) never blocks it.
    /// <paramref name="details"/> goes with the first report of a new customer's conversation, which did not go
    /// through their grain: it is how that grain first hears of them.
    /// </summary>
    private void ReportToCustomer(Customers.CustomerDetails? details = null)
    {
        if (State.CustomerId is not { } customerId || string.IsNullOrWhiteSpace(customerId))
        {
            return;
        }

        try
        {
            GrainFactory.Grain<Customers.ICustomerGrain>(customerId).RecordAsync(Customers.CustomerPolicy.Summarize(View()), details).Ignore();
        }
        catch (Exception ex)
        {
            // The customer grain also reads open conversations back before trusting its records.
            logger.LogWarning(ex, "Conversation {ConversationId} could not report to customer {CustomerId}", Id, customerId);
        }
    }

    public Task<bool> IsOpenAsync() => Task.FromResult(State.Started && State.Status != ConversationStatus.Resolved);

    public Task<ConversationView> GetAsync()
    {
        EnsureStarted();
        return Task.FromResult(View());
    }

    public async Task<PostOutcome> PostChannelMessageAsync(string channel, string messageId, string text)
    {
        EnsureStarted();
        if (State.Channel != channel)
        {
            throw SwitchboardException.Forbidden($"Conversation '{Id}' did not come from channel '{channel}'.");
        }

        if (Replay(messageId, MessageAuthor.Customer, text) is { } original)
        {
            return new PostOutcome(original, Replayed: true);
        }

        var message = await PostCustomerCoreAsync(text, messageId);
        return new PostOutcome(message, Replayed: false);
    }

    public async Task<PostOutcome> PostCustomerMessageAsync(string text, string? messageId = null)
    {
        EnsureStarted();
        ConversationRules.ValidateClientId(messageId, "A message id");
        return Replay(messageId, MessageAuthor.Customer, text) is { } original
            ? new PostOutcome(original, Replayed: true)
            : new PostOutcome(await PostCustomerCoreAsync(text, messageId), Replayed: false);
    }

    /// <summary>
    /// The message a client's id already stands for (its retry is answered with it), or null for a new id. The same
    /// id for another text or author is refused: it would otherwise silently lose one of the two.
    /// </summary>
    private ChatMessage? Replay(string? messageId, MessageAuthor from, string text)
    {
        if (messageId is null || _transcript.Find(messageId) is not { } original)
        {
            return null;
        }

        return original.Text == text && original.From == from
            ? original
            : throw SwitchboardException.Conflict($"Message id '{messageId}' was already used for a different message.");
    }

    private async Task<ChatMessage> PostCustomerCoreAsync(string text, string? messageId)
    {
        EnsureOpen();
        EnsureRoomForCustomer();
        ConversationRules.ValidateText(text, _options);

        var now = time.GetUtcNow();
        var message = Append(MessageAuthor.Customer, null, text, now);
        if (messageId is not null)
        {
            _transcript.Identify(messageId, message.Sequence);
        }

        var full = NoteIfFull(now);

        var raised = RaiseEmotion(text, now);
        var answered = State.Outreach is { CustomerAnswered: false };
        if (answered)
        {
            State.Outreach = State.Outreach! with { CustomerAnswered = true };
        }

        await CommitAsync();
        if (answered)
        {
            ReportToCustomer();
        }

        notifier.MessagePosted(Id, State.AgentId, message);
        if (full is not null)
        {
            notifier.MessagePosted(Id, State.AgentId, full);
        }

        if (raised && State.Status == ConversationStatus.Waiting)
        {
            await EnqueueAsync();
        }

        return message;
    }

    public async Task<ChatMessage> PostAgentMessageAsync(string agentId, string text, string? messageId = null)
    {
        EnsureStarted();
        ConversationRules.ValidateClientId(messageId, "A message id");
        // An agent's ids are theirs alone: nobody else's id can replay, or block, an agent's message.
        var key = messageId is null ? null : $"agent:{agentId}:{messageId}";
        if (Replay(key, MessageAuthor.Agent, text) is { } original)
        {
            return original;
        }

        EnsureHeldBy(agentId);
        return await PostStaffMessageAsync(agentId, text, key, agentName: null);
    }

    /// <summary>
    /// A reply from staff who may write into the conversation (its agent, or a supervisor who joined; the caller
    /// checked): the house rules, the cap, the first response, stored, then pushed to the customer and the agent.
    /// </summary>
    private async Task<ChatMessage> PostStaffMessageAsync(string agentId, string text, string? key, string? agentName)
    {
        ConversationRules.ValidateText(text, _options);
        EnsureRoomForAgent();
        // The house rules of the customer's language (English where none are set for it), as supervisors last set
        // them (the silo's copy of the phrasebook: no call per message).
        var phrasebook = await ServiceProvider.GetRequiredService<Settings.PhrasebookCache>().GetAsync();
        var violations = MessageRules.Check(
            text, MessageRules.AgentMessagesInARow(_transcript), _options.MessageRules,
            Settings.PhrasebookRules.ForbiddenPhrases(phrasebook, Language, _options));
        if (violations.Length > 0 && _options.MessageRules.Mode == MessageRuleMode.Refuse)
        {
            throw SwitchboardException.Invalid(string.Join(" ", violations.Select(v => v.Message)));
        }

        var now = time.GetUtcNow();
        var firstResponse = State.FirstResponseAt is null;
        State.FirstResponseAt ??= now;
        State.RuleWarnings += violations.Length > 0 ? 1 : 0;
        var message = Append(MessageAuthor.Agent, agentId, text, now, agentName);
        if (key is not null)
        {
            _transcript.Identify(key, message.Sequence);
        }

        var full = NoteIfFull(now);
        await CommitAsync();
        metrics.Record(ConversationEvents.Replied(State, _transcript, agentId, firstResponse));
        notifier.MessagePosted(Id, State.AgentId, message);
        if (full is not null)
        {
            notifier.MessagePosted(Id, State.AgentId, full);
        }
        if (firstResponse)
        {
            GrainFactory.Grain<IQueueGrain>(State.Topic).ObserveFirstResponseAsync(now - State.StartedAt).Ignore();
        }

        if (firstResponse && !State.Breached)
        {
            await RecordFirstResponseAsync(withinSla: true);
        }

        return message;
    }

    public async Task<OfferResult> OfferAsync(string skill, int ticket, string agentId)
    {
        if (!State.Started || State.Status != ConversationStatus.Waiting || !State.Queues.Contains(skill) || State.Ticket != ticket)
        {
            return OfferResult.Gone;
        }

        var agent = GrainFactory.Grain<IAgentGrain>(agentId);
        var required = skill == Queues.Queues.Supervisors ? 1 : State.RequiredProficiency;
        // Offers are taken one at a time (the grain is not reentrant): a second queue offering it meanwhile waits, then
        // finds it assigned. Until the assignment is stored the agent may ask whether this slot is claimed: it is.
        _reservingWith = agentId;
        try
        {
            var reservation = await agent.TryReserveAsync(Id, skill, required);
            if (!reservation.Granted)
            {
                return new OfferResult(OfferOutcome.Refused, reservation.Availability);
            }

            // The offering queue dropped its entry already, unless this activation queued it again since.
            var otherQueues = State.Queues.Where(q => q != skill || _requeued).ToArray();
            var joined = Assign(agentId, reservation.AgentName);
            await CommitAsync();
            _requeued = false;
            metrics.Record(ConversationEvents.Assigned(State));
            ReportToCustomer();

            notifier.ConversationAssigned(agentId, View());
            notifier.MessagePosted(Id, agentId: null, joined);
            await RemoveFromQueuesAsync(otherQueues);
            return new OfferResult(OfferOutcome.Assigned, reservation.Availability);
        }
        finally
        {
            _reservingWith = null;
        }
    }

    /// <summary>
    /// Stores the state; if that fails, drops this activation, so the next one reads what was really stored. A slot
    /// the agent granted for a change that was not stored stays held until the agent's check finds it unclaimed.
    /// </summary>
    private async Task StoreOrForgetAsync()
    {
        try
        {
            // Full pages of messages first: the state that counts them is what commits them.
            if (_transcript.HasFullPage(Limits.MessagesPerPage))
            {
                await _transcript.SealAsync(Storage, Id, Limits.MessagesPerPage);
            }

            await state.WriteStateAsync();
        }
        catch
        {
            DeactivateOnIdle();
            throw;
        }
    }

    public Task TransferAsync(string agentId, string toSkill)
    {
        EnsureHeldBy(agentId);
        return TransferCoreAsync(agentId, toSkill, byWhom: null);
    }

    public Task TransferAsSupervisorAsync(string supervisorId, string toSkill)
    {
        var holder = EnsureAssigned();
        return TransferCoreAsync(holder, toSkill, byWhom: holder == supervisorId ? null : supervisorId);
    }

    private async Task TransferCoreAsync(string agentId, string toSkill, string? byWhom)
    {
        toSkill = ConversationRules.NormalizeSkill(toSkill);
        ConversationRules.ValidateSkill(toSkill, _options);
        if (toSkill == State.Topic && PrimaryQueue == toSkill)
        {
            throw SwitchboardException.Invalid($"Conversation '{Id}' is already in the {toSkill} queue; transfer it to another skill.");
        }

        var now = time.GetUtcNow();
        var notice = Append(MessageAuthor.System, agentId, Language.Text("conversation.transferred", ("topic", Language.Topic(toSkill))), now);
        State.Topic = toSkill;
        ReturnToWaiting(toSkill, front: false, now);
        // Whoever transferred it gave it away: it should not bounce straight back to them.
        State.ExcludedAgentId = agentId;
        await CommitAsync();
        ReportToCustomer();

        notifier.ConversationWithdrawn(agentId, Id, byWhom is null ? $"transferred to {toSkill}" : $"transferred to {toSkill} by supervisor {byWhom}");
        notifier.MessagePosted(Id, agentId: null, notice);
        await ReleaseAgentAsync(agentId);
        await EnqueueAsync();
    }

    public async Task ResolveAsync(string agentId)
    {
        EnsureStarted();
        if (State.Status == ConversationStatus.Resolved && State.AgentId == agentId)
        {
            return;
        }

        EnsureHeldBy(agentId);
        await ResolveCoreAsync(agentId);
    }

    public Task ResolveAsSupervisorAsync(string supervisorId)
    {
        EnsureStarted();
        return State.Status == ConversationStatus.Resolved ? Task.CompletedTask : ResolveCoreAsync(EnsureAssigned());
    }

    private async Task ResolveCoreAsync(string agentId)
    {
        var now = time.GetUtcNow();
        State.Status = ConversationStatus.Resolved;
        State.ResolvedAt = now;
        State.FollowUpDueAt = ConversationClock.FollowUpDueAt(State.Tier, now, Sla);
        var notice = Append(MessageAuthor.System, agentId, Language.Text("conversation.resolved"), now);
        await CommitAsync();
        metrics.Record(ConversationEvents.Resolved(State, _transcript, agentId, now));
        ReportToCustomer();

        notifier.MessagePosted(Id, agentId, notice);
        notifier.ConversationClosed(Id, agentId);
        await ReleaseAgentAsync(agentId);
        await RecordInAgentHistoryAsync(agentId, endedByCustomer: false);
    }

    public async Task<ConversationView> ClaimTicketAsync(string agentId)
    {
        EnsureStarted();
        if (State.Status == ConversationStatus.Ticket && TicketContact is not null)
        {
            // Somewhere to send an answer: it is answered later, not taken live (ConversationGrain.Ticket.cs).
            return await ClaimToAnswerAsync(agentId);
        }

        if (State is { Status: ConversationStatus.Assigned } && State.AgentId == agentId)
        {
            // This agent's claim again (a retry whose answer was lost): it is theirs already.
            return View();
        }

        if (State.Status != ConversationStatus.Ticket)
        {
            throw SwitchboardException.Conflict($"Conversation '{Id}' is not a ticket.");
        }

        var agent = GrainFactory.Grain<IAgentGrain>(agentId);
        _reservingWith = agentId;
        try
        {
            var reservation = await agent.TryReserveAsync(Id, State.Topic, State.RequiredProficiency);
            if (!reservation.Granted)
            {
                reservation = await agent.TryReserveAsync(Id, Queues.Queues.Supervisors, 1);
            }

            if (!reservation.Granted)
            {
                throw SwitchboardException.Conflict(
                    $"Agent '{agentId}' cannot take ticket '{Id}': it needs {State.Topic} at proficiency {State.RequiredProficiency} (or a supervisor), online, with free capacity.");
            }

            var joined = Assign(agentId, reservation.AgentName);
            await CommitAsync();
            metrics.Record(ConversationEvents.Assigned(State));
            ReportToCustomer();

            notifier.ConversationAssigned(agentId, View());
            notifier.MessagePosted(Id, agentId: null, joined);
        }
        finally
        {
            _reservingWith = null;
        }

        await GrainFactory.Grain<ITicketBoardGrain>(0).RemoveAsync(Id);
        return View();
    }

    public Task<bool> IsAssignedToAsync(string agentId) =>
        Task.FromResult(_reservingWith == agentId || (State is { Started: true, Status: ConversationStatus.Assigned } && State.AgentId == agentId));

    public async Task ReclaimAsync(string agentId)
    {
        if (!State.Started || State.Status != ConversationStatus.Assigned || State.AgentId != agentId)
        {
            return;
        }

        var now = time.GetUtcNow();
        var notice = Append(MessageAuthor.System, agentId, Language.Text("agent.disconnected"), now);
        ReturnToWaiting(PrimaryQueue, front: true, now);
        await CommitAsync();
        ReportToCustomer();

        logger.LogInformation("Conversation {ConversationId} returned to queue {Queue} from offline agent {AgentId}", Id, PrimaryQueue, agentId);
        // The agent's grain gave the slot back when the grace period ended; there is nothing to release here.
        notifier.ConversationWithdrawn(agentId, Id, "offline grace period ended");
        notifier.MessagePosted(Id, agentId: null, notice);
        await EnqueueAsync();
    }

    private ChatMessage Assign(string agentId, string agentName)
    {
        var now = time.GetUtcNow();
        State.Status = ConversationStatus.Assigned;
        State.AgentId = agentId;
        State.AssignedAt = now;
        State.Returned = false;
        State.ExcludedAgentId = null;
        State.Queues.Clear();
        ClearHold();
        return Append(MessageAuthor.System, agentId, Language.Text("agent.joined", ("agent", agentName)), now, agentName);
    }

    private void ReturnToWaiting(string queue, bool front, DateTimeOffset now)
    {
        State.Status = ConversationStatus.Waiting;
        State.AgentId = null;
        State.AssignedAt = null;
        State.Ticket++;
        // The customer's wait counts from the start, so nobody is sent to the back of the line.
        State.WaitingSince = State.StartedAt;
        State.Returned = front;
        State.Queues = [queue];
        State.QueuedAt = now;
        State.OverflowStage = 0;
        // A hold is for the first offer only: a conversation coming back goes to whoever can take it.
        ClearHold();
    }

    private void ClearHold()
    {
        if (State.Preference is { HoldUntil: not null } preference)
        {
            State.Preference = preference with { HoldUntil = null };
        }
    }

    /// <summary>Puts the conversation in every queue it waits in; the placement in its own queue is returned.</summary>
    private async Task<QueuePlacement?> EnqueueAsync()
    {
        QueuePlacement? placement = null;
        foreach (var queue in State.Queues.ToArray())
        {
            var placed = await EnqueueInAsync(queue);
            placement ??= placed;
        }

        return placement;
    }

    private async Task RequeueAsync()
    {
        await EnqueueAsync();
        _requeued = true;
    }

    private async Task<QueuePlacement?> EnqueueInAsync(string queue)
    {
        var priority = State.Priority + (State.Vip ? _options.VipBoost : 0) + SlaPolicy.PriorityBoost(State.Emotion, State.Tier, State.Breached, Sla);
        var proficiency = queue == Queues.Queues.Supervisors ? 1 : State.RequiredProficiency;
        // A hold never outlasts the first-response deadline, which an angry message may have brought forward.
        var hold = State.Preference is { HoldUntil: { } until } ? (until < State.FirstResponseDueAt ? until : State.FirstResponseDueAt) : (DateTimeOffset?)null;
        var entry = new QueueEntry(
            Id, State.Ticket, priority, proficiency, State.WaitingSince, State.Returned, State.ExcludedAgentId,
            hold is null ? null : State.Preference!.AgentId, hold);
        try
        {
            var placement = await GrainFactory.Grain<IQueueGrain>(queue).EnqueueAsync(entry);
            _enqueueFailures = 0;
            return placement;
        }
        catch (Exception ex)
        {
            // The conversation is stored as waiting; a queue that cannot be reached now must not fail the customer's
            // request. It is queued again shortly (backing off), while it still waits.
            var delay = TrackRetry.After(_enqueueFailures++);
            logger.LogError(ex, "Conversation {ConversationId} could not be queued in {Queue}; trying again in {Delay}", Id, queue, delay);
            _enqueueRetry?.Dispose();
            _enqueueRetry = this.RegisterGrainTimer(
                static (grain, _) => grain.RetryEnqueueAsync(),
                this,
                new GrainTimerCreationOptions(delay, Timeout.InfiniteTimeSpan) { KeepAlive = true });
            return null;
        }
    }

    private async Task RetryEnqueueAsync()
    {
        _enqueueRetry?.Dispose();
        _enqueueRetry = null;
        if (State.Started && State.Status == ConversationStatus.Waiting)
        {
            await RequeueAsync();
        }
    }

    /// <summary>
    /// Gives the agent's slot back once the agent has been told it no longer holds this conversation: the pushes made
    /// so far leave this silo first, so the agent never hears of the slot's next assignment before this.
    /// </summary>
    private async Task ReleaseAgentAsync(string agentId)
    {
        await notifier.SentToAgentAsync(agentId);
        try
        {
            await GrainFactory.Grain<IAgentGrain>(agentId).ReleaseAsync(Id);
        }
        catch (Exception ex)
        {
            // The change is stored; the agent's own check gives back a slot no conversation claims.
            logger.LogWarning(ex, "Conversation {ConversationId} could not give agent {AgentId} its slot back", Id, agentId);
        }
    }

    private async Task RecordFirstResponseAsync(bool withinSla)
    {
        try
        {
            await GrainFactory.Grain<IQueueGrain>(State.Topic).RecordFirstResponseAsync(withinSla);
        }
        catch (Exception ex)
        {
            logger.LogWarning(ex, "Conversation {ConversationId} could not report its first response to {Queue}", Id, State.Topic);
        }
    }

    private async Task RemoveFromQueuesAsync(IEnumerable<string> queues)
    {
        foreach (var queue in queues)
        {
            try
            {
                await GrainFactory.Grain<IQueueGrain>(queue).RemoveAsync(Id);
            }
            catch (Exception ex)
            {
                // A stale entry is harmless: the queue's next assignment of it is refused (wrong ticket or status),
                // and the queue gives back only capacity it took for that attempt.
                logger.LogWarning(ex, "Conversation {ConversationId} could not leave queue {Queue}", Id, queue);
            }
        }
    }

    private string Acknowledgement(QueuePlacement? placement)
    {
        var language = Language;
        var estimate = placement?.EstimatedWait switch
        {
            // Nobody online serves the queue at the level it needs (offline, away, or not senior enough) — not "busy".
            null when placement is not null => language.Text("acknowledgement.nobodyAvailable", ("topic", language.Topic(State.Topic))),
            null => language.Text("acknowledgement.whenFree"),
            { TotalMinutes: < 1 } => language.Text("acknowledgement.underAMinute"),
            { } wait => language.Text("acknowledgement.minutes", ("minutes", Math.Ceiling(wait.TotalMinutes))),
        };
        var line = placement?.Position > 1 ? " " + language.Text("acknowledgement.position", ("position", placement.Position)) : "";
        return $"{language.Text("acknowledgement.received")} {estimate}{line}";
    }

    private void Record(SlaEventKind kind, string? agentId, string detail, DateTimeOffset at) =>
        State.SlaEvents.Add(new SlaEvent(kind, at, agentId, detail));

    private ChatMessage Append(MessageAuthor from, string? agentId, string text, DateTimeOffset at, string? agentName = null)
    {
        var message = _transcript.Add(from, agentId, text, at, agentName);
        CountInTranscript(message);
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

    /// <summary>The agent who holds the conversation now; refused when nobody does.</summary>
    private string EnsureAssigned()
    {
        EnsureOpen();
        return State is { Status: ConversationStatus.Assigned, AgentId: { } agentId }
            ? agentId
            : throw SwitchboardException.Conflict($"Conversation '{Id}' is {State.Status.ToString().ToLowerInvariant()}, not assigned to an agent.");
    }

    private static string Format(TimeSpan span) =>
        span.TotalSeconds < 120 ? $"{Math.Max(0, Math.Round(span.TotalSeconds)):0} s" : $"{span.TotalMinutes:0} min";

    private ConversationView View() => new(
        Id,
        State.CustomerName,
        State.Topic,
        State.Status,
        State.AgentId,
        State.Priority,
        State.Vip,
        State.StartedAt,
        _transcript.ToImmutableArray(),
        State.Emotion,
        State.Tier,
        State.FirstResponseDueAt,
        State.FirstResponseAt,
        State.Breached,
        [.. State.SlaEvents],
        State.Context.ToImmutableDictionary(),
        State.Abandoned,
        State.Rating,
        State.Channel,
        State.CustomerId,
        [.. State.History],
        State.Outreach,
        State.Preference,
        State.ReopenedFrom,
        State.ResolvedAt,
        Full,
        State.Language ?? Languages.LanguageTags.Default,
        TicketView(),
        LeaveMessageFrom(),
        [.. State.Notes],
        [.. State.Supervisors]);
}
