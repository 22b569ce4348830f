using System.Collections.Immutable;
using System.Diagnostics;
using Switchboard.Agents;
using Switchboard.Conversations;
using Switchboard.Queues;
using Switchboard.Supervision;
using Xunit.Abstractions;

namespace Switchboard.Tests.Cluster;

/// <summary>
/// The crash cluster with clocks short enough to fall due while a killed silo is still being declared dead: a 2 s
/// reservation timeout and a 1 s first answer for an angry customer.
/// </summary>
public sealed class DeadlineCrashClusterFixture : CrashClusterFixture
{
    public static readonly TimeSpan ReservationTimeout = TimeSpan.FromSeconds(2);

    public DeadlineCrashClusterFixture()
    {
        var crash = Configure!;
        Configure = options =>
        {
            crash(options);
            options.Sla.ReservationTimeout = ReservationTimeout;
            options.Sla.AngryFirstResponse = TimeSpan.FromSeconds(1);
        };
    }
}

[CollectionDefinition(Name)]
public sealed class DeadlineCrashClusterCollection : ICollectionFixture<DeadlineCrashClusterFixture>
{
    public const string Name = "deadline crash cluster";
}

/// <summary>
/// Deadlines that fall due while their silo is dead and not yet declared so (issue #15): each fires once, on a
/// surviving silo, after its time. How late is printed (a measurement, not an assertion): failure detection plus the
/// deadline shard's reload.
/// </summary>
[Collection(DeadlineCrashClusterCollection.Name)]
public sealed class DeadlineCrashTests(DeadlineCrashClusterFixture fixture, ITestOutputHelper output)
{
    private static readonly TimeSpan Recovery = TimeSpan.FromSeconds(60);

    private RecordingNotifier Notifier => fixture.Notifier;

    [Fact]
    public async Task ReservationTimeoutsAndBreachesDueWhileTheSiloIsBeingDeclaredDeadFireOnceAfterIt()
    {
        await fixture.EnsureAllSilosAsync();
        var (home, victim) = (fixture.Cluster.Silos[0], fixture.Cluster.Silos[1]);
        var skill = fixture.NewSkill();
        await CrashClusterFixture.OnSiloAsync(home, fixture.Grains.GetGrain<IQueueGrain>(skill).GetAsync);
        await using var hub = new HubHeartbeat(CrashClusterFixture.PresenceRefreshPeriod);
        var agent = fixture.Grains.GetGrain<IAgentGrain>($"agent-{Guid.NewGuid():N}");
        await CrashClusterFixture.OnSiloAsync(home, async () =>
        {
            await agent.ConfigureAsync(new AgentProfile("Test Agent", ImmutableDictionary<string, int>.Empty.Add(skill, 3), 5));
            return agent;
        });
        hub.Keep(agent);
        await hub.ConfirmedAfterAsync(agent, DateTimeOffset.MinValue, Recovery);

        // Five conversations on the silo that will die, assigned to an agent who will not answer: reservations run.
        List<(IConversationGrain Grain, string Id)> held = [];
        for (var i = 0; i < 5; i++)
        {
            held.Add(await CrashClusterFixture.OnSiloAsync(victim, () => fixture.StartAsync(skill)));
        }

        await Notifier.WaitUntilAsync(seen => seen.Count(n => n.Kind == RecordingNotifier.Assigned && held.Any(h => h.Id == n.ConversationId)) == 5, Recovery);

        // Five angry customers on it too, waiting (the agent is full), their first answer due within a second.
        List<(IConversationGrain Grain, string Id)> angry = [];
        for (var i = 0; i < 5; i++)
        {
            angry.Add(await CrashClusterFixture.OnSiloAsync(victim, () => fixture.StartAsync(new StartConversation("Ann", skill, "This is unacceptable!!!", Emotion: Emotion.Angry))));
        }

        var killedAt = DateTimeOffset.UtcNow;
        var sinceKill = Stopwatch.StartNew();
        await fixture.CrashAsync(victim);
        var declaredDead = Task.Run(async () =>
        {
            await fixture.DeclaredDeadAsync(victim.SiloAddress, Recovery);
            return sinceKill.Elapsed;
        });

        await Task.WhenAll(held.Select(h => Notifier.WaitAsync(n => n.Kind == RecordingNotifier.Withdrawn && n.ConversationId == h.Id, Recovery)));
        var breaches = (await Task.WhenAll(angry.Select(a => Notifier.WaitAsync(n => IsBreach(n) && n.ConversationId == a.Id, Recovery))))
            .ToDictionary(n => n.ConversationId, n => (SupervisorAlert)n.Payload!);
        var detected = await declaredDead;
        await fixture.RestAsync([agent.GetPrimaryKeyString()], [.. held.Select(h => h.Id), .. angry.Select(a => a.Id)]);

        List<TimeSpan> reservationLateness = [];
        foreach (var (grain, id) in held)
        {
            var view = await grain.GetAsync();
            var joined = view.Messages.First(m => m.From == MessageAuthor.System && m.AgentId == agent.GetPrimaryKeyString()).At;
            var expired = view.SlaEvents.First(e => e.Kind == SlaEventKind.ReservationExpired);
            Assert.True(expired.At >= joined + DeadlineCrashClusterFixture.ReservationTimeout, $"Conversation {id}'s reservation expired early.");
            reservationLateness.Add(expired.At - (joined + DeadlineCrashClusterFixture.ReservationTimeout));
        }

        List<TimeSpan> breachLateness = [];
        foreach (var (grain, id) in angry)
        {
            var view = await grain.GetAsync();
            Assert.True(view.Breached);
            Assert.Equal(1, Notifier.Count(n => IsBreach(n) && n.ConversationId == id));
            Assert.True(breaches[id].At >= view.FirstResponseDueAt, $"Conversation {id} breached early.");
            Assert.Single(view.SlaEvents, e => e.Kind == SlaEventKind.Breached);
            breachLateness.Add(breaches[id].At - view.FirstResponseDueAt);
        }

        output.WriteLine($"The silo was declared dead {detected.TotalSeconds:0.0} s after the kill");
        output.WriteLine($"Reservation timeouts fired {reservationLateness.Min().TotalSeconds:0.0}–{reservationLateness.Max().TotalSeconds:0.0} s late; breaches {breachLateness.Min().TotalSeconds:0.0}–{breachLateness.Max().TotalSeconds:0.0} s late (both fell due while the silo was being declared dead)");
        await fixture.AssertInvariantsAsync([agent], [.. held.Select(h => h.Id), .. angry.Select(a => a.Id)], skill);
    }

    private static bool IsBreach(Notification n) =>
        n.Kind == RecordingNotifier.Alert && n.Payload is SupervisorAlert { Kind: SupervisorAlertKind.Breach };
}
