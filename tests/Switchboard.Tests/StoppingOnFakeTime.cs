using Microsoft.Extensions.Time.Testing;

namespace Switchboard.Tests;

/// <summary>
/// Stops a host whose services run on a fake clock. Some of what a silo does while it stops waits on the injected
/// TimeProvider (Polly's pipelines wait for calls still in flight, sleeping a second at a time); once the test is over
/// nobody moves the fake clock, so the stop would wait forever. This moves it, a second per turn, until the stop ends.
/// </summary>
internal static class StoppingOnFakeTime
{
    public static async Task StopAsync(FakeTimeProvider? time, Task stopping)
    {
        while (time is not null && !stopping.IsCompleted)
        {
            time.Advance(TimeSpan.FromSeconds(1));
            await Task.WhenAny(stopping, Task.Delay(TimeSpan.FromMilliseconds(50)));
        }

        await stopping;
    }
}
