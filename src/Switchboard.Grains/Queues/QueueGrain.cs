using System.Runtime.InteropServices;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Switchboard.Agents;
using Switchboard.Conversations;
using Switchboard.Metrics;
using Switchboard.Notifications;
using Switchboard.Placement;
using Switchboard.Routing;
using Switchboard.Supervision;

namespace Switchboard.Queues;

/// <summary>
/// Matches waiting conversations with agents for one skill (or the supervisors). A matching pass is scheduled
/// whenever a conversation arrives or an agent frees capacity (never on a polling loop); arrivals during a pass
/// schedule one more. Kept alive: its waiting list lives only in memory.
/// </summary>
[KeepAlive]
public sealed class QueueGrain(
    IOptions<SwitchboardOptions> options,
    IChatNotifier notifier,
    TimeProvider time,
    IServiceMetrics metrics,
    ILogger<QueueGrain> logger) : Grain, IQueueGrain, IGrainMigrationParticipant
{
    private const int RateSamples = 32;
    private const int RecallAttempts = 8;
    private static readonly Backoff RecallRetry = new(TimeSpan.FromSeconds(1), TimeSpan.FromSeconds(30));
    private static readonly TimeSpan RateWindow = TimeSpan.FromMinutes(15);

    // In service order, with ranks: a place in line is found in O(log n), however long the line.
    private readonly RankedSet<QueueEntry> _waiting = new(new WaitingOrder(options.Value.AgingInterval));
    private readonly Dictionary<string, QueueEntry> _waitingById = [];
    private readonly Dictionary<string, AgentAvailability> _agents = [];

    // Entries whose customer hears their place at once: arrivals, and entries replaced because their standing changed.
    // The pass that starts takes those that came before it (it tries them first); it tells the ones it leaves waiting.
    private readonly HashSet<QueueEntry> _arrived = new(ReferenceEqualityComparer.Instance);
    private readonly HashSet<QueueEntry> _arrivedBeforePass = new(ReferenceEqualityComparer.Instance);
    // What each waiting customer was last told. The place is never raised during one wait (a ticket): urgent arrivals
    // that go ahead leave it as told until the line catches up, so a customer only ever sees the line move forward.
    private readonly Dictionary<string, Shown> _shown = [];
    private readonly Queue<DateTimeOffset> _recentAssignments = new();
    // Offers out now, by agent: each takes one of the agent's free slots until it comes back.
    private readonly Dictionary<string, int> _offersOut = [];
    // An entry this pass left because the agents who may take it had every free slot spoken for by offers out.
    private bool _passDeferred;
    private bool _dispatchScheduled;
    // One timer for the earliest end of a last-agent hold seen in a pass: then the entry is routed normally.
    private IGrainTimer? _holdTimer;
    private DateTimeOffset? _holdTimerDueAt;
    // Moves of the line are told by a report pass at most once per PositionReportInterval, never per assignment, and a
    // pass looks at a bounded number of customers (the first few exactly, then a window that goes round the line):
    // telling a long line of every assignment cost more than the assignments themselves when a backlog drained.
    private IGrainTimer? _reportTimer;
    private bool _lineMoved;
    // Customers behind the exact front the passes still owe a look since the line last moved, and where the next starts.
    private int _scanOwed;
    private int _scanRank;
    private DateOnly _slaDay;
    private int _slaMet;
    private int _slaMissed;
    private readonly FirstResponseAnomalyDetector _anomaly = new(options.Value.Metrics);

    private string Skill => this.GetPrimaryKeyString();

    private SwitchboardOptions Options => options.Value;

    public override Task OnActivateAsync(CancellationToken cancellationToken)
    {
        MovableActivations.Track(this, ServiceProvider);
        if (_waiting.Count > 0)
        {
            // Moved here from a silo that stopped, with its waiting list: match what it brought.
            ScheduleDispatch();
        }
        else
        {
            // A new activation knows nobody waiting: the conversations that wait here are woken through the deadline
            // service, which knows the queues of every waiting conversation, and come back. Nobody waits for it.
            _ = RecallWaitingAsync();
        }

        return Task.CompletedTask;
    }

    /// <summary>
    /// Asks every deadline shard to wake the conversations that wait here, again (backing off) for a shard that cannot
    /// be reached yet: one that was on a silo that died comes back elsewhere once the silo is declared dead.
    /// </summary>
    private async Task RecallWaitingAsync()
    {
        var pending = Enumerable.Range(0, Options.Deadlines.Shards).ToList();
        for (var attempt = 1; ; attempt++)
        {
            var failed = await Task.WhenAll(pending.Select(async shard =>
            {
                try
                {
                    await GrainFactory.Grain<Deadlines.IDeadlineShardGrain>(shard).RequeueWaitingInAsync(Skill);
                    return -1;
                }
                catch (Exception ex)
                {
                    logger.LogDebug(ex, "Queue {Queue} could not reach deadline shard {Shard}", Skill, shard);
                    return shard;
                }
            }));
            pending = [.. failed.Where(shard => shard >= 0)];
            if (pending.Count == 0)
            {
                return;
            }

            if (attempt == RecallAttempts)
            {
                logger.LogError("Queue {Queue} could not recall its waiting conversations from deadline shards {Shards} after {Attempts} attempts; they come back at their next deadline", Skill, string.Join(", ", pending), attempt);
                return;
            }

            var delay = RecallRetry.After(attempt - 1);
            logger.LogWarning("Queue {Queue} could not reach deadline shards {Shards} to recall its waiting conversations; trying again in {Delay}", Skill, string.Join(", ", pending), delay);
            await Task.Delay(delay, time);
        }
    }

    public override Task OnDeactivateAsync(DeactivationReason reason, CancellationToken cancellationToken)
    {
        MovableActivations.Untrack(this, ServiceProvider);
        return Task.CompletedTask;
    }

    /// <summary>Moving to another silo (its silo stops): the waiting list and what it knows of agents go along.</summary>
    public void OnDehydrate(IDehydrationContext migration)
    {
        migration.TryAddValue("waiting", _waiting.ToList());
        migration.TryAddValue("agents", _agents.Values.ToList());
        migration.TryAddValue("shown", _shown.ToDictionary(s => s.Key, s => (s.Value.Position, s.Value.EstimateKnown)));
        migration.TryAddValue("assignments", _recentAssignments.ToList());
        migration.TryAddValue("sla", (_slaDay.DayNumber, _slaMet, _slaMissed));
    }

    public void OnRehydrate(IRehydrationContext migration)
    {
        if (migration.TryGetValue<List<QueueEntry>>("waiting", out var waiting) && waiting is not null)
        {
            foreach (var entry in waiting)
            {
                _waiting.Add(entry);
                _waitingById[entry.ConversationId] = entry;
            }

            metrics.QueueLength(Skill, _waiting.Count);
        }

        if (migration.TryGetValue<List<AgentAvailability>>("agents", out var agents) && agents is not null)
        {
            foreach (var agent in agents)
            {
                _agents[agent.AgentId] = agent;
            }
        }

        if (migration.TryGetValue<Dictionary<string, (int, bool)>>("shown", out var shown) && shown is not null)
        {
            foreach (var (id, (position, known)) in shown)
            {
                _shown[id] = new Shown(position, known);
            }
        }
        else if (migration.TryGetValue<Dictionary<string, int>>("reported", out var reported) && reported is not null)
        {
            // From a silo that ran before estimates were tracked.
            foreach (var (id, position) in reported)
            {
                _shown[id] = new Shown(position, EstimateKnown: true);
            }
        }

        if (migration.TryGetValue<List<DateTimeOffset>>("assignments", out var assignments) && assignments is not null)
        {
            assignments.ForEach(_recentAssignments.Enqueue);
        }

        if (migration.TryGetValue<(int Day, int Met, int Missed)>("sla", out var sla))
        {
            (_slaDay, _slaMet, _slaMissed) = (DateOnly.FromDayNumber(sla.Day), sla.Met, sla.Missed);
        }
    }

    public Task<QueuePlacement> EnqueueAsync(QueueEntry entry)
    {
        // Conversations re-send their entry on every wake-up; only a new or changed one needs matching, and an
        // unchanged one is told the place it was last told (no walk along a long line on every tick).
        if (_waitingById.TryGetValue(entry.ConversationId, out var previous))
        {
            if (previous == entry)
            {
                return Task.FromResult(Placement(entry, _shown.TryGetValue(entry.ConversationId, out var shown) ? shown.Position : PositionOf(entry)));
            }

            Unlink(previous);
            if (previous.Ticket != entry.Ticket)
            {
                // A new ticket is a new wait: the place told during the last one no longer bounds this one.
                _shown.Remove(entry.ConversationId);
            }
        }

        _waiting.Add(entry);
        _waitingById[entry.ConversationId] = entry;
        _arrived.Add(entry);
        metrics.QueueLength(Skill, _waiting.Count);
        ScheduleDispatch();
        return Task.FromResult(Placement(entry, PositionOf(entry)));
    }

    public Task RemoveAsync(string conversationId)
    {
        Remove(conversationId);
        return Task.CompletedTask;
    }

    public Task UpdateAgentAsync(AgentAvailability availability)
    {
        // Agents re-announce periodically; an unchanged (or older) announcement changes nothing here.
        if (Learn(availability) && availability.HasFreeCapacity)
        {
            ScheduleDispatch();
        }

        return Task.CompletedTask;
    }

    /// <summary>Keeps the latest word on an agent (answers and announcements cross); true when it changed what the queue knew.</summary>
    private bool Learn(AgentAvailability availability)
    {
        var wasAccepting = false;
        if (_agents.TryGetValue(availability.AgentId, out var known))
        {
            if (known == availability || !availability.IsNotOlderThan(known))
            {
                return false;
            }

            wasAccepting = known.Accepting;
        }

        _agents[availability.AgentId] = availability;
        if (availability.Accepting != wasAccepting && _waiting.Count > 0)
        {
            // Who can take the line changed, and with it whether customers can be given an estimate at all.
            LineMoved();
        }

        return true;
    }

    public Task RecordFirstResponseAsync(bool withinSla)
    {
        RollSlaDay();
        _ = withinSla ? _slaMet++ : _slaMissed++;
        return Task.CompletedTask;
    }

    public Task ObserveFirstResponseAsync(TimeSpan firstResponse)
    {
        var now = time.GetUtcNow();
        if (_anomaly.Observe(now, firstResponse) is { Recent: { } recent, Baseline: { } baseline })
        {
            var detail = $"First response in {Skill} averaged {Minutes(recent)} over the last {Minutes(options.Value.Metrics.AnomalyWindow)}, "
                + $"{recent / baseline:0.0}× the {Minutes(baseline)} of the hour before.";
            logger.LogWarning("FRT anomaly in queue {Queue}: {Detail}", Skill, detail);
            notifier.SupervisorAlert(new SupervisorAlert(SupervisorAlertKind.Anomaly, "", Skill, detail, now));
            // Counted too, so the floor's charts mark when it began.
            metrics.Record(new ServiceEvent(ServiceEventKind.Anomaly, now, Skill));
        }

        return Task.CompletedTask;

        static string Minutes(TimeSpan span) => span.TotalSeconds < 120 ? $"{span.TotalSeconds:0} s" : $"{span.TotalMinutes:0.#} min";
    }

    public Task<QueueView> GetAsync()
    {
        RollSlaDay();
        return Task.FromResult(new QueueView(
            Skill, [.. _waiting], [.. _agents.Values.OrderBy(a => a.AgentId, StringComparer.Ordinal)], _slaMet, _slaMissed));
    }

    private void RollSlaDay()
    {
        var today = DateOnly.FromDateTime(time.GetUtcNow().UtcDateTime);
        if (today != _slaDay)
        {
            (_slaDay, _slaMet, _slaMissed) = (today, 0, 0);
        }
    }

    public async Task DispatchAsync()
    {
        _dispatchScheduled = false;
        // The arrivals this pass sees: it tries those at the front before they hear they wait. Later ones wait for the
        // pass they scheduled.
        _arrivedBeforePass.UnionWith(_arrived);
        _arrived.Clear();
        _passDeferred = false;
        if (_waiting.Count > 0 && FreeSlots() is var free and > 0)
        {
            // A copy of the front of the line (reporting calls interleave with this pass and may add or remove entries
            // while it awaits), long enough to fill every free slot even if many entries ahead cannot be served by the
            // agents free now; a pass that uses it up with agents still free schedules the next.
            var front = _waiting.Take((int)Math.Min((free * 2) + 64, _waiting.Count)).ToArray();
            // Up to QueueOffersInFlight offers out at once, to different conversations, in the order of the line: the
            // queue does not wait for one conversation's storage writes before offering the next. An offer counts
            // against its agent's free slots until it comes back, so nobody is offered more than they have room for.
            var offers = new List<Task>(Options.QueueOffersInFlight);
            foreach (var entry in front)
            {
                while (offers.Count > 0 && (offers.Count >= Options.QueueOffersInFlight || !AnyRoomBeyondOffers()))
                {
                    offers.Remove(await Task.WhenAny(offers));
                }

                if (!AnyRoomBeyondOffers())
                {
                    break;
                }

                if (_waitingById.GetValueOrDefault(entry.ConversationId) == entry)
                {
                    offers.Add(TryAssignAsync(entry));
                }
            }

            await Task.WhenAll(offers);
            if ((_passDeferred || front.Length < _waiting.Count) && AnyFreeAgent())
            {
                ScheduleDispatch();
            }
        }

        TellArrivals();
    }

    // This queue's own reference, made once: AsReference resolves the interface by reflection each time.
    private IQueueGrain? _self;

    private void ScheduleDispatch()
    {
        if (!_dispatchScheduled)
        {
            _dispatchScheduled = true;
            // A one-way call to itself: the pass runs as the queue's own turn, after the reporting call has returned.
            (_self ??= this.AsReference<IQueueGrain>()).DispatchAsync().Ignore();
        }
    }

    private async Task TryAssignAsync(QueueEntry entry)
    {
        // Held for the customer's last agent: only they are offered it, the moment they have a free slot.
        if (LastAgentHold.IsHeld(entry, time.GetUtcNow()))
        {
            WatchHold(entry.HoldUntil!.Value);
            if (_agents.TryGetValue(entry.PreferredAgentId!, out var preferred) && AgentRanking.IsEligible(preferred, entry.RequiredProficiency))
            {
                if (HasRoomBeyondOffers(preferred))
                {
                    await TryAgentAsync(entry, preferred);
                }
                else
                {
                    _passDeferred = true;
                }
            }

            return;
        }

        var tried = new HashSet<string>();
        // An agent who let this conversation's reservation expire is offered it only when nobody else can take it.
        if (entry.ExcludedAgentId is { } excluded)
        {
            tried.Add(excluded);
        }

        if (await TryAgentsAsync(entry, tried))
        {
            return;
        }

        if (AgentRanking.TryPickBest(_agents.Values, entry.RequiredProficiency, tried, out _))
        {
            // Someone not yet tried has room once the offers out to them come back: the next pass offers it again.
            _passDeferred = true;
            return;
        }

        if (entry.ExcludedAgentId is not null)
        {
            tried.Remove(entry.ExcludedAgentId);
            await TryAgentsAsync(entry, tried);
        }
    }

    /// <summary>Offers the entry to eligible agents not yet tried (with room beyond the offers out), best first, until one takes it.</summary>
    private async Task<bool> TryAgentsAsync(QueueEntry entry, HashSet<string> tried)
    {
        while (AgentRanking.TryPickBest(_agents.Values, entry.RequiredProficiency, tried, _offersOut, out var candidate))
        {
            tried.Add(candidate.AgentId);
            if (await TryAgentAsync(entry, candidate))
            {
                return true;
            }
        }

        return false;
    }

    /// <summary>
    /// Offers the entry to the agent; false when the agent refused, true when the entry is done with (taken, gone, or
    /// kept for the next pass after a failure). The conversation asks the agent's grain for the slot itself and gives
    /// it back itself: the queue never touches an agent's capacity.
    /// </summary>
    private async Task<bool> TryAgentAsync(QueueEntry entry, AgentAvailability candidate)
    {
        OfferResult offer;
        _offersOut[candidate.AgentId] = _offersOut.GetValueOrDefault(candidate.AgentId) + 1;
        try
        {
            offer = await GrainFactory.Grain<IConversationGrain>(entry.ConversationId).OfferAsync(Skill, entry.Ticket, candidate.AgentId);
        }
        catch (Exception ex)
        {
            // Unknown whether it took: the entry stays for the next pass, where the conversation answers Gone if it did.
            logger.LogWarning(ex, "Offering conversation {ConversationId} to {AgentId} failed; it stays in the queue", entry.ConversationId, candidate.AgentId);
            return true;
        }
        finally
        {
            if (--CollectionsMarshal.GetValueRefOrNullRef(_offersOut, candidate.AgentId) == 0)
            {
                _offersOut.Remove(candidate.AgentId);
            }
        }

        if (offer.Availability is { } availability)
        {
            Learn(availability);
        }

        switch (offer.Outcome)
        {
            case OfferOutcome.Refused:
                return false;
            case OfferOutcome.Assigned:
                RecordAssignment();
                break;
        }

        // Taken or gone: either way this entry is done with, and so is the same conversation's entry under the same
        // ticket that came in while the offer was out (its priority raised by a breach, say); a newer ticket stays.
        RemoveUpTo(entry);
        return true;
    }

    private void WatchHold(DateTimeOffset until)
    {
        if (_holdTimerDueAt is { } due && due <= until)
        {
            return;
        }

        _holdTimer?.Dispose();
        _holdTimerDueAt = until;
        var delay = until - time.GetUtcNow();
        _holdTimer = this.RegisterGrainTimer(
            static (grain, _) => grain.OnHoldEndedAsync(),
            this,
            new GrainTimerCreationOptions(delay > TimeSpan.Zero ? delay : TimeSpan.Zero, Timeout.InfiniteTimeSpan));
    }

    private Task OnHoldEndedAsync()
    {
        _holdTimer?.Dispose();
        _holdTimer = null;
        _holdTimerDueAt = null;
        // Entries still held are watched again by the pass that meets them.
        ScheduleDispatch();
        return Task.CompletedTask;
    }

    /// <summary>
    /// Tells the arrivals this pass saw and left waiting their place (never a worse one than they were told during the
    /// same wait): one push each, whatever the length of the line.
    /// </summary>
    private void TellArrivals()
    {
        if (_arrivedBeforePass.Count == 0)
        {
            return;
        }

        var estimate = new WaitEstimate(this);
        foreach (var entry in _arrivedBeforePass)
        {
            var position = _waiting.RankOf(entry);
            if (position > 0)
            {
                Tell(entry, _shown.TryGetValue(entry.ConversationId, out var shown) ? Math.Min(position, shown.Position) : position, estimate);
            }
        }

        _arrivedBeforePass.Clear();
    }

    /// <summary>
    /// Someone left the line (or who can serve it changed): a report pass follows one interval later, taking in every
    /// move until then. Passes are armed only when none is pending, so they are at least an interval apart.
    /// </summary>
    private void LineMoved()
    {
        _lineMoved = true;
        ArmReport();
    }

    private void ArmReport()
    {
        if (_reportTimer is not null)
        {
            return;
        }

        // Interleaved: a queue draining a backlog runs matching passes back to back, and a tick that waited for an idle
        // grain would never come. The pass is synchronous and a matching pass holds no enumerator across its awaits.
        _reportTimer = this.RegisterGrainTimer(
            static (grain, _) => grain.OnReportDueAsync(),
            this,
            new GrainTimerCreationOptions(Options.PositionReportInterval, Timeout.InfiniteTimeSpan) { Interleave = true });
    }

    private Task OnReportDueAsync()
    {
        _reportTimer?.Dispose();
        _reportTimer = null;
        ReportMoves();
        return Task.CompletedTask;
    }

    /// <summary>
    /// One report pass: the first <see cref="SwitchboardOptions.PositionReportExact"/> customers hear any better place;
    /// then a window of <see cref="SwitchboardOptions.PositionReportScan"/> customers, continuing round the line from
    /// where the last pass stopped, hear theirs when it improved by a quarter or more. Passes go on (one per interval)
    /// until every customer has been looked at once since the line last moved. The work and the pushes of a pass are
    /// bounded whatever the length of the line, and nothing is allocated per customer looked at.
    /// </summary>
    private void ReportMoves()
    {
        var exact = Options.PositionReportExact;
        var behind = _waiting.Count - exact;
        var estimate = new WaitEstimate(this);
        if (_lineMoved)
        {
            _lineMoved = false;
            _scanOwed = Math.Max(0, behind);
            var position = 0;
            foreach (var entry in _waiting)
            {
                if (++position > exact)
                {
                    break;
                }

                TellIfMoved(entry, position, byAQuarter: false, estimate);
            }
        }

        var visits = Math.Min(Math.Min(Options.PositionReportScan, _scanOwed), Math.Max(0, behind));
        _scanOwed = visits == 0 ? 0 : _scanOwed - visits;
        while (visits > 0)
        {
            if (_scanRank <= exact || _scanRank > _waiting.Count)
            {
                _scanRank = exact + 1;
            }

            var position = _scanRank;
            foreach (var entry in _waiting.ItemsFrom(_scanRank))
            {
                TellIfMoved(entry, position, byAQuarter: true, estimate);
                position++;
                if (--visits == 0)
                {
                    break;
                }
            }

            _scanRank = position;
        }

        if (_scanOwed > 0)
        {
            ArmReport();
        }
    }

    /// <summary>
    /// Tells the customer their place if it is better than the one they were told (by a quarter or more, if
    /// <paramref name="byAQuarter"/>), or their estimate came or went since. One never told is an arrival, told by the
    /// pass that tries it.
    /// </summary>
    private void TellIfMoved(QueueEntry entry, int position, bool byAQuarter, in WaitEstimate estimate)
    {
        if (!_shown.TryGetValue(entry.ConversationId, out var shown))
        {
            return;
        }

        if (byAQuarter ? position * 4L <= shown.Position * 3L : position < shown.Position)
        {
            Tell(entry, position, estimate);
        }
        else if (estimate.IsKnown(entry.RequiredProficiency) != shown.EstimateKnown)
        {
            Tell(entry, Math.Min(position, shown.Position), estimate);
        }
    }

    private void Tell(QueueEntry entry, int position, in WaitEstimate estimate)
    {
        _shown[entry.ConversationId] = new Shown(position, estimate.IsKnown(entry.RequiredProficiency));
        // Pushes leave at once: nobody waits on a customer's connection.
        notifier.ConversationQueued(Skill, entry, estimate.At(position, entry.RequiredProficiency));
    }

    /// <summary>What a customer was last told: their place, and whether it came with an estimate.</summary>
    private readonly record struct Shown(int Position, bool EstimateKnown);

    /// <summary>
    /// An honest wait: with free agents who may take the conversation, none; else the line ahead divided by the
    /// assignment rate those agents make (the queue's recent rate, in proportion to their share of the online capacity;
    /// with no recent assignments, what their capacity turns over in the assumed handle time); unknown when nobody
    /// online may take it. A conversation that needs proficiency 4 is served only by agents at 4 or 5, so two free
    /// agents at 2 do not make its wait "none". Reads the agents once for any number of places.
    /// </summary>
    private struct WaitEstimate
    {
        // Index r: the capacity and free slots of accepting agents at proficiency r or above (1..5; 0 counts everyone).
        // Inline arrays: an estimate is made on every enqueue and allocates nothing. Summed in 64 bits: a capacity stored
        // before capacities were bounded may be anything up to int.MaxValue.
        private const int Levels = PerLevel.Length;
        private PerLevel _capacity;
        private PerLevel _freeSlots;
        private readonly double _recentPerMinute;
        private readonly double _handleMinutes;

        public WaitEstimate(QueueGrain queue)
        {
            foreach (var agent in queue._agents.Values)
            {
                if (agent.Accepting)
                {
                    var level = Math.Clamp(agent.Proficiency, 0, Levels - 1);
                    _capacity[level] += agent.Capacity;
                    _freeSlots[level] += Math.Max(0L, (long)agent.Capacity - agent.Active);
                }
            }

            for (var level = Levels - 2; level >= 0; level--)
            {
                _capacity[level] += _capacity[level + 1];
                _freeSlots[level] += _freeSlots[level + 1];
            }

            _recentPerMinute = queue.RecentAssignmentsPerMinute();
            _handleMinutes = queue.Options.Sla.AssumedHandleTime.TotalMinutes;
        }

        /// <summary>Whether anyone online may take a conversation that needs this proficiency (else its wait is unknown).</summary>
        public readonly bool IsKnown(int requiredProficiency)
        {
            var level = Math.Clamp(requiredProficiency, 0, Levels);
            return level < Levels && _capacity[level] > 0;
        }

        public readonly QueuePlacement At(int position, int requiredProficiency)
        {
            var level = Math.Clamp(requiredProficiency, 0, Levels);
            var capacity = level < Levels ? _capacity[level] : 0;
            if (capacity == 0)
            {
                return new QueuePlacement(position, null);
            }

            var ahead = position - _freeSlots[level];
            if (ahead <= 0)
            {
                return new QueuePlacement(position, TimeSpan.Zero);
            }

            var perMinute = _recentPerMinute > 0
                ? _recentPerMinute * capacity / _capacity[0]
                : capacity / _handleMinutes;
            return new QueuePlacement(position, TimeSpan.FromMinutes(ahead / perMinute));
        }

        [System.Runtime.CompilerServices.InlineArray(Length)]
        private struct PerLevel
        {
            public const int Length = 7;
            private long _first;
        }
    }

    private QueuePlacement Placement(QueueEntry entry, int position) => new WaitEstimate(this).At(position, entry.RequiredProficiency);

    private double RecentAssignmentsPerMinute()
    {
        var now = time.GetUtcNow();
        while (_recentAssignments.Count > 0 && now - _recentAssignments.Peek() > RateWindow)
        {
            _recentAssignments.Dequeue();
        }

        if (_recentAssignments.Count < 2)
        {
            return 0;
        }

        var span = now - _recentAssignments.Peek();
        return span > TimeSpan.Zero ? _recentAssignments.Count / span.TotalMinutes : 0;
    }

    private void RecordAssignment()
    {
        _recentAssignments.Enqueue(time.GetUtcNow());
        if (_recentAssignments.Count > RateSamples)
        {
            _recentAssignments.Dequeue();
        }
    }

    private int PositionOf(QueueEntry entry) => _waiting.RankOf(entry);

    private long FreeSlots()
    {
        var free = 0L;
        foreach (var agent in _agents.Values)
        {
            if (agent.HasFreeCapacity)
            {
                free += (long)agent.Capacity - agent.Active;
            }
        }

        return free;
    }

    private bool HasRoomBeyondOffers(AgentAvailability agent) =>
        agent.HasFreeCapacity && (long)agent.Capacity - agent.Active > _offersOut.GetValueOrDefault(agent.AgentId);

    private bool AnyRoomBeyondOffers()
    {
        foreach (var agent in _agents.Values)
        {
            if (HasRoomBeyondOffers(agent))
            {
                return true;
            }
        }

        return false;
    }

    private bool AnyFreeAgent()
    {
        foreach (var agent in _agents.Values)
        {
            if (agent.HasFreeCapacity)
            {
                return true;
            }
        }

        return false;
    }

    /// <summary>The conversation leaves the line: what it was told is forgotten.</summary>
    private void Remove(string conversationId)
    {
        if (_waitingById.TryGetValue(conversationId, out var existing))
        {
            Unlink(existing);
            _shown.Remove(conversationId);
        }
    }

    private void Unlink(QueueEntry entry)
    {
        _waitingById.Remove(entry.ConversationId);
        _waiting.Remove(entry);
        _arrived.Remove(entry);
        _arrivedBeforePass.Remove(entry);
        metrics.QueueLength(Skill, _waiting.Count);
        LineMoved();
    }

    private void RemoveUpTo(QueueEntry entry)
    {
        if (_waitingById.TryGetValue(entry.ConversationId, out var current) && current.Ticket <= entry.Ticket)
        {
            Remove(entry.ConversationId);
        }
    }
}
