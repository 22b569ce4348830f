namespace Switchboard.Limits;

/// <summary>What one client may send, bound from <c>Switchboard:Limits</c>. Rates are per silo.</summary>
public sealed class LimitsOptions
{
    public const string Section = "Switchboard:Limits";

    /// <summary>The largest HTTP request body; larger ones are answered 413.</summary>
    public long MaxRequestBodyBytes { get; set; } = 64 * 1024;

    /// <summary>The largest SignalR message a client may send; a larger one closes its connection.</summary>
    public long MaxHubMessageBytes { get; set; } = 64 * 1024;

    /// <summary>Hub calls per second one connection may make (any method), with bursts up to <see cref="ConnectionBurst"/>.</summary>
    public int ConnectionCallsPerSecond { get; set; } = 50;

    public int ConnectionBurst { get; set; } = 100;

    /// <summary>
    /// Messages per second one customer (one conversation) may post, however many connections or channels it uses,
    /// with bursts up to <see cref="CustomerBurst"/>.
    /// </summary>
    public int CustomerMessagesPerSecond { get; set; } = 5;

    public int CustomerBurst { get; set; } = 10;

    /// <summary>
    /// What one connection may have waiting to go out, in bytes, beyond what its socket has taken: a client that stops
    /// reading is closed at this point (it reconnects and reads its state again) instead of holding anyone else up.
    /// Larger than the largest single push, a conversation with its whole transcript.
    /// </summary>
    public long ConnectionOutboxBytes { get; set; } = 4 * 1024 * 1024;

    /// <summary>
    /// How long one write to a client's socket may take before its connection is closed (SignalR's transport send
    /// timeout). The outbox bound above is what keeps a stalled client from holding anyone up; this ends a connection
    /// whose socket stopped taking data while its outbox still has room.
    /// </summary>
    public TimeSpan ConnectionSendTimeout { get; set; } = TimeSpan.FromSeconds(10);

    /// <summary>Pushes a silo keeps for SignalR when it cannot hand them over as fast as grains make them; past this they are dropped (and logged).</summary>
    public int PushBacklog { get; set; } = 100_000;

    /// <summary>
    /// Log lines each caller (a connection, a signed-in agent or customer, a remote address) may write a minute about
    /// its own refused calls; past it they are counted, and one line a minute says how many were not written. 0 leaves
    /// only that line. Real failures are never held back.
    /// </summary>
    public int LogLinesPerSourcePerMinute { get; set; } = 10;

    /// <summary>
    /// Conversations one customer hub connection may have open at once among those it started (0: no limit). Every
    /// start counts, with an identity or without: identities are free (one comes with every start), so only the
    /// client that holds them bounds how many conversations a stranger keeps open.
    /// </summary>
    public int OpenConversationsPerConnection { get; set; } = 3;

    /// <summary>
    /// Conversations one client address may have open at once among those it started over HTTP
    /// (<c>POST /api/conversations</c>; 0: no limit). Keyed by the address the silo sees (an IPv6 client by its /64):
    /// behind a proxy that is the proxy's, shared by everyone, so a silo behind one turns this off and the proxy limits.
    /// </summary>
    public int OpenConversationsPerAddress { get; set; } = 3;

    /// <summary>
    /// Addresses a silo remembers for <see cref="OpenConversationsPerAddress"/>; past this the one that started least
    /// recently is forgotten, so the bookkeeping stays within a few megabytes whoever calls.
    /// </summary>
    public int TrackedAddresses { get; set; } = 10_000;

    public IEnumerable<string> Problems()
    {
        if (OpenConversationsPerConnection < 0 || OpenConversationsPerAddress < 0)
        {
            yield return $"{Section}:OpenConversationsPerConnection and OpenConversationsPerAddress must be 0 (no limit) or more.";
        }

        if (TrackedAddresses < 1)
        {
            yield return $"{Section}:TrackedAddresses must be at least 1.";
        }

        if (MaxRequestBodyBytes < 1024 || MaxHubMessageBytes < 1024)
        {
            yield return $"{Section}:MaxRequestBodyBytes and MaxHubMessageBytes must be at least 1024.";
        }

        if (ConnectionCallsPerSecond < 1 || CustomerMessagesPerSecond < 1)
        {
            yield return $"{Section}:ConnectionCallsPerSecond and CustomerMessagesPerSecond must be at least 1.";
        }

        if (ConnectionBurst < ConnectionCallsPerSecond || CustomerBurst < CustomerMessagesPerSecond)
        {
            yield return $"{Section}: a burst must be at least its rate per second.";
        }

        if (ConnectionSendTimeout <= TimeSpan.Zero)
        {
            yield return $"{Section}:ConnectionSendTimeout must be positive.";
        }

        if (ConnectionOutboxBytes < 64 * 1024 || PushBacklog < 1000)
        {
            yield return $"{Section}:ConnectionOutboxBytes must be at least 65536 and PushBacklog at least 1000.";
        }

        if (LogLinesPerSourcePerMinute < 0)
        {
            yield return $"{Section}:LogLinesPerSourcePerMinute must be 0 or more.";
        }
    }
}
