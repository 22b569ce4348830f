using Microsoft.AspNetCore.SignalR;
using Switchboard.Agents;
using Switchboard.Conversations;

namespace Switchboard.Hubs;

/// <summary>
/// A supervisor on a live chat: monitor it read-only, join and write into it, reassign it to an agent or a queue;
/// and internal notes, which the agent holding a conversation and supervisors leave and read, and customers never see.
/// Every supervisor call is refused for a plain agent's token.
/// </summary>
public sealed partial class AgentHub
{
    /// <summary>How many conversations one connection may watch at once: a floor lead's screen, not a recorder.</summary>
    public const int MaxWatchedPerConnection = 20;

    private HashSet<string> Watching =>
        (HashSet<string>)(Context.Items.TryGetValue(nameof(Watching), out var set) ? set! : Context.Items[nameof(Watching)] = new HashSet<string>());

    /// <summary>
    /// Supervisors: watch any conversation read-only. Answers it so far (with its notes); then this connection hears
    /// <c>WatchedMessagePosted</c>, <c>NotePosted</c> and <c>WatchedConversationChanged</c> for it until
    /// <see cref="StopMonitoring"/> or until it disconnects. The agent holding it is not touched.
    /// </summary>
    public async Task<ConversationView> MonitorConversation(string conversationId)
    {
        RequireSupervisor("Only supervisors monitor conversations.");
        var conversation = Supervised(conversationId);
        var added = await StartWatchingAsync(conversationId);
        try
        {
            // Join first, read second: a message in between is in the answer, the push, or both (sequence dedupes).
            return await conversation.WatchAsync(AgentId);
        }
        catch when (added)
        {
            await StopMonitoring(conversationId);
            throw;
        }
    }

    /// <summary>Stops this connection watching the conversation; watching nothing, it changes nothing.</summary>
    public async Task StopMonitoring(string conversationId)
    {
        HubArguments.RequireId(conversationId);
        if (Watching.Remove(conversationId))
        {
            await Groups.RemoveFromGroupAsync(Context.ConnectionId, WatchGroups.Of(conversationId));
        }
    }

    /// <summary>
    /// Supervisors: join a conversation an agent holds. The customer reads that a supervisor joined (in their language),
    /// the agent sees it too; the supervisor may then write (<see cref="SendSupervisorMessage"/>) and watches it.
    /// </summary>
    public async Task<ConversationView> JoinConversation(string conversationId)
    {
        RequireSupervisor("Only supervisors join other agents' conversations.");
        var conversation = Supervised(conversationId);
        var added = await StartWatchingAsync(conversationId);
        try
        {
            return await conversation.JoinAsSupervisorAsync(AgentId, await AgentNameAsync());
        }
        catch when (added)
        {
            await StopMonitoring(conversationId);
            throw;
        }
    }

    /// <summary>Supervisors who joined: write to the customer under the console's own <paramref name="messageId"/> (sent again, stored once).</summary>
    public async Task<ChatMessage> SendSupervisorMessage(string conversationId, string messageId, string text)
    {
        RequireSupervisor("Only supervisors write into other agents' conversations.");
        var conversation = Supervised(conversationId);
        return await conversation.PostSupervisorMessageAsync(AgentId, await AgentNameAsync(), messageId, text);
    }

    /// <summary>
    /// Supervisors: hand the conversation to <paramref name="agentId"/>. Only that agent's grain grants the slot
    /// (online, skilled, with room); refused, nothing changes.
    /// </summary>
    public Task<ConversationView> ReassignToAgent(string conversationId, string agentId)
    {
        RequireSupervisor("Only supervisors reassign conversations.");
        var conversation = Supervised(conversationId);
        if (!AgentRules.IsAgentId(agentId))
        {
            throw new HubException(AgentRules.AgentIdRule);
        }

        return conversation.ReassignToAgentAsync(AgentId, agentId);
    }

    /// <summary>Supervisors: send the conversation, whoever holds it, to <paramref name="skill"/>'s queue; its agent is freed.</summary>
    public Task ReassignToQueue(string conversationId, string skill)
    {
        RequireSupervisor("Only supervisors reassign conversations.");
        return Conversation(conversationId).TransferAsSupervisorAsync(AgentId, skill);
    }

    /// <summary>
    /// Leaves an internal note for staff: an agent on a conversation they hold, a supervisor on any open one. Never
    /// shown or sent to the customer. <paramref name="noteId"/> (a random UUID) makes a retry store it once.
    /// </summary>
    public async Task<InternalNote> AddNote(string conversationId, string noteId, string text)
    {
        var conversation = Supervised(conversationId);
        return await conversation.AddNoteAsync(AgentId, await AgentNameAsync(), IsSupervisor, noteId, text);
    }

    /// <summary>
    /// Supervisors: the live chats on the floor (held by an agent, or waiting in a queue), at most
    /// <see cref="MaxLiveChats"/>, oldest first, and every agent to reassign one to. Read on demand: one read per agent,
    /// queue and chat.
    /// </summary>
    public async Task<LiveChats> GetLiveChats()
    {
        RequireSupervisor("Only supervisors see the live chats.");
        var made = await Grains.Grain<IAgentDirectoryGrain>(0).ListAsync();
        var agentIds = Options.Agents.Keys.Union(made, StringComparer.Ordinal).Order(StringComparer.Ordinal);
        var agents = (await Task.WhenAll(agentIds.Select(id => Grains.Grain<IAgentGrain>(id).GetAsync()))).OfType<AgentView>().ToArray();
        var queueNames = Options.Skills.Keys.Append(Queues.Queues.Supervisors);
        var queues = await Task.WhenAll(queueNames.Select(name => Grains.Grain<Queues.IQueueGrain>(name).GetAsync()));
        var ids = agents.SelectMany(a => a.Conversations)
            .Concat(queues.SelectMany(q => q.Waiting.Select(e => e.ConversationId)))
            .Distinct(StringComparer.Ordinal)
            .Take(MaxLiveChats);
        var views = await Task.WhenAll(ids.Select(id => Grains.Grain<IConversationGrain>(id).GetAsync()));
        return new LiveChats(
            [.. views.Where(v => v.Status is ConversationStatus.Assigned or ConversationStatus.Waiting)
                .OrderBy(v => v.StartedAt)
                .Select(v => new LiveChat(v.Id, v.CustomerName, v.Topic, v.Status, v.AgentId, v.StartedAt))],
            [.. agents.Select(a => new Api.AgentOverview(a.Id, a.Profile.Name, a.Presence, a.Conversations.Length, a.Profile.Capacity, a.Profile.Supervisor))]);
    }

    /// <summary>How many live chats <see cref="GetLiveChats"/> lists; past that, monitor one by its id.</summary>
    public const int MaxLiveChats = 200;

    private async Task<bool> StartWatchingAsync(string conversationId)
    {
        if (Watching.Contains(conversationId))
        {
            return false;
        }

        if (Watching.Count >= MaxWatchedPerConnection)
        {
            throw new HubException($"This connection watches {MaxWatchedPerConnection} conversations already; stop monitoring one first.");
        }

        Watching.Add(conversationId);
        await Groups.AddToGroupAsync(Context.ConnectionId, WatchGroups.Of(conversationId));
        return true;
    }

    private ISupervisedConversationGrain Supervised(string conversationId) =>
        Grains.Grain<ISupervisedConversationGrain>(HubArguments.RequireId(conversationId));
}
