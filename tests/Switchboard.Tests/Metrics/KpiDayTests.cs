using Switchboard.Api;
using Switchboard.Metrics;

namespace Switchboard.Tests.Metrics;

/// <summary>Today in 15-minute intervals, as the floor's charts read it (<see cref="KpiTimeline.Day"/>, <see cref="FloorChartsApi.Today"/>).</summary>
public sealed class KpiDayTests(Xunit.Abstractions.ITestOutputHelper output)
{
    private static readonly DateTimeOffset Midnight = new(2026, 11, 23, 0, 0, 0, TimeSpan.Zero);
    private static readonly DateTimeOffset Now = Midnight.AddHours(10).AddMinutes(7);
    private static readonly TimeSpan Quarter = TimeSpan.FromMinutes(15);

    private static ServiceEvent Event(DateTimeOffset at, ServiceEventKind kind, string skill = "shipping", int? seconds = null, bool flag = false, int score = 0, string? agent = "amy") =>
        new(kind, at, skill, agent, seconds is { } s ? TimeSpan.FromSeconds(s) : null, flag, score);

    [Fact]
    public void TodayIsCutIntoQuartersFromMidnightUpToTheOneThatHoldsNow()
    {
        var day = new KpiTimeline(TimeSpan.FromHours(1)).Day(Now);

        Assert.Equal(Midnight, day.From);
        Assert.Equal(Quarter, day.Interval);
        // 10:07 is in the 41st quarter (10:00–10:15).
        Assert.Equal(41, day.Count);
        Assert.Empty(day.Scopes);
    }

    [Fact]
    public void EachIntervalHoldsItsOwnEventsAndYesterdayAndTheFutureAreLeftOut()
    {
        var timeline = new KpiTimeline(TimeSpan.FromHours(1));
        timeline.Add(Event(Midnight.AddMinutes(-1), ServiceEventKind.Started));
        timeline.Add(Event(Midnight.AddMinutes(14), ServiceEventKind.Started));
        timeline.Add(Event(Midnight.AddMinutes(15), ServiceEventKind.Started, skill: "returns"));
        timeline.Add(Event(Midnight.AddMinutes(16), ServiceEventKind.FirstResponse, seconds: 30, flag: true));
        timeline.Add(Event(Now.AddMinutes(-1), ServiceEventKind.FirstResponse, seconds: 600, flag: false));
        timeline.Add(Event(Now.AddMinutes(10), ServiceEventKind.Started));

        var day = timeline.Day(Now);

        Assert.Equal(1, day[KpiScopes.Cluster, 0].Started);
        Assert.Equal(1, day[KpiScopes.Cluster, 1].Started);
        Assert.Equal(1, day[KpiScopes.Skill("returns"), 1].Started);
        Assert.Equal(0, day[KpiScopes.Skill("shipping"), 1].Started);
        Assert.Equal(1, day[KpiScopes.Cluster, 1].FirstResponse.Count);
        Assert.Equal(1, day[KpiScopes.Cluster, 40].FirstResponse.Count);
        Assert.Equal(2, Enumerable.Range(0, day.Count).Sum(i => day[KpiScopes.Cluster, i].Started));
        // The floor's charts are per queue: agents' scopes are not cut into intervals.
        Assert.DoesNotContain(day.Scopes.Keys, s => s.StartsWith("agent:", StringComparison.Ordinal));
    }

    [Fact]
    public void TwoSilosSharesOfTheDayMergeIntoWhatOneSiloWouldCount()
    {
        var random = new Random(19);
        var kinds = Enum.GetValues<ServiceEventKind>();
        var one = new KpiTimeline(TimeSpan.FromHours(1));
        var shares = new[] { new KpiTimeline(TimeSpan.FromHours(1)), new KpiTimeline(TimeSpan.FromHours(1)) };
        for (var i = 0; i < 400; i++)
        {
            var e = Event(Midnight.AddSeconds(random.Next(0, 10 * 3600)), kinds[random.Next(kinds.Length)], random.Next(2) == 0 ? "shipping" : "returns",
                random.Next(1, 900), random.Next(2) == 0, random.Next(1, 6));
            one.Add(e);
            shares[i % 2].Add(e);
        }

        var merged = shares[0].Day(Now).Merge(shares[1].Day(Now));
        var expected = FloorChartsApi.Today(Now, one.Day(Now), Options());
        var actual = FloorChartsApi.Today(Now, merged, Options());

        Assert.Equal(expected.Intervals, actual.Intervals);
        Assert.Equal(expected.Topics.Select(t => (t.Name, string.Join(',', t.Started))), actual.Topics.Select(t => (t.Name, string.Join(',', t.Started))));
        Assert.Equal(expected.Anomalies, actual.Anomalies);
        Assert.NotEmpty(actual.Anomalies);
    }

    [Fact]
    public void TheChartsReadEachIntervalsPercentilesRatesVolumeByTopicAndTheMinuteEachAnomalyBegan()
    {
        var timeline = new KpiTimeline(TimeSpan.FromHours(1));
        var nine = Midnight.AddHours(9);
        foreach (var (minute, seconds, inTime) in new[] { (1, 20, true), (2, 40, true), (3, 60, true), (4, 300, false) })
        {
            timeline.Add(Event(nine.AddMinutes(minute), ServiceEventKind.Started, skill: minute % 2 == 0 ? "returns" : "shipping", agent: null));
            timeline.Add(Event(nine.AddMinutes(minute), ServiceEventKind.FirstResponse, seconds: seconds, flag: inTime));
        }

        timeline.Add(Event(nine.AddMinutes(4), ServiceEventKind.Breached, agent: null));
        timeline.Add(Event(nine.AddMinutes(5), ServiceEventKind.Abandoned, agent: null, seconds: 90));
        timeline.Add(Event(nine.AddMinutes(6), ServiceEventKind.Rated, score: 5));
        timeline.Add(Event(nine.AddMinutes(7), ServiceEventKind.Rated, score: 2));
        timeline.Add(Event(nine.AddMinutes(8), ServiceEventKind.Anomaly, skill: "returns", agent: null));

        var today = FloorChartsApi.Today(Now, timeline.Day(Now), Options());

        Assert.Equal(41, today.Intervals.Length);
        var quarter = today.Intervals[36];
        Assert.Equal(nine, quarter.Start);
        Assert.Equal(4, quarter.Started);
        Assert.Equal(4, quarter.Answered);
        Assert.InRange(quarter.FirstResponseP50Seconds!.Value, 40 * 0.975, 40 * 1.025);
        Assert.InRange(quarter.FirstResponseP90Seconds!.Value, 300 * 0.975, 300);
        Assert.Equal(3 / 4.0, quarter.SlaAttainment);
        Assert.Equal(1 / 5.0, quarter.AbandonmentRate);
        Assert.Equal(1 / 2.0, quarter.Csat);
        // An interval where nothing was answered or rated has no percentile or rate to draw, not a zero.
        Assert.All(today.Intervals.Where(i => i != quarter), i => Assert.Null(i.FirstResponseP50Seconds));
        Assert.All(today.Intervals.Where(i => i != quarter), i => Assert.Null(i.Csat));
        Assert.Equal(2, today.Topics.Single(t => t.Name == "returns").Started[36]);
        Assert.Equal(2, today.Topics.Single(t => t.Name == "shipping").Started[36]);
        Assert.Equal("Returns and refunds", today.Topics.Single(t => t.Name == "returns").DisplayName);
        var anomaly = Assert.Single(today.Anomalies);
        Assert.Equal((nine.AddMinutes(8), "returns"), (anomaly.At, anomaly.Queue));
    }

    [Fact]
    public void ABusyDaysIntervalsAreCutFromItsMinutesAndTheCostIsPrinted()
    {
        // 100,000 events over the day before 23:59 on 8 topics and 60 agents: a busy desk's day on one silo (and no
        // anomaly: a queue alerts once per episode, a handful a day).
        var end = Midnight.AddHours(23).AddMinutes(59);
        var random = new Random(7);
        var kinds = Enum.GetValues<ServiceEventKind>().Where(k => k != ServiceEventKind.Anomaly).ToArray();
        var timeline = new KpiTimeline(TimeSpan.FromHours(1));
        for (var i = 0; i < 100_000; i++)
        {
            timeline.Add(Event(Midnight.AddSeconds(random.Next(0, 24 * 3600 - 60)), kinds[random.Next(kinds.Length)], $"topic-{random.Next(8)}",
                random.Next(1, 900), random.Next(2) == 0, random.Next(1, 6), $"agent-{random.Next(60)}"));
        }

        var clock = System.Diagnostics.Stopwatch.StartNew();
        var day = timeline.Day(end);
        var cold = clock.Elapsed;
        clock.Restart();
        day = timeline.Day(end);
        var cut = clock.Elapsed;
        // For scale: what GET /api/stats has each silo do under the same lock (every scope's hour, today and window).
        timeline.Snapshot(end);
        clock.Restart();
        timeline.Snapshot(end);
        var snapshot = clock.Elapsed;
        var today = FloorChartsApi.Today(end, day, Options());
        var json = System.Text.Json.JsonSerializer.SerializeToUtf8Bytes(today, new System.Text.Json.JsonSerializerOptions(System.Text.Json.JsonSerializerDefaults.Web));

        Assert.Equal(96, today.Intervals.Length);
        Assert.Equal(9, day.Scopes.Count);
        Assert.Equal(Enumerable.Range(0, 96).Sum(i => day[KpiScopes.Cluster, i].Started), today.Intervals.Sum(i => i.Started));
        output.WriteLine($"measured: a 100,000-event day cut into 96 quarters for 9 scopes in {cut.TotalMilliseconds:F1} ms ({cold.TotalMilliseconds:F1} ms the first time, with the JIT); the answer is {json.Length / 1024.0:F1} KiB of JSON; the same day's snapshot for GET /api/stats takes {snapshot.TotalMilliseconds:F1} ms");
    }

    private static SwitchboardOptions Options()
    {
        var options = new SwitchboardOptions();
        options.Skills["shipping"] = new SkillOptions { DisplayName = "Shipping" };
        options.Skills["returns"] = new SkillOptions { DisplayName = "Returns and refunds" };
        return options;
    }
}
