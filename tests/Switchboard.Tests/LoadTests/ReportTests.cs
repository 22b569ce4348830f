using Switchboard.LoadTests.Measurement;
using Switchboard.LoadTests.Options;
using Switchboard.LoadTests.Reporting;

namespace Switchboard.Tests.LoadTests;

public sealed class ReportTests
{
    private static LatencySummary Ms(double p50, double p99) => new(100, p50, p50, p99, p99, p99, p50);

    [Fact]
    public void AnOverCapacityEventFailsTheRunWhateverElseHappened()
    {
        var verdict = Judge.Verdict(OptionsParser.Parse(["--embedded"]), due: 100, ok: 100, failed: 0, overCapacity: 1, Ms(1, 2), []);

        Assert.Equal(1, verdict.ExitCode);
        Assert.Contains(verdict.Problems, p => p.Contains("over-capacity"));
    }

    [Theory]
    [InlineData(1, 99, 0)]
    [InlineData(2, 98, 1)]
    public void FailuresAboveTheThresholdFailTheRun(long failed, long ok, int exitCode)
    {
        var options = OptionsParser.Parse(["--embedded", "--fail-threshold", "1%"]);

        Assert.Equal(exitCode, Judge.Verdict(options, 100, ok, failed, 0, Ms(1, 2), []).ExitCode);
    }

    [Fact]
    public void AMissedLatencySloExitsWithItsOwnCode()
    {
        var options = OptionsParser.Parse(["--embedded", "--slo-p99", "50ms"]);

        Assert.Equal(0, Judge.Verdict(options, 100, 100, 0, 0, Ms(5, 49.9), []).ExitCode);
        Assert.Equal(4, Judge.Verdict(options, 100, 100, 0, 0, Ms(5, 50.1), []).ExitCode);
    }

    [Fact]
    public void TheGeneratorIsBoundWhenItsWorkersOrCallbacksRunLate()
    {
        var limit = TimeSpan.FromMilliseconds(5);

        Assert.False(Judge.Generator([Ms(0.5, 1), Ms(0.5, 4.9)], Ms(1, 2), limit, 0.9, 0.05, sharesProcess: false).Bound);
        Assert.True(Judge.Generator([Ms(0.5, 1), Ms(0.5, 6)], Ms(1, 2), limit, 0.9, 0.05, sharesProcess: false).Bound);
        var (bound, explanation) = Judge.Generator([Ms(0.5, 1)], Ms(3, 12), limit, 0.2, 0.7, sharesProcess: true);
        Assert.True(bound);
        Assert.Contains("other processes were taking the CPU", explanation);
    }

    [Fact]
    public void FairnessComparesOnlyAgentsWithTheSameSkills()
    {
        var teams = Judge.Fairness(
        [
            new AgentLoad("shipping:3", 3, Peak: 3, MeanHeld: 1.5, Assignments: 30),
            new AgentLoad("shipping:3", 3, Peak: 2, MeanHeld: 1.0, Assignments: 20),
            new AgentLoad("general:3", 3, Peak: 1, MeanHeld: 0, Assignments: 0),
        ]);

        var shipping = Assert.Single(teams, t => t.Team == "shipping:3");
        Assert.Equal(1.5, shipping.PeakRatio);
        Assert.Equal(1.5, shipping.MeanHeldRatio);
        Assert.Equal(30, shipping.AssignmentsMax);
        Assert.Equal(round(2.5 / 6), shipping.Utilisation);
        Assert.Null(Assert.Single(teams, t => t.Team == "general:3").MeanHeldRatio);

        static double round(double x) => Math.Round(x, 3);
    }

    [Fact]
    public void EachLatencyIsReportedAsAMultipleOfTheEchoAtTheSamePercentile()
    {
        var ratio = EchoRatio.Of(new LatencySummary(10, 2, 3, 4, 10, 20, 2), new LatencySummary(10, 0.5, 1, 2, 2, 4, 1));

        Assert.Equal(new EchoRatio(4, 3, 2, 5, 5), ratio);
        Assert.Null(EchoRatio.Of(new LatencySummary(10, 2, 3, 4, 10, 20, 2), LatencySummary.Empty));
    }

    [Fact]
    public void LatenciesAreHdrHistogramPercentilesInMilliseconds()
    {
        var recorder = new LatencyRecorder("test");
        for (var ms = 1; ms <= 100; ms++)
        {
            recorder.Record(TimeSpan.FromMilliseconds(ms));
        }

        recorder.Record(TimeSpan.FromMilliseconds(500), measured: false);
        var summary = recorder.Summary();

        Assert.Equal(100, summary.Count);
        Assert.Equal(50, summary.P50, 1);
        Assert.Equal(99, summary.P99, 1);
        Assert.Equal(100, summary.Max, 1);
        Assert.Equal(101, recorder.TakeInterval().Count);
        Assert.Equal(0, recorder.TakeInterval().Count);
    }

    [Fact]
    public void ATableRendersAsMarkdownAndAsAlignedConsoleText()
    {
        var table = new TextTable("latency", "p99").Add("assignment", "12.5").Add("echo", "0.4");

        Assert.Equal("| latency | p99 |\n| --- | ---: |\n| assignment | 12.5 |\n| echo | 0.4 |\n", table.ToMarkdown());
        Assert.Equal("  latency      p99\n  ----------  ----\n  assignment  12.5\n  echo         0.4\n", table.ToConsole());
    }
}
