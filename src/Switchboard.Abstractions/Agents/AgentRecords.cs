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
/// <param name="Name">Shown to customers and colleagues: trimmed, NFC, at most <c>Switchboard:MaxNameLength</c> characters (text elements).</param>
/// <param name="Skills">Skill → proficiency 1–5.</param>
/// <param name="Capacity">The most conversations held at once: 1 to <c>Switchboard:MaxAgentCapacity</c> (50).</param>
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
/// <param name="Incarnation">When the agent's grain was activated (UTC ticks): a later activation's word counts over an earlier one's.</param>
/// <param name="Version">Counts the agent's changes within one activation: an older word never overwrites a newer one.</param>
[GenerateSerializer, Immutable, Alias("Switchboard.AgentAvailability")]
public sealed record AgentAvailability(
    [property: Id(0)] string AgentId,
    [property: Id(1)] int Proficiency,
    [property: Id(2)] int Active,
    [property: Id(3)] int Capacity,
    [property: Id(4)] bool Accepting,
    [property: Id(5)] DateTimeOffset? LastAssignedAt,
    [property: Id(6)] long Incarnation = 0,
    [property: Id(7)] long Version = 0)
{
    [JsonIgnore]
    public bool HasFreeCapacity => Accepting && Active < Capacity;

    /// <summary>
    /// Whether this describes the agent at a later point than <paramref name="other"/> (or the same point): answers
    /// and announcements can arrive out of order, and a queue keeps the latest.
    /// </summary>
    public bool IsNotOlderThan(AgentAvailability other) =>
        Incarnation != other.Incarnation ? Incarnation > other.Incarnation : Version >= other.Version;
}

/// <summary>The answer to a reservation: granted or not (granted again for a conversation the agent holds), and the agent's availability after it.</summary>
[GenerateSerializer, Immutable, Alias("Switchboard.ReserveResult")]
public sealed record ReserveResult(
    [property: Id(0)] bool Granted,
    [property: Id(1)] AgentAvailability Availability,
    [property: Id(2)] string AgentName);
