using Switchboard.Agents;

namespace Switchboard.Metrics;

/// <summary>
/// The silo-local sink grains report service events and live gauges to. In memory, never a grain call: nothing on
/// the message path waits on another silo. Each silo's events are merged on read (<see cref="ClusterKpis"/>).
/// </summary>
public interface IServiceMetrics
{
    void Record(ServiceEvent e);

    void Record(IEnumerable<ServiceEvent> events)
    {
        foreach (var e in events)
        {
            Record(e);
        }
    }

    /// <summary>A queue hosted on this silo now holds <paramref name="waiting"/> conversations.</summary>
    void QueueLength(string skill, int waiting);

    /// <summary>An agent grain on this silo has this presence; null when it left this silo.</summary>
    void AgentPresence(string agentId, AgentPresence? presence);

    /// <summary>This silo's KPIs at <paramref name="now"/>.</summary>
    KpiSnapshot Snapshot(DateTimeOffset now);

    /// <summary>This silo's share of today (UTC) in quarters of an hour, up to <paramref name="now"/>.</summary>
    KpiDay Day(DateTimeOffset now);
}
