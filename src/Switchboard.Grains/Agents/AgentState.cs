namespace Switchboard.Agents;

[GenerateSerializer, Alias("Switchboard.AgentState")]
public sealed class AgentState
{
    /// <summary>Set through <see cref="IAgentGrain.ConfigureAsync"/>; it overrides the configured profile.</summary>
    [Id(0)] public AgentProfile? Profile { get; set; }

    /// <summary>Online or Away, as the agent chose; Offline follows from having no connection.</summary>
    [Id(1)] public AgentPresence Chosen { get; set; } = AgentPresence.Online;

    /// <summary>The conversations this agent holds capacity for.</summary>
    [Id(3)] public HashSet<string> Conversations { get; set; } = [];

    [Id(4)] public DateTimeOffset? LastAssignedAt { get; set; }

    /// <summary>
    /// The agent's open connections and the host (silo) that holds each: a new activation of this grain (after a silo
    /// failed or stopped) is online at once for those whose host is still up, instead of looking offline until they
    /// are confirmed again.
    /// </summary>
    [Id(5)] public Dictionary<string, string> Connections { get; set; } = [];

    /// <summary>
    /// When the agent's last connection closed; null while connected or never connected. A console that connects
    /// within the offline grace period of it resumes (keeps <see cref="Chosen"/>); later, it is a new sign-in.
    /// </summary>
    [Id(6)] public DateTimeOffset? OfflineSince { get; set; }
}
