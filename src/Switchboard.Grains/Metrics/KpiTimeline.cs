namespace Switchboard.Metrics;

/// <summary>The three windows the console shows, for one scope.</summary>
[GenerateSerializer, Alias("Switchboard.ScopeKpis")]
public sealed class ScopeKpis
{
    /// <summary>Since the top of the current hour (UTC).</summary>
    [Id(0)] public KpiAggregate Hour { get; set; } = new();

    /// <summary>Since midnight (UTC).</summary>
    [Id(1)] public KpiAggregate Today { get; set; } = new();

    /// <summary>The last <see cref="MetricsOptions.RollingWindow"/>, to the minute.</summary>
    [Id(2)] public KpiAggregate Rolling { get; set; } = new();

    public ScopeKpis Merge(ScopeKpis other)
    {
        Hour.Merge(other.Hour);
        Today.Merge(other.Today);
        Rolling.Merge(other.Rolling);
        return this;
    }
}

/// <summary>Every scope's windows at one instant; snapshots of different silos for the same instant merge.</summary>
[GenerateSerializer, Alias("Switchboard.KpiSnapshot")]
public sealed class KpiSnapshot
{
    [Id(0)] public DateTimeOffset At { get; set; }
    [Id(1)] public Dictionary<string, ScopeKpis> Scopes { get; set; } = [];

    public ScopeKpis this[string scope] => Scopes.GetValueOrDefault(scope) ?? new ScopeKpis();

    public KpiSnapshot Merge(KpiSnapshot other)
    {
        foreach (var (scope, kpis) in other.Scopes)
        {
            if (Scopes.TryGetValue(scope, out var mine))
            {
                mine.Merge(kpis);
            }
            else
            {
                Scopes[scope] = new ScopeKpis().Merge(kpis);
            }
        }

        return this;
    }
}

/// <summary>Scope names: the whole cluster, one skill queue, one agent.</summary>
public static class KpiScopes
{
    public const string Cluster = "cluster";

    public static string Skill(string skill) => SkillPrefix + skill;

    public static string Agent(string agentId) => $"agent:{agentId}";

    private const string SkillPrefix = "skill:";

    /// <summary>The skill of a skill scope, or null for the cluster's and agents' scopes.</summary>
    public static string? SkillOf(string scope) =>
        scope.StartsWith(SkillPrefix, StringComparison.Ordinal) ? scope[SkillPrefix.Length..] : null;

    public static IEnumerable<string> Of(ServiceEvent e)
    {
        yield return Cluster;
        yield return Skill(e.Skill);
        if (e.AgentId is { } agentId)
        {
            yield return Agent(agentId);
        }
    }
}

/// <summary>
/// One silo's events in per-minute aggregates per scope, kept for 25 hours (today plus a rolling window that may
/// reach into yesterday). Not thread-safe: the owner locks.
/// </summary>
public sealed class KpiTimeline(TimeSpan rollingWindow)
{
    /// <summary>The intervals <see cref="Day"/> cuts today into.</summary>
    public static readonly TimeSpan DayInterval = TimeSpan.FromMinutes(QuarterMinutes);

    private const long QuarterMinutes = 15;
    private static readonly TimeSpan Retention = TimeSpan.FromHours(25);
    private readonly SortedDictionary<long, Dictionary<string, KpiAggregate>> _minutes = [];
    // The cluster's and each skill's quarters of an hour, kept as events arrive (agents' scopes are not charted), and
    // the anomalies: what Day reads.
    private readonly SortedDictionary<long, Dictionary<string, KpiAggregate>> _quarters = [];
    private readonly List<AnomalyMark> _anomalies = [];

    public void Add(ServiceEvent e)
    {
        var minute = Minute(e.At);
        if (!_minutes.TryGetValue(minute, out var scopes))
        {
            _minutes[minute] = scopes = [];
            Prune(minute - (long)Retention.TotalMinutes);
        }

        foreach (var scope in KpiScopes.Of(e))
        {
            if (!scopes.TryGetValue(scope, out var aggregate))
            {
                scopes[scope] = aggregate = new KpiAggregate();
            }

            aggregate.Add(e);
        }

        var quarter = minute / QuarterMinutes;
        if (!_quarters.TryGetValue(quarter, out var quarterScopes))
        {
            _quarters[quarter] = quarterScopes = [];
        }

        foreach (var scope in (string[])[KpiScopes.Cluster, KpiScopes.Skill(e.Skill)])
        {
            if (!quarterScopes.TryGetValue(scope, out var aggregate))
            {
                quarterScopes[scope] = aggregate = new KpiAggregate();
            }

            aggregate.Add(e);
        }

        if (e.Kind == ServiceEventKind.Anomaly)
        {
            _anomalies.Add(new AnomalyMark(DateTimeOffset.FromUnixTimeSeconds(minute * 60), e.Skill));
        }
    }

    /// <summary>Every scope's hour, today and rolling window at <paramref name="now"/>.</summary>
    public KpiSnapshot Snapshot(DateTimeOffset now)
    {
        now = now.ToUniversalTime();
        var today = Minute(new DateTimeOffset(now.UtcDateTime.Date, TimeSpan.Zero));
        var hour = Minute(new DateTimeOffset(now.Year, now.Month, now.Day, now.Hour, 0, 0, TimeSpan.Zero));
        var current = Minute(now);
        // The rolling window counts whole minutes: the current one and the ones before it.
        var rolling = current - Math.Max(1, (long)Math.Ceiling(rollingWindow.TotalMinutes)) + 1;
        var snapshot = new KpiSnapshot { At = now };
        foreach (var (minute, scopes) in _minutes)
        {
            if (minute > current || (minute < today && minute < rolling))
            {
                continue;
            }

            foreach (var (scope, aggregate) in scopes)
            {
                if (!snapshot.Scopes.TryGetValue(scope, out var kpis))
                {
                    snapshot.Scopes[scope] = kpis = new ScopeKpis();
                }

                if (minute >= today)
                {
                    kpis.Today.Merge(aggregate);
                }

                if (minute >= hour)
                {
                    kpis.Hour.Merge(aggregate);
                }

                if (minute >= rolling)
                {
                    kpis.Rolling.Merge(aggregate);
                }
            }
        }

        return snapshot;
    }

    /// <summary>
    /// Today (UTC) up to the quarter that holds <paramref name="now"/>, in quarters of an hour
    /// (<see cref="DayInterval"/>), for the cluster and each skill, with the anomalies that began today. Read from
    /// quarters kept as events arrive, so a read merges at most 96 aggregates per scope whatever the day's traffic.
    /// </summary>
    public KpiDay Day(DateTimeOffset now)
    {
        now = now.ToUniversalTime();
        var midnight = new DateTimeOffset(now.UtcDateTime.Date, TimeSpan.Zero);
        var from = Minute(midnight) / QuarterMinutes;
        var current = Minute(now) / QuarterMinutes;
        var day = new KpiDay { From = midnight, Interval = DayInterval, Count = (int)(current - from) + 1 };
        foreach (var (quarter, scopes) in _quarters)
        {
            if (quarter < from || quarter > current)
            {
                continue;
            }

            foreach (var (scope, aggregate) in scopes)
            {
                if (!day.Scopes.TryGetValue(scope, out var intervals))
                {
                    day.Scopes[scope] = intervals = [];
                }

                intervals[(int)(quarter - from)] = new KpiAggregate().Merge(aggregate);
            }
        }

        day.Anomalies.AddRange(_anomalies.Where(a => a.At >= midnight && Minute(a.At) / QuarterMinutes <= current));
        return day;
    }

    private void Prune(long before)
    {
        while (_minutes.Count > 0 && _minutes.Keys.First() is var first && first < before)
        {
            _minutes.Remove(first);
        }

        while (_quarters.Count > 0 && _quarters.Keys.First() is var first && first < before / QuarterMinutes)
        {
            _quarters.Remove(first);
        }

        _anomalies.RemoveAll(a => Minute(a.At) < before);
    }

    private static long Minute(DateTimeOffset at) => at.ToUnixTimeSeconds() / 60;
}
