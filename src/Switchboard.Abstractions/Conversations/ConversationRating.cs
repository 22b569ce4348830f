namespace Switchboard.Conversations;

/// <summary>The customer's rating of a resolved conversation: 1–5 (4 and 5 count as satisfied), with an optional comment.</summary>
[GenerateSerializer, Immutable, Alias("Switchboard.ConversationRating")]
public sealed record ConversationRating(
    [property: Id(0)] int Score,
    [property: Id(1)] string? Comment,
    [property: Id(2)] DateTimeOffset At)
{
    public const int MaxCommentLength = 1000;
}
