using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Switchboard.Agents;
using Switchboard.Customers;
using Switchboard.Supervision;

namespace Switchboard.Conversations;

/// <summary>
/// Leave a message, answered later: the customer turns their wait into a ticket (the same ticket the clock makes after
/// <c>TicketAfter</c>), a supervisor claims it and answers, and the answer is delivered by email or through the
/// customer's channel. Delivery attempts are one more due time on the conversation's clock, so they run from its
/// timer, never inside a request, and the deadline service brings them back after a silo dies.
/// </summary>
public sealed partial class ConversationGrain
{
    private TicketOptions Tickets => _options.Tickets;

    private ITicketBoardGrain Board => GrainFactory.Grain<ITicketBoardGrain>(0);

    /// <summary>Where an answer goes: the address the customer left, or their channel; null when there is nowhere (take it live).</summary>
    private string? TicketContact => State.LeftMessage?.Email ?? (State.Channel is { } channel ? $"channel:{channel}" : null);

    /// <summary>When the clock should next try to deliver the answer, if an attempt is pending.</summary>
    private DateTimeOffset? AnswerDueAt => State.TicketAnswer is { Delivery: AnswerDelivery.Pending, NextAttemptAt: { } at } ? at : null;

    public async Task<ConversationView> LeaveMessageAsync(string requestId, string? email, string text, string? channel = null)
    {
        EnsureStarted();
        if (State.Channel != channel)
        {
            throw SwitchboardException.Forbidden(channel is null
                ? $"Conversation '{Id}' came from a messaging channel: it leaves its messages through the channel."
                : $"Conversation '{Id}' did not come from channel '{channel}'.");
        }

        if (string.IsNullOrEmpty(requestId))
        {
            throw SwitchboardException.Invalid("A request id is required (a random UUID made by the client), so a retry leaves the message once.");
        }

        ConversationRules.ValidateClientId(requestId, "A request id");
        email = string.IsNullOrWhiteSpace(email) ? null : email.Trim();
        text = text?.Trim() ?? "";
        if (State.LeftMessage is { } left)
        {
            if (left.RequestId == requestId && left.Email == email && left.Text == text)
            {
                // A retry whose answer was lost: the board is told again, in case the first telling was what failed.
                await Board.AddAsync(Summary());
                return View();
            }

            throw SwitchboardException.Conflict($"A message was already left on conversation '{Id}'; it will be answered.");
        }

        if (State.Status == ConversationStatus.Assigned)
        {
            throw SwitchboardException.Conflict("An agent is already with you in this chat: write to them here.");
        }

        EnsureOpen();
        if (State.Outreach is not null)
        {
            throw SwitchboardException.Conflict("This conversation was opened by us: just answer it here.");
        }

        ConversationRules.ValidateText(text, _options);
        if (email is null && State.Channel is null)
        {
            throw SwitchboardException.Invalid("An email address is required, so we can send you the answer.");
        }

        if (email is not null)
        {
            TicketRules.ValidateEmail(email);
        }

        var now = time.GetUtcNow();
        var queues = State.Queues.ToArray();
        State.LeftMessage = new LeftMessage(requestId, email, text, now);
        State.Status = ConversationStatus.Ticket;
        State.Queues.Clear();
        var contact = TicketContact!;
        var detail = $"The customer left a message, to be answered by {(email is null ? $"their channel ({State.Channel})" : "email")}.";
        Record(SlaEventKind.Ticketed, null, detail, now);
        var notice = Append(
            MessageAuthor.System, null,
            email is null ? Language.Text("ticket.saved") : Language.Text("ticket.savedEmail", ("email", contact)),
            now);
        await CommitAsync();
        ReportToCustomer();

        notifier.MessagePosted(Id, agentId: null, notice);
        await RemoveFromQueuesAsync(queues);
        await Board.AddAsync(Summary());
        notifier.SupervisorAlert(new SupervisorAlert(SupervisorAlertKind.Ticket, Id, State.Topic, detail, now));
        return View();
    }

    /// <summary>A supervisor claims a ticket with a contact, to answer it later: no capacity is taken.</summary>
    private async Task<ConversationView> ClaimToAnswerAsync(string agentId)
    {
        if (State.TicketClaimedBy == agentId)
        {
            await Board.AddAsync(Summary());
            return View();
        }

        if (State.TicketClaimedBy is { } other)
        {
            throw SwitchboardException.Conflict($"Ticket '{Id}' is already claimed by {other}.");
        }

        await RequireSupervisorAsync(agentId, "claim a ticket to answer it later");
        State.TicketClaimedBy = agentId;
        await CommitAsync();
        await Board.AddAsync(Summary());
        return View();
    }

    public async Task<ConversationView> AnswerTicketAsync(string agentId, string answerId, string text)
    {
        EnsureStarted();
        if (string.IsNullOrEmpty(answerId))
        {
            throw SwitchboardException.Invalid("An answer id is required (a random UUID made by the console), so a retry sends the answer once.");
        }

        ConversationRules.ValidateClientId(answerId, "An answer id");
        text = text?.Trim() ?? "";
        if (State.TicketAnswer is { } answered)
        {
            return answered.AnswerId == answerId && answered.AgentId == agentId && answered.Text == text
                ? View()
                : throw SwitchboardException.Conflict($"Ticket '{Id}' is already answered; retry its delivery instead.");
        }

        if (State.Status != ConversationStatus.Ticket || TicketContact is null)
        {
            throw SwitchboardException.Conflict($"Conversation '{Id}' is not a ticket that can be answered later.");
        }

        if (State.TicketClaimedBy != agentId)
        {
            throw SwitchboardException.Conflict(State.TicketClaimedBy is null
                ? $"Claim ticket '{Id}' before answering it."
                : $"Ticket '{Id}' is claimed by {State.TicketClaimedBy}.");
        }

        ConversationRules.ValidateText(text, _options);
        var now = time.GetUtcNow();
        var message = Append(MessageAuthor.Agent, agentId, text, now);
        _transcript.Identify($"agent:{agentId}:{answerId}", message.Sequence);
        State.FirstResponseAt ??= now;
        State.TicketAnswer = new TicketAnswer(
            answerId, agentId, text, now, $"{Id}.{answerId}", State.LeftMessage?.Email is null ? TicketContact : "email",
            AnswerDelivery.Pending, Attempts: 0, LastError: null, NextAttemptAt: now, DeliveredAt: null);
        // Stored with its first attempt due now: the clock's timer delivers it once this call has answered.
        await CommitAsync();
        ReportToCustomer();
        notifier.MessagePosted(Id, agentId: null, message);
        await Board.AddAsync(Summary());
        return View();
    }

    public async Task<ConversationView> RetryTicketAnswerAsync(string agentId)
    {
        EnsureStarted();
        if (State.TicketAnswer is not { } answer)
        {
            throw SwitchboardException.Conflict($"Ticket '{Id}' has no answer to send.");
        }

        if (answer.Delivery != AnswerDelivery.Failed)
        {
            // Delivered (never twice), or attempts still running: nothing to start.
            return View();
        }

        await RequireSupervisorAsync(agentId, "retry an answer");
        State.TicketAnswer = answer with { Delivery = AnswerDelivery.Pending, Attempts = 0, NextAttemptAt = time.GetUtcNow() };
        await CommitAsync();
        await TellBoardAsync();
        return View();
    }

    /// <summary>One delivery attempt, from the clock; the outcome is stored before the board and supervisors hear it.</summary>
    private async Task DeliverAnswerAsync()
    {
        var answer = State.TicketAnswer!;
        string? error = null;
        try
        {
            var delivery = ServiceProvider.GetService<ITicketDelivery>()
                ?? throw new InvalidOperationException("This silo has no way to deliver answers.");
            using var timeout = new CancellationTokenSource(Tickets.AttemptTimeout);
            await delivery.DeliverAsync(DeliveryRequest(answer), timeout.Token);
        }
        catch (OperationCanceledException)
        {
            error = $"No answer from the receiver within {Format(Tickets.AttemptTimeout)}.";
        }
        catch (Exception ex)
        {
            error = ex.Message;
        }

        var now = time.GetUtcNow();
        var attempts = answer.Attempts + 1;
        if (error is null)
        {
            State.TicketAnswer = answer with
            {
                Delivery = AnswerDelivery.Delivered, Attempts = attempts, LastError = null, NextAttemptAt = null, DeliveredAt = now,
            };
            State.Status = ConversationStatus.Resolved;
            State.ResolvedAt = now;
            State.AgentId = answer.AgentId;
            var notice = Append(MessageAuthor.System, answer.AgentId, Language.Text(answer.Via == "email" ? "ticket.answerSentByEmail" : "ticket.answerSent"), now);
            await CommitAsync();
            // Resolved by the answer: resolution time runs from the start, the ticket's wait included.
            Metrics.Record(Switchboard.Metrics.ConversationEvents.Resolved(State, _transcript, answer.AgentId, now));
            ReportToCustomer();
            logger.LogInformation("Conversation {ConversationId}: the answer to its ticket was delivered ({Via}, attempt {Attempt})", Id, answer.Via, attempts);
            notifier.MessagePosted(Id, agentId: null, notice);
            notifier.ConversationClosed(Id, agentId: null);
            await TellBoardAsync(remove: true);
            return;
        }

        var givenUp = attempts >= Tickets.MaxAttempts;
        State.TicketAnswer = answer with
        {
            Delivery = givenUp ? AnswerDelivery.Failed : AnswerDelivery.Pending,
            Attempts = attempts,
            LastError = error,
            NextAttemptAt = givenUp ? null : now + RetryDelay(attempts),
        };
        await CommitAsync();
        logger.LogWarning("Conversation {ConversationId}: delivering the answer to its ticket failed (attempt {Attempt} of {MaxAttempts}): {Error}", Id, attempts, Tickets.MaxAttempts, error);
        await TellBoardAsync();
        if (givenUp)
        {
            notifier.SupervisorAlert(new SupervisorAlert(
                SupervisorAlertKind.Undelivered, Id, State.Topic, $"The answer to {State.CustomerName} was not delivered after {attempts} attempts: {error}", now));
        }
    }

    /// <summary>Exponential backoff with jitter (between half and all of it), so receivers that come back are not hit in step.</summary>
    private TimeSpan RetryDelay(int failures)
    {
        var delay = new Backoff(Tickets.FirstRetry, Tickets.MaxRetry).After(failures - 1);
        return delay * (0.5 + (Random.Shared.NextDouble() / 2));
    }

    private TicketDeliveryRequest DeliveryRequest(TicketAnswer answer)
    {
        var channelCustomerId = State.Channel is { } channel && State.CustomerId is { } customerId && CustomerIds.ChannelOf(customerId) == channel
            ? customerId[(channel.Length + 1)..]
            : null;
        return new TicketDeliveryRequest(
            Id, answer.MessageId, State.LeftMessage?.Email, State.LeftMessage?.Email is null ? State.Channel : null, channelCustomerId,
            State.CustomerName, State.Topic, Language.Topic(State.Topic), State.LeftMessage?.Text ?? _transcript[0].Text, answer.Text, answer.AgentId,
            answer.At, State.Language ?? State.Context.GetValueOrDefault("language"));
    }

    private async Task RequireSupervisorAsync(string agentId, string what)
    {
        var agent = await GrainFactory.Grain<IAgentGrain>(agentId).GetAsync();
        if (agent?.Profile.Supervisor != true)
        {
            throw SwitchboardException.Forbidden($"Only a supervisor may {what}.");
        }
    }

    /// <summary>The board is a view of the conversations: a failure to tell it is logged, and the next change tells it again.</summary>
    private async Task TellBoardAsync(bool remove = false)
    {
        try
        {
            await (remove ? Board.RemoveAsync(Id) : Board.AddAsync(Summary()));
        }
        catch (Exception ex)
        {
            logger.LogWarning(ex, "Conversation {ConversationId} could not update the ticket board", Id);
        }
    }

    /// <summary>The ticket as the board shows it.</summary>
    private TicketSummary Summary()
    {
        var ticketedAt = State.SlaEvents.LastOrDefault(e => e.Kind == SlaEventKind.Ticketed)?.At ?? time.GetUtcNow();
        return new TicketSummary(
            Id, State.CustomerName, State.Topic, State.Tier, State.Emotion, State.StartedAt, ticketedAt, _transcript[0].Text,
            TicketContact, State.LeftMessage?.Text, State.TicketClaimedBy, State.TicketAnswer);
    }

    private TicketInfo? TicketView() =>
        State.LeftMessage is null && State.TicketClaimedBy is null && State.TicketAnswer is null && State.Status != ConversationStatus.Ticket
            ? null
            : new TicketInfo(State.LeftMessage, TicketContact, State.TicketClaimedBy, State.TicketAnswer);

    /// <summary>
    /// From when the waiting customer is offered to leave a message; null when that is not for them now. A web
    /// customer whose wait became a ticket on the clock (TicketAfter) is still offered it: it gives the ticket a contact.
    /// </summary>
    private DateTimeOffset? LeaveMessageFrom() =>
        State is { LeftMessage: null, Outreach: null }
        && (State.Status == ConversationStatus.Waiting || (State.Status == ConversationStatus.Ticket && State.Channel is null))
            ? (State.NobodyAvailableAtStart ? State.StartedAt : State.QueuedAt + Tickets.OfferAfter)
            : null;
}
