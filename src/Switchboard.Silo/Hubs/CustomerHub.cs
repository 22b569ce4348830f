using Microsoft.AspNetCore.SignalR;
using Switchboard.Conversations;

namespace Switchboard.Hubs;

/// <summary>
/// The customer's web chat: start a conversation, then post and receive messages on it. A connection may post only
/// to conversations it started or joined (per-conversation tokens come with sign-in).
/// </summary>
public sealed class CustomerHub(IGrainFactory grains) : Hub<ICustomerClient>
{
    public const string Path = "/hubs/customer";

    private HashSet<string> Joined =>
        (HashSet<string>)(Context.Items.TryGetValue(nameof(Joined), out var set) ? set! : Context.Items[nameof(Joined)] = new HashSet<string>());

    public async Task<ConversationView> StartConversation(StartConversation start)
    {
        var id = Guid.NewGuid().ToString("N");
        // Join before starting: an agent may answer before this call returns.
        await JoinGroupAsync(id);
        ConversationView view;
        try
        {
            view = await CustomerStarts.StartAsync(grains, start ?? throw new HubException("Send the conversation to start."), id);
        }
        catch
        {
            await LeaveGroupAsync(id);
            throw;
        }

        if (view.Id != id)
        {
            // The customer already had this conversation open: join that one, then read it again, so nothing said
            // between the first read and the join is missed.
            await LeaveGroupAsync(id);
            await JoinGroupAsync(view.Id);
            view = await grains.GetGrain<IConversationGrain>(view.Id).GetAsync();
        }

        return CustomerStarts.ForCustomer(view);
    }

    /// <summary>
    /// This connection hears <c>OutreachOpened</c> for the customer id (the web chat's id kept in the browser, or a
    /// channel's): an outbound conversation a shop opened for them.
    /// </summary>
    public async Task ListenAsCustomer(string customerId)
    {
        var id = ConversationRules.NormalizeCustomerId(customerId) ?? throw new HubException("A customer id is required.");
        await Groups.AddToGroupAsync(Context.ConnectionId, Hubs.Groups.Customer(id));
    }

    /// <summary>Re-attaches a (re)connected client to a conversation and returns it so far.</summary>
    public async Task<ConversationView> JoinConversation(string conversationId)
    {
        // Join first, read second: a message posted in between is then in the answer, the push, or both (sequence dedupes).
        var alreadyJoined = Joined.Contains(HubArguments.RequireId(conversationId));
        await JoinGroupAsync(conversationId);
        try
        {
            return CustomerStarts.ForCustomer(await grains.GetGrain<IConversationGrain>(conversationId).GetAsync());
        }
        catch when (!alreadyJoined)
        {
            await LeaveGroupAsync(conversationId);
            throw;
        }
    }

    public Task<ChatMessage> SendMessage(string conversationId, string text) =>
        JoinedConversation(conversationId).PostCustomerMessageAsync(text);

    /// <summary>The customer leaves; before any answer the conversation counts as abandoned.</summary>
    public async Task<ConversationView> LeaveConversation(string conversationId) =>
        CustomerStarts.ForCustomer(await JoinedConversation(conversationId).LeaveAsync());

    /// <summary>Rates a resolved conversation 1–5, once.</summary>
    public Task<ConversationRating> RateConversation(string conversationId, int score, string? comment) =>
        JoinedConversation(conversationId).RateAsync(score, comment);

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
