using System.Collections.Concurrent;
using Microsoft.Extensions.DependencyInjection;
using Orleans.Configuration;
using Orleans.Runtime.Placement;
using Orleans.TestingHost;

namespace Switchboard.Tests.Cluster;

/// <summary>
/// Three silos on real time whose grain state and reminders live in stores shared by all of them, as a database
/// would hold them, so a test can kill a silo and lose only what was in its memory. Clocks are shortened so a crash
/// test takes seconds: first answers due in <see cref="FirstResponse"/>, and a dead silo is
/// declared dead after a few missed one-second probes.
/// </summary>
public class CrashClusterFixture : ClusterFixture
{
    /// <summary>Long enough for a test to set up and kill a silo before any deadline passes.</summary>
    public static readonly TimeSpan FirstResponse = TimeSpan.FromSeconds(15);

    public static readonly TimeSpan PresenceRefreshPeriod = TimeSpan.FromSeconds(1);

    private readonly ConcurrentDictionary<SiloAddress, SiloCrashSwitch> _switches = new();
    private readonly List<SiloAddress> _crashed = [];

    public CrashClusterFixture()
    {
        SiloCount = 3;
        Storage = ClusterStorage.Shared;
        // Held conversations stay with an agent who is briefly unconfirmed while a silo dies.
        OfflineGracePeriod = TimeSpan.FromMinutes(10);
        Configure = options =>
        {
            options.PresenceRefreshPeriod = PresenceRefreshPeriod;
            options.Sla.DefaultFirstResponse = FirstResponse;
            // Nothing else on the clock moves during a test: assignments stay put, nothing overflows or becomes a ticket.
            options.Sla.ReservationTimeout = TimeSpan.FromMinutes(10);
            options.Sla.OverflowAfter = TimeSpan.FromMinutes(10);
            options.Sla.TicketAfter = TimeSpan.FromMinutes(30);
        };
    }

    /// <summary>Restores the cluster to <see cref="ClusterFixture.SiloCount"/> silos after a test killed some.</summary>
    public async Task EnsureAllSilosAsync()
    {
        while (Cluster.Silos.Count < SiloCount)
        {
            await Cluster.StartAdditionalSiloAsync();
        }
    }

    /// <summary>Where the grain is active now, looked up in each live silo's memory; null if nowhere.</summary>
    public SiloAddress? HostOf(IAddressable grain) =>
        Cluster.TryGetGrainContext(grain.GetGrainId(), out var context) ? context.Address.SiloAddress : null;

    /// <summary>Completes when the first live silo's membership view has <paramref name="silo"/> dead.</summary>
    public async Task DeclaredDeadAsync(SiloAddress silo, TimeSpan timeout)
    {
        var membership = Cluster.Silos[0].ServiceProvider.GetRequiredService<IClusterMembershipService>();
        if (IsDead(membership.CurrentSnapshot))
        {
            return;
        }

        using var timedOut = new CancellationTokenSource(timeout);
        await foreach (var snapshot in membership.MembershipUpdates.WithCancellation(timedOut.Token))
        {
            if (IsDead(snapshot))
            {
                return;
            }
        }

        bool IsDead(ClusterMembershipSnapshot snapshot) => snapshot.GetSiloStatus(silo) is SiloStatus.Dead or SiloStatus.None;
    }

    /// <summary>Makes <paramref name="call"/> with a placement hint, so the grains it activates live on <paramref name="silo"/>.</summary>
    public static async Task<T> OnSiloAsync<T>(SiloHandle silo, Func<Task<T>> call)
    {
        RequestContext.Set(IPlacementDirector.PlacementHintKey, silo.SiloAddress);
        try
        {
            return await call();
        }
        finally
        {
            RequestContext.Remove(IPlacementDirector.PlacementHintKey);
        }
    }

    /// <summary>
    /// Kills the silo as a crash would (see <see cref="SiloCrashSwitch"/>): nothing outside it hears from it again, and
    /// the survivors learn of its death only by probing it.
    /// </summary>
    public async Task CrashAsync(InProcessSiloHandle silo)
    {
        _switches[silo.SiloAddress].Crash();
        _crashed.Add(silo.SiloAddress);
        await Cluster.KillSiloAsync(silo);
    }

    /// <summary>
    /// Calls a crashed silo had taken, and one-way calls sent to it before the cluster declared it dead, never finish:
    /// once every crashed silo is declared dead nothing more is sent to one, so what is still counted is lost, not
    /// pending.
    /// </summary>
    protected override async Task SettleAsync()
    {
        if (_crashed.Count == 0)
        {
            return;
        }

        foreach (var silo in _crashed)
        {
            await DeclaredDeadAsync(silo, TimeSpan.FromSeconds(60));
        }

        _crashed.Clear();
        Activity.ForgetInFlight();
    }

    protected override void ConfigureCluster(InProcessTestClusterBuilder builder)
    {
        builder.ConfigureSiloHost((_, host) => host.ConfigureContainer(new SiloCrashSwitch.Factory((silo, crash) => _switches[silo] = crash)));
        builder.ConfigureSilo((_, silo) =>
        {
            // Membership is the ordinary protocol over a shared table: a crashed silo is declared dead once its peers
            // miss its probes and vote. Shortened from 5 s probes so that happens within seconds.
            silo.Configure<ClusterMembershipOptions>(options =>
            {
                options.ProbeTimeout = TimeSpan.FromSeconds(1);
                options.NumMissedProbesLimit = 3;
                options.TableRefreshTimeout = TimeSpan.FromSeconds(2);
            });
        });
    }
}

[CollectionDefinition(Name)]
public sealed class CrashClusterCollection : ICollectionFixture<CrashClusterFixture>
{
    public const string Name = "crash cluster";
}
