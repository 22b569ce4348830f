using System.Collections.Immutable;
using System.Text.Json.Serialization;

namespace Switchboard.Agents;

/// <summary>Whether an agent takes new work.</summary>
public enum AgentPresence
{
    /// <summary>No open connection: no new work; held conversations wait out the grace period.</summary>
    Offline,

    /// <summary>Connected and taking new conversations.</summary>
    Online,

    /// <summary>Connected, keeps its conversations, takes no new ones.</summary>
    Away,
}

/// <summary>Who an agent is and what they can take.</summary>
/// <param name="Skills">Skill → proficiency 1–5.</param>
/// <param name="Capacity">The most conversations held at once.</param>
[GenerateSerializer, Immutable, Alias("Switchboard.AgentProfile")]
public sealed record AgentProfile(
    [property: Id(0)] string Name,
    [property: Id(1)] ImmutableDictionary<string, int> Skills,
    [property: Id(2)] int Capacity,
    [property: Id(3)] bool Supervisor = false);

/// <summary>An agent as clients see it.</summary>
[GenerateSerializer, Immutable, Alias("Switchboard.AgentView")]
public sealed record AgentView(
    [property: Id(0)] string Id,
    [property: Id(1)] AgentProfile Profile,
    [property: Id(2)] AgentPresence Presence,
    [property: Id(3)] ImmutableArray<string> Conversations);

/// <summary>What a queue needs to rank an agent for its skill; the agent grain sends a fresh one on every change.</summary>
/// <param name="Proficiency">The agent's proficiency in the queue's skill.</param>
/// <param name="Active">Conversations held now.</param>
/// <param name="Accepting">Online (connected and not away).</param>
/// <param name="LastAssignedAt">When the agent last got a conversation; null if never.</param>
[GenerateSerializer, Immutable, Alias("Switchboard.AgentAvailability")]
public sealed record AgentAvailability(
    [property: Id(0)] string AgentId,
    [property: Id(1)] int Proficiency,
    [property: Id(2)] int Active,
    [property: Id(3)] int Capacity,
    [property: Id(4)] bool Accepting,
    [property: Id(5)] DateTimeOffset? LastAssignedAt)
{
    [JsonIgnore]
    public bool HasFreeCapacity => Accepting && Active < Capacity;
}

/// <summary>
/// The answer to a reservation: granted or not, the agent's availability after it, and whether the agent held the
/// conversation already (then a refused assignment must not give back capacity that was not taken for it).
/// </summary>
[GenerateSerializer, Immutable, Alias("Switchboard.ReserveResult")]
public sealed record ReserveResult(
    [property: Id(0)] bool Granted,
    [property: Id(1)] AgentAvailability Availability,
    [property: Id(2)] string AgentName,
    [property: Id(3)] bool AlreadyHeld = false);
