using Microsoft.Extensions.Time.Testing;
using Switchboard.Limits;

namespace Switchboard.Tests.Limits;

public sealed class TokenBucketsTests
{
    private readonly FakeTimeProvider _time = new();

    [Fact]
    public void ABurstIsTakenAtOnceThenOneTokenPerStepOfTheRate()
    {
        using var buckets = new TokenBuckets(perSecond: 5, burst: 10, _time);

        Assert.Equal(10, Enumerable.Range(0, 25).Count(i => buckets.TryTake("c1", out _)));
        Assert.False(buckets.TryTake("c1", out var retryAfter));
        Assert.Equal(TimeSpan.FromMilliseconds(200), retryAfter);

        _time.Advance(TimeSpan.FromMilliseconds(199));
        Assert.False(buckets.TryTake("c1", out retryAfter));
        Assert.True(retryAfter <= TimeSpan.FromMilliseconds(1.01), $"{retryAfter}");
        _time.Advance(TimeSpan.FromMilliseconds(1));
        Assert.True(buckets.TryTake("c1", out _));

        // A second holds five more, never more than the burst however long the wait.
        _time.Advance(TimeSpan.FromSeconds(1));
        Assert.Equal(5, Enumerable.Range(0, 25).Count(i => buckets.TryTake("c1", out _)));
        _time.Advance(TimeSpan.FromHours(1));
        Assert.Equal(10, Enumerable.Range(0, 25).Count(i => buckets.TryTake("c1", out _)));
    }

    [Fact]
    public void KeysHaveBucketsOfTheirOwn()
    {
        using var buckets = new TokenBuckets(perSecond: 1, burst: 2, _time);

        Assert.Equal(2, Enumerable.Range(0, 5).Count(i => buckets.TryTake("flooder", out _)));
        Assert.True(buckets.TryTake("bystander", out _));
        Assert.True(buckets.TryTake("bystander", out _));
        Assert.False(buckets.TryTake("bystander", out _));
    }

    [Fact]
    public void BucketsFullAgainAreDroppedAndCountAsNew()
    {
        using var buckets = new TokenBuckets(perSecond: 5, burst: 10, _time);
        for (var i = 0; i < 1_000; i++)
        {
            buckets.TryTake($"connection-{i}", out _);
        }

        Assert.True(buckets.TryTake("busy", out _));
        Assert.Equal(1_001, buckets.Count);

        // The sweep runs every 10 s; after 2 s (a full refill) all are full again but "busy", used since.
        _time.Advance(TimeSpan.FromSeconds(9));
        Assert.True(buckets.TryTake("busy", out _));
        _time.Advance(TimeSpan.FromSeconds(1));
        Assert.Equal(1, buckets.Count);

        // A dropped key starts again with a full bucket: nothing is lost or gained by dropping it.
        Assert.Equal(10, Enumerable.Range(0, 25).Count(i => buckets.TryTake("connection-7", out _)));
    }

    [Fact]
    public void CallsFromManyThreadsAtOnceTakeExactlyTheBurst()
    {
        using var buckets = new TokenBuckets(perSecond: 1, burst: 100, _time);
        var taken = 0;

        Parallel.For(0, 1_000, i =>
        {
            if (buckets.TryTake("shared", out _))
            {
                Interlocked.Increment(ref taken);
            }
        });

        Assert.Equal(100, taken);
    }
}
