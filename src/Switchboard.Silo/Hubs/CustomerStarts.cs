using Switchboard.Conversations;
using Switchboard.Customers;

namespace Switchboard.Hubs;

/// <summary>How the edges (customer hub, channel API) start a conversation and what of it they show a customer.</summary>
public static class CustomerStarts
{
    /// <summary>
    /// Starts under <paramref name="proposedId"/>: through the customer's grain when the start names a customer (it
    /// may answer with the customer's open conversation on that topic instead), straight to a new conversation otherwise.
    /// </summary>
    public static Task<ConversationView> StartAsync(IGrainFactory grains, StartConversation start, string proposedId)
    {
        var customerId = ConversationRules.NormalizeCustomerId(start.CustomerId);
        return customerId is null
            ? grains.GetGrain<IConversationGrain>(proposedId).StartAsync(start with { CustomerId = null })
            : grains.GetGrain<ICustomerGrain>(customerId).StartAsync(start, proposedId);
    }

    /// <summary>
    /// The conversation as the customer side sees it: without the customer's history and routing preference, which are
    /// for agents (a conversation id is all a customer connection needs to read a conversation).
    /// </summary>
    public static ConversationView ForCustomer(ConversationView view) => view with { History = [], Preference = null };
}
