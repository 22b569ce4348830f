namespace Switchboard.Agents;

/// <summary>
/// The authority on one agent (keyed by agent id): profile, presence and the conversations it holds.
/// Only this grain grants capacity, so however many queues race for an agent it never holds more than its capacity.
/// </summary>
public interface IAgentGrain : IGrainWithStringKey
{
    /// <summary>Sets the agent's profile; it overrides the configured one from now on (and makes an agent configuration does not know).</summary>
    Task ConfigureAsync(AgentProfile profile);

    /// <summary>The agent, or null if no profile is known for this id.</summary>
    Task<AgentView?> GetAsync();

    /// <summary>
    /// A client connection opened. The agent takes its chosen presence (Online unless it chose Away) and a pending
    /// offline grace period is cancelled. <see cref="SwitchboardError.NotFound"/> for an unknown agent.
    /// </summary>
    Task<AgentView> ConnectAsync(string connectionId);

    /// <summary>A client connection closed; with the last one the agent goes Offline and the grace period starts.</summary>
    Task DisconnectAsync(string connectionId);

    /// <summary>Chooses Online or Away; <see cref="SwitchboardError.Invalid"/> for Offline (that follows from connections).</summary>
    Task<AgentView> SetPresenceAsync(AgentPresence presence);

    /// <summary>
    /// Grants one unit of capacity for <paramref name="conversationId"/> if the agent is Online, has the skill at
    /// <paramref name="requiredProficiency"/> or above and has room. Idempotent for a conversation it already holds.
    /// </summary>
    Task<ReserveResult> TryReserveAsync(string conversationId, string skill, int requiredProficiency);

    /// <summary>Gives back the capacity held for a conversation (resolved, transferred, refused). Idempotent.</summary>
    Task ReleaseAsync(string conversationId);
}
