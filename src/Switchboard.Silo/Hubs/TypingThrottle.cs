using Microsoft.AspNetCore.SignalR;

namespace Switchboard.Hubs;

/// <summary>
/// Lets one typing signal per connection and conversation through every <see cref="Interval"/>; the rest are dropped
/// in the hub, before any grain or push. The pages send one every 3 s while keys are pressed, so a well-behaved
/// client never meets it; a flood costs a dictionary look-up per call (and the connection's call rate limit).
/// </summary>
public sealed class TypingThrottle(TimeProvider time)
{
    /// <summary>Below the pages' 3 s, so a page's timer that fires a little early is never dropped.</summary>
    public static readonly TimeSpan Interval = TimeSpan.FromSeconds(2);

    // Kept with the connection (it goes when the connection does); a few entries at most, pruned as it grows.
    private const string ItemKey = "typing-sent";
    private const int PruneAbove = 16;

    /// <summary>Whether this signal goes on; if so, the next on this connection and conversation waits an interval.</summary>
    public bool TryPass(HubCallerContext connection, string conversationId)
    {
        var sent = SentOn(connection);
        var now = time.GetTimestamp();
        lock (sent)
        {
            if (sent.TryGetValue(conversationId, out var last) && time.GetElapsedTime(last, now) < Interval)
            {
                return false;
            }

            if (sent.Count >= PruneAbove)
            {
                foreach (var stale in sent.Where(s => time.GetElapsedTime(s.Value, now) >= Interval).Select(s => s.Key).ToList())
                {
                    sent.Remove(stale);
                }
            }

            sent[conversationId] = now;
            return true;
        }
    }

    /// <summary>A signal that was refused after it passed (not the sender's conversation) does not count.</summary>
    public void Forget(HubCallerContext connection, string conversationId)
    {
        var sent = SentOn(connection);
        lock (sent)
        {
            sent.Remove(conversationId);
        }
    }

    private static Dictionary<string, long> SentOn(HubCallerContext connection)
    {
        var items = connection.Items;
        lock (items)
        {
            return (Dictionary<string, long>)(items.TryGetValue(ItemKey, out var sent) ? sent! : items[ItemKey] = new Dictionary<string, long>(StringComparer.Ordinal));
        }
    }
}
