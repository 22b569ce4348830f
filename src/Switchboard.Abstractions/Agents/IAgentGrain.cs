using System.Collections.Immutable;
using Orleans.Concurrency;

namespace Switchboard.Agents;

/// <summary>
/// The authority on one agent (keyed by agent id): profile, presence and the conversations it holds.
/// Only this grain grants capacity, so however many queues race for an agent it never holds more than its capacity.
/// </summary>
public interface IAgentGrain : IGrainWithStringKey
{
    /// <summary>Sets the agent's profile; it overrides the configured one from now on (and makes an agent configuration does not know).</summary>
    [RetrySafe]
    Task ConfigureAsync(AgentProfile profile);

    /// <summary>The agent, or null if no profile is known for this id.</summary>
    [RetrySafe]
    Task<AgentView?> GetAsync();

    /// <summary>
    /// A client connection opened on <paramref name="host"/> (the silo that holds it). The agent's first connection
    /// is a sign-in and takes <c>Switchboard:SignInStatus</c> (Away by default), unless the agent was connected within
    /// the offline grace period, in which case it resumes the presence it had chosen; a pending offline grace period
    /// is cancelled. The connection is
    /// stored, so the agent stays online through a move of its grain. <see cref="SwitchboardError.NotFound"/> for an
    /// unknown agent.
    /// </summary>
    [RetrySafe]
    Task<AgentView> ConnectAsync(string connectionId, string? host = null);

    /// <summary>
    /// The connection tier's regular word: these connections of the agent are open on <paramref name="host"/>. Adds any
    /// the grain does not know (it was lost with a silo); with <paramref name="announce"/> the agent tells its queues
    /// again at once (after a silo left the cluster, a queue may have been lost with it).
    /// </summary>
    [RetrySafe]
    Task ConfirmConnectionsAsync(string host, ImmutableArray<string> connectionIds, bool announce);

    /// <summary>A client connection closed; with the last one the agent goes Offline and the grace period starts.</summary>
    [RetrySafe]
    Task DisconnectAsync(string connectionId);

    /// <summary>Chooses Online or Away; <see cref="SwitchboardError.Invalid"/> for Offline (that follows from connections).</summary>
    [RetrySafe]
    Task<AgentView> SetPresenceAsync(AgentPresence presence);

    /// <summary>
    /// Grants one unit of capacity for <paramref name="conversationId"/> if the agent is Online, has the skill at
    /// <paramref name="requiredProficiency"/> or above and has room. Idempotent for a conversation it already holds.
    /// Called by the conversation itself (which then stores its assignment), never by a queue.
    /// </summary>
    [RetrySafe]
    Task<ReserveResult> TryReserveAsync(string conversationId, string skill, int requiredProficiency);

    /// <summary>
    /// The deadline service wakes the agent: its grain may have been lost with a silo while it held conversations. It
    /// drops connections whose silo is gone, and if none is left its offline grace period starts. Nobody waits for it.
    /// </summary>
    [OneWay]
    Task WakeAsync();

    /// <summary>Gives back the capacity held for a conversation (resolved, transferred, returned); called by that conversation. Idempotent.</summary>
    [RetrySafe]
    Task ReleaseAsync(string conversationId);

    /// <summary>
    /// The agent picks a waiting conversation from the console's Unassigned view: grants one unit of capacity for
    /// <paramref name="conversationId"/> if the agent is connected (Online or Away: picking is choosing to take it),
    /// has room, and has <paramref name="skill"/> at <paramref name="requiredProficiency"/> or above (a supervisor may
    /// pick from any queue). Idempotent for a conversation it already holds. Called by the conversation itself.
    /// </summary>
    [RetrySafe]
    Task<ReserveResult> TryPickAsync(string conversationId, string skill, int requiredProficiency);
}
