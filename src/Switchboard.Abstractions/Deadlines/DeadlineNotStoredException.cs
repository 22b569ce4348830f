namespace Switchboard.Deadlines;

/// <summary>
/// A deadline shard holds the wake-up time in memory (it fires on time while its silo lives) but could not store it
/// yet; the caller asks again later. Raised instead of the storage's own conflict, which would deactivate the shard.
/// </summary>
[GenerateSerializer, Alias("Switchboard.Deadlines.DeadlineNotStoredException")]
public sealed class DeadlineNotStoredException : Exception
{
    public DeadlineNotStoredException(string message) : base(message)
    {
    }
}
