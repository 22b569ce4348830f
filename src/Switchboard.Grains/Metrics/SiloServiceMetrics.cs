using System.Collections.Concurrent;
using System.Diagnostics.Metrics;
using Microsoft.Extensions.Options;
using Switchboard.Agents;

namespace Switchboard.Metrics;

/// <summary>
/// This silo's share of the service metrics: per-minute KPI aggregates for the console (merged across silos on
/// read) and the <c>Switchboard</c> meter that the Prometheus endpoint exports (each silo exports its own; Prometheus
/// sums across silos).
/// </summary>
public sealed class SiloServiceMetrics : IServiceMetrics
{
    public const string MeterName = "Switchboard";

    private readonly Lock _lock = new();
    private readonly KpiTimeline _timeline;
    private readonly ConcurrentDictionary<string, int> _queueLengths = new();
    private readonly ConcurrentDictionary<string, AgentPresence> _agents = new();
    private readonly Counter<long> _started;
    private readonly Counter<long> _assigned;
    private readonly Counter<long> _resolved;
    private readonly Counter<long> _abandoned;
    private readonly Counter<long> _breaches;
    private readonly Counter<long> _ratings;
    private readonly Histogram<double> _assignmentLatency;
    private readonly Histogram<double> _firstResponse;

    public SiloServiceMetrics(IMeterFactory meters, IOptions<SwitchboardOptions> options)
    {
        _timeline = new KpiTimeline(options.Value.Metrics.RollingWindow);
        var meter = meters.Create(MeterName);
        _started = meter.CreateCounter<long>("switchboard.conversations.started", description: "Conversations opened");
        _assigned = meter.CreateCounter<long>("switchboard.conversations.assigned", description: "Assignments of a conversation to an agent");
        _resolved = meter.CreateCounter<long>("switchboard.conversations.resolved", description: "Conversations closed after an answer");
        _abandoned = meter.CreateCounter<long>("switchboard.conversations.abandoned", description: "Customers who left before the first answer");
        _breaches = meter.CreateCounter<long>("switchboard.sla.breaches", description: "First-response deadlines passed unanswered");
        _ratings = meter.CreateCounter<long>("switchboard.ratings", description: "Customer ratings, by score");
        _assignmentLatency = meter.CreateHistogram<double>("switchboard.assignment.latency", "s", "Time in line before an agent got the conversation");
        _firstResponse = meter.CreateHistogram<double>("switchboard.first_response.time", "s", "Time from the customer's first message to the first agent answer");
        meter.CreateObservableGauge("switchboard.queue.length", QueueLengths, description: "Conversations waiting, per queue hosted on this silo");
        meter.CreateObservableGauge("switchboard.agents", AgentsByStatus, description: "Agents by presence, per agent hosted on this silo");

        // Every configured queue's counters exist from the start (at 0), so a scrape and a rate() see them before the first event.
        foreach (var queue in options.Value.Skills.Keys.Append(Queues.Queues.Supervisors))
        {
            var skill = new KeyValuePair<string, object?>("skill", queue);
            foreach (var counter in (Counter<long>[])[_started, _assigned, _resolved, _abandoned, _breaches])
            {
                counter.Add(0, skill);
            }
        }
    }

    public void Record(ServiceEvent e)
    {
        lock (_lock)
        {
            _timeline.Add(e);
        }

        var skill = new KeyValuePair<string, object?>("skill", e.Skill);
        switch (e.Kind)
        {
            case ServiceEventKind.Started:
                _started.Add(1, skill);
                break;
            case ServiceEventKind.Assigned:
                _assigned.Add(1, skill);
                _assignmentLatency.Record((e.Duration ?? TimeSpan.Zero).TotalSeconds, skill);
                break;
            case ServiceEventKind.FirstResponse:
                _firstResponse.Record((e.Duration ?? TimeSpan.Zero).TotalSeconds, skill);
                break;
            case ServiceEventKind.Resolved:
                _resolved.Add(1, skill);
                break;
            case ServiceEventKind.Abandoned:
                _abandoned.Add(1, skill);
                break;
            case ServiceEventKind.Breached:
                _breaches.Add(1, skill);
                break;
            case ServiceEventKind.Rated:
                _ratings.Add(1, skill, new KeyValuePair<string, object?>("score", e.Score));
                break;
        }
    }

    public void QueueLength(string skill, int waiting) => _queueLengths[skill] = waiting;

    public void AgentPresence(string agentId, AgentPresence? presence)
    {
        if (presence is { } known)
        {
            _agents[agentId] = known;
        }
        else
        {
            _agents.TryRemove(agentId, out _);
        }
    }

    public KpiSnapshot Snapshot(DateTimeOffset now)
    {
        lock (_lock)
        {
            return _timeline.Snapshot(now);
        }
    }

    public KpiDay Day(DateTimeOffset now)
    {
        lock (_lock)
        {
            return _timeline.Day(now);
        }
    }

    private IEnumerable<Measurement<int>> QueueLengths() =>
        _queueLengths.Select(q => new Measurement<int>(q.Value, new KeyValuePair<string, object?>("skill", q.Key)));

    private IEnumerable<Measurement<int>> AgentsByStatus()
    {
        var counts = _agents.Values.GroupBy(p => p).ToDictionary(g => g.Key, g => g.Count());
        return Enum.GetValues<AgentPresence>().Select(p => new Measurement<int>(
            counts.GetValueOrDefault(p), new KeyValuePair<string, object?>("status", p.ToString().ToLowerInvariant())));
    }
}
