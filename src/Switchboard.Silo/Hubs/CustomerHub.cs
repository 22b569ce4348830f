using Microsoft.AspNetCore.SignalR;
using Switchboard.Auth;
using Switchboard.Conversations;
using Switchboard.Limits;

namespace Switchboard.Hubs;

/// <summary>A started conversation and the customer's token for it (to re-join it, or to use it over HTTP).</summary>
public sealed record StartedConversation(ConversationView Conversation, string CustomerToken, DateTimeOffset CustomerTokenExpiresAt);

/// <summary>
/// The customer's web chat: start a conversation, then post and receive messages on it. Anyone may start one; a
/// connection may read and post only in conversations it started, or joined with that conversation's customer token.
/// </summary>
public sealed class CustomerHub(IGrainFactory grains, TokenIssuer tokens, RateLimits limits) : Hub<ICustomerClient>
{
    public const string Path = "/hubs/customer";

    private HashSet<string> Joined =>
        (HashSet<string>)(Context.Items.TryGetValue(nameof(Joined), out var set) ? set! : Context.Items[nameof(Joined)] = new HashSet<string>());

    public async Task<StartedConversation> StartConversation(StartConversation start)
    {
        var id = Guid.NewGuid().ToString("N");
        // Join before starting: an agent may answer before this call returns.
        await JoinGroupAsync(id);
        try
        {
            var view = await grains.GetGrain<IConversationGrain>(id).StartAsync(start ?? throw new HubException("Send the conversation to start."));
            return Started(tokens, view);
        }
        catch
        {
            await LeaveGroupAsync(id);
            throw;
        }
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
            return await grains.GetGrain<IConversationGrain>(conversationId).GetAsync();
        }
        catch when (!alreadyJoined)
        {
            await LeaveGroupAsync(conversationId);
            throw;
        }
    }

    public Task<ChatMessage> SendMessage(string conversationId, string text)
    {
        var conversation = JoinedConversation(conversationId);
        limits.CountCustomerMessage(conversationId);
        return conversation.PostCustomerMessageAsync(text);
    }

    /// <summary>The customer leaves; before any answer the conversation counts as abandoned.</summary>
    public Task<ConversationView> LeaveConversation(string conversationId) => JoinedConversation(conversationId).LeaveAsync();

    /// <summary>Rates a resolved conversation 1–5, once.</summary>
    public Task<ConversationRating> RateConversation(string conversationId, int score, string? comment) =>
        JoinedConversation(conversationId).RateAsync(score, comment);

    internal static StartedConversation Started(TokenIssuer tokens, ConversationView view)
    {
        var token = tokens.IssueCustomer(view.Id);
        return new StartedConversation(view, token.Token, token.ExpiresAt);
    }

    private IConversationGrain JoinedConversation(string conversationId) =>
        Joined.Contains(HubArguments.RequireId(conversationId))
            ? grains.GetGrain<IConversationGrain>(conversationId)
            : throw new HubException($"This connection has not joined conversation '{conversationId}'.");

    private async Task JoinGroupAsync(string conversationId)
    {
        Joined.Add(conversationId);
        await Groups.AddToGroupAsync(Context.ConnectionId, Hubs.Groups.Conversation(conversationId));
    }

    private async Task LeaveGroupAsync(string conversationId)
    {
        Joined.Remove(conversationId);
        await Groups.RemoveFromGroupAsync(Context.ConnectionId, Hubs.Groups.Conversation(conversationId));
    }
}
