using Microsoft.Extensions.Options;
using Switchboard.Auth;
using Switchboard.Metrics;

namespace Switchboard.Api;

/// <summary>
/// One interval of the floor's day, for the whole cluster; every rate is 0–1 and, like each percentile, null when
/// nothing in the interval decides it (docs/metrics.md defines each KPI).
/// </summary>
/// <param name="Started">Conversations opened in the interval.</param>
/// <param name="Answered">First responses given in the interval (the percentiles are of these).</param>
public sealed record IntervalKpis(
    DateTimeOffset Start,
    long Started,
    long Answered,
    double? FirstResponseP50Seconds,
    double? FirstResponseP90Seconds,
    double? SlaAttainment,
    double? AbandonmentRate,
    double? Csat,
    long Ratings);

/// <summary>Conversations opened per interval on one topic; <paramref name="Started"/> lines up with the intervals.</summary>
public sealed record TopicVolume(string Name, string DisplayName, long[] Started);

/// <summary>A queue's FRT anomaly alert: when the episode began (to the minute).</summary>
public sealed record FloorAnomaly(DateTimeOffset At, string Queue, string DisplayName);

/// <summary>Today (UTC) from midnight to <paramref name="At"/>, interval by interval: what the floor's charts draw.</summary>
public sealed record TodayStats(DateTimeOffset At, DateTimeOffset From, TimeSpan Interval, IntervalKpis[] Intervals, TopicVolume[] Topics, FloorAnomaly[] Anomalies);

public static class FloorChartsApi
{
    public static IEndpointRouteBuilder MapFloorChartsApi(this IEndpointRouteBuilder app)
    {
        app.MapGet("/api/stats/today", async (IOptions<SwitchboardOptions> options, IClusterKpis kpis) =>
        {
            var (at, day) = await kpis.ReadDayAsync();
            return Today(at, day, options.Value);
        }).RequireAuthorization(AuthHosting.SupervisorPolicy);
        return app;
    }

    public static TodayStats Today(DateTimeOffset at, KpiDay day, SwitchboardOptions options)
    {
        var intervals = new IntervalKpis[day.Count];
        for (var i = 0; i < day.Count; i++)
        {
            var report = KpiReport.From(day[KpiScopes.Cluster, i]);
            intervals[i] = new IntervalKpis(
                day.From + (day.Interval * i),
                report.Started,
                report.FirstResponse.Count,
                report.FirstResponse.P50Seconds,
                report.FirstResponse.P90Seconds,
                report.SlaAttainment,
                report.AbandonmentRate,
                report.Csat,
                report.Ratings);
        }

        // Every configured topic, in its order, then any other that saw conversations today (a topic since removed).
        var topics = options.Skills.Keys.Order(StringComparer.Ordinal)
            .Concat(day.Scopes.Keys.Select(KpiScopes.SkillOf).OfType<string>().Where(s => !options.Skills.ContainsKey(s)).Order(StringComparer.Ordinal))
            .Select(topic => new TopicVolume(
                topic,
                StatsApi.DisplayName(options, topic),
                [.. Enumerable.Range(0, day.Count).Select(i => day[KpiScopes.Skill(topic), i].Started)]))
            .Where(t => options.Skills.ContainsKey(t.Name) || t.Started.Any(n => n > 0));

        return new TodayStats(
            at,
            day.From,
            day.Interval,
            intervals,
            [.. topics],
            [.. day.Anomalies.Distinct().OrderBy(a => a.At).ThenBy(a => a.Queue, StringComparer.Ordinal)
                .Select(a => new FloorAnomaly(a.At, a.Queue, StatsApi.DisplayName(options, a.Queue)))]);
    }
}
