using System.Collections.Immutable;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Switchboard.Conversations;

namespace Switchboard.Customers;

/// <summary>
/// One customer's profile and history, and the gate every start with their id goes through: not reentrant, so two
/// starts of the same customer (a double click, a channel retry) run one after the other and the second finds the
/// first open.
/// </summary>
public sealed class CustomerGrain(
    [PersistentState("customer", SwitchboardOptions.StorageName)] IPersistentState<CustomerState> state,
    IOptions<SwitchboardOptions> options,
    TimeProvider time,
    ILogger<CustomerGrain> logger) : Grain, ICustomerGrain
{
    private readonly SwitchboardOptions _options = options.Value;
    private bool _unsaved;

    private CustomerState State => state.State;

    private CustomerOptions Customers => _options.Customers;

    private string Id => this.GetPrimaryKeyString();

    public async Task<StartOutcome> StartAsync(StartConversation start, string conversationId, string? messageId = null, string? lastKnownConversationId = null)
    {
        ArgumentNullException.ThrowIfNull(start);
        var channel = CustomerIds.ChannelOf(Id);
        if (messageId is not null && channel is null)
        {
            throw new ArgumentException("Only a messaging channel's customer starts with the channel's message id.", nameof(messageId));
        }

        start = start with { CustomerName = Text.Names.Normalize(start.CustomerName), Topic = ConversationRules.NormalizeSkill(start.Topic), CustomerId = Id };
        ConversationRules.ValidateStart(start, _options);

        if (messageId is not null && State.Conversations.Exists(c => c.Id == conversationId))
        {
            // The channel's retry of the message that opened this conversation: answered with it, nothing new.
            return await GrainFactory.Grain<IConversationGrain>(conversationId)
                .StartForCustomerAsync(start, new CustomerStart([], null, Channel: channel, MessageId: messageId));
        }

        if (lastKnownConversationId is not null && !State.Conversations.Exists(c => c.Id == lastKnownConversationId))
        {
            await AdoptAsync(lastKnownConversationId);
        }

        var open = await RefreshAsync();
        if (messageId is null && (open.Exists(c => c.Id == conversationId) || State.Conversations.Exists(c => c.Id == conversationId)))
        {
            // The same start again (the conversation's id comes from the start's id): the conversation it opened,
            // answered as a replay; a different start under that id is refused there.
            return await GrainFactory.Grain<IConversationGrain>(conversationId).StartForCustomerAsync(start, new CustomerStart([], null));
        }

        // A full conversation takes no more from the customer: the start opens a new one beside it.
        if (open.FirstOrDefault(c => c.Topic == start.Topic && !c.Full) is { } same)
        {
            return await JoinAsync(same, start.Text, channel, messageId, startedAs: conversationId);
        }

        EnsureRoom(open);
        var outcome = await StartConversationAsync(conversationId, start, outreach: null, channel, messageId);
        State.Profile = CustomerPolicy.Merge(State.Profile, start.CustomerName, start.Vip, start.Context);
        await SaveAsync();
        return outcome;
    }

    public async Task<ConversationView> StartOutreachAsync(StartOutreach outreach, string conversationId)
    {
        ArgumentNullException.ThrowIfNull(outreach);
        if (CustomerIds.IsWeb(Id) && State.Profile is null)
        {
            // Nobody could hear it: a web chat customer exists only once they have written in.
            throw SwitchboardException.NotFound($"Customer '{Id}' is not known.");
        }

        var name = Text.Names.Normalize(outreach.CustomerName);
        if (Customers.Outreach.Find(outreach.Trigger) is not { } found)
        {
            var known = Customers.Outreach.Triggers.Keys.Order(StringComparer.OrdinalIgnoreCase);
            throw SwitchboardException.Invalid($"Unknown trigger '{outreach.Trigger}'. Known triggers: {string.Join(", ", known)}.");
        }

        var (trigger, settings) = found;
        var context = (outreach.Context ?? ImmutableDictionary<string, string>.Empty).ToBuilder();
        if (!string.IsNullOrWhiteSpace(outreach.Order))
        {
            context["order"] = outreach.Order.Trim();
        }

        var values = new Dictionary<string, string>(context) { ["name"] = name };
        var opening = CustomerPolicy.Fill(settings.Template, values, out var missing);
        if (missing.Count > 0)
        {
            throw SwitchboardException.Invalid(
                $"Trigger '{trigger}' needs {string.Join(", ", missing.Select(m => $"'{m}'"))} for its opening message.");
        }

        var start = new StartConversation(
            name, settings.Skill, opening, outreach.Priority ?? settings.Priority, outreach.Vip, CustomerId: Id, Context: context.ToImmutable());
        ConversationRules.ValidateStart(start, _options);

        var now = time.GetUtcNow();
        if (CustomerPolicy.OutreachRetryAfter(State.OutreachSentAt, now, Customers.Outreach) is { } retryAfter)
        {
            throw SwitchboardException.TooManyRequests(
                $"Customer '{Id}' was contacted {Customers.Outreach.MaxPerCustomer} times within {Describe(Customers.Outreach.Window)}; the next outreach is allowed in {Describe(retryAfter)}.",
                retryAfter);
        }

        var open = await RefreshAsync();
        if (open.FirstOrDefault(c => c.Topic == start.Topic && !c.Full) is { } same)
        {
            throw SwitchboardException.Conflict(
                $"Customer '{Id}' has conversation '{same.Id}' open on {start.Topic}; continue there instead of opening another.");
        }

        EnsureRoom(open);
        var view = (await StartConversationAsync(conversationId, start, new OutreachInfo(trigger, settings.Reason ?? trigger), CustomerIds.ChannelOf(Id), messageId: null)).Conversation;
        State.Profile = CustomerPolicy.Merge(State.Profile, name, outreach.Vip || (State.Profile?.Vip ?? false), start.Context);
        State.OutreachSentAt.RemoveAll(at => now - at >= Customers.Outreach.Window);
        State.OutreachSentAt.Add(now);
        await SaveAsync();
        return view;
    }

    public Task<CustomerView?> GetAsync() => Task.FromResult(
        State.Profile is null && State.Conversations.Count == 0
            ? null
            : new CustomerView(
                Id,
                State.Profile ?? new CustomerProfile(Id, null, false, [], ImmutableDictionary<string, string>.Empty),
                CustomerPolicy.Recent(State.Conversations, State.Conversations.Count),
                [.. State.OutreachSentAt]));

    public async Task RecordAsync(CustomerConversation conversation, CustomerDetails? details = null)
    {
        var known = State.Conversations.FindIndex(c => c.Id == conversation.Id);
        var stillOpen = known >= 0 && State.Conversations[known].IsOpen && conversation.IsOpen;
        var changed = Upsert(conversation);
        if (details is not null)
        {
            State.Profile = CustomerPolicy.Merge(State.Profile, details.Name, details.Vip || (State.Profile?.Vip ?? false), details.Context);
            changed = true;
        }

        // A conversation is stored when it arrives and when it ends; what changes while it stays open (its agent, its
        // last message) is kept in memory only, because every use of an open record reads it back from the conversation
        // first (RefreshAsync). That is one write fewer per conversation, and one per message.
        if (changed && (details is not null || !stillOpen))
        {
            await SaveAsync();
        }
        else if (changed)
        {
            _unsaved = true;
        }
    }

    /// <summary>What only memory held (an open conversation's changes) is stored as the grain goes, for the history.</summary>
    public override async Task OnDeactivateAsync(DeactivationReason reason, CancellationToken cancellationToken)
    {
        if (_unsaved)
        {
            try
            {
                await SaveAsync();
            }
            catch (Exception)
            {
                // Logged by SaveAsync; the open conversations are read back on the next start anyway.
            }
        }
    }

    private async Task<StartOutcome> StartConversationAsync(
        string conversationId, StartConversation start, OutreachInfo? outreach, string? channel, string? messageId)
    {
        var now = time.GetUtcNow();
        var preferred = CustomerPolicy.Prefer(State.Conversations, start.Topic, now, Customers);
        var customer = new CustomerStart(
            CustomerPolicy.Recent(State.Conversations, Customers.HistoryShown, except: conversationId),
            preferred?.Preference,
            preferred?.ReopenedFrom,
            outreach,
            channel,
            messageId);
        var outcome = await GrainFactory.Grain<IConversationGrain>(conversationId).StartForCustomerAsync(start, customer);
        Upsert(CustomerPolicy.Summarize(outcome.Conversation));
        return outcome;
    }

    /// <summary>
    /// Joins the open conversation. From a channel, the start's text is the customer's next message there (its
    /// message id keeps a retry from storing it twice); from the web, a repeat of the opening text (a double click)
    /// adds nothing and anything else is the customer writing in it, under the id this start would have opened
    /// (<paramref name="startedAs"/>, derived from its start id), so the same start again posts it once.
    /// </summary>
    private async Task<StartOutcome> JoinAsync(ConversationView open, string text, string? channel, string? messageId, string startedAs)
    {
        var conversation = GrainFactory.Grain<IConversationGrain>(open.Id);
        if (channel is not null && messageId is not null)
        {
            var posted = await conversation.PostChannelMessageAsync(channel, messageId, text);
            return new StartOutcome(await conversation.GetAsync(), posted.Replayed);
        }

        var opening = open.Messages.FirstOrDefault(m => m.From == MessageAuthor.Customer);
        if (opening?.Text == text)
        {
            return new StartOutcome(open, Replayed: false);
        }

        var written = await conversation.PostCustomerMessageAsync(text, startedAs);
        return new StartOutcome(await conversation.GetAsync(), written.Replayed);
    }

    /// <summary>
    /// Reads back from the conversations themselves every record that may still change: the open ones (for the
    /// limit and the join) and the recent ones not yet rated (for the history the agent sees). A report that has not
    /// arrived yet, or was lost with a silo, is made good here rather than trusted; the open conversations are returned.
    /// </summary>
    private async Task<List<ConversationView>> RefreshAsync()
    {
        var recent = CustomerPolicy.Recent(State.Conversations, Customers.HistoryShown).Select(c => c.Id).ToHashSet();
        var open = new List<ConversationView>();
        foreach (var record in State.Conversations
            .Where(c => c.IsOpen || (recent.Contains(c.Id) && !c.Abandoned && c.Rating is null))
            .OrderByDescending(c => c.StartedAt)
            .ToList())
        {
            if (await ReadBackAsync(record) is { Status: not ConversationStatus.Resolved } view)
            {
                open.Add(view);
            }
        }

        return open;
    }

    /// <summary>A conversation of this customer's that has not reported here yet (its first report is one-way): read it.</summary>
    private async Task AdoptAsync(string conversationId)
    {
        try
        {
            var view = await GrainFactory.Grain<IConversationGrain>(conversationId).GetAsync();
            if (view.CustomerId == Id)
            {
                Upsert(CustomerPolicy.Summarize(view), force: true);
            }
        }
        catch (SwitchboardException ex) when (ex.Error == SwitchboardError.NotFound)
        {
            // Never stored: nothing to adopt.
        }
    }

    private void EnsureRoom(List<ConversationView> open)
    {
        if (open.Count >= Customers.MaxOpenConversations)
        {
            throw SwitchboardException.Conflict(
                $"Customer '{Id}' already has {open.Count} open conversations ({string.Join(", ", open.Select(c => c.Topic).Order())}); "
                + $"at most {Customers.MaxOpenConversations} may be open at once. Continue in one of them.");
        }
    }

    private async Task<ConversationView?> ReadBackAsync(CustomerConversation record)
    {
        try
        {
            var view = await GrainFactory.Grain<IConversationGrain>(record.Id).GetAsync();
            Upsert(CustomerPolicy.Summarize(view), force: true);
            return view;
        }
        catch (SwitchboardException ex) when (ex.Error == SwitchboardError.NotFound)
        {
            State.Conversations.Remove(record);
            return null;
        }
    }

    /// <summary>Keeps the newer of two reports of a conversation; true if the history changed.</summary>
    private bool Upsert(CustomerConversation conversation, bool force = false)
    {
        var at = State.Conversations.FindIndex(c => c.Id == conversation.Id);
        if (at < 0)
        {
            State.Conversations.Add(conversation);
            Trim();
            return true;
        }

        var existing = State.Conversations[at];
        if (conversation.Version > existing.Version || (force && conversation != existing))
        {
            State.Conversations[at] = conversation with { Version = Math.Max(conversation.Version, existing.Version) };
            return true;
        }

        return false;
    }

    private void Trim()
    {
        var excess = State.Conversations.Count - Customers.HistoryKept;
        if (excess <= 0)
        {
            return;
        }

        foreach (var oldest in State.Conversations.Where(c => !c.IsOpen).OrderBy(c => c.StartedAt).Take(excess).ToList())
        {
            State.Conversations.Remove(oldest);
        }
    }

    private async Task SaveAsync()
    {
        try
        {
            await state.WriteStateAsync();
            _unsaved = false;
        }
        catch (Exception ex)
        {
            // The conversations are stored by themselves and report again as they change; the history catches up.
            logger.LogError(ex, "Customer {CustomerId} could not store their history", Id);
            throw;
        }
    }

    private static string Describe(TimeSpan span) => span switch
    {
        { TotalHours: >= 48 } => $"{span.TotalDays:0.#} days",
        { TotalMinutes: >= 120 } => $"{Math.Ceiling(span.TotalHours):0} h",
        { TotalSeconds: >= 120 } => $"{Math.Ceiling(span.TotalMinutes):0} min",
        _ => $"{Math.Ceiling(span.TotalSeconds):0} s",
    };
}
