namespace Switchboard.Metrics;

/// <summary>
/// Counts and duration histograms for one scope (an agent, a skill, the cluster) over some span of time. Adding an
/// event and merging two aggregates commute and associate, so per-silo, per-minute aggregates merge on read into the
/// same numbers one silo would have counted.
/// </summary>
[GenerateSerializer, Alias("Switchboard.KpiAggregate")]
public sealed class KpiAggregate
{
    [Id(0)] public long Started { get; set; }
    [Id(1)] public long Assigned { get; set; }
    [Id(2)] public LatencyHistogram AssignmentLatency { get; set; } = new();
    [Id(3)] public LatencyHistogram FirstResponse { get; set; } = new();
    [Id(4)] public LatencyHistogram Response { get; set; } = new();
    [Id(5)] public LatencyHistogram Resolution { get; set; } = new();
    [Id(6)] public long OneTouch { get; set; }
    [Id(7)] public long Abandoned { get; set; }
    [Id(8)] public long SlaMet { get; set; }
    [Id(9)] public long SlaBreached { get; set; }
    [Id(10)] public long Ratings { get; set; }
    [Id(11)] public long GoodRatings { get; set; }

    /// <summary>FRT anomaly episodes that began (counted in the queue's scope and the cluster's).</summary>
    [Id(12)] public long Anomalies { get; set; }

    public long Resolved => Resolution.Count;

    public void Add(ServiceEvent e)
    {
        switch (e.Kind)
        {
            case ServiceEventKind.Started:
                Started++;
                break;
            case ServiceEventKind.Assigned:
                Assigned++;
                AssignmentLatency.Add(e.Duration ?? TimeSpan.Zero);
                break;
            case ServiceEventKind.FirstResponse:
                FirstResponse.Add(e.Duration ?? TimeSpan.Zero);
                // A breach was already counted when the deadline passed; only an answer in time counts here.
                SlaMet += e.Flag ? 1 : 0;
                break;
            case ServiceEventKind.Response:
                Response.Add(e.Duration ?? TimeSpan.Zero);
                break;
            case ServiceEventKind.Resolved:
                Resolution.Add(e.Duration ?? TimeSpan.Zero);
                OneTouch += e.Flag ? 1 : 0;
                break;
            case ServiceEventKind.Abandoned:
                Abandoned++;
                break;
            case ServiceEventKind.Rated:
                Ratings++;
                GoodRatings += e.Score >= 4 ? 1 : 0;
                break;
            case ServiceEventKind.Breached:
                SlaBreached++;
                break;
            case ServiceEventKind.Anomaly:
                Anomalies++;
                break;
        }
    }

    public KpiAggregate Merge(KpiAggregate other)
    {
        Started += other.Started;
        Assigned += other.Assigned;
        AssignmentLatency.Merge(other.AssignmentLatency);
        FirstResponse.Merge(other.FirstResponse);
        Response.Merge(other.Response);
        Resolution.Merge(other.Resolution);
        OneTouch += other.OneTouch;
        Abandoned += other.Abandoned;
        SlaMet += other.SlaMet;
        SlaBreached += other.SlaBreached;
        Ratings += other.Ratings;
        GoodRatings += other.GoodRatings;
        Anomalies += other.Anomalies;
        return this;
    }

    public static KpiAggregate Of(IEnumerable<ServiceEvent> events)
    {
        var aggregate = new KpiAggregate();
        foreach (var e in events)
        {
            aggregate.Add(e);
        }

        return aggregate;
    }
}
