using System.Collections.Immutable;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Switchboard.Agents;
using Switchboard.Deadlines;
using Switchboard.Metrics;
using Switchboard.Sla;
using Switchboard.Supervision;

namespace Switchboard.Conversations;

/// <summary>
/// The conversation's clock: <see cref="ConversationClock"/> decides what is due; this applies it. Precision comes from
/// one in-memory grain timer set for the next due time; durability from the deadline service, whose shard is told the
/// same time and wakes the conversation if its silo dies first.
/// </summary>
public sealed partial class ConversationGrain
{
    private static readonly TimeSpan MaxTimerDelay = TimeSpan.FromDays(30);
    private static readonly Backoff TrackRetry = new(TimeSpan.FromSeconds(1), TimeSpan.FromSeconds(30));
    private static readonly TimeSpan TrackTimeout = TimeSpan.FromSeconds(5);
    // Tries on the way out of memory (0.5, 1, 1.5 s apart): enough for a shard whose silo died to come back elsewhere.
    private const int LeavingAttempts = 4;
    private IGrainTimer? _clock;
    private bool _clockKeepsAlive;
    private DateTimeOffset? _clockDueAt;
    // What the timer is for (the next due time, a retry, or leaving memory), and the cover the shard holds before it.
    private DateTimeOffset? _clockTarget;
    private DateTimeOffset? _coverAt;

    // What this conversation's deadline shard holds for it, when known (unknown on activation, and after the shard
    // woke it: the shard then holds a time to wake it again, in case the wake was lost).
    private (DateTimeOffset? WakeAt, ImmutableArray<string> Queues)? _tracked;
    private DateTimeOffset? _trackRetryAt;
    private int _trackFailures;

    // When this activation, if it is still only waiting with nothing due soon, leaves memory (DeadlineOptions.HibernateAfter).
    private DateTimeOffset? _hibernateAt;

    private ConversationFacts Facts() => ConversationFacts.Of(State, Sla, _options.IsQueue(Sla.FallbackQueue), announceAt: null);

    /// <summary>
    /// The one way a change is committed: stored (or, if that fails, this activation is dropped and the caller hears
    /// the failure), then the clock and the deadline service set for what is due next.
    /// </summary>
    private async Task CommitAsync()
    {
        await StoreOrForgetAsync();
        await RescheduleAsync();
    }

    /// <summary>Sets the in-memory timer and the deadline shard for the next due time (or clears both).</summary>
    private async Task RescheduleAsync()
    {
        var next = NextDue();
        await TrackDeadlineAsync(next);
        // The shard holds an earlier time than the next due one (a cover, below): this clock tells it the real one
        // then, one-way, before the shard would wake this live conversation for nothing.
        _coverAt = _tracked is { WakeAt: { } held } && next is { } due && held < due ? held : null;
        SetTimer(_trackRetryAt is { } retry && (next is null || retry < next) ? retry : next);
    }

    private DateTimeOffset? NextDue()
    {
        var next = ConversationClock.NextDue(Facts(), Sla);
        // An answer to a ticket waiting to be delivered is one more due time (ConversationGrain.Ticket.cs).
        return AnswerDueAt is { } answerAt && (next is null || answerAt < next) ? answerAt : next;
    }

    /// <summary>
    /// Whether this conversation may leave memory at <paramref name="at"/> until <paramref name="next"/>: it only
    /// waits (no agent, no answer to deliver), its shard holds its wake-up time (no retry pending), and it would sleep
    /// at least <see cref="DeadlineOptions.HibernateAfter"/> before its shard wakes it.
    /// </summary>
    private bool MaySleep(DateTimeOffset? next, DateTimeOffset at) =>
        _options.Deadlines is { HibernateAfter: var idle, WakeLead: var lead }
        && idle > TimeSpan.Zero
        && State is { Started: true, Status: ConversationStatus.Waiting }
        && AnswerDueAt is null
        && _trackRetryAt is null
        && _reservingWith is null
        && next is { } dueAt
        && dueAt - at >= idle + lead;

    /// <summary>
    /// Tells the shard the next due time. Earlier than what it holds, in a queue it does not know of, or not known to
    /// it: awaited, so a failure is seen and retried (the shard being unreachable means the safety net is missing);
    /// later, or nothing: one-way (if that is lost, the shard wakes the conversation early, which changes nothing).
    /// A waiting conversation that must wait on its shard has it hold a cover instead (<see cref="Cover"/>), so the
    /// assignment that usually follows within milliseconds is a later time, told one-way, not a second wait and write.
    /// </summary>
    private async Task TrackDeadlineAsync(DateTimeOffset? next)
    {
        ImmutableArray<string> queues = State.Status == ConversationStatus.Waiting ? [.. State.Queues] : [];
        if (_tracked is { } tracked && tracked.WakeAt == next && tracked.Queues.SequenceEqual(queues))
        {
            return;
        }

        var shard = GrainFactory.Grain<IDeadlineShardGrain>(_options.Deadlines.ShardOf(Id));
        if (next is not { } wakeAt)
        {
            // Nothing due: the shard forgets it (what it holds is not known after an activation or a wake).
            shard.UpdateAsync(Id, null, []).Ignore();
            _tracked = (null, []);
            return;
        }

        // Later than what the shard holds, in no new queue: if this is lost, the shard only wakes it early.
        if (_tracked is { WakeAt: { } held } known && held <= wakeAt && queues.All(known.Queues.Contains))
        {
            shard.UpdateAsync(Id, wakeAt, queues).Ignore();
            _tracked = (wakeAt, queues);
            return;
        }

        wakeAt = Cover(wakeAt);
        try
        {
            // Bounded: a shard that cannot answer (its silo just died) must not hold up this conversation's change.
            await shard.TrackAsync(Id, wakeAt, queues).WaitAsync(TrackTimeout);
            _tracked = (wakeAt, queues);
            _trackRetryAt = null;
            _trackFailures = 0;
        }
        catch (Exception ex)
        {
            // The in-memory clock still runs; the safety net is tried again, backing off, from this clock's timer.
            _tracked = null;
            var delay = TrackRetry.After(_trackFailures++);
            _trackRetryAt = time.GetUtcNow() + delay;
            logger.LogWarning(ex, "Conversation {ConversationId} could not tell the deadline service when to wake it; trying again in {Delay}", Id, delay);
        }
    }

    /// <summary>
    /// What a waiting conversation has its shard hold: its next due time, or the earliest time an assignment from now
    /// could fall due (now + the reservation timeout), whichever is first. An agent taking it then moves its next due
    /// time to the reservation timeout (or a later warning), never before the cover, so the shard already holds a time
    /// early enough and hears the new one one-way. Holding an earlier time than needed is always safe (the shard would
    /// only wake it early); the conversation's own timer tells the shard the real time at the cover, before the shard
    /// fires. Measured on PostgreSQL: one awaited shard write per routing-only conversation instead of two.
    /// </summary>
    private DateTimeOffset Cover(DateTimeOffset next)
    {
        if (State.Status != ConversationStatus.Waiting)
        {
            return next;
        }

        var assignable = time.GetUtcNow() + Sla.ReservationTimeout;
        return assignable < next ? assignable : next;
    }

    /// <summary>
    /// Sets the in-memory timer for <paramref name="next"/>, or clears it. A conversation that may leave memory is timed
    /// for that instead, <see cref="DeadlineOptions.HibernateAfter"/> from now: every change moves it on.
    /// </summary>
    private void SetTimer(DateTimeOffset? next)
    {
        var now = time.GetUtcNow();
        _hibernateAt = null;
        if (MaySleep(next, now + _options.Deadlines.HibernateAfter))
        {
            next = _hibernateAt = now + _options.Deadlines.HibernateAfter;
        }

        ArmClock(next, now);
    }

    /// <summary>Sets the timer for <paramref name="target"/>, or for the cover the shard holds if that is sooner.</summary>
    private void ArmClock(DateTimeOffset? target, DateTimeOffset now)
    {
        _clockTarget = target;
        var next = _coverAt is { } cover && (target is null || cover < target) ? cover : target;
        if (next == _clockDueAt)
        {
            return;
        }

        _clockDueAt = next;
        if (next is not { } dueAt)
        {
            _clock?.Change(Timeout.InfiniteTimeSpan, Timeout.InfiniteTimeSpan);
            return;
        }

        // Timers take at most about 49 days; a longer wait simply wakes early and sets the timer again.
        var delay = TimeSpan.FromTicks(Math.Clamp((dueAt - now).Ticks, 0, MaxTimerDelay.Ticks));
        // Live conversations stay in memory for precision; a follow-up days away relies on the deadline service.
        var keepAlive = State.Status is ConversationStatus.Waiting or ConversationStatus.Assigned || AnswerDueAt is not null;
        if (_clock is not null && _clockKeepsAlive == keepAlive)
        {
            // The same timer, moved: most changes of a conversation move its next time, few change whether it is live.
            _clock.Change(delay, Timeout.InfiniteTimeSpan);
            return;
        }

        _clock?.Dispose();
        _clockKeepsAlive = keepAlive;
        _clock = this.RegisterGrainTimer(
            static (grain, _) => grain.OnTimerAsync(),
            this,
            new GrainTimerCreationOptions(delay, Timeout.InfiniteTimeSpan) { KeepAlive = keepAlive });
    }

    private async Task OnTimerAsync()
    {
        _clockDueAt = null;
        var now = time.GetUtcNow();
        if (_coverAt is { } cover && now >= cover)
        {
            _coverAt = null;
            if (_clockTarget is not { } target || now < target)
            {
                // Only the cover: the shard hears the next due time (later, so one-way); nothing changed, so leaving
                // memory stays when it was.
                var leaveAt = _hibernateAt;
                await RescheduleAsync();
                if (leaveAt is not null && _hibernateAt is not null)
                {
                    _hibernateAt = leaveAt;
                    ArmClock(leaveAt, time.GetUtcNow());
                }

                return;
            }
        }

        if (_trackRetryAt is { } retry && time.GetUtcNow() >= retry)
        {
            _trackRetryAt = null;
        }

        if (_hibernateAt is { } sleepAt && time.GetUtcNow() >= sleepAt && TryHibernate())
        {
            return;
        }

        await OnClockAsync();
    }

    /// <summary>
    /// Leaves memory if this conversation still only waits with nothing due soon: its shard is told to wake it
    /// <see cref="DeadlineOptions.WakeLead"/> before its next due time, then the activation goes. The shard is told
    /// one-way and stores it with its next flush: the time it has stored already is the due time itself, so if the
    /// shard's silo dies before that flush the conversation is woken as any conversation lost with a silo is (Grace
    /// after its due time, once the shard is back), never not at all.
    /// </summary>
    private bool TryHibernate()
    {
        _hibernateAt = null;
        var next = NextDue();
        if (!MaySleep(next, time.GetUtcNow()) || _tracked is not { WakeAt: { } held } || held > next)
        {
            return false;
        }

        // The shard fires Grace after the time it holds.
        var deadlines = _options.Deadlines;
        var wakeAt = next!.Value - deadlines.WakeLead - deadlines.Grace;
        ImmutableArray<string> queues = [.. State.Queues];
        GrainFactory.Grain<IDeadlineShardGrain>(deadlines.ShardOf(Id)).UpdateAsync(Id, wakeAt, queues).Ignore();
        // What the shard holds now (it stored the due time itself already): leaving, nothing more to tell it.
        _tracked = (wakeAt, queues);
        _clock?.Dispose();
        _clock = null;
        _clockDueAt = null;
        ServiceProvider.GetRequiredService<DeadlineMetrics>().Hibernated();
        DeactivateOnIdle();
        return true;
    }

    /// <summary>
    /// On the way out of memory: if the shard may not hold this conversation's next due time (telling it failed, a
    /// retry was pending), tell it now: four tries over about 3 s (one when the silo stops). Orleans deactivates live
    /// activations without asking (a silo that held their directory entries died), and a conversation whose shard died
    /// in the same crash would otherwise be woken by nothing: the kill test saw one breach 87 s late that way.
    /// </summary>
    private async Task TrackBeforeLeavingAsync(DeactivationReason reason, CancellationToken leaving)
    {
        // A silo that stops asks once (its shards are leaving too, or already moved); one that stays tries a few times.
        var attempts = reason.ReasonCode == DeactivationReasonCode.ShuttingDown ? 1 : LeavingAttempts;
        var next = State.Started ? NextDue() : null;
        if (next is not { } wakeAt || _tracked is { WakeAt: { } held } && held <= wakeAt)
        {
            return;
        }

        ImmutableArray<string> queues = State.Status == ConversationStatus.Waiting ? [.. State.Queues] : [];
        var shard = GrainFactory.Grain<IDeadlineShardGrain>(_options.Deadlines.ShardOf(Id));
        for (var attempt = 0; attempt < attempts && !leaving.IsCancellationRequested; attempt++)
        {
            try
            {
                await shard.TrackAsync(Id, wakeAt, queues).WaitAsync(TrackTimeout, leaving);
                _tracked = (wakeAt, queues);
                return;
            }
            catch (Exception ex) when (!leaving.IsCancellationRequested)
            {
                logger.LogDebug(ex, "Conversation {ConversationId} is leaving memory and could not tell the deadline service when to wake it (attempt {Attempt})", Id, attempt + 1);
                if (attempt + 1 < attempts)
                {
                    await Task.Delay(TimeSpan.FromMilliseconds(500 * (attempt + 1)), time, leaving).ContinueWith(_ => { }, TaskScheduler.Current);
                }
            }
            catch (OperationCanceledException)
            {
                break;
            }
        }

        if (reason.ReasonCode != DeactivationReasonCode.ShuttingDown)
        {
            logger.LogWarning("Conversation {ConversationId} left memory without its deadline service holding its next due time ({WakeAt:O}); it acts on its clock when it is next called", Id, wakeAt);
        }
    }

    public async Task WakeAsync()
    {
        // The shard holds a time to wake it again until the clock below tells it the next time.
        _tracked = null;
        if (!State.Started)
        {
            return;
        }

        // A queue it waits in may have been lost with a silo (an entry a queue still holds is left as it is).
        if (State.Status == ConversationStatus.Waiting)
        {
            await RequeueAsync();
        }

        await OnClockAsync();
    }

    /// <summary>Runs every staged action that is due, stores the result once, then tells people.</summary>
    private async Task OnClockAsync()
    {
        if (AnswerDueAt is { } answerAt && time.GetUtcNow() >= answerAt)
        {
            await DeliverAnswerAsync();
        }

        var now = time.GetUtcNow();
        var due = ConversationClock.Due(Facts(), now, Sla);
        List<Func<Task>> then = [];
        if (due.Has(ClockActions.Warn) || due.Has(ClockActions.SkipWarning))
        {
            State.Warned = true;
        }

        if (due.Has(ClockActions.Warn) && State.AgentId is { } warned)
        {
            var left = State.FirstResponseDueAt - now;
            Record(SlaEventKind.Warning, warned, $"First answer due in {Format(left)}.", now);
            then.Add(() => Push(() => notifier.SlaWarning(warned, Id, State.FirstResponseDueAt, left)));
        }

        if (due.Has(ClockActions.ExpireReservation) && State.AgentId is { } holder)
        {
            ExpireReservation(holder, now, then);
        }

        if (due.Has(ClockActions.Breach))
        {
            Breach(now, then);
        }

        if (due.Has(ClockActions.Overflow))
        {
            State.OverflowStage = due.OverflowStage;
            if (due.Has(ClockActions.JoinFallbackQueue))
            {
                JoinQueue(Sla.FallbackQueue, now, then);
            }

            if (due.Has(ClockActions.JoinSupervisorsQueue))
            {
                JoinQueue(Queues.Queues.Supervisors, now, then);
            }
        }

        if (due.Has(ClockActions.Ticket))
        {
            MakeTicket(now, then);
        }

        if (due.Has(ClockActions.FollowUp))
        {
            FollowUp(now, then);
        }

        if (then.Count == 0)
        {
            // Nothing due, or nothing to tell (an overflow stage whose queue does not exist, a warning past the
            // deadline): nothing stored; doing it again after a restart changes nothing.
            await RescheduleAsync();
            return;
        }

        // Stored and rescheduled before anyone hears of it: the next timer is set by the time a push is seen.
        await CommitAsync();
        foreach (var action in then)
        {
            await action();
        }
    }

    private void Breach(DateTimeOffset now, List<Func<Task>> then)
    {
        State.Breached = true;
        metrics.Record(ConversationEvents.Breached(State, now));
        var detail = $"No first answer within {Format(State.FirstResponseDueAt - State.StartedAt)} ({State.Topic}, {State.Status}).";
        Record(SlaEventKind.Breached, State.AgentId, detail, now);
        then.Add(() => Push(() => notifier.SupervisorAlert(new SupervisorAlert(SupervisorAlertKind.Breach, Id, State.Topic, detail, now))));
        then.Add(() => RecordFirstResponseAsync(withinSla: false));
        if (State.Status == ConversationStatus.Waiting)
        {
            // Its raised priority goes to its queues.
            then.Add(EnqueueAsync);
        }
    }

    private void ExpireReservation(string agentId, DateTimeOffset now, List<Func<Task>> then)
    {
        var detail = $"Not answered within {Format(Sla.ReservationTimeout)}; offered to the next agent.";
        Record(SlaEventKind.ReservationExpired, agentId, detail, now);
        var notice = Append(MessageAuthor.System, agentId, Language.Text("agent.replaced"), now);
        ReturnToWaiting(PrimaryQueue, front: true, now);
        State.ExcludedAgentId = agentId;
        then.Add(() => Push(() =>
        {
            ReportToCustomer();
            notifier.ConversationWithdrawn(agentId, Id, detail);
            notifier.MessagePosted(Id, agentId: null, notice);
        }));
        then.Add(() => ReleaseAgentAsync(agentId));
        then.Add(EnqueueAsync);
    }

    private void JoinQueue(string queue, DateTimeOffset now, List<Func<Task>> then)
    {
        State.Queues.Add(queue);
        Record(SlaEventKind.Overflowed, null, $"Nobody took it for {Format(now - State.QueuedAt)}; also queued with {queue}.", now);
        then.Add(() => EnqueueInAsync(queue));
    }

    private void MakeTicket(DateTimeOffset now, List<Func<Task>> then)
    {
        var queues = State.Queues.ToArray();
        State.Status = ConversationStatus.Ticket;
        State.Queues.Clear();
        var detail = $"Nobody could take it for {Format(now - State.QueuedAt)}; kept as a ticket.";
        Record(SlaEventKind.Ticketed, null, detail, now);
        var notice = Append(MessageAuthor.System, null, Language.Text("conversation.ticket"), now);
        var ticket = Summary();
        then.Add(() => RemoveFromQueuesAsync(queues));
        then.Add(() => GrainFactory.Grain<ITicketBoardGrain>(0).AddAsync(ticket));
        then.Add(() => Push(() =>
        {
            notifier.SupervisorAlert(new SupervisorAlert(SupervisorAlertKind.Ticket, Id, State.Topic, detail, now));
            notifier.MessagePosted(Id, agentId: null, notice);
        }));
    }

    private void FollowUp(DateTimeOffset now, List<Func<Task>> then)
    {
        State.FollowUpDone = true;
        var agentId = State.AgentId!;
        Record(SlaEventKind.FollowUpDue, agentId, "Follow up with the customer on the resolved complaint.", now);
        then.Add(() => Push(() =>
        {
            notifier.FollowUpDue(agentId, Id);
            notifier.SupervisorAlert(new SupervisorAlert(SupervisorAlertKind.FollowUp, Id, State.Topic, $"Follow-up due (resolved by {agentId}).", now));
        }));
    }

    /// <summary>A customer message may show emotion: raised (never lowered), and before the first answer the deadline moves earlier.</summary>
    private bool RaiseEmotion(string text, DateTimeOffset now)
    {
        var shown = SlaPolicy.Detect(text, State.Emotion, Language.Emotion);
        if (shown == State.Emotion)
        {
            return false;
        }

        State.Emotion = shown;
        var detail = $"The customer seems {shown.ToString().ToLowerInvariant()}.";
        var due = ConversationClock.DeadlineAfter(Facts(), shown, Sla);
        if (due < State.FirstResponseDueAt)
        {
            State.FirstResponseDueAt = due;
            detail += $" First answer now due by {due:HH:mm:ss}.";
        }

        Record(SlaEventKind.EmotionRaised, State.AgentId, detail, now);
        return true;
    }

    /// <summary>An action among the staged ones that only tells people (nothing to wait for).</summary>
    private static Task Push(Action tell)
    {
        tell();
        return Task.CompletedTask;
    }
}
