namespace Switchboard.Metrics;

/// <summary>What happened to a conversation, as the service metrics count it.</summary>
public enum ServiceEventKind
{
    /// <summary>A conversation opened.</summary>
    Started,

    /// <summary>An agent got it; <see cref="ServiceEvent.Duration"/> is how long it waited in line.</summary>
    Assigned,

    /// <summary>The first agent answer; duration is the first response time, <see cref="ServiceEvent.Flag"/> within its SLA.</summary>
    FirstResponse,

    /// <summary>An agent answered waiting customer messages; duration from the earliest unanswered one.</summary>
    Response,

    /// <summary>Closed after an answer; duration is the resolution time, flag one-touch (a single agent reply).</summary>
    Resolved,

    /// <summary>The customer left before any answer; duration is how long they waited.</summary>
    Abandoned,

    /// <summary>The customer rated it; <see cref="ServiceEvent.Score"/> 1–5.</summary>
    Rated,

    /// <summary>The first-response deadline passed unanswered.</summary>
    Breached,

    /// <summary>A queue's first response times jumped (an FRT anomaly episode began); the skill is the queue's.</summary>
    Anomaly,
}

/// <summary>One countable fact, stamped with when it happened, the conversation's skill and the agent if any.</summary>
public sealed record ServiceEvent(
    ServiceEventKind Kind,
    DateTimeOffset At,
    string Skill,
    string? AgentId = null,
    TimeSpan? Duration = null,
    bool Flag = false,
    int Score = 0);
