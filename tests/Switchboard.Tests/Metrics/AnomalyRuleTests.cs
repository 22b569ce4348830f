using Switchboard.Metrics;

namespace Switchboard.Tests.Metrics;

public sealed class AnomalyRuleTests
{
    private static readonly DateTimeOffset Start = new(2026, 11, 23, 8, 0, 0, TimeSpan.Zero);

    /// <summary>One answer a minute with the given first response times; returns the minutes at which an alert fired.</summary>
    private static List<int> Run(FirstResponseAnomalyDetector detector, IEnumerable<double> minutesEach, ref int minute)
    {
        var alerts = new List<int>();
        foreach (var frt in minutesEach)
        {
            if (detector.Observe(Start.AddMinutes(minute), TimeSpan.FromMinutes(frt)) is not null)
            {
                alerts.Add(minute);
            }

            minute++;
        }

        return alerts;
    }

    [Fact]
    public void AThreeMinuteAverageBecomingTenMinutesAlertsOnceNotOncePerAnswer()
    {
        var detector = new FirstResponseAnomalyDetector(new MetricsOptions());
        var minute = 0;
        Assert.Empty(Run(detector, Enumerable.Repeat(3.0, 60), ref minute));

        var alerts = Run(detector, Enumerable.Repeat(10.0, 45), ref minute);

        var alert = Assert.Single(alerts);
        // The 15-min mean passes 2 × 3 min once more than 3 of its 15 answers take 10 min.
        Assert.InRange(alert, 60, 70);
        Assert.True(detector.InEpisode);
    }

    [Fact]
    public void NoiseAroundASteadyAverageNeverAlerts()
    {
        var random = new Random(8);
        var detector = new FirstResponseAnomalyDetector(new MetricsOptions());
        var minute = 0;
        // Four hours of answers between 1.5 and 4.5 min, with an occasional 20-min straggler.
        var noise = Enumerable.Range(0, 240).Select(i => i % 40 == 39 ? 20 : 1.5 + (3 * random.NextDouble()));

        Assert.Empty(Run(detector, noise, ref minute));
    }

    [Fact]
    public void AfterTheAverageFallsBackASecondJumpIsASecondEpisode()
    {
        var detector = new FirstResponseAnomalyDetector(new MetricsOptions());
        var minute = 0;
        Run(detector, Enumerable.Repeat(3.0, 60), ref minute);
        Assert.Single(Run(detector, Enumerable.Repeat(10.0, 20), ref minute));

        Assert.Empty(Run(detector, Enumerable.Repeat(3.0, 120), ref minute));
        Assert.False(detector.InEpisode);

        Assert.Single(Run(detector, Enumerable.Repeat(10.0, 20), ref minute));
    }

    [Fact]
    public void AJumpNeedsEnoughAnswersAndAMeanWorthAnAlert()
    {
        var options = new MetricsOptions();
        var recent = Start.AddMinutes(70);
        Dictionary<long, (long, double)> minutes = new()
        {
            [Minute(Start.AddMinutes(10))] = (2, 2 * 180),
            [Minute(recent)] = (5, 5 * 600),
        };
        Assert.False(AnomalyRule.Evaluate(minutes, recent, options).Anomalous); // two answers are no baseline

        minutes[Minute(Start.AddMinutes(10))] = (5, 5 * 10);
        minutes[Minute(recent)] = (5, 5 * 40);
        var verdict = AnomalyRule.Evaluate(minutes, recent, options);
        Assert.False(verdict.Anomalous); // 10 s becoming 40 s is still stellar
        Assert.Equal(TimeSpan.FromSeconds(40), verdict.Recent);

        options.AnomalyFloor = TimeSpan.Zero;
        Assert.True(AnomalyRule.Evaluate(minutes, recent, options).Anomalous);
        options.AnomalyMultiple = 5;
        Assert.False(AnomalyRule.Evaluate(minutes, recent, options).Anomalous); // the multiple is configurable
    }

    private static long Minute(DateTimeOffset at) => at.ToUnixTimeSeconds() / 60;
}
