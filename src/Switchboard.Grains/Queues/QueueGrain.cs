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
    private const int FrontWalk = 64;
    private static readonly TimeSpan RateWindow = TimeSpan.FromMinutes(15);

    private readonly SortedSet<QueueEntry> _waiting = new(new WaitingOrder(options.Value.AgingInterval));
    private readonly Dictionary<string, QueueEntry> _waitingById = [];
    private readonly Dictionary<string, AgentAvailability> _agents = [];

    // Conversations whose customer should hear their place in line: new arrivals, and everyone after assignments.
    private readonly HashSet<QueueEntry> _arrived = new(ReferenceEqualityComparer.Instance);
    private readonly Dictionary<string, int> _reportedPosition = [];
    private readonly Queue<DateTimeOffset> _recentAssignments = new();
    private readonly HashSet<string> _tried = [];
    private bool _dispatchScheduled;
    // One timer for the earliest end of a last-agent hold seen in a pass: then the entry is routed normally.
    private IGrainTimer? _holdTimer;
    private DateTimeOffset? _holdTimerDueAt;
    private bool _assignedSinceReport;
    private DateOnly _slaDay;
    private int _slaMet;
    private int _slaMissed;
    private readonly FirstResponseAnomalyDetector _anomaly = new(options.Value.Metrics);

    private string Skill => this.GetPrimaryKeyString();

    public override Task OnActivateAsync(CancellationToken cancellationToken)
    {
        MovableActivations.Track(this, ServiceProvider);
        // Moved here from a silo that stopped, with its waiting list: match what it brought.
        if (_waiting.Count > 0)
        {
            ScheduleDispatch();
        }

        return Task.CompletedTask;
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
        migration.TryAddValue("reported", new Dictionary<string, int>(_reportedPosition));
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
        }

        if (migration.TryGetValue<List<AgentAvailability>>("agents", out var agents) && agents is not null)
        {
            foreach (var agent in agents)
            {
                _agents[agent.AgentId] = agent;
            }
        }

        if (migration.TryGetValue<Dictionary<string, int>>("reported", out var reported) && reported is not null)
        {
            foreach (var (id, position) in reported)
            {
                _reportedPosition[id] = position;
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
        if (_waitingById.GetValueOrDefault(entry.ConversationId) == entry)
        {
            return Task.FromResult(Placement(_reportedPosition.TryGetValue(entry.ConversationId, out var known) ? known : PositionOf(entry)));
        }

        Remove(entry.ConversationId);
        _waiting.Add(entry);
        _waitingById[entry.ConversationId] = entry;
        _arrived.Add(entry);
        ScheduleDispatch();
        return Task.FromResult(Placement(PositionOf(entry)));
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
        if (_agents.TryGetValue(availability.AgentId, out var known) && (known == availability || !availability.IsNotOlderThan(known)))
        {
            return false;
        }

        _agents[availability.AgentId] = availability;
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
        if (_waiting.Count > 0 && AnyFreeAgent())
        {
            // A copy: reporting calls interleave with this pass and may add or remove entries while it awaits.
            foreach (var entry in _waiting.ToArray())
            {
                if (!AnyFreeAgent())
                {
                    break;
                }

                if (_waitingById.GetValueOrDefault(entry.ConversationId) == entry)
                {
                    await TryAssignAsync(entry);
                }
            }
        }

        // Arrivals during this pass were not in its copy; the pass they scheduled tries them before telling them.
        if (!_dispatchScheduled)
        {
            ReportPlaces();
        }
    }

    private void ScheduleDispatch()
    {
        if (!_dispatchScheduled)
        {
            _dispatchScheduled = true;
            // A one-way call to itself: the pass runs as the queue's own turn, after the reporting call has returned.
            this.AsReference<IQueueGrain>().DispatchAsync().Ignore();
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
                await TryAgentAsync(entry, preferred);
            }

            return;
        }

        _tried.Clear();
        // An agent who let this conversation's reservation expire is offered it only when nobody else can take it.
        if (entry.ExcludedAgentId is { } excluded)
        {
            _tried.Add(excluded);
        }

        if (await TryAgentsAsync(entry) || entry.ExcludedAgentId is null)
        {
            return;
        }

        _tried.Remove(entry.ExcludedAgentId);
        await TryAgentsAsync(entry);
    }

    /// <summary>Offers the entry to eligible agents not yet tried, best first, until one takes it.</summary>
    private async Task<bool> TryAgentsAsync(QueueEntry entry)
    {
        while (AgentRanking.TryPickBest(_agents.Values, entry.RequiredProficiency, _tried, out var candidate))
        {
            _tried.Add(candidate.AgentId);
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
        try
        {
            offer = await GrainFactory.GetGrain<IConversationGrain>(entry.ConversationId).OfferAsync(Skill, entry.Ticket, candidate.AgentId);
        }
        catch (Exception ex)
        {
            // Unknown whether it took: the entry stays for the next pass, where the conversation answers Gone if it did.
            logger.LogWarning(ex, "Offering conversation {ConversationId} to {AgentId} failed; it stays in the queue", entry.ConversationId, candidate.AgentId);
            return true;
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
    /// Tells new arrivals their place, and, after assignments moved the line, everyone whose place changed
    /// materially: by a quarter or more, or anywhere in the first three.
    /// </summary>
    private void ReportPlaces()
    {
        if (_arrived.Count == 0 && !_assignedSinceReport)
        {
            return;
        }

        // Pushes leave at once (nobody waits on a customer's connection), after the positions are settled.
        var report = new List<(QueueEntry Entry, QueuePlacement Placement)>();
        if (!_assignedSinceReport)
        {
            // Only arrivals to tell: each is found from the back of the line, where new arrivals usually are.
            foreach (var entry in _arrived)
            {
                var at = PositionOf(entry);
                _reportedPosition[entry.ConversationId] = at;
                report.Add((entry, Placement(at)));
            }
        }
        else
        {
            var position = 0;
            foreach (var entry in _waiting)
            {
                position++;
                var isNew = _arrived.Contains(entry);
                var last = _reportedPosition.GetValueOrDefault(entry.ConversationId);
                if (isNew || (position != last && (position <= 3 || Math.Abs(position - last) * 4 >= last)))
                {
                    _reportedPosition[entry.ConversationId] = position;
                    report.Add((entry, Placement(position)));
                }
            }
        }

        _arrived.Clear();
        _assignedSinceReport = false;
        foreach (var (entry, placement) in report)
        {
            notifier.ConversationQueued(Skill, entry, placement);
        }
    }

    /// <summary>
    /// An honest wait: with free agents, none; else the line ahead divided by the recent assignment rate, or, with no
    /// recent assignments, by what the online agents' capacity turns over in the assumed handle time; unknown when
    /// nobody who serves the queue is online.
    /// </summary>
    private QueuePlacement Placement(int position)
    {
        int freeSlots = 0, capacity = 0;
        foreach (var agent in _agents.Values)
        {
            if (agent.Accepting)
            {
                capacity += agent.Capacity;
                freeSlots += Math.Max(0, agent.Capacity - agent.Active);
            }
        }

        if (capacity == 0)
        {
            return new QueuePlacement(position, null);
        }

        var ahead = position - freeSlots;
        if (ahead <= 0)
        {
            return new QueuePlacement(position, TimeSpan.Zero);
        }

        var perMinute = RecentAssignmentsPerMinute();
        if (perMinute <= 0)
        {
            perMinute = capacity / options.Value.Sla.AssumedHandleTime.TotalMinutes;
        }

        return new QueuePlacement(position, TimeSpan.FromMinutes(ahead / perMinute));
    }

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
        _assignedSinceReport = true;
        _recentAssignments.Enqueue(time.GetUtcNow());
        if (_recentAssignments.Count > RateSamples)
        {
            _recentAssignments.Dequeue();
        }
    }

    private int PositionOf(QueueEntry entry)
    {
        // A sorted set has no ranks. New arrivals are usually near the back and raised priorities near the front,
        // so look at the front first, then count from the back.
        var position = 0;
        foreach (var waiting in _waiting)
        {
            position++;
            if (waiting == entry)
            {
                return position;
            }

            if (position == FrontWalk)
            {
                break;
            }
        }

        var behind = 0;
        foreach (var waiting in _waiting.Reverse())
        {
            if (waiting == entry)
            {
                return _waiting.Count - behind;
            }

            behind++;
        }

        return _waiting.Count;
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

    private void Remove(string conversationId)
    {
        if (_waitingById.Remove(conversationId, out var existing))
        {
            _waiting.Remove(existing);
            _arrived.Remove(existing);
            _reportedPosition.Remove(conversationId);
            metrics.QueueLength(Skill, _waiting.Count);
        }
    }

    private void RemoveUpTo(QueueEntry entry)
    {
        if (_waitingById.TryGetValue(entry.ConversationId, out var current) && current.Ticket <= entry.Ticket)
        {
            Remove(entry.ConversationId);
        }
    }
}
