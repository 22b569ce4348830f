using Microsoft.AspNetCore.Authorization;
using Microsoft.AspNetCore.SignalR;
using Microsoft.Extensions.Options;
using Switchboard.Api;
using Switchboard.Agents;
using Switchboard.Auth;
using Switchboard.Conversations;
using Switchboard.Metrics;
using Switchboard.Supervision;

namespace Switchboard.Hubs;

/// <summary>
/// The agent's side: connect with an agent's bearer token (the agent id is its subject), then receive assignments
/// and messages and answer them. An agent reads and acts only on the conversations assigned to them; a supervisor's
/// token (roles agent and supervisor) may read, transfer and resolve any.
/// </summary>
[Authorize(Policy = AuthHosting.AgentPolicy)]
public sealed partial class AgentHub(
    IGrainFactory grains, AgentConnections connections, IOptions<SwitchboardOptions> options, IClusterKpis kpis, TypingThrottle typing, IHostApplicationLifetime lifetime)
    : Hub<IAgentClient>
{
    public const string Path = "/hubs/agent";

    // The policy lets only agents' tokens in, so the subject is there.
    private string AgentId => Context.User!.AgentId()!;

    private bool IsSupervisor => Context.User!.IsSupervisor();

    private IAgentGrain Agent => grains.Grain<IAgentGrain>(AgentId);

    private IGrainFactory Grains => grains;

    private SwitchboardOptions Options => options.Value;

    public override async Task OnConnectedAsync()
    {
        var agentId = Context.User?.AgentId() ?? throw new HubException("Sign in: connect with an agent's bearer token.");
        // Join the group first so no push between the two calls is missed.
        await Groups.AddToGroupAsync(Context.ConnectionId, Hubs.Groups.Agent(agentId));
        await grains.Grain<IAgentGrain>(agentId).ConnectAsync(Context.ConnectionId, connections.Host);
        connections.Add(Context.ConnectionId, agentId);
        if (IsSupervisor)
        {
            await Groups.AddToGroupAsync(Context.ConnectionId, Hubs.Groups.Supervisors);
        }
    }

    public override async Task OnDisconnectedAsync(Exception? exception)
    {
        if (Context.User?.AgentId() is { } agentId)
        {
            connections.Remove(Context.ConnectionId);
            // Closed because this silo is stopping: the agent's browser reconnects to another silo within moments, so
            // the agent is not taken offline meanwhile. The grain drops the connection once membership says this silo
            // is dead (at its next refresh, or before it offers the agent work), which also covers a browser that
            // does not come back. A gateway is not in membership: its connections are let go at once, as before.
            if (!lifetime.ApplicationStopping.IsCancellationRequested || ConnectionHosts.IsGateway(connections.Host))
            {
                await grains.Grain<IAgentGrain>(agentId).DisconnectAsync(Context.ConnectionId);
            }
        }
    }

    /// <summary>The agent's profile, presence and the conversations it holds.</summary>
    public async Task<AgentView> GetProfile() =>
        await Agent.GetAsync() ?? throw new HubException($"Agent '{AgentId}' does not exist.");

    /// <summary>Online takes new conversations; Away keeps the current ones and takes none.</summary>
    public Task<AgentView> SetPresence(AgentPresence presence) => Agent.SetPresenceAsync(presence);

    /// <summary>The conversations this agent holds, with their messages (for a reloaded page).</summary>
    public async Task<ConversationView[]> GetConversations()
    {
        var agent = await GetProfile();
        var held = await Task.WhenAll(agent.Conversations.Select(id => grains.Grain<IConversationGrain>(id).GetAsync()));
        // Capacity can be held a moment longer than the conversation (a reservation on its way, or an orphan about to
        // be given back): show only what is really this agent's.
        return [.. held.Where(c => c.Status == ConversationStatus.Assigned && c.AgentId == AgentId)];
    }

    /// <summary>One conversation: the agent's own (assigned to them, or last held by them), or any for a supervisor.</summary>
    public async Task<ConversationView> GetConversation(string conversationId)
    {
        var view = await Conversation(conversationId).GetAsync();
        return IsSupervisor || view.AgentId == AgentId
            ? view
            : throw new HubException($"Conversation '{conversationId}' is not assigned to you.");
    }

    /// <summary>Posts a reply; the silo makes it a message id, so its own retry after a silo failure stores it once.</summary>
    public Task<ChatMessage> SendMessage(string conversationId, string text) =>
        Conversation(conversationId).PostAgentMessageAsync(AgentId, text, Guid.NewGuid().ToString("N"));

    /// <summary>Posts a reply under the console's own <paramref name="messageId"/>: sent again, it is stored once.</summary>
    public Task<ChatMessage> SendMessageOnce(string conversationId, string messageId, string text)
    {
        ConversationRules.ValidateClientId(messageId, "A message id");
        return Conversation(conversationId).PostAgentMessageAsync(AgentId, text, messageId);
    }

    /// <summary>The agent's own conversation; a supervisor's may be anyone's.</summary>
    public Task Transfer(string conversationId, string skill) => IsSupervisor
        ? Conversation(conversationId).TransferAsSupervisorAsync(AgentId, skill)
        : Conversation(conversationId).TransferAsync(AgentId, skill);

    /// <summary>The agent's own conversation; a supervisor's may be anyone's.</summary>
    public Task Resolve(string conversationId) => IsSupervisor
        ? Conversation(conversationId).ResolveAsSupervisorAsync(AgentId)
        : Conversation(conversationId).ResolveAsync(AgentId);

    /// <summary>
    /// The agent is typing in a conversation they hold: its customer hears it under the agent's name. One signal per
    /// conversation every <see cref="TypingThrottle.Interval"/> goes on; the others are dropped here, unanswered.
    /// </summary>
    public async Task SignalTyping(string conversationId)
    {
        var conversation = Conversation(conversationId);
        if (!typing.TryPass(Context, conversationId))
        {
            return;
        }

        try
        {
            await conversation.AgentTypingAsync(AgentId, await AgentNameAsync());
        }
        catch
        {
            typing.Forget(Context, conversationId);
            throw;
        }
    }

    // The name the customer knows the agent by (the join notice's), read once per connection.
    private async Task<string> AgentNameAsync()
    {
        const string key = "agent-name";
        if (Context.Items.TryGetValue(key, out var known))
        {
            return (string)known!;
        }

        var name = (await Agent.GetAsync())?.Profile.Name ?? AgentId;
        Context.Items[key] = name;
        return name;
    }

    /// <summary>Supervisors: the conversations nobody could take live, oldest first.</summary>
    public async Task<TicketSummary[]> GetTickets()
    {
        RequireSupervisor("Only supervisors see the tickets.");
        return [.. await grains.Grain<ITicketBoardGrain>(0).GetAsync()];
    }

    /// <summary>Supervisors: every queue, every agent, open tickets.</summary>
    public Task<Overview> GetOverview()
    {
        RequireSupervisor("Only supervisors see the overview.");
        return ConsoleApi.ReadOverviewAsync(grains, options.Value, kpis);
    }

    private void RequireSupervisor(string refusal)
    {
        if (!IsSupervisor)
        {
            throw new HubException(refusal);
        }
    }

    /// <summary>
    /// A past conversation of a customer this agent is serving, read-only (for the "Previous conversations" list).
    /// Supervisors may open any conversation; agents only one whose customer they hold a conversation of now.
    /// </summary>
    public async Task<ConversationView> OpenPastConversation(string conversationId)
    {
        var past = await Conversation(conversationId).GetAsync();
        if (IsSupervisor)
        {
            return past;
        }

        var agent = await GetProfile();
        if (past.CustomerId is { } customerId)
        {
            var held = await Task.WhenAll(agent.Conversations.Select(id => grains.Grain<IConversationGrain>(id).GetAsync()));
            if (held.Any(c => c.Status == ConversationStatus.Assigned && c.AgentId == AgentId && c.CustomerId == customerId))
            {
                return past;
            }
        }

        throw new HubException($"Conversation '{conversationId}' belongs to a customer you are not serving now; open it from one of their conversations.");
    }

    /// <summary>Takes a ticket: supervisors, or agents with its skill, with free capacity.</summary>
    public Task<ConversationView> ClaimTicket(string conversationId) =>
        Conversation(conversationId).ClaimTicketAsync(AgentId);

    /// <summary>Supervisors: answers a ticket they claimed; delivered by email or the customer's channel after this returns.</summary>
    public Task<ConversationView> AnswerTicket(string conversationId, string answerId, string text)
    {
        RequireSupervisor("Only supervisors answer tickets.");
        return Conversation(conversationId).AnswerTicketAsync(AgentId, answerId, text);
    }

    /// <summary>Supervisors: sends an undelivered answer again (never a delivered one).</summary>
    public Task<ConversationView> RetryTicketAnswer(string conversationId)
    {
        RequireSupervisor("Only supervisors retry answers.");
        return Conversation(conversationId).RetryTicketAnswerAsync(AgentId);
    }

    private IConversationGrain Conversation(string conversationId) =>
        grains.Grain<IConversationGrain>(HubArguments.RequireId(conversationId));
}

internal static class HubArguments
{
    /// <summary>A conversation id of the form the server makes; anything else is refused before a grain is woken for it.</summary>
    public static string RequireId(string? id) =>
        string.IsNullOrWhiteSpace(id) ? throw new HubException("A conversation id is required.")
        : ConversationRules.IsConversationId(id) ? id
        : throw new HubException(ConversationRules.ConversationIdRule);
}
