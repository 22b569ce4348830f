using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Time.Testing;
using Switchboard.Limits;

namespace Switchboard.Tests.Limits;

public sealed class LogBudgetTests : IDisposable
{
    private static readonly TimeSpan Minute = TimeSpan.FromMinutes(1);
    private readonly FakeTimeProvider _time = new();
    private readonly LogCapture _logs = new();
    private readonly List<LogBudget> _budgets = [];

    [Fact]
    public void ASourceWritesItsBudgetAMinuteAndOneSummaryAtTheEndOfItCountsTheRest()
    {
        var budget = Budget(10);

        var taken = Enumerable.Range(0, 250).Count(_ => budget.TryTake(LogSource.Connection, "c1"));

        Assert.Equal(10, taken);
        Assert.Empty(_logs.Entries);
        _time.Advance(Minute);
        var summary = Assert.Single(_logs.Entries);
        Assert.Equal("240 more refusals from connection c1 were not logged (at most 10 lines a minute each)", summary.Message);
        Assert.Equal((LogLevel.Information, null), (summary.Level, summary.Exception));
    }

    [Fact]
    public void EachMinuteGivesTheBudgetAgainAndOnlyAMinuteWithDropsEndsWithASummary()
    {
        var budget = Budget(10);

        var first = Enumerable.Range(0, 15).Count(_ => budget.TryTake(LogSource.Agent, "alice"));
        _time.Advance(Minute);
        var second = Enumerable.Range(0, 10).Count(_ => budget.TryTake(LogSource.Agent, "alice"));
        _time.Advance(Minute);
        _time.Advance(Minute);

        Assert.Equal((10, 10), (first, second));
        Assert.Equal(["5 more refusals from agent alice were not logged (at most 10 lines a minute each)"], _logs.Entries.Select(e => e.Message));
    }

    [Fact]
    public void SourcesHaveBudgetsOfTheirOwn()
    {
        var budget = Budget(3, slots: 16);
        // The hash is randomized per process: take an address that does not share the connection's slot.
        var other = Enumerable.Range(1, 254).Select(i => $"10.0.0.{i}")
            .First(a => budget.SlotOf(LogSource.Address, a) != budget.SlotOf(LogSource.Connection, "c1"));

        var connection = Enumerable.Range(0, 5).Count(_ => budget.TryTake(LogSource.Connection, "c1"));
        var address = Enumerable.Range(0, 5).Count(_ => budget.TryTake(LogSource.Address, other));
        _time.Advance(Minute);

        Assert.Equal((3, 3), (connection, address));
        Assert.Equal([$"address {other}", "connection c1"], _logs.Entries.Select(e => e.Field("Source")).Order(StringComparer.Ordinal));
        Assert.All(_logs.Entries, e => Assert.Equal("2", e.Field("Count")));
    }

    [Fact]
    public void SourcesThatLandInTheSameSlotShareItsBudgetAndTheSummarySaysSo()
    {
        var budget = Budget(4, slots: 1);

        // The same name of another kind is another source.
        var first = Enumerable.Range(0, 3).Count(_ => budget.TryTake(LogSource.Connection, "alice"));
        var second = Enumerable.Range(0, 3).Count(_ => budget.TryTake(LogSource.Agent, "alice"));
        _time.Advance(Minute);

        Assert.Equal((3, 1), (first, second));
        Assert.Equal(
            "2 more refusals from connection alice and callers sharing its log budget were not logged (at most 4 lines a minute each)",
            Assert.Single(_logs.Entries).Message);
    }

    [Fact]
    public void AStrangerWithAHundredThousandSourcesNeverGetsMoreThanEverySlotsShare()
    {
        var budget = Budget(2);

        var taken = Enumerable.Range(0, 100_000).Count(i => budget.TryTake(LogSource.Connection, $"stranger-{i}"));
        _time.Advance(Minute);

        Assert.InRange(taken, 1, LogBudget.Slots * 2);
        Assert.InRange(_logs.Entries.Count, 1, LogBudget.Slots);
        Assert.Equal(100_000, taken + _logs.Entries.Sum(e => int.Parse(e.Field("Count")!)));
    }

    [Fact]
    public void CallsFromManyThreadsAtOnceGetExactlyTheBudget()
    {
        var budget = Budget(10);
        var taken = 0;

        Parallel.For(0, 20_000, _ =>
        {
            if (budget.TryTake(LogSource.Connection, "c1"))
            {
                Interlocked.Increment(ref taken);
            }
        });
        _time.Advance(Minute);

        Assert.Equal(10, taken);
        Assert.Equal("19990", Assert.Single(_logs.Entries).Field("Count"));
    }

    [Fact]
    public void ABudgetOfZeroWritesOnlyTheSummary()
    {
        var budget = Budget(0);

        Assert.False(budget.TryTake(LogSource.Customer, "web:abc"));
        Assert.False(budget.TryTake(LogSource.Customer, "web:abc"));
        _time.Advance(Minute);

        Assert.Equal("2 more refusals from customer web:abc were not logged (at most 0 lines a minute each)", Assert.Single(_logs.Entries).Message);
    }

    [Fact]
    public void AStoppingSiloStillSaysWhatItsLastMinuteDropped()
    {
        var budget = Budget(1);

        budget.TryTake(LogSource.Address, "10.0.0.7");
        budget.TryTake(LogSource.Address, "10.0.0.7");
        budget.Dispose();
        _time.Advance(Minute);

        Assert.Equal("1 more refusals from address 10.0.0.7 were not logged (at most 1 lines a minute each)", Assert.Single(_logs.Entries).Message);
    }

    public void Dispose()
    {
        foreach (var budget in _budgets)
        {
            budget.Dispose();
        }
    }

    private LogBudget Budget(int linesPerMinute, int slots = LogBudget.Slots)
    {
        var budget = new LogBudget(linesPerMinute, _time, _logs.CreateLogger(RefusalLog.Category), LogLevel.Information, slots);
        _budgets.Add(budget);
        return budget;
    }
}
