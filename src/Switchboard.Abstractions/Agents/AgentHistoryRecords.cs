namespace Switchboard.Agents;

/// <summary>A conversation an agent closed (or held when its customer left), as the agent's history keeps it.</summary>
/// <param name="Order">The order number the channel gave (context <c>order</c>), if any.</param>
/// <param name="EndedByCustomer">The customer left; otherwise the agent (or a supervisor) resolved it.</param>
/// <param name="Text">The customers' and agents' messages, newest kept when longer than the bound: what search reads.</param>
[GenerateSerializer, Immutable, Alias("Switchboard.PastConversation")]
public sealed record PastConversation(
    [property: Id(0)] string Id,
    [property: Id(1)] string CustomerName,
    [property: Id(2)] string Topic,
    [property: Id(3)] string? Order,
    [property: Id(4)] DateTimeOffset StartedAt,
    [property: Id(5)] DateTimeOffset ClosedAt,
    [property: Id(6)] bool EndedByCustomer,
    [property: Id(7)] string Text,
    [property: Id(8)] string? Language = null);

/// <summary>One conversation a search or the Closed today view found, without its text: a snippet around the first hit (or its last message).</summary>
[GenerateSerializer, Immutable, Alias("Switchboard.PastConversationHit")]
public sealed record PastConversationHit(
    [property: Id(0)] string Id,
    [property: Id(1)] string CustomerName,
    [property: Id(2)] string Topic,
    [property: Id(3)] string? Order,
    [property: Id(4)] DateTimeOffset StartedAt,
    [property: Id(5)] DateTimeOffset ClosedAt,
    [property: Id(6)] bool EndedByCustomer,
    [property: Id(7)] string Snippet,
    [property: Id(8)] string? Language = null);
