namespace Switchboard.Conversations;

/// <summary>
/// A note staff leave on a conversation for each other: the agent holding it and supervisors read it, the customer
/// never does. Kept apart from the messages (its own list in the conversation's state), so no path that shows or
/// sends a customer the transcript can carry it, and the messages' sequence numbers have no gaps for it.
/// </summary>
/// <param name="Id">The client's id for the note (a random UUID): the same note again is stored once.</param>
/// <param name="Number">1, 2, 3... in the order notes were left.</param>
/// <param name="AfterSequence">The last message's sequence when the note was left: where it goes in the transcript.</param>
[GenerateSerializer, Immutable, Alias("Switchboard.InternalNote")]
public sealed record InternalNote(
    [property: Id(0)] string Id,
    [property: Id(1)] int Number,
    [property: Id(2)] string AuthorId,
    [property: Id(3)] string AuthorName,
    [property: Id(4)] string Text,
    [property: Id(5)] DateTimeOffset At,
    [property: Id(6)] int AfterSequence);
