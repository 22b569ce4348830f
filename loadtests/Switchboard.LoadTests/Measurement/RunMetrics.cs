using System.Collections.Concurrent;

namespace Switchboard.LoadTests.Measurement;

/// <summary>
/// Everything a run measures. Latencies and counts cover conversations due inside the measured window (after the
/// warm-up); throughput counts what finished inside it.
/// </summary>
public sealed class RunMetrics
{
    private readonly ConcurrentDictionary<string, int> _failureReasons = new();
    private readonly ConcurrentDictionary<string, int> _noFreeAgentByTopic = new();
    private readonly ConcurrentDictionary<string, int> _retryReasons = new();
    private long _due;
    private long _started;
    private long _assigned;
    private long _ok;
    private long _failed;
    private long _messagesDelivered;
    private long _queued;
    private long _overCapacity;
    private long _stale;
    private long _noFreeAgent;
    private long _slaEligible;
    private long _slaMet;
    private long _windowCompletions;
    private long _windowMessages;
    private long _unmeasuredOk;
    private long _unmeasuredFailed;
    private long _retries;
    private long _unmeasuredRetries;

    /// <summary>Scheduled start → the assigned agent's client has ConversationAssigned.</summary>
    public LatencyRecorder Assignment { get; } = new("assignment");

    /// <summary>Intended send time of a customer message → the agent's client has it.</summary>
    public LatencyRecorder CustomerToAgent { get; } = new("customer → agent");

    /// <summary>Intended send time of an agent message → the customer's client has it.</summary>
    public LatencyRecorder AgentToCustomer { get; } = new("agent → customer");

    /// <summary>Scheduled start → the customer's client has the first agent message (includes the agent's think time).</summary>
    public LatencyRecorder FirstResponse { get; } = new("first response");

    /// <summary>Scheduled start → the customer's client is told the conversation was resolved.</summary>
    public LatencyRecorder Conversation { get; } = new("conversation");

    /// <summary>Scheduled start → the StartConversation call (hub or HTTP) returned.</summary>
    public LatencyRecorder StartCall { get; } = new("start call");

    /// <summary>Raw SignalR echo beside the load: the floor every latency is compared with.</summary>
    public LatencyRecorder Echo { get; } = new("echo (under load)");

    /// <summary>Raw SignalR echo before the load, one call at a time.</summary>
    public LatencyRecorder EchoIdle { get; } = new("echo (idle)");

    /// <summary>How late a 10 ms thread-pool timer fires: late callbacks delay every receive timestamp.</summary>
    public LatencyRecorder ThreadPoolLag { get; } = new("thread-pool lag");

    public IEnumerable<LatencyRecorder> Latencies =>
        [Assignment, CustomerToAgent, AgentToCustomer, FirstResponse, Conversation, StartCall, Echo, EchoIdle, ThreadPoolLag];

    public long Due => Interlocked.Read(ref _due);

    public long Started => Interlocked.Read(ref _started);

    public long Assigned => Interlocked.Read(ref _assigned);

    public long Ok => Interlocked.Read(ref _ok);

    public long Failed => Interlocked.Read(ref _failed);

    public long MessagesDelivered => Interlocked.Read(ref _messagesDelivered);

    /// <summary>ConversationQueued pushes: no agent was free the moment the conversation arrived.</summary>
    public long Queued => Interlocked.Read(ref _queued);

    /// <summary>Times an agent's client held more conversations than its capacity. Must be 0.</summary>
    public long OverCapacity => Interlocked.Read(ref _overCapacity);

    /// <summary>Assignments of conversations this run did not start (left over from an earlier run); resolved at once.</summary>
    public long Stale => Interlocked.Read(ref _stale);

    /// <summary>Measured conversations that arrived when every agent serving their topic was full (by the agents' own count).</summary>
    public long NoFreeAgent => Interlocked.Read(ref _noFreeAgent);

    public long SlaEligible => Interlocked.Read(ref _slaEligible);

    public long SlaMet => Interlocked.Read(ref _slaMet);

    public long WindowCompletions => Interlocked.Read(ref _windowCompletions);

    public long WindowMessages => Interlocked.Read(ref _windowMessages);

    public long UnmeasuredOk => Interlocked.Read(ref _unmeasuredOk);

    public long UnmeasuredFailed => Interlocked.Read(ref _unmeasuredFailed);

    public IReadOnlyDictionary<string, int> FailureReasons => _failureReasons;

    /// <summary>
    /// Calls of measured conversations made again because the server answered <c>Unavailable</c> (503) or the call
    /// was lost with its connection: not failures (the same ids make the retry safe); a conversation whose retries do
    /// not get through in time fails as usual.
    /// </summary>
    public long Retries => Interlocked.Read(ref _retries);

    public long UnmeasuredRetries => Interlocked.Read(ref _unmeasuredRetries);

    /// <summary>Retries by call and cause, e.g. "agent SendMessageOnce: Unavailable".</summary>
    public IReadOnlyDictionary<string, int> RetryReasons => _retryReasons;

    public IReadOnlyDictionary<string, int> NoFreeAgentByTopic => _noFreeAgentByTopic;

    public void CountDue() => Interlocked.Increment(ref _due);

    public void CountStarted() => Interlocked.Increment(ref _started);

    public void CountAssigned() => Interlocked.Increment(ref _assigned);

    public void CountQueued() => Interlocked.Increment(ref _queued);

    public void CountOverCapacity() => Interlocked.Increment(ref _overCapacity);

    public void CountStale() => Interlocked.Increment(ref _stale);

    public void CountNoFreeAgent(string topic)
    {
        Interlocked.Increment(ref _noFreeAgent);
        _noFreeAgentByTopic.AddOrUpdate(topic, 1, (_, n) => n + 1);
    }

    public void CountMessage(bool inWindow)
    {
        Interlocked.Increment(ref _messagesDelivered);
        if (inWindow)
        {
            Interlocked.Increment(ref _windowMessages);
        }
    }

    public void CountOk(bool measured, bool inWindow)
    {
        Interlocked.Increment(ref measured ? ref _ok : ref _unmeasuredOk);
        if (inWindow)
        {
            Interlocked.Increment(ref _windowCompletions);
        }
    }

    public void CountFailed(bool measured, string reason)
    {
        if (!measured)
        {
            Interlocked.Increment(ref _unmeasuredFailed);
            return;
        }

        Interlocked.Increment(ref _failed);
        _failureReasons.AddOrUpdate(reason, 1, (_, n) => n + 1);
    }

    public void CountRetry(bool measured, string reason)
    {
        if (!measured)
        {
            Interlocked.Increment(ref _unmeasuredRetries);
            return;
        }

        Interlocked.Increment(ref _retries);
        _retryReasons.AddOrUpdate(reason, 1, (_, n) => n + 1);
    }

    /// <summary>A finished measured conversation for SLA attainment: met when its first agent reply arrived within the SLA.</summary>
    public void CountSla(bool met)
    {
        Interlocked.Increment(ref _slaEligible);
        if (met)
        {
            Interlocked.Increment(ref _slaMet);
        }
    }
}
