using Switchboard.Conversations;
using Switchboard.Metrics;

namespace Switchboard.Tests.Metrics;

public sealed class KpiArithmeticTests
{
    private static readonly DateTimeOffset Start = new(2026, 11, 23, 9, 0, 0, TimeSpan.Zero);

    private static ServiceEvent At(int second, ServiceEventKind kind, string? agent = "amy", int? seconds = null, bool flag = false, int score = 0) =>
        new(kind, Start.AddSeconds(second), "shipping", agent, seconds is { } s ? TimeSpan.FromSeconds(s) : null, flag, score);

    /// <summary>Four chats: three answered (30 s and 90 s in time, 200 s late after a breach), one abandoned; three resolved, two with one reply; rated 5, 4, 2.</summary>
    private static readonly ServiceEvent[] KnownDay =
    [
        At(0, ServiceEventKind.Started, agent: null),
        At(1, ServiceEventKind.Started, agent: null),
        At(2, ServiceEventKind.Started, agent: null),
        At(3, ServiceEventKind.Started, agent: null),
        At(4, ServiceEventKind.Assigned, seconds: 4),
        At(30, ServiceEventKind.FirstResponse, seconds: 30, flag: true),
        At(30, ServiceEventKind.Response, seconds: 30),
        At(91, ServiceEventKind.FirstResponse, seconds: 90, flag: true),
        At(91, ServiceEventKind.Response, seconds: 90),
        At(92, ServiceEventKind.Breached, agent: null),
        At(120, ServiceEventKind.Abandoned, agent: null, seconds: 117),
        At(202, ServiceEventKind.FirstResponse, seconds: 200, flag: false),
        At(202, ServiceEventKind.Response, seconds: 200),
        At(260, ServiceEventKind.Response, seconds: 40),
        At(300, ServiceEventKind.Resolved, seconds: 300, flag: true),
        At(400, ServiceEventKind.Resolved, seconds: 309, flag: true),
        At(500, ServiceEventKind.Resolved, seconds: 498, flag: false),
        At(510, ServiceEventKind.Rated, score: 5),
        At(520, ServiceEventKind.Rated, score: 4),
        At(530, ServiceEventKind.Rated, score: 2),
    ];

    [Fact]
    public void KpisOfAKnownSequenceOfEventsAreExact()
    {
        var report = KpiReport.From(KpiAggregate.Of(KnownDay));

        Assert.Equal(4, report.Started);
        Assert.Equal(3, report.Handled);
        Assert.Equal(1, report.Abandoned);
        Assert.Equal(3, report.FirstResponse.Count);
        Assert.Equal((30 + 90 + 200) / 3.0, report.FirstResponse.MeanSeconds!.Value, 9);
        Assert.Equal((30 + 90 + 200 + 40) / 4.0, report.AverageResponseSeconds!.Value, 9);
        Assert.Equal((300 + 309 + 498) / 3.0, report.AverageResolutionSeconds!.Value, 9);
        Assert.Equal(1 / 4.0, report.AbandonmentRate); // left before an answer, of every wait that ended
        Assert.Equal(2 / 3.0, report.OneTouchResolutionRate);
        Assert.Equal(2 / 3.0, report.SlaAttainment); // two answers in time, one breach
        Assert.Equal(2 / 3.0, report.Csat); // 5 and 4 of 5, 4, 2
        Assert.Equal(ServiceLevelBand.AboveAverage, report.Band); // mean 107 s
    }

    [Fact]
    public void RatesWithNothingToDivideAreNullNotZero()
    {
        var report = KpiReport.From(KpiAggregate.Of([At(0, ServiceEventKind.Started, agent: null)]));

        Assert.Null(report.AbandonmentRate);
        Assert.Null(report.Csat);
        Assert.Null(report.SlaAttainment);
        Assert.Null(report.FirstResponse.MeanSeconds);
        Assert.Null(report.Band);
    }

    [Fact]
    public void FirstResponsePercentilesAreNearestRankWithinTwoAndAHalfPercent()
    {
        var events = Enumerable.Range(1, 10).Select(i => At(i, ServiceEventKind.FirstResponse, seconds: i * 10, flag: true));
        var stats = KpiReport.From(KpiAggregate.Of(events)).FirstResponse;

        Assert.Equal(55, stats.MeanSeconds!.Value, 9);
        Assert.InRange(stats.P50Seconds!.Value, 50 * 0.975, 50 * 1.025);
        Assert.InRange(stats.P90Seconds!.Value, 90 * 0.975, 90 * 1.025);
    }

    [Fact]
    public void AResponseTimeRunsFromTheEarliestCustomerMessageTheAgentHasNotAnswered()
    {
        List<ChatMessage> messages =
        [
            new(1, MessageAuthor.Customer, null, "Where is my parcel?", Start),
            new(2, MessageAuthor.System, null, "We have your question.", Start),
            new(3, MessageAuthor.Agent, "amy", "Checking.", Start.AddSeconds(60)),
        ];
        var first = ConversationEvents.Replied(messages, Start, "shipping", "amy", firstResponse: true, withinSla: true).ToArray();
        Assert.Equal([ServiceEventKind.FirstResponse, ServiceEventKind.Response], first.Select(e => e.Kind));
        Assert.All(first, e => Assert.Equal(TimeSpan.FromSeconds(60), e.Duration));

        messages.Add(new(4, MessageAuthor.Customer, null, "It was due Monday", Start.AddSeconds(100)));
        messages.Add(new(5, MessageAuthor.Customer, null, "Hello?", Start.AddSeconds(130)));
        messages.Add(new(6, MessageAuthor.Agent, "amy", "It ships today.", Start.AddSeconds(160)));
        var second = ConversationEvents.Replied(messages, Start, "shipping", "amy", firstResponse: false, withinSla: true).Single();
        Assert.Equal(TimeSpan.FromSeconds(60), second.Duration);

        // A second agent message in a row answers nothing new.
        messages.Add(new(7, MessageAuthor.Agent, "amy", "Anything else?", Start.AddSeconds(170)));
        Assert.Empty(ConversationEvents.Replied(messages, Start, "shipping", "amy", firstResponse: false, withinSla: true));

        var resolved = ConversationEvents.Resolved(messages, Start, "shipping", "amy", Start.AddSeconds(200));
        Assert.False(resolved.Flag); // three agent replies: not one-touch
        Assert.True(ConversationEvents.Resolved(messages.Take(3).ToList(), Start, "shipping", "amy", Start.AddSeconds(90)).Flag);
    }

    [Fact]
    public void MergingPartsInAnyGroupingGivesTheNumbersOfOneAggregate()
    {
        var whole = KpiReport.From(KpiAggregate.Of(KnownDay));
        var a = KnownDay.Where((_, i) => i % 3 == 0).ToArray();
        var b = KnownDay.Where((_, i) => i % 3 == 1).ToArray();
        var c = KnownDay.Where((_, i) => i % 3 == 2).ToArray();

        var left = KpiAggregate.Of(a).Merge(KpiAggregate.Of(b)).Merge(KpiAggregate.Of(c));
        var right = KpiAggregate.Of(a).Merge(KpiAggregate.Of(b).Merge(KpiAggregate.Of(c)));
        var reversed = KpiAggregate.Of(c).Merge(KpiAggregate.Of(b)).Merge(KpiAggregate.Of(a));

        Assert.Equal(whole, KpiReport.From(left));
        Assert.Equal(whole, KpiReport.From(right));
        Assert.Equal(whole, KpiReport.From(reversed));
    }

    [Fact]
    public void TheTimelineCutsTheCurrentHourTodayAndTheRollingWindow()
    {
        var now = new DateTimeOffset(2026, 11, 23, 9, 50, 0, TimeSpan.Zero);
        var timeline = new KpiTimeline(TimeSpan.FromHours(12));
        foreach (var at in new[] { now.AddHours(-10.5), now.AddMinutes(-100), now.AddMinutes(-45), now.AddMinutes(-10), now.AddMinutes(5) })
        {
            timeline.Add(new ServiceEvent(ServiceEventKind.Started, at, "shipping"));
        }

        var cluster = timeline.Snapshot(now)[KpiScopes.Cluster];

        Assert.Equal(2, cluster.Hour.Started); // 09:05 and 09:40; 09:55 is in the future
        Assert.Equal(3, cluster.Today.Started); // and 08:10; yesterday 23:20 is not today
        Assert.Equal(4, cluster.Rolling.Started); // twelve hours reach back into yesterday

        var quarter = new KpiTimeline(TimeSpan.FromMinutes(15));
        quarter.Add(new ServiceEvent(ServiceEventKind.Started, now.AddMinutes(-10), "shipping"));
        quarter.Add(new ServiceEvent(ServiceEventKind.Started, now.AddMinutes(-20), "shipping"));
        Assert.Equal(1, quarter.Snapshot(now)[KpiScopes.Cluster].Rolling.Started);
    }

    [Fact]
    public void AnEventCountsForTheClusterItsSkillAndItsAgent()
    {
        var timeline = new KpiTimeline(TimeSpan.FromHours(1));
        timeline.Add(At(0, ServiceEventKind.Rated, agent: "amy", score: 5));
        timeline.Add(At(1, ServiceEventKind.Started, agent: null));
        var snapshot = timeline.Snapshot(Start.AddMinutes(1));

        Assert.Equal(1, snapshot[KpiScopes.Cluster].Today.Ratings);
        Assert.Equal(1, snapshot[KpiScopes.Skill("shipping")].Today.Started);
        Assert.Equal(1, snapshot[KpiScopes.Agent("amy")].Today.GoodRatings);
        Assert.Equal(0, snapshot[KpiScopes.Agent("amy")].Today.Started);
    }
}
