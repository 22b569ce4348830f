using Switchboard.Agents;
using Switchboard.Conversations;
using Switchboard.Queues;
using Switchboard.Supervision;

namespace Switchboard.Tests.Cluster.Invariants;

/// <summary>
/// The routing core's promises, read from the authorities (conversation and agent grains) and the soft state (queues,
/// ticket board) through their public interfaces, as an operator's tool would:
/// <list type="number">
/// <item>the conversations whose state says <c>assigned</c> to an agent are exactly the agent grain's list;</item>
/// <item>no agent holds more than its capacity;</item>
/// <item>every open conversation is assigned, waiting in at least one queue that holds it, or a ticket on the board;</item>
/// <item>nothing closed is still held, queued or on the board;</item>
/// <item>nobody is stranded: no conversation waits in a queue while an agent of that queue is online with room for it.</item>
/// </list>
/// Checked at rest (see <see cref="ClusterActivity"/>): while calls are in flight a change may be half told.
/// </summary>
public sealed class RoutingInvariants(IGrainFactory grains)
{
    /// <summary>Everything the checker read, for a test that wants to print or assert more.</summary>
    public sealed record Snapshot(
        IReadOnlyDictionary<string, AgentView> Agents,
        IReadOnlyDictionary<string, ConversationView> Conversations,
        IReadOnlyDictionary<string, QueueView> Queues,
        IReadOnlySet<string> Tickets);

    /// <summary>
    /// Reads the agents, conversations and queues named (queues a conversation may wait in: its topics, the overflow
    /// queue and supervisors) and returns what breaks a promise, one line each; empty when all hold.
    /// </summary>
    /// <param name="now">The cluster's clock, for last-agent holds that keep an entry for one agent.</param>
    public async Task<(IReadOnlyList<string> Violations, Snapshot Snapshot)> CheckAsync(
        IEnumerable<string> agentIds, IEnumerable<string> conversationIds, IEnumerable<string> queues, DateTimeOffset now)
    {
        var agents = await ReadAllAsync(agentIds.Distinct(), id => grains.GetGrain<IAgentGrain>(id).GetAsync());
        var conversations = await ReadAllAsync(conversationIds.Distinct(), id => grains.GetGrain<IConversationGrain>(id).GetAsync());
        var queueViews = await ReadAllAsync(queues.Distinct(), skill => grains.GetGrain<IQueueGrain>(skill).GetAsync());
        var tickets = (await grains.GetGrain<ITicketBoardGrain>(0).GetAsync()).Select(t => t.ConversationId).ToHashSet();
        var snapshot = new Snapshot(
            agents.Where(a => a.Value is not null).ToDictionary(a => a.Key, a => a.Value!),
            conversations,
            queueViews,
            tickets);
        return (Check(snapshot, now), snapshot);
    }

    /// <summary>The rules over a snapshot; pure, so a test can also check a snapshot it built.</summary>
    public static IReadOnlyList<string> Check(Snapshot snapshot, DateTimeOffset now)
    {
        var violations = new List<string>();
        var waitingIn = new Dictionary<string, List<(string Queue, QueueEntry Entry)>>();
        foreach (var (skill, queue) in snapshot.Queues)
        {
            foreach (var entry in queue.Waiting)
            {
                if (!waitingIn.TryGetValue(entry.ConversationId, out var list))
                {
                    waitingIn[entry.ConversationId] = list = [];
                }

                list.Add((skill, entry));
            }
        }

        // 1 and 2: both authorities agree on who holds what, within capacity.
        foreach (var (agentId, agent) in snapshot.Agents)
        {
            var held = agent.Conversations.ToHashSet();
            var assigned = snapshot.Conversations.Values
                .Where(c => c.Status == ConversationStatus.Assigned && c.AgentId == agentId)
                .Select(c => c.Id)
                .ToHashSet();
            foreach (var id in assigned.Except(held))
            {
                violations.Add($"FORGOTTEN: {id} is assigned to {agentId}, whose grain does not list it (holds {held.Count} of {agent.Profile.Capacity})");
            }

            foreach (var id in held.Except(assigned).Where(snapshot.Conversations.ContainsKey))
            {
                var conversation = snapshot.Conversations[id];
                violations.Add($"ORPHAN SLOT: {agentId} holds {id}, which is {Describe(conversation)}");
            }

            if (held.Count > agent.Profile.Capacity || assigned.Count > agent.Profile.Capacity)
            {
                violations.Add($"OVER CAPACITY: {agentId} holds {held.Count} and {assigned.Count} conversations name it; capacity {agent.Profile.Capacity}");
            }
        }

        // 3 and 4: every open conversation is somewhere it will be served; nothing closed lingers.
        foreach (var conversation in snapshot.Conversations.Values)
        {
            var queued = waitingIn.GetValueOrDefault(conversation.Id) ?? [];
            var ticket = snapshot.Tickets.Contains(conversation.Id);
            switch (conversation.Status)
            {
                case ConversationStatus.Waiting when queued.Count == 0:
                    violations.Add($"STRANDED: {conversation.Id} ({conversation.Topic}) waits, but no queue holds it");
                    break;
                case ConversationStatus.Ticket when !ticket:
                    violations.Add($"LOST TICKET: {conversation.Id} is a ticket that is not on the board");
                    break;
                case ConversationStatus.Assigned when conversation.AgentId is { } agentId && !snapshot.Agents.ContainsKey(agentId):
                    violations.Add($"UNKNOWN AGENT: {conversation.Id} is assigned to {agentId}, who does not exist");
                    break;
                case ConversationStatus.Resolved or ConversationStatus.Assigned or ConversationStatus.Ticket when queued.Count > 0:
                    violations.Add($"LINGERING: {conversation.Id} is {Describe(conversation)} but still waits in {string.Join(", ", queued.Select(q => q.Queue))}");
                    break;
            }

            if (conversation.Status != ConversationStatus.Ticket && ticket)
            {
                violations.Add($"LINGERING: {conversation.Id} is {Describe(conversation)} but still on the ticket board");
            }
        }

        // 5: a queue with a waiting conversation and an agent online with room for it is a queue that stopped matching.
        foreach (var (conversationId, entries) in waitingIn)
        {
            if (!snapshot.Conversations.TryGetValue(conversationId, out var conversation) || conversation.Status != ConversationStatus.Waiting)
            {
                continue;
            }

            foreach (var (skill, entry) in entries)
            {
                var held = entry.PreferredAgentId is not null && entry.HoldUntil > now;
                var free = snapshot.Agents.Values.FirstOrDefault(a =>
                    a.Presence == AgentPresence.Online
                    && a.Conversations.Length < a.Profile.Capacity
                    && ProficiencyIn(a.Profile, skill) >= Math.Max(1, entry.RequiredProficiency)
                    && (!held || a.Id == entry.PreferredAgentId));
                if (free is not null)
                {
                    violations.Add($"NOT MATCHED: {conversationId} waits in {skill} while {free.Id} is online with room ({free.Conversations.Length} of {free.Profile.Capacity})");
                }
            }
        }

        return violations;
    }

    private static int ProficiencyIn(AgentProfile profile, string queue) =>
        queue == Switchboard.Queues.Queues.Supervisors ? (profile.Supervisor ? 5 : 0) : profile.Skills.GetValueOrDefault(queue);

    private static string Describe(ConversationView conversation) =>
        conversation.Status == ConversationStatus.Assigned
            ? $"assigned to {conversation.AgentId}"
            : conversation.Status.ToString().ToLowerInvariant();

    private static async Task<Dictionary<string, T>> ReadAllAsync<T>(IEnumerable<string> keys, Func<string, Task<T>> read)
    {
        var reads = keys.Select(async key => (Key: key, Value: await read(key))).ToList();
        return (await Task.WhenAll(reads)).ToDictionary(r => r.Key, r => r.Value);
    }
}
