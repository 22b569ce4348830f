using Microsoft.Extensions.Options;

namespace Switchboard.Limits;

/// <summary>
/// Token buckets per hub connection and per customer, in this silo's memory. A refusal carries when to try again;
/// nothing is queued, so a flood costs its sender and never the other customers.
/// </summary>
public sealed class RateLimits : IDisposable
{
    private readonly TokenBuckets _connections;
    private readonly TokenBuckets _customers;
    private readonly LimitsOptions _options;

    public RateLimits(IOptions<LimitsOptions> options, TimeProvider time)
    {
        _options = options.Value;
        _connections = new TokenBuckets(_options.ConnectionCallsPerSecond, _options.ConnectionBurst, time);
        _customers = new TokenBuckets(_options.CustomerMessagesPerSecond, _options.CustomerBurst, time);
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

    private static void Acquire(TokenBuckets buckets, string key, string refusal)
    {
        if (!buckets.TryTake(key, out var retryAfter))
        {
            throw SwitchboardException.TooManyRequests($"{refusal} Try again in {Math.Max(1, Math.Ceiling(retryAfter.TotalSeconds)):0} s.", retryAfter);
        }
    }
}
