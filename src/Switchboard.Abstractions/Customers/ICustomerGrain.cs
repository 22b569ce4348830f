using Orleans.Concurrency;
using Switchboard.Conversations;

namespace Switchboard.Customers;

/// <summary>
/// One customer (keyed by the channel's customer id): profile, conversation history, outreach sent. Every start
/// with a customer id goes through it, so it is where one open conversation per topic is kept.
/// </summary>
/// <remarks>
/// The customer calls conversations (and, through them, queues and agents); conversations report back only
/// one-way, so no call chain ever waits on a customer from the other side.
/// </remarks>
public interface ICustomerGrain : IGrainWithStringKey
{
    /// <summary>
    /// Starts a conversation under <paramref name="conversationId"/>, or, when the customer has one open on the same
    /// topic, returns that one instead (posting the text into it unless it repeats the opening text). The customer's
    /// last agent (or the agent who resolved a conversation on this topic within the reopen window) is preferred.
    /// For a messaging channel's customer, <paramref name="messageId"/> is the channel's id for the message: a retry
    /// is answered with what the first one did (<see cref="StartOutcome.Replayed"/>). Refused with
    /// <see cref="SwitchboardError.Conflict"/> when the customer already has the most open conversations allowed, and
    /// as <see cref="IConversationGrain.StartAsync"/> for bad input; nothing changes then.
    /// </summary>
    /// <remarks>
    /// The grain's id says who proved the customer (see <c>CustomerIds</c>); callers check that proof.
    /// <paramref name="lastKnownConversationId"/> is a conversation the customer's proof names (the one its identity
    /// token was issued with): read back if this grain has not heard of it yet (its report is one-way).
    /// </remarks>
    [RetrySafe]
    Task<StartOutcome> StartAsync(StartConversation start, string conversationId, string? messageId = null, string? lastKnownConversationId = null);

    /// <summary>
    /// Opens an outbound conversation for a configured trigger under <paramref name="conversationId"/>: routed to the
    /// trigger's skill, its opening message from the trigger's template, pushed to the customer's channel.
    /// <see cref="SwitchboardError.Invalid"/> for an unknown trigger or a template value missing,
    /// <see cref="SwitchboardError.TooManyRequests"/> past the per-customer limit, <see cref="SwitchboardError.Conflict"/>
    /// when the customer has a conversation open on that skill or too many open, <see cref="SwitchboardError.NotFound"/>
    /// for a web chat customer who never wrote in.
    /// </summary>
    Task<ConversationView> StartOutreachAsync(StartOutreach outreach, string conversationId);

    /// <summary>The customer, or null if nothing is known about this id.</summary>
    [RetrySafe]
    Task<CustomerView?> GetAsync();

    /// <summary>
    /// A conversation of this customer changed. One-way and awaiting nothing but storage: conversations call it while
    /// the customer may be waiting on them.
    /// </summary>
    /// <param name="details">What a start told of a customer the grain may not know yet (a new web customer's first
    /// conversation starts without calling it); merged into the profile.</param>
    [OneWay]
    [RetrySafe]
    Task RecordAsync(CustomerConversation conversation, CustomerDetails? details = null);
}
