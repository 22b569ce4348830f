using Microsoft.AspNetCore.SignalR;
using Microsoft.Extensions.Options;
using Switchboard.Auth;
using Switchboard.Conversations;
using Switchboard.Limits;

namespace Switchboard.Hubs;

/// <summary>
/// The customer's web chat: start a conversation, then post and receive messages on it. Anyone may start one; a
/// connection may read and post only in conversations it started, or joined with that conversation's customer token.
/// </summary>
public sealed class CustomerHub(
    IGrainFactory grains, TokenIssuer tokens, RateLimits limits, OpenConversations open, IOptions<SwitchboardOptions> options, TypingThrottle typing) : Hub<ICustomerClient>
{
    public const string Path = "/hubs/customer";

    private const string CustomerKey = "customer";
    private const string LastConversationKey = "customer-last";

    private HashSet<string> Joined =>
        (HashSet<string>)(Context.Items.TryGetValue(nameof(Joined), out var set) ? set! : Context.Items[nameof(Joined)] = new HashSet<string>());

    /// <summary>The conversations this connection started that may still be open; it goes with the connection.</summary>
    private ClientConversations StartedHere =>
        (ClientConversations)(Context.Items.TryGetValue(nameof(StartedHere), out var started) ? started! : Context.Items[nameof(StartedHere)] = new ClientConversations());

    /// <summary>
    /// Starts a conversation as the customer <see cref="Identify"/> proved on this connection (or joins their open
    /// conversation on the same topic); on a connection that did not identify, as a new customer, whose identity comes
    /// back with it. A connection stands for one customer only once it identifies: a pooled connection that starts
    /// for many customers (a channel's gateway) is never taken for one of them. At most
    /// <see cref="LimitsOptions.OpenConversationsPerConnection"/> conversations it started may be open at once.
    /// </summary>
    public async Task<StartedConversation> StartConversation(StartConversation start)
    {
        var customerId = Context.Items.TryGetValue(CustomerKey, out var known) ? (string)known! : null;
        var id = CustomerStarts.ProposeId(tokens, start, customerId);
        CustomerStarts.Check(start, options.Value);
        // Join before starting: an agent may answer before this call returns.
        await JoinGroupAsync(id);
        StartedConversation started;
        try
        {
            var lastConversation = Context.Items.TryGetValue(LastConversationKey, out var last) ? (string?)last : null;
            started = await open.StartOnConnectionAsync(
                StartedHere, id, () => CustomerStarts.StartAsync(grains, tokens, limits, start, customerId, id, lastConversation));
        }
        catch
        {
            await LeaveGroupAsync(id);
            throw;
        }

        if (started.Conversation.Id != id)
        {
            // The customer already had this conversation open: join that one, then read it again, so nothing said
            // between the first read and the join is missed.
            await LeaveGroupAsync(id);
            await JoinGroupAsync(started.Conversation.Id);
            started = started with
            {
                Conversation = CustomerStarts.ForCustomer(await grains.Grain<IConversationGrain>(started.Conversation.Id).GetAsync()),
            };
        }

        return started;
    }

    /// <summary>
    /// A returning customer proves who they are with the identity token of their last start: their next start is then
    /// theirs (history, last agent), and this connection hears <c>OutreachOpened</c> when a shop writes to them first.
    /// Returns the customer's id.
    /// </summary>
    public async Task<string> Identify(string identityToken)
    {
        var caller = await tokens.ValidateAsync(identityToken);
        var customerId = caller?.CustomerIdentity()
            ?? throw new HubException("The customer identity token is not valid or has expired; the next conversation starts as a new customer.");
        if (Context.Items.TryGetValue(CustomerKey, out var current) && (string)current! != customerId)
        {
            throw new HubException("This connection already speaks for another customer.");
        }

        await ListenAsAsync(customerId);
        if (caller.CustomerLastConversation() is { } lastConversation)
        {
            Context.Items[LastConversationKey] = lastConversation;
        }

        return customerId;
    }

    /// <summary>
    /// Re-attaches a (re)connected client to a conversation with the customer token it got at the start, and returns
    /// the conversation so far.
    /// </summary>
    public async Task<ConversationView> JoinConversation(string conversationId, string customerToken)
    {
        HubArguments.RequireId(conversationId);
        var caller = await tokens.ValidateAsync(customerToken)
            ?? throw new HubException("The customer token is not valid or has expired; start a new conversation.");
        if (caller.CustomerConversation() != conversationId)
        {
            throw new HubException($"This token is not for conversation '{conversationId}'.");
        }

        // Join first, read second: a message posted in between is then in the answer, the push, or both (sequence dedupes).
        var alreadyJoined = Joined.Contains(conversationId);
        await JoinGroupAsync(conversationId);
        try
        {
            return CustomerStarts.ForCustomer(await grains.Grain<IConversationGrain>(conversationId).GetAsync());
        }
        catch when (!alreadyJoined)
        {
            await LeaveGroupAsync(conversationId);
            throw;
        }
    }

    /// <summary>Posts a message; the silo makes it a message id, so its own retry after a silo failure stores it once.</summary>
    public Task<ChatMessage> SendMessage(string conversationId, string text) =>
        SendMessageOnce(conversationId, Guid.NewGuid().ToString("N"), text);

    /// <summary>
    /// Posts a message under the client's own <paramref name="messageId"/> (a random UUID): sent again after a lost
    /// answer or a reconnect, it is answered with the message first stored, never stored twice.
    /// </summary>
    public async Task<ChatMessage> SendMessageOnce(string conversationId, string messageId, string text)
    {
        var conversation = JoinedConversation(conversationId);
        ConversationRules.ValidateClientId(messageId, "A message id");
        limits.CountCustomerMessage(conversationId);
        return (await conversation.PostCustomerMessageAsync(text, messageId)).Message;
    }

    /// <summary>The customer leaves; before any answer the conversation counts as abandoned.</summary>
    public async Task<ConversationView> LeaveConversation(string conversationId) =>
        CustomerStarts.ForCustomer(await JoinedConversation(conversationId).LeaveAsync());

    /// <summary>
    /// Leaves a message instead of waiting: the chat becomes a ticket, answered later by email at
    /// <paramref name="email"/>. <paramref name="requestId"/> (a random UUID) makes a retry leave it once.
    /// </summary>
    public async Task<ConversationView> LeaveMessage(string conversationId, string requestId, string email, string text) =>
        CustomerStarts.ForCustomer(await JoinedConversation(conversationId).LeaveMessageAsync(requestId, email, text));

    /// <summary>Rates a resolved conversation 1–5, once.</summary>
    public Task<ConversationRating> RateConversation(string conversationId, int score, string? comment) =>
        JoinedConversation(conversationId).RateAsync(score, comment);

    /// <summary>
    /// The customer is typing in a conversation this connection joined: the agent holding it hears it. One signal per
    /// conversation every <see cref="TypingThrottle.Interval"/> goes on; the others are dropped here, unanswered.
    /// </summary>
    public Task SignalTyping(string conversationId)
    {
        var conversation = JoinedConversation(conversationId);
        return typing.TryPass(Context, conversationId) ? conversation.CustomerTypingAsync() : Task.CompletedTask;
    }

    private IConversationGrain JoinedConversation(string conversationId) =>
        Joined.Contains(HubArguments.RequireId(conversationId))
            ? grains.Grain<IConversationGrain>(conversationId)
            : throw new HubException($"This connection has not joined conversation '{conversationId}'.");

    private async Task JoinGroupAsync(string conversationId)
    {
        Joined.Add(conversationId);
        await Groups.AddToGroupAsync(Context.ConnectionId, Hubs.Groups.Conversation(conversationId));
    }

    private async Task ListenAsAsync(string customerId)
    {
        if (!Context.Items.ContainsKey(CustomerKey))
        {
            Context.Items[CustomerKey] = customerId;
            await Groups.AddToGroupAsync(Context.ConnectionId, Hubs.Groups.Customer(customerId));
        }
    }

    private async Task LeaveGroupAsync(string conversationId)
    {
        Joined.Remove(conversationId);
        await Groups.RemoveFromGroupAsync(Context.ConnectionId, Hubs.Groups.Conversation(conversationId));
    }
}
