using System.Threading.RateLimiting;
using Microsoft.Extensions.Options;

namespace Switchboard.Limits;

/// <summary>
/// Token buckets per hub connection and per customer, in this silo's memory. A refusal carries when to try again;
/// nothing is queued, so a flood costs its sender and never the other customers.
/// </summary>
public sealed class RateLimits : IDisposable
{
    private readonly PartitionedRateLimiter<string> _connections;
    private readonly PartitionedRateLimiter<string> _customers;
    private readonly LimitsOptions _options;

    public RateLimits(IOptions<LimitsOptions> options)
    {
        _options = options.Value;
        _connections = Buckets(_options.ConnectionCallsPerSecond, _options.ConnectionBurst);
        _customers = Buckets(_options.CustomerMessagesPerSecond, _options.CustomerBurst);
    }

    /// <summary>One hub call on <paramref name="connectionId"/>; refused with 429 semantics over the limit.</summary>
    public void CountCall(string connectionId) =>
        Acquire(_connections, connectionId, $"Too many calls on this connection: at most {_options.ConnectionCallsPerSecond} a second.");

    /// <summary>One message from the customer of <paramref name="conversationId"/>, whichever way it came.</summary>
    public void CountCustomerMessage(string conversationId) =>
        Acquire(_customers, conversationId, $"Too many messages: at most {_options.CustomerMessagesPerSecond} a second in one conversation.");

    /// <summary>
    /// One start by a known customer (<c>web:…</c>, <c>&lt;channel&gt;:…</c>; never a conversation id's form): a start
    /// may post into their open conversation, so it counts like a message, in the customer's own bucket.
    /// </summary>
    public void CountCustomerStart(string customerId) =>
        Acquire(_customers, customerId, $"Too many starts: at most {_options.CustomerMessagesPerSecond} a second from one customer.");

    public void Dispose()
    {
        _connections.Dispose();
        _customers.Dispose();
    }

    private static void Acquire(PartitionedRateLimiter<string> limiter, string key, string refusal)
    {
        using var lease = limiter.AttemptAcquire(key);
        if (!lease.IsAcquired)
        {
            var retryAfter = lease.TryGetMetadata(MetadataName.RetryAfter, out var after) && after > TimeSpan.Zero ? after : TimeSpan.FromSeconds(1);
            throw SwitchboardException.TooManyRequests($"{refusal} Try again in {Math.Ceiling(retryAfter.TotalSeconds):0} s.", retryAfter);
        }
    }

    // Not auto-replenishing: the partitioned limiter's own timer refills every bucket and drops idle ones, so a
    // million customers do not mean a million timers.
    private static PartitionedRateLimiter<string> Buckets(int perSecond, int burst) =>
        PartitionedRateLimiter.Create<string, string>(key => RateLimitPartition.GetTokenBucketLimiter(key, _ => new TokenBucketRateLimiterOptions
        {
            TokenLimit = burst,
            TokensPerPeriod = perSecond,
            ReplenishmentPeriod = TimeSpan.FromSeconds(1),
            QueueLimit = 0,
            AutoReplenishment = false,
        }));
}
