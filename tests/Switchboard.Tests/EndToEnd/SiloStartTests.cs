using System.Diagnostics;
using Microsoft.Extensions.DependencyInjection;
using Orleans.Runtime;
using Switchboard.Hosting;

namespace Switchboard.Tests.EndToEnd;

[Collection(SiloCollection.Name)]
public sealed class SiloStartTests(SiloFixture silo)
{
    /// <summary>
    /// Orleans' watchdog may read its component check's timestamp before setting it (0), and warns of a "deadlock" as
    /// long as the time since that clock's 0. On the system clock 0 is the machine's boot; membership's clock must
    /// start no earlier than this process, so the warning cannot fire with the machine's uptime.
    /// </summary>
    [Fact]
    public void MembershipTimeStartsWithTheSiloNotWithTheMachinesBoot()
    {
        var clock = silo.Services.GetRequiredKeyedService<TimeProvider>(TimeProviderNames.Membership);
        using var process = Process.GetCurrentProcess();
        var processAge = DateTime.Now - process.StartTime;

        Assert.IsType<MembershipClock>(clock);
        Assert.True(
            clock.GetElapsedTime(0) <= processAge,
            $"Membership's timestamp 0 lies {clock.GetElapsedTime(0)} back, before this process started {processAge} ago.");
        // Elapsed times and wall-clock time are real ones.
        Assert.Equal(TimeProvider.System.TimestampFrequency, clock.TimestampFrequency);
        var start = clock.GetTimestamp();
        Assert.True(clock.GetTimestamp() >= start);
        Assert.InRange(clock.GetUtcNow(), DateTimeOffset.UtcNow.AddMinutes(-1), DateTimeOffset.UtcNow.AddMinutes(1));
    }

    [Fact]
    public void AFreshMembershipClockCountsFromItsFirstReading()
    {
        var clock = new MembershipClock();
        Assert.Equal(1, clock.GetTimestamp());
        Assert.True(clock.GetElapsedTime(0) < TimeProvider.System.GetElapsedTime(0));
    }
}
