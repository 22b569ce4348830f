using Switchboard.Auth;
using Switchboard.Conversations;
using Switchboard.Customers;
using Switchboard.Limits;

namespace Switchboard.Hubs;

/// <summary>A web chat customer's identity: who they are, and the token that proves it on their next visit.</summary>
public sealed record CustomerIdentity(string Id, string Token, DateTimeOffset ExpiresAt);

/// <summary>
/// A started conversation as a web customer gets it: the conversation (new, or their open one on that topic), the
/// customer token for it, their renewed customer identity, and whether this start was a retry of one already taken
/// (the same start id: nothing new was opened).
/// </summary>
public sealed record StartedConversation(
    ConversationView Conversation,
    string CustomerToken,
    DateTimeOffset CustomerTokenExpiresAt,
    CustomerIdentity Customer,
    bool Replayed = false);

/// <summary>How the web edges (customer hub, <c>POST /api/conversations</c>) start a conversation and what of it a customer sees.</summary>
public static class CustomerStarts
{
    private const string CustomerIdChosen =
        "'customerId' is not chosen by a web client: Switchboard gives it with the first conversation, and the customer identity token it returns proves it on the next.";

    /// <summary>
    /// The conversation a start opens: its id comes from the start's id (the client's, or one made for this call), so
    /// the same start again, from the client or from the silo retrying a call a failed silo swallowed, reaches the
    /// conversation the first try opened and opens nothing new.
    /// </summary>
    public static string ProposeId(TokenIssuer tokens, StartConversation? start, string? customerId)
    {
        ConversationRules.ValidateClientId(start?.StartId, "A start id");
        return tokens.ConversationIdForStart(customerId, start?.StartId ?? Guid.NewGuid().ToString("N"));
    }

    /// <summary>
    /// The start's own checks (name, topic, text, priority, context...), made before any grain is called: anyone may
    /// send a start, and one refused for what it says must leave nothing behind, not even an empty activation of the
    /// conversation it would have opened. The conversation grain checks again: it is the authority.
    /// </summary>
    public static void Check(StartConversation? start, SwitchboardOptions options)
    {
        if (start is null)
        {
            throw SwitchboardException.Invalid("Send the conversation to start.");
        }

        if (start.CustomerId is not null)
        {
            throw SwitchboardException.Invalid(CustomerIdChosen);
        }

        // Normalised as the conversation grain normalises it, so the edge refuses exactly what the grain would.
        ConversationRules.ValidateStart(start with { CustomerName = Text.Names.Normalize(start.CustomerName), Topic = ConversationRules.NormalizeSkill(start.Topic) }, options);
    }

    /// <summary>
    /// Starts as web customer <paramref name="customerId"/> (proven by their identity token) under
    /// <paramref name="proposedId"/> (<see cref="ProposeId"/>) through their customer grain, which may answer with their
    /// open conversation on that topic; without one, as a new customer, straight at the conversation (nothing is known
    /// of them yet, so there is nothing to ask their grain; the conversation's first report creates their record).
    /// </summary>
    /// <param name="start">A start <see cref="Check"/> passed.</param>
    /// <param name="lastConversationId">The conversation the customer's identity token was issued with, if any.</param>
    public static async Task<StartedConversation> StartAsync(
        IGrainFactory grains, TokenIssuer tokens, RateLimits limits, StartConversation start, string? customerId, string proposedId,
        string? lastConversationId = null)
    {
        StartOutcome outcome;
        if (customerId is null)
        {
            outcome = await grains.Grain<IConversationGrain>(proposedId).StartAsync(start with { CustomerId = CustomerIds.NewWeb() });
            // A retry answers with the customer the conversation was first opened for.
            customerId = outcome.Conversation.CustomerId!;
        }
        else
        {
            limits.CountCustomerStart(customerId);
            outcome = await grains.Grain<ICustomerGrain>(customerId).StartAsync(start, proposedId, lastKnownConversationId: lastConversationId);
        }

        var view = ForCustomer(outcome.Conversation);
        var token = tokens.IssueCustomer(view.Id);
        var identity = tokens.IssueCustomerIdentity(customerId, view.Id);
        return new StartedConversation(
            view, token.Token, token.ExpiresAt, new CustomerIdentity(customerId, identity.Token, identity.ExpiresAt), outcome.Replayed);
    }

    /// <summary>
    /// The conversation as the customer side sees it: without the customer's history, routing preference, internal
    /// notes, supervisors and the staff's side of a ticket, which are for agents.
    /// </summary>
    public static ConversationView ForCustomer(ConversationView view) => view with
    {
        History = [],
        Preference = null,
        // Internal notes and who supervises are for staff only (issue 19).
        Notes = [],
        Supervisors = [],
        // Who claimed a ticket and why a delivery failed are the staff's business.
        Ticket = view.Ticket is { } ticket
            ? ticket with { ClaimedBy = null, Answer = ticket.Answer is { } answer ? answer with { LastError = null } : null }
            : null,
    };
}
