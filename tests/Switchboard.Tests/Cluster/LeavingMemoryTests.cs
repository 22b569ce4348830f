using Microsoft.Extensions.Time.Testing;
using Orleans.Core.Internal;
using Orleans.Runtime;
using Orleans.TestingHost;
using Switchboard.Conversations;
using Switchboard.Deadlines;
using Switchboard.Supervision;

namespace Switchboard.Tests.Cluster;

/// <summary>
/// A fake-time silo whose calls to a deadline shard's <c>TrackAsync</c> can be cut, as when the silo holding the shard
/// dies: the call fails without the shard ever hearing of it.
/// </summary>
public sealed class ShardCutFixture : ClusterFixture
{
    private static volatile bool s_cut;

    public ShardCutFixture()
    {
        SiloCount = 1;
        Time = new FakeTimeProvider(FakeTimeStart);
        Configure = options =>
        {
            NoPresenceRefresh(options);
            NoOverflow(options);
        };
    }

    public bool Cut
    {
        get => s_cut;
        set => s_cut = value;
    }

    protected override void ConfigureCluster(InProcessTestClusterBuilder builder) =>
        builder.ConfigureSilo((_, silo) => silo.AddOutgoingGrainCallFilter(context =>
            s_cut && context.InterfaceMethod?.Name == nameof(IDeadlineShardGrain.TrackAsync)
                ? throw new SiloUnavailableException("The silo of this deadline shard died (a test cut the call).")
                : context.Invoke()));
}

/// <summary>
/// Orleans deactivates live conversations without asking them (on every silo, those whose directory entries the dead
/// silo held). One whose shard never heard of its deadline tells it on the way out, so its deadline still fires.
/// </summary>
public sealed class LeavingMemoryTests(ShardCutFixture fixture) : IClassFixture<ShardCutFixture>
{
    [Fact]
    public async Task AConversationWhoseShardNeverHeardOfItsDeadlineTellsItOnTheWayOutOfMemory()
    {
        var skill = fixture.NewSkill();
        fixture.Cut = true;
        (IConversationGrain conversation, string id) started;
        try
        {
            started = await fixture.StartAsync(skill);
            await fixture.Notifier.WaitForQueuedAsync(started.id);
        }
        finally
        {
            fixture.Cut = false;
        }

        // Before its retry (1 s later on a clock that does not move yet), Orleans takes it out of memory.
        var (conversation, id) = started;
        var view = await conversation.GetAsync();
        await conversation.AsReference<IGrainManagementExtension>().DeactivateOnIdle();
        using (var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(20)))
        {
            while (await IsInMemoryAsync(id))
            {
                await Task.Delay(20, timeout.Token);
            }
        }

        // Nothing but its shard can bring it back: the breach still fires, at its deadline plus the shard's grace.
        fixture.Time!.Advance(view.FirstResponseDueAt - fixture.Time.GetUtcNow() + TimeSpan.FromSeconds(1));
        var alert = (SupervisorAlert)(await fixture.Notifier.WaitAsync(n => n.Kind == RecordingNotifier.Alert && n.ConversationId == id)).Payload!;
        Assert.Equal(SupervisorAlertKind.Breach, alert.Kind);
        Assert.Single((await conversation.GetAsync()).SlaEvents, e => e.Kind == SlaEventKind.Breached);
        await fixture.AssertInvariantsAsync([], [id], skill);
    }

    private async Task<bool> IsInMemoryAsync(string conversationId) =>
        (await fixture.Grains.GetGrain<IManagementGrain>(0).GetDetailedGrainStatistics())
            .Any(s => s.GrainType.Contains(nameof(ConversationGrain), StringComparison.Ordinal) && s.GrainId.Key.ToString() == conversationId);
}
