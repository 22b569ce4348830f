using System.Collections.Immutable;
using System.Diagnostics;
using System.Globalization;
using Switchboard.Agents;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;
using Switchboard.Conversations;
using Switchboard.Deadlines;
using Switchboard.Queues;
using Switchboard.Supervision;
using Xunit.Abstractions;

namespace Switchboard.Tests.Cluster;

/// <summary>
/// Kills a silo that holds live conversations (issue #3, item 5): deadlines still fire, waiting conversations still
/// reach an agent, assignments stay where they were, and no agent takes more than its capacity.
/// </summary>
[Collection(CrashClusterCollection.Name)]
public sealed class SiloCrashTests(CrashClusterFixture fixture, ITestOutputHelper output)
{
    private static readonly TimeSpan Recovery = TimeSpan.FromSeconds(60);

    private RecordingNotifier Notifier => fixture.Notifier;

    [Fact]
    public async Task AfterASiloDiesEveryDeadlineFiresAndEveryWaitingConversationIsAssigned()
    {
        await fixture.EnsureAllSilosAsync();
        var silos = fixture.Cluster.Silos;
        var (home, victim, other) = (silos[0], silos[1], silos[2]);
        var skill = fixture.NewSkill();
        // The queue's waiting list and agent cache live only in its memory: put it where the crash will be.
        var queue = fixture.Grains.GetGrain<IQueueGrain>(skill);
        await CrashClusterFixture.OnSiloAsync(victim, queue.GetAsync);

        // Thirty customers, a third of them on each silo, before any agent is online.
        List<(IConversationGrain Grain, string Id)> conversations = [];
        for (var i = 0; i < 30; i++)
        {
            conversations.Add(await CrashClusterFixture.OnSiloAsync(silos[i % 3], () => fixture.StartAsync(skill)));
        }

        var ids = conversations.Select(c => c.Id).ToHashSet();
        await Notifier.WaitForQueuedAsync([.. ids]);

        await using var hub = new HubHeartbeat(CrashClusterFixture.PresenceRefreshPeriod);
        var first = await CrashClusterFixture.OnSiloAsync(home, () => NewAgentAsync(skill, capacity: 10));
        hub.Keep(first);
        await Notifier.WaitUntilAsync(seen => AssignedTo(seen, first, ids) == 10, Recovery);
        // The second agent is known before the crash and connects after it.
        var second = await CrashClusterFixture.OnSiloAsync(other, () => NewAgentAsync(skill, capacity: 20));

        var before = (await Task.WhenAll(conversations.Select(c => c.Grain.GetAsync()))).ToDictionary(c => c.Id);
        var assigned = before.Values.Where(c => c.Status == ConversationStatus.Assigned).Select(c => c.Id).ToHashSet();
        var waiting = before.Values.Where(c => c.Status == ConversationStatus.Waiting).Select(c => c.Id).ToHashSet();
        Assert.Equal(10, assigned.Count);
        Assert.Equal(20, waiting.Count);
        var onVictim = conversations.Where(c => fixture.HostOf(c.Grain) == victim.SiloAddress).Select(c => c.Id).ToHashSet();
        Assert.Equal(victim.SiloAddress, fixture.HostOf(queue));
        Assert.Equal(10, onVictim.Count);
        Assert.Contains(onVictim, assigned.Contains);
        Assert.Contains(onVictim, waiting.Contains);
        // The kill comes before every deadline, so each breach below is fired by a clock that survived the crash.
        Assert.Equal(0, Notifier.Count(n => IsBreach(n) && ids.Contains(n.ConversationId)));

        var killedAt = DateTimeOffset.UtcNow;
        var sinceKill = Stopwatch.StartNew();
        await fixture.CrashAsync(victim);
        output.WriteLine($"Killed {victim.SiloAddress} (the queue, {onVictim.Count(assigned.Contains)} assigned and {onVictim.Count(waiting.Contains)} waiting conversations) in {sinceKill.ElapsedMilliseconds} ms; first deadline {Until(before.Values.Min(c => c.FirstResponseDueAt), killedAt)} after the kill");
        var declaredDead = Task.Run(async () =>
        {
            await fixture.DeclaredDeadAsync(victim.SiloAddress, Recovery);
            return sinceKill.Elapsed;
        });
        hub.Keep(second);

        await Notifier.WaitUntilAsync(seen => waiting.All(id => seen.Any(n => n.Kind == RecordingNotifier.Assigned && n.ConversationId == id)), Recovery);
        var breaches = (await Task.WhenAll(ids.Select(id => Notifier.WaitAsync(n => IsBreach(n) && n.ConversationId == id, Recovery))))
            .ToDictionary(n => n.ConversationId, n => (SupervisorAlert)n.Payload!);
        var allBreached = sinceKill.Elapsed;

        var after = (await Task.WhenAll(conversations.Select(c => c.Grain.GetAsync()))).ToDictionary(c => c.Id);
        var lateness = ids.Select(id => breaches[id].At - after[id].FirstResponseDueAt).ToList();
        var joinedAt = waiting.ToDictionary(id => id, id => after[id].Messages.Last(m => m.From == MessageAuthor.System && m.AgentId == second.GetPrimaryKeyString()).At);
        output.WriteLine($"The silo was declared dead {(await declaredDead).TotalSeconds:0.0} s after the kill");
        output.WriteLine($"Waiting conversations reached the second agent {Until(joinedAt.Values.Min(), killedAt)}–{Until(joinedAt.Values.Max(), killedAt)} after the kill (those on the dead silo {Until(joinedAt.Where(j => onVictim.Contains(j.Key)).Max(j => j.Value), killedAt)}, on the survivors {Until(joinedAt.Where(j => !onVictim.Contains(j.Key)).Max(j => j.Value), killedAt)}); their deadlines were {Until(waiting.Min(id => after[id].FirstResponseDueAt), killedAt)}–{Until(waiting.Max(id => after[id].FirstResponseDueAt), killedAt)} after it");
        output.WriteLine($"Breach alerts fired {lateness.Min().TotalSeconds:0.0}–{lateness.Max().TotalSeconds:0.0} s after their deadlines, all {allBreached.TotalSeconds:0.0} s after the kill; {hub.Failures} presence confirmations failed while the silo died");

        // Recovery takes failure detection and a wake-up period, well inside the deadlines: a waiting conversation
        // that reached an agent only at its breach had not re-entered the queue the crash emptied.
        foreach (var id in waiting)
        {
            Assert.True(
                joinedAt[id] < after[id].FirstResponseDueAt,
                $"Waiting conversation {id} ({(onVictim.Contains(id) ? "on the dead silo" : "on a surviving silo")}) was assigned {Until(joinedAt[id], killedAt)} after the kill, not before its deadline {Until(after[id].FirstResponseDueAt, killedAt)} after it.");
        }

        foreach (var id in ids)
        {
            var (was, now) = (before[id], after[id]);
            Assert.Equal(ConversationStatus.Assigned, now.Status);
            Assert.Equal(assigned.Contains(id) ? first.GetPrimaryKeyString() : second.GetPrimaryKeyString(), now.AgentId);
            Assert.True(now.Breached, $"Conversation {id} has no breach recorded.");
            Assert.True(breaches[id].At >= now.FirstResponseDueAt, $"Conversation {id} was alerted before its deadline.");
            Assert.Equal(was.Messages, now.Messages.Take(was.Messages.Length));
            Assert.Equal(1, Notifier.Count(n => n.Kind == RecordingNotifier.Assigned && n.ConversationId == id));
            Assert.Equal(1, Notifier.Count(n => IsBreach(n) && n.ConversationId == id));
        }

        Assert.Equal(assigned.Order(), (await first.GetAsync())!.Conversations);
        Assert.Equal(waiting.Order(), (await second.GetAsync())!.Conversations);
        Assert.Equal(10, Notifier.Count(n => n.Kind == RecordingNotifier.Assigned && n.AgentId == first.GetPrimaryKeyString()));
        Assert.Equal(20, Notifier.Count(n => n.Kind == RecordingNotifier.Assigned && n.AgentId == second.GetPrimaryKeyString()));
        await fixture.AssertInvariantsAsync([first, second], ids, skill);
    }

    [Fact]
    public async Task AnAgentWhoseGrainDiedWithItsSiloKeepsItsConversationsOnceItsConnectionIsConfirmed()
    {
        await fixture.EnsureAllSilosAsync();
        var silos = fixture.Cluster.Silos;
        var (home, victim) = (silos[0], silos[1]);
        var skill = fixture.NewSkill();
        await CrashClusterFixture.OnSiloAsync(home, fixture.Grains.GetGrain<IQueueGrain>(skill).GetAsync);
        await using var hub = new HubHeartbeat(CrashClusterFixture.PresenceRefreshPeriod);
        var agent = await CrashClusterFixture.OnSiloAsync(victim, () => NewAgentAsync(skill, capacity: 2));
        hub.Keep(agent);
        await hub.ConfirmedAfterAsync(agent, DateTimeOffset.MinValue, Recovery);

        List<(IConversationGrain Grain, string Id)> conversations = [];
        for (var i = 0; i < 3; i++)
        {
            conversations.Add(await CrashClusterFixture.OnSiloAsync(home, () => fixture.StartAsync(skill)));
        }

        var held = conversations.Take(2).Select(c => c.Id).ToHashSet();
        var third = conversations[2].Id;
        await Notifier.WaitUntilAsync(seen => AssignedTo(seen, agent, held) == 2, Recovery);
        await Notifier.WaitForQueuedAsync(third);
        Assert.Equal(victim.SiloAddress, fixture.HostOf(agent));

        var killedAt = DateTimeOffset.UtcNow;
        var sinceKill = Stopwatch.StartNew();
        await fixture.CrashAsync(victim);

        var view = await hub.ConfirmedAfterAsync(agent, killedAt, Recovery);
        output.WriteLine($"The agent's connection was confirmed to its new activation {sinceKill.Elapsed.TotalSeconds:0.0} s after the kill ({hub.Failures} confirmations failed)");
        Assert.Equal(AgentPresence.Online, view.Presence);
        Assert.Equal(held.Order(), view.Conversations);
        Assert.NotEqual(victim.SiloAddress, fixture.HostOf(agent));
        foreach (var (grain, id) in conversations.Take(2))
        {
            var conversation = await grain.GetAsync();
            Assert.Equal(ConversationStatus.Assigned, conversation.Status);
            Assert.Equal(agent.GetPrimaryKeyString(), conversation.AgentId);
        }

        // Full, so the third customer goes to a colleague, and the agent never got more than its capacity.
        var colleague = await NewAgentAsync(skill, capacity: 2);
        hub.Keep(colleague);
        await Notifier.WaitAsync(n => n.Kind == RecordingNotifier.Assigned && n.ConversationId == third && n.AgentId == colleague.GetPrimaryKeyString(), Recovery);
        Assert.Equal(held.Order(), (await agent.GetAsync())!.Conversations);
        Assert.Equal(2, Notifier.Count(n => n.Kind == RecordingNotifier.Assigned && n.AgentId == agent.GetPrimaryKeyString()));
        Assert.Equal(0, Notifier.Count(n => n.Kind == RecordingNotifier.Withdrawn && held.Contains(n.ConversationId)));
        await fixture.AssertInvariantsAsync([agent, colleague], conversations.Select(c => c.Id), skill);
    }

    [Fact]
    public async Task DeadlineShardsSpreadOverTheSilosAndASiloThatJoinsTakesItsShare()
    {
        await fixture.EnsureAllSilosAsync();
        var deadlines = ((Orleans.TestingHost.InProcessSiloHandle)fixture.Cluster.Silos[0]).ServiceProvider.GetRequiredService<IOptions<SwitchboardOptions>>().Value.Deadlines;
        var shards = Enumerable.Range(0, deadlines.Shards).Select(i => fixture.Grains.GetGrain<IDeadlineShardGrain>(i)).ToList();
        await Task.WhenAll(shards.Select(shard => shard.EnsureActiveAsync(siloLost: false)));

        // A silo dies: its shards come back on the two that stay; a new one joins and takes its share from them.
        var victim = (Orleans.TestingHost.InProcessSiloHandle)fixture.Cluster.Silos[2];
        await fixture.CrashAsync(victim);
        await fixture.DeclaredDeadAsync(victim.SiloAddress, Recovery);
        await fixture.EnsureAllSilosAsync();
        var joined = fixture.Cluster.Silos[^1].SiloAddress;

        var silos = fixture.Cluster.Silos.Select(s => s.SiloAddress).ToList();
        await Orleans.TestingHost.Utils.TestingUtils.WaitUntilAsync(
            _ => Task.FromResult(shards.Select((shard, i) => fixture.HostOf(shard) == DeadlineShardPlacement.Owner(i, silos)).All(placed => placed)),
            Recovery);
        var perSilo = shards.GroupBy(fixture.HostOf).ToDictionary(g => g.Key!, g => g.Count());
        output.WriteLine(string.Join(", ", perSilo.Select(p => $"{p.Key}: {p.Value}")));
        Assert.Equal(silos.Count, perSilo.Count);
        Assert.All(perSilo.Values, count => Assert.InRange(count, deadlines.Shards / silos.Count, (deadlines.Shards + silos.Count - 1) / silos.Count));
        Assert.Contains(joined, perSilo.Keys);

        // Moved shards still hold and fire what they held: a deadline set now on a moved shard fires.
        var skill = fixture.NewSkill();
        var movedShard = Enumerable.Range(0, shards.Count).First(i => fixture.HostOf(shards[i]) == joined);
        var id = IdOnShard(deadlines, movedShard);
        var started = await StartOnAsync((Orleans.TestingHost.InProcessSiloHandle)fixture.Cluster.Silos[0], id, skill);
        var breach = (SupervisorAlert)(await Notifier.WaitAsync(n => IsBreach(n) && n.ConversationId == id, Recovery)).Payload!;
        Assert.True(breach.At >= started.FirstResponseDueAt);
        await fixture.RestAsync([], [id]);
    }

    [Fact]
    public async Task AWakeUpTimeTheStoreRefusedIsStoredOnceItRecoversAndFiresAfterTheSiloDies()
    {
        // A conversation whose deadline shard lives on the silo that will die with it, so only what the shard stored
        // can bring its deadline back.
        var (victim, shard, store, deadlines, skill) = await ShardOnVictimAsync();
        var id = IdOnShard(deadlines, shard);
        store.Refuse(DeadlineState);
        var refused = store.NextWriteAsync(DeadlineState, refused: true);
        var started = await StartOnAsync(victim, id, skill);
        await Notifier.WaitForQueuedAsync(id);
        await refused.WaitAsync(Recovery);
        // The customer was not kept waiting on the deadline service: the start went through while it could not store.
        Assert.Equal(ConversationStatus.Waiting, started.Status);

        // The segment of the shard that holds its wake-up time (its deadline: nothing else falls due before it).
        var stored = store.NextWriteAsync(DeadlineState, refused: false, of: SegmentHolding(shard, started.FirstResponseDueAt, deadlines));
        store.Accept(DeadlineState);
        await stored.WaitAsync(Recovery);

        var killedAt = DateTimeOffset.UtcNow;
        var breach = (await CrashAndAwaitBreachesAsync(victim, new Dictionary<string, ConversationView> { [id] = started }))[id];
        output.WriteLine($"Killed {Until(started.FirstResponseDueAt, killedAt)} before the deadline; the breach fired {(breach.At - started.FirstResponseDueAt).TotalSeconds:0.0} s after it");
        Assert.NotEqual(victim.SiloAddress, fixture.HostOf(fixture.Grains.GetGrain<IConversationGrain>(id)));
    }

    [Fact]
    public async Task AShardWhoseSegmentAnotherWriterChangedReadsItAgainStoresAndStillFiresAfterTheSiloDies()
    {
        var (victim, shard, store, deadlines, skill) = await ShardOnVictimAsync();
        var (first, second) = (IdOnShard(deadlines, shard), IdOnShard(deadlines, shard));
        var started = new Dictionary<string, ConversationView>();
        started[first] = await StartOnAsync(victim, first, skill);

        // Another writer (a duplicate activation for a moment, or a write whose answer was lost) changes the stored
        // segments: the shard's next write of them conflicts, and it must read them again rather than fail forever.
        Assert.True(store.Touch(DeadlineState, $"{shard}-") > 0);
        // Its first write conflicts (the version it holds is old, and a conflict stores nothing); the next, after reading
        // the segment again, stores it with both conversations.
        var expected = DateTimeOffset.UtcNow + CrashClusterFixture.FirstResponse;
        var stored = store.NextWriteAsync(DeadlineState, refused: false, of: id => SegmentHolding(shard, expected, deadlines)(id) || SegmentHolding(shard, expected + TimeSpan.FromSeconds(1), deadlines)(id));
        started[second] = await StartOnAsync(victim, second, skill);
        await Notifier.WaitForQueuedAsync(first, second);
        await stored.WaitAsync(Recovery);

        await CrashAndAwaitBreachesAsync(victim, started);
    }

    /// <summary>
    /// The set-up of the storage-fault tests: every silo up, deadline shard 0 on the silo to be killed, the shared store
    /// the test turns, the deadline options and a fresh skill.
    /// </summary>
    private async Task<(Orleans.TestingHost.InProcessSiloHandle Victim, int Shard, SharedGrainStore Store, DeadlineOptions Deadlines, string Skill)> ShardOnVictimAsync()
    {
        await fixture.EnsureAllSilosAsync();
        var (victim, shard) = await ShardToKillAsync();
        var deadlines = victim.ServiceProvider.GetRequiredService<IOptions<SwitchboardOptions>>().Value.Deadlines;
        return (victim, shard, fixture.SharedStore!, deadlines, fixture.NewSkill());
    }

    /// <summary>
    /// Kills <paramref name="victim"/> and waits until each conversation breached once, not before its deadline, on a
    /// live silo; the breach alerts.
    /// </summary>
    private async Task<IReadOnlyDictionary<string, SupervisorAlert>> CrashAndAwaitBreachesAsync(
        Orleans.TestingHost.InProcessSiloHandle victim, IReadOnlyDictionary<string, ConversationView> started)
    {
        await fixture.CrashAsync(victim);
        var breaches = new Dictionary<string, SupervisorAlert>();
        foreach (var id in started.Keys)
        {
            var breach = (SupervisorAlert)(await Notifier.WaitAsync(n => IsBreach(n) && n.ConversationId == id, Recovery)).Payload!;
            Assert.True(breach.At >= started[id].FirstResponseDueAt, $"Conversation {id} breached before its deadline.");
            Assert.True((await fixture.LiveGrains.GetGrain<IConversationGrain>(id).GetAsync()).Breached);
            breaches[id] = breach;
        }

        await fixture.RestAsync([], started.Keys);
        Assert.All(started.Keys, id => Assert.Equal(1, Notifier.Count(n => IsBreach(n) && n.ConversationId == id)));
        return breaches;
    }

    private async Task<ConversationView> StartOnAsync(Orleans.TestingHost.InProcessSiloHandle silo, string id, string skill)
    {
        var grain = fixture.Grains.GetGrain<IConversationGrain>(id);
        var outcome = await CrashClusterFixture.OnSiloAsync(silo, () => grain.StartAsync(new StartConversation("Ann", skill, "Where is my parcel?")));
        Assert.Equal(silo.SiloAddress, fixture.HostOf(grain));
        return outcome.Conversation;
    }

    /// <summary>The stored segment of <paramref name="shard"/> that holds a wake-up time of <paramref name="at"/>.</summary>
    private static Func<GrainId, bool> SegmentHolding(int shard, DateTimeOffset at, DeadlineOptions deadlines)
    {
        var segment = GrainId.Create("deadline-segment", $"{shard}-{at.UtcTicks / deadlines.SegmentWidth.Ticks}");
        return id => id == segment;
    }

    private static string IdOnShard(DeadlineOptions deadlines, int shard)
    {
        string id;
        do
        {
            id = Guid.NewGuid().ToString("N");
        }
        while (deadlines.ShardOf(id) != shard);
        return id;
    }

    /// <summary>
    /// A deadline shard active on the silo the test will kill (the second: the first is the test client's gateway).
    /// Shards are placed where they were first called, in a fresh cluster all on the first silo up: one is moved.
    /// </summary>
    private async Task<(Orleans.TestingHost.InProcessSiloHandle Silo, int Shard)> ShardToKillAsync()
    {
        var victim = fixture.Cluster.Silos[1];
        var shard = fixture.Grains.GetGrain<IDeadlineShardGrain>(0);
        await shard.EnsureActiveAsync(siloLost: false);
        if (fixture.HostOf(shard) != victim.SiloAddress)
        {
            await fixture.Cluster.MigrateAsync(shard, victim.SiloAddress);
            await CrashClusterFixture.OnSiloAsync(victim, () => shard.EnsureActiveAsync(siloLost: false));
        }

        Assert.Equal(victim.SiloAddress, fixture.HostOf(shard));
        return ((Orleans.TestingHost.InProcessSiloHandle)victim, 0);
    }

    /// <summary>An agent with a fresh id and the skill, configured but not yet connected.</summary>
    private async Task<IAgentGrain> NewAgentAsync(string skill, int capacity)
    {
        var agent = fixture.Grains.GetGrain<IAgentGrain>($"agent-{Guid.NewGuid():N}");
        await agent.ConfigureAsync(new AgentProfile("Test Agent", ImmutableDictionary<string, int>.Empty.Add(skill, 3), capacity));
        return agent;
    }

    private static int AssignedTo(IReadOnlyList<Notification> seen, IAgentGrain agent, IReadOnlySet<string> ids) =>
        seen.Count(n => n.Kind == RecordingNotifier.Assigned && n.AgentId == agent.GetPrimaryKeyString() && ids.Contains(n.ConversationId));

    private static bool IsBreach(Notification n) =>
        n.Kind == RecordingNotifier.Alert && n.Payload is SupervisorAlert { Kind: SupervisorAlertKind.Breach };

    private const string DeadlineState = "deadlines";

    private static string Until(DateTimeOffset at, DateTimeOffset from) => $"{(at - from).TotalSeconds:0.0} s";

    [Fact]
    public async Task AReservationWhoseQueueDiedBeforeAssigningIsGivenBack()
    {
        var skill = fixture.NewSkill();
        var agent = await fixture.OnlineAgentAsync(1, (skill, 3));
        await using var hub = new HubHeartbeat(CrashClusterFixture.PresenceRefreshPeriod);
        hub.Keep(agent);

        // A queue reserved the agent for a conversation and died before it could assign or release: the agent is full.
        var orphan = await agent.TryReserveAsync($"lost-{Guid.NewGuid():N}", skill, 1);
        Assert.True(orphan.Granted);
        var (_, id) = await fixture.StartAsync(skill);
        await Notifier.WaitForQueuedAsync(id);

        // Nobody claims the reservation, so after two refresh periods the agent gives it back and takes the next one.
        var (agentId, _) = await Notifier.WaitForAssignmentAsync(id);
        Assert.Equal(agent.GetPrimaryKeyString(), agentId);
        Assert.Equal(new[] { id }, (await agent.GetAsync())!.Conversations.AsEnumerable());
        await fixture.AssertInvariantsAsync([agent], [id], skill);
    }
}
