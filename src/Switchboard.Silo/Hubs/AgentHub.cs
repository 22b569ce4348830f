using Microsoft.AspNetCore.SignalR;
using Microsoft.Extensions.Options;
using Switchboard.Api;
using Switchboard.Agents;
using Switchboard.Conversations;
using Switchboard.Metrics;
using Switchboard.Supervision;

namespace Switchboard.Hubs;

/// <summary>
/// The agent's side: connect with <c>?agentId=</c>, then receive assignments and messages and answer them.
/// Sign-in replaces the query-string id in a later issue.
/// </summary>
public sealed class AgentHub(IGrainFactory grains, AgentConnections connections, IOptions<SwitchboardOptions> options, ClusterKpis kpis) : Hub<IAgentClient>
{
    public const string Path = "/hubs/agent";

    private string AgentId => (string)Context.Items[nameof(AgentId)]!;

    private IAgentGrain Agent => grains.GetGrain<IAgentGrain>(AgentId);

    public override async Task OnConnectedAsync()
    {
        var agentId = Context.GetHttpContext()?.Request.Query["agentId"].ToString();
        if (string.IsNullOrWhiteSpace(agentId))
        {
            throw new HubException("Connect with ?agentId=<your agent id>.");
        }

        Context.Items[nameof(AgentId)] = agentId;
        // Join the group first so no push between the two calls is missed.
        await Groups.AddToGroupAsync(Context.ConnectionId, Hubs.Groups.Agent(agentId));
        var agent = await grains.GetGrain<IAgentGrain>(agentId).ConnectAsync(Context.ConnectionId);
        connections.Add(Context.ConnectionId, agentId);
        if (agent.Profile.Supervisor)
        {
            Context.Items[nameof(AgentProfile.Supervisor)] = true;
            await Groups.AddToGroupAsync(Context.ConnectionId, Hubs.Groups.Supervisors);
        }
    }

    public override async Task OnDisconnectedAsync(Exception? exception)
    {
        if (Context.Items.ContainsKey(nameof(AgentId)))
        {
            connections.Remove(Context.ConnectionId);
            await Agent.DisconnectAsync(Context.ConnectionId);
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
        var held = await Task.WhenAll(agent.Conversations.Select(id => grains.GetGrain<IConversationGrain>(id).GetAsync()));
        // Capacity can be held a moment longer than the conversation (a reservation on its way, or an orphan about to
        // be given back): show only what is really this agent's.
        return [.. held.Where(c => c.Status == ConversationStatus.Assigned && c.AgentId == AgentId)];
    }

    public Task<ChatMessage> SendMessage(string conversationId, string text) =>
        Conversation(conversationId).PostAgentMessageAsync(AgentId, text);

    public Task Transfer(string conversationId, string skill) =>
        Conversation(conversationId).TransferAsync(AgentId, skill);

    public Task Resolve(string conversationId) => Conversation(conversationId).ResolveAsync(AgentId);

    /// <summary>Supervisors: the conversations nobody could take live, oldest first.</summary>
    public async Task<TicketSummary[]> GetTickets()
    {
        RequireSupervisor("Only supervisors see the tickets.");
        return [.. await grains.GetGrain<ITicketBoardGrain>(0).GetAsync()];
    }

    /// <summary>Supervisors: every queue, every agent, open tickets.</summary>
    public Task<Overview> GetOverview()
    {
        RequireSupervisor("Only supervisors see the overview.");
        return ConsoleApi.ReadOverviewAsync(grains, options.Value, kpis);
    }

    private void RequireSupervisor(string refusal)
    {
        if (!Context.Items.ContainsKey(nameof(AgentProfile.Supervisor)))
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
        if (Context.Items.ContainsKey(nameof(AgentProfile.Supervisor)))
        {
            return past;
        }

        var agent = await GetProfile();
        if (past.CustomerId is { } customerId)
        {
            var held = await Task.WhenAll(agent.Conversations.Select(id => grains.GetGrain<IConversationGrain>(id).GetAsync()));
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

    private IConversationGrain Conversation(string conversationId) =>
        grains.GetGrain<IConversationGrain>(HubArguments.RequireId(conversationId));
}

internal static class HubArguments
{
    public static string RequireId(string? id) =>
        string.IsNullOrWhiteSpace(id) ? throw new HubException("A conversation id is required.") : id;
}
