using System.Collections.Immutable;

namespace Switchboard.Conversations;

/// <summary>Where a conversation is in its life.</summary>
public enum ConversationStatus
{
    /// <summary>In a queue, waiting for an agent.</summary>
    Waiting,

    /// <summary>Held by one agent.</summary>
    Assigned,

    /// <summary>Closed by the agent; nothing more can be posted.</summary>
    Resolved,
}

/// <summary>Who wrote a message.</summary>
public enum MessageAuthor
{
    Customer,
    Agent,
    System,
}

/// <summary>What a channel sends to open a conversation.</summary>
/// <param name="CustomerName">How agents address the customer.</param>
/// <param name="Topic">The skill the conversation needs (a configured queue, e.g. <c>shipping</c>).</param>
/// <param name="Text">The customer's first message.</param>
/// <param name="Priority">0–10, set by the channel (complaint, urgency); higher is served first.</param>
/// <param name="Vip">A VIP customer; adds the configured boost to the priority.</param>
/// <param name="RequiredProficiency">1–5: the lowest proficiency in the topic an agent needs to take it.</param>
/// <param name="CustomerId">The channel's id for the customer, if it has one.</param>
[GenerateSerializer, Immutable, Alias("Switchboard.StartConversation")]
public sealed record StartConversation(
    [property: Id(0)] string CustomerName,
    [property: Id(1)] string Topic,
    [property: Id(2)] string Text,
    [property: Id(3)] int Priority = 0,
    [property: Id(4)] bool Vip = false,
    [property: Id(5)] int RequiredProficiency = 1,
    [property: Id(6)] string? CustomerId = null);

/// <summary>One message in a conversation; <see cref="Sequence"/> orders them and lets clients drop duplicates.</summary>
[GenerateSerializer, Immutable, Alias("Switchboard.ChatMessage")]
public sealed record ChatMessage(
    [property: Id(0)] int Sequence,
    [property: Id(1)] MessageAuthor From,
    [property: Id(2)] string? AgentId,
    [property: Id(3)] string Text,
    [property: Id(4)] DateTimeOffset At);

/// <summary>A conversation as clients see it.</summary>
[GenerateSerializer, Immutable, Alias("Switchboard.ConversationView")]
public sealed record ConversationView(
    [property: Id(0)] string Id,
    [property: Id(1)] string CustomerName,
    [property: Id(2)] string Topic,
    [property: Id(3)] ConversationStatus Status,
    [property: Id(4)] string? AgentId,
    [property: Id(5)] int Priority,
    [property: Id(6)] bool Vip,
    [property: Id(7)] DateTimeOffset StartedAt,
    [property: Id(8)] ImmutableArray<ChatMessage> Messages);
