namespace Switchboard.Metrics;

/// <summary>When a queue's FRT anomaly episode began (to the minute).</summary>
[GenerateSerializer, Immutable, Alias("Switchboard.AnomalyMark")]
public sealed record AnomalyMark([property: Id(0)] DateTimeOffset At, [property: Id(1)] string Queue);

/// <summary>
/// Today (UTC) cut into equal intervals from midnight, for the cluster and each skill (agents are left out: the floor's
/// charts are per queue), and the FRT anomalies that began today. Days of different silos for the same instant merge
/// into the numbers one silo would have counted.
/// </summary>
[GenerateSerializer, Alias("Switchboard.KpiDay")]
public sealed class KpiDay
{
    [Id(0)] public DateTimeOffset From { get; set; }
    [Id(1)] public TimeSpan Interval { get; set; }

    /// <summary>The number of intervals from <see cref="From"/> up to and including the one that holds the instant read.</summary>
    [Id(2)] public int Count { get; set; }

    /// <summary>Per scope, the intervals that saw any event, by index from <see cref="From"/>.</summary>
    [Id(3)] public Dictionary<string, Dictionary<int, KpiAggregate>> Scopes { get; set; } = [];

    [Id(4)] public List<AnomalyMark> Anomalies { get; set; } = [];

    /// <summary>The scope's interval <paramref name="index"/> (empty when nothing happened in it).</summary>
    public KpiAggregate this[string scope, int index] =>
        Scopes.GetValueOrDefault(scope)?.GetValueOrDefault(index) ?? new KpiAggregate();

    public KpiDay Merge(KpiDay other)
    {
        Count = Math.Max(Count, other.Count);
        foreach (var (scope, intervals) in other.Scopes)
        {
            if (!Scopes.TryGetValue(scope, out var mine))
            {
                Scopes[scope] = mine = [];
            }

            foreach (var (index, aggregate) in intervals)
            {
                if (!mine.TryGetValue(index, out var interval))
                {
                    mine[index] = interval = new KpiAggregate();
                }

                interval.Merge(aggregate);
            }
        }

        Anomalies.AddRange(other.Anomalies);
        return this;
    }
}
