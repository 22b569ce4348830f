using System.Collections.Immutable;
using Switchboard.Agents;

namespace Switchboard.Queues;

/// <summary>A waiting conversation as a queue holds it.</summary>
/// <param name="Ticket">Changes each time the conversation is queued; an assignment is accepted only for the current one.</param>
/// <param name="Priority">Base priority (the channel's priority plus any VIP boost).</param>
/// <param name="WaitingSince">When it started waiting; waiting time raises its effective priority.</param>
/// <param name="Front">Returned from an agent who went away: served before everything else.</param>
/// <param name="ExcludedAgentId">An agent who let this conversation's reservation expire: offered to others first.</param>
/// <param name="PreferredAgentId">Until <paramref name="HoldUntil"/>, only this agent is offered it (the customer's last agent).</param>
[GenerateSerializer, Immutable, Alias("Switchboard.QueueEntry")]
public sealed record QueueEntry(
    [property: Id(0)] string ConversationId,
    [property: Id(1)] int Ticket,
    [property: Id(2)] int Priority,
    [property: Id(3)] int RequiredProficiency,
    [property: Id(4)] DateTimeOffset WaitingSince,
    [property: Id(5)] bool Front = false,
    [property: Id(6)] string? ExcludedAgentId = null,
    [property: Id(7)] string? PreferredAgentId = null,
    [property: Id(8)] DateTimeOffset? HoldUntil = null);

/// <summary>The queues with special meaning.</summary>
public static class Queues
{
    /// <summary>Every supervisor serves it: high-tier complaints go here, and overflow ends here.</summary>
    public const string Supervisors = "supervisors";
}

/// <summary>A queue's waiting list, in service order, the agents it knows for its skill, and today's SLA counts.</summary>
/// <param name="SlaMetToday">First answers on time today (UTC) for conversations of this queue.</param>
/// <param name="SlaMissedToday">Breached first-response deadlines today (UTC).</param>
[GenerateSerializer, Immutable, Alias("Switchboard.QueueView")]
public sealed record QueueView(
    [property: Id(0)] string Skill,
    [property: Id(1)] ImmutableArray<QueueEntry> Waiting,
    [property: Id(2)] ImmutableArray<AgentAvailability> Agents,
    [property: Id(3)] int SlaMetToday = 0,
    [property: Id(4)] int SlaMissedToday = 0);
