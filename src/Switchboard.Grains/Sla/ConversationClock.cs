using Switchboard.Conversations;

namespace Switchboard.Sla;

/// <summary>
/// What a conversation's clock knows: the facts its staged actions depend on, read from the conversation's state
/// without allocating. <c>default</c> is a conversation that never started, for which nothing is ever due.
/// </summary>
public readonly record struct ConversationFacts
{
    public bool Started { get; init; }

    public ConversationStatus Status { get; init; }

    public ComplaintTier Tier { get; init; }

    public DateTimeOffset StartedAt { get; init; }

    public DateTimeOffset FirstResponseDueAt { get; init; }

    /// <summary>The first agent message; it stops the first-response clock.</summary>
    public DateTimeOffset? FirstResponseAt { get; init; }

    /// <summary>When the current agent got it; null unless assigned.</summary>
    public DateTimeOffset? AssignedAt { get; init; }

    public bool Warned { get; init; }

    public bool Breached { get; init; }

    /// <summary>When the current wait began: overflow and ticket count from here.</summary>
    public DateTimeOffset QueuedAt { get; init; }

    /// <summary>0 in its own queue only, 1 past the fallback stage, 2 past the supervisors' stage.</summary>
    public int OverflowStage { get; init; }

    /// <summary>The configured fallback queue is a queue (a known skill, or the supervisors' queue).</summary>
    public bool FallbackQueueExists { get; init; }

    /// <summary>It waits in the fallback queue already (its own topic, or an earlier overflow).</summary>
    public bool InFallbackQueue { get; init; }

    /// <summary>It waits with the supervisors already (a high complaint, or an earlier overflow).</summary>
    public bool InSupervisorsQueue { get; init; }

    public DateTimeOffset? FollowUpDueAt { get; init; }

    public bool FollowUpDone { get; init; }

    /// <summary>
    /// When a waiting conversation next re-sends its entry to its queues (they are soft state and may have been lost
    /// with a silo); null when the caller does not keep that period.
    /// </summary>
    public DateTimeOffset? AnnounceAt { get; init; }

    /// <summary>The facts of a stored conversation. Reads the queue list, copies nothing.</summary>
    public static ConversationFacts Of(ConversationState state, SlaOptions options, bool fallbackQueueExists, DateTimeOffset? announceAt)
    {
        ArgumentNullException.ThrowIfNull(state);
        ArgumentNullException.ThrowIfNull(options);
        return new ConversationFacts
        {
            Started = state.Started,
            Status = state.Status,
            Tier = state.Tier,
            StartedAt = state.StartedAt,
            FirstResponseDueAt = state.FirstResponseDueAt,
            FirstResponseAt = state.FirstResponseAt,
            AssignedAt = state.AssignedAt,
            Warned = state.Warned,
            Breached = state.Breached,
            QueuedAt = state.QueuedAt,
            OverflowStage = state.OverflowStage,
            FallbackQueueExists = fallbackQueueExists,
            InFallbackQueue = state.Queues.Contains(options.FallbackQueue),
            InSupervisorsQueue = state.Queues.Contains(Queues.Queues.Supervisors),
            FollowUpDueAt = state.FollowUpDueAt,
            FollowUpDone = state.FollowUpDone,
            AnnounceAt = announceAt,
        };
    }
}

/// <summary>The staged actions a conversation's clock can call for; several can fall due in one pass.</summary>
[Flags]
public enum ClockActions
{
    None = 0,

    /// <summary>The assigned agent is warned with the time left; the conversation is then marked warned.</summary>
    Warn = 1 << 0,

    /// <summary>The warning point passed after the deadline: marked warned, nothing said (the breach speaks instead).</summary>
    SkipWarning = 1 << 1,

    /// <summary>The agent did not answer in time: it goes back to the front of its own queue, that agent excluded.</summary>
    ExpireReservation = 1 << 2,

    /// <summary>No first answer by the deadline: breach recorded, priority raised.</summary>
    Breach = 1 << 3,

    /// <summary>The overflow stage advances to <see cref="ClockDue.OverflowStage"/> (a stage whose queue it cannot join still counts).</summary>
    Overflow = 1 << 4,

    /// <summary>Overflow stage 1: it also joins the fallback queue.</summary>
    JoinFallbackQueue = 1 << 5,

    /// <summary>Overflow stage 2: it also joins the supervisors' queue.</summary>
    JoinSupervisorsQueue = 1 << 6,

    /// <summary>Nobody took it in time: out of the live queues, onto the ticket board.</summary>
    Ticket = 1 << 7,

    /// <summary>The resolved complaint's agent and the supervisors are reminded to follow up.</summary>
    FollowUp = 1 << 8,

    /// <summary>A waiting conversation re-sends its entry to its queues.</summary>
    Announce = 1 << 9,
}

/// <summary>What is due now, in the order to apply it: warning, reservation, breach, overflow, ticket, follow-up.</summary>
/// <param name="OverflowStage">The stage reached once <see cref="ClockActions.Overflow"/> is applied.</param>
public readonly record struct ClockDue(ClockActions Actions, int OverflowStage)
{
    public bool Any => Actions != ClockActions.None;

    public bool Has(ClockActions action) => (Actions & action) == action;
}

/// <summary>
/// The first-response clock as a pure function of a conversation's facts and the time: which staged actions of
/// docs/sla.md are due, and when the next one will be. The grain applies what it says (state, records, pushes) and
/// sets its timer for <see cref="NextDue"/>. The acknowledgement is not here: it has no time of its own, being part of
/// the start itself (the queue's placement goes into it, and nothing exists to catch up on if the start is not stored).
/// </summary>
public static class ConversationClock
{
    private const int LastOverflowStage = 2;

    /// <summary>
    /// The actions due at <paramref name="now"/>. Stages are decided in order on the state each leaves: an expired
    /// reservation starts a new wait at <paramref name="now"/>, so its breach is a waiting one and neither overflow
    /// nor ticket (counted from the new wait, their durations positive) is due in the same pass.
    /// </summary>
    public static ClockDue Due(in ConversationFacts facts, DateTimeOffset now, SlaOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        if (!facts.Started)
        {
            return default;
        }

        var actions = ClockActions.None;
        var stage = facts.OverflowStage;
        if (facts.Status == ConversationStatus.Waiting && now >= facts.AnnounceAt)
        {
            actions |= ClockActions.Announce;
        }

        if (IsUnanswered(facts))
        {
            if (facts.Status == ConversationStatus.Assigned)
            {
                if (!facts.Warned && now >= WarningAt(facts, options))
                {
                    actions |= now < facts.FirstResponseDueAt ? ClockActions.Warn : ClockActions.SkipWarning;
                }

                if (now >= facts.AssignedAt + options.ReservationTimeout)
                {
                    actions |= ClockActions.ExpireReservation;
                }
            }

            if (!facts.Breached && now >= facts.FirstResponseDueAt)
            {
                actions |= ClockActions.Breach;
            }
        }

        // Only a conversation that was waiting already: one whose reservation expires waits from now on.
        if (facts.Status == ConversationStatus.Waiting)
        {
            var joinedFallback = false;
            while (stage < LastOverflowStage && now >= OverflowAt(facts, stage + 1, options))
            {
                stage++;
                actions |= ClockActions.Overflow;
                if (stage == 1)
                {
                    if (facts.FallbackQueueExists && !facts.InFallbackQueue)
                    {
                        actions |= ClockActions.JoinFallbackQueue;
                        joinedFallback = true;
                    }
                }
                else if (!facts.InSupervisorsQueue && !(joinedFallback && options.FallbackQueue == Queues.Queues.Supervisors))
                {
                    // A fallback queue that is the supervisors' own was joined at stage 1.
                    actions |= ClockActions.JoinSupervisorsQueue;
                }
            }

            if (now >= facts.QueuedAt + options.TicketAfter)
            {
                actions |= ClockActions.Ticket;
            }
        }

        if (facts is { Status: ConversationStatus.Resolved, FollowUpDone: false, FollowUpDueAt: { } followUpAt } && now >= followUpAt)
        {
            actions |= ClockActions.FollowUp;
        }

        return new ClockDue(actions, stage);
    }

    /// <summary>
    /// The earliest time <see cref="Due"/> has something to do (possibly already past), or null when nothing will
    /// fall due without a change of facts. Nothing is due before it.
    /// </summary>
    public static DateTimeOffset? NextDue(in ConversationFacts facts, SlaOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        if (!facts.Started)
        {
            return null;
        }

        DateTimeOffset? next = null;
        if (IsUnanswered(facts))
        {
            if (facts.Status == ConversationStatus.Assigned)
            {
                next = Earliest(next, facts.Warned ? null : WarningAt(facts, options));
                next = Earliest(next, facts.AssignedAt + options.ReservationTimeout);
            }

            next = Earliest(next, facts.Breached ? null : facts.FirstResponseDueAt);
        }

        if (facts.Status == ConversationStatus.Waiting)
        {
            next = Earliest(next, facts.AnnounceAt);
            next = Earliest(next, facts.OverflowStage < LastOverflowStage ? OverflowAt(facts, facts.OverflowStage + 1, options) : null);
            next = Earliest(next, facts.QueuedAt + options.TicketAfter);
        }

        if (facts is { Status: ConversationStatus.Resolved, FollowUpDone: false })
        {
            next = Earliest(next, facts.FollowUpDueAt);
        }

        return next;
    }

    /// <summary>
    /// The deadline once the customer shows <paramref name="emotion"/>: before the first answer, the start plus that
    /// class's clock when it is earlier (it may then be past, and the breach due at once); otherwise unchanged.
    /// </summary>
    public static DateTimeOffset DeadlineAfter(in ConversationFacts facts, Emotion emotion, SlaOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        if (facts.FirstResponseAt is not null)
        {
            return facts.FirstResponseDueAt;
        }

        var due = facts.StartedAt + SlaPolicy.FirstResponseTarget(facts.Tier, emotion, options);
        return due < facts.FirstResponseDueAt ? due : facts.FirstResponseDueAt;
    }

    /// <summary>When a conversation resolved at <paramref name="resolvedAt"/> is followed up: complaints only.</summary>
    public static DateTimeOffset? FollowUpDueAt(ComplaintTier tier, DateTimeOffset resolvedAt, SlaOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        return tier == ComplaintTier.None ? null : resolvedAt + options.FollowUpAfter;
    }

    /// <summary>When the assigned agent is warned: the warning share of the way from the start to the deadline.</summary>
    public static DateTimeOffset WarningAt(in ConversationFacts facts, SlaOptions options) =>
        SlaPolicy.WarningAt(facts.StartedAt, facts.FirstResponseDueAt, options);

    private static bool IsUnanswered(in ConversationFacts facts) =>
        facts.FirstResponseAt is null
        && facts.Status is ConversationStatus.Waiting or ConversationStatus.Assigned or ConversationStatus.Ticket;

    private static DateTimeOffset OverflowAt(in ConversationFacts facts, int stage, SlaOptions options) =>
        facts.QueuedAt + (options.OverflowAfter * stage);

    private static DateTimeOffset? Earliest(DateTimeOffset? next, DateTimeOffset? at) =>
        at is { } value && (next is null || value < next) ? value : next;
}
