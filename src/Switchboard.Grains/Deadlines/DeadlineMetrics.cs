using System.Diagnostics.Metrics;
using Switchboard.Metrics;

namespace Switchboard.Deadlines;

/// <summary>
/// What this silo's deadline shards do, on the <c>Switchboard</c> meter (exported with the other service metrics):
/// the writes they make to storage, and the wake-ups they send (each one a conversation or agent whose own clock did
/// not answer in time: lost with a silo, or a queue that lost its waiting list, or one that left memory to wait), and
/// the waiting conversations that left memory.
/// </summary>
public sealed class DeadlineMetrics
{
    private readonly Counter<long> _writes;
    private readonly Counter<long> _wakes;
    private readonly Counter<long> _hibernated;

    public DeadlineMetrics(IMeterFactory meters)
    {
        var meter = meters.Create(SiloServiceMetrics.MeterName);
        _writes = meter.CreateCounter<long>("switchboard.deadlines.writes", description: "Records the deadline shards wrote to storage (segments and directories)");
        _wakes = meter.CreateCounter<long>("switchboard.deadlines.wakes", description: "Wake-ups the deadline shards sent to conversations and agents");
        _hibernated = meter.CreateCounter<long>("switchboard.conversations.hibernated", description: "Waiting conversations that left memory until their shard wakes them");
        _writes.Add(0);
        _wakes.Add(0);
        _hibernated.Add(0);
    }

    public void Written() => _writes.Add(1);

    public void Woke() => _wakes.Add(1);

    public void Hibernated() => _hibernated.Add(1);
}
