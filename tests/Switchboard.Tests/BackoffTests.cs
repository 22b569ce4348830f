namespace Switchboard.Tests;

public class BackoffTests
{
    [Fact]
    public void DoublesFromTheFirstWaitUpToTheLongest()
    {
        var backoff = new Backoff(TimeSpan.FromSeconds(1), TimeSpan.FromSeconds(30));

        Assert.Equal(
            [1, 2, 4, 8, 16, 30, 30],
            Enumerable.Range(0, 7).Select(failures => backoff.After(failures).TotalSeconds));
    }

    [Fact]
    public void NeverOverflowsHoweverManyFailures()
    {
        var backoff = new Backoff(TimeSpan.FromMilliseconds(100), TimeSpan.FromMinutes(1));

        Assert.Equal(TimeSpan.FromMinutes(1), backoff.After(int.MaxValue));
        Assert.Equal(TimeSpan.FromMinutes(1), backoff.After(63));
        Assert.Equal(TimeSpan.FromMilliseconds(100), backoff.After(-1));
    }
}
