using System.Collections.Immutable;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Time.Testing;
using Orleans.Serialization;
using Orleans.Storage;
using Orleans.TestingHost;
using Switchboard.Agents;
using Switchboard.Conversations;
using Switchboard.Metrics;
using Switchboard.Notifications;
using Switchboard.Queues;
using Switchboard.Tests.Cluster.Invariants;

namespace Switchboard.Tests.Cluster;

/// <summary>
/// An in-process cluster of the Switchboard grains with a recording notifier and the routing invariant checker
/// (<see cref="AssertInvariantsAsync(IEnumerable{string}, IEnumerable{string}, IEnumerable{string}, string)"/>): the
/// fixture of every cluster test, set up by its properties. Tests share one per collection, so each takes fresh agent
/// ids and its own skills (queues) from <see cref="NewSkill"/>; a test that needs a cluster per case (a seed, say)
/// deploys its own with <see cref="DeployAsync{T}"/>.
/// </summary>
public class ClusterFixture : IAsyncLifetime, IAsyncDisposable
{
    public const string General = "general";

    /// <summary>Where the fake clocks of the shared fixtures start.</summary>
    public static readonly DateTimeOffset FakeTimeStart = new(2026, 11, 23, 9, 0, 0, TimeSpan.Zero);

    private static readonly TimeSpan RestTimeout = TimeSpan.FromSeconds(30);
    private int _nextSkill;
    private RoutingInvariants _invariants = null!;

    /// <summary>How many silos the cluster starts with.</summary>
    public short SiloCount { get; init; } = 2;

    /// <summary>The silos' clock; null when the fixture runs on real time.</summary>
    public FakeTimeProvider? Time { get; init; }

    public TimeSpan OfflineGracePeriod { get; init; } = TimeSpan.FromMinutes(1);

    /// <summary>
    /// The presence agents connect with. Online here, unlike the product (Away): these tests are about routing, and
    /// an agent they connect stands for one who chose Online. <see cref="SignInPresenceTests"/> uses the product's.
    /// </summary>
    public AgentPresence SignInStatus { get; init; } = AgentPresence.Online;

    /// <summary>The skills (queues) besides <see cref="General"/>, handed out by <see cref="NewSkill"/>.</summary>
    public IReadOnlyList<string> Skills { get; init; } = [.. Enumerable.Range(0, 100).Select(i => $"skill-{i:000}")];

    /// <summary>Changes to the default settings a fixture wants (after skills and grace period are set).</summary>
    public Action<SwitchboardOptions>? Configure { get; init; }

    public ClusterStorage Storage { get; init; } = ClusterStorage.PerSilo;

    /// <summary>With <see cref="ClusterStorage.Shared"/>: cleared records stay, as with the ADO.NET providers' defaults.</summary>
    public bool KeepClearedRecords { get; init; }

    /// <summary>The store every silo writes to, with <see cref="ClusterStorage.Shared"/>.</summary>
    public SharedGrainStore? SharedStore { get; private set; }

    public RecordingNotifier Notifier { get; } = new();

    /// <summary>The Switchboard calls in flight, counted on the client and every silo.</summary>
    public ClusterActivity Activity { get; } = new();

    public InProcessTestCluster Cluster { get; private set; } = null!;

    public IGrainFactory Grains => Cluster.Client;

    /// <summary>The time the grains see.</summary>
    public DateTimeOffset Now => Time?.GetUtcNow() ?? DateTimeOffset.UtcNow;

    public string NewSkill()
    {
        var i = Interlocked.Increment(ref _nextSkill) - 1;
        return i < Skills.Count ? Skills[i] : throw new InvalidOperationException("Give ClusterFixture more Skills.");
    }

    /// <summary>
    /// Deploys <paramref name="fixture"/> outside xunit's fixture lifetime, for a test that needs a cluster of its own
    /// per case; disposing it tears the cluster down.
    /// </summary>
    public static async Task<T> DeployAsync<T>(T fixture) where T : ClusterFixture
    {
        await fixture.InitializeAsync();
        return fixture;
    }

    public async Task InitializeAsync()
    {
        var builder = new InProcessTestClusterBuilder(SiloCount);
        builder.ConfigureClient(Activity.Install);
        builder.ConfigureSilo((_, silo) =>
        {
            Activity.Install(silo);
            silo.AddSwitchboardGrains();
            silo.Services.AddSingleton<IChatNotifier>(Notifier);
            silo.Services.Configure<SwitchboardOptions>(options =>
            {
                options.OfflineGracePeriod = OfflineGracePeriod;
                options.SignInStatus = SignInStatus;
                options.Skills[General] = new SkillOptions();
                foreach (var skill in Skills)
                {
                    options.Skills[skill] = new SkillOptions();
                }

                Configure?.Invoke(options);
            });
            if (Time is not null)
            {
                silo.Services.AddSingleton<TimeProvider>(Time);
                // Membership and messaging stay on real time, or the cluster never forms.
                silo.Services.UseTimeProviderForBackgroundAreas(TimeProvider.System);
            }
        });
        ConfigureStorage(builder);
        ConfigureCluster(builder);

        Cluster = builder.Build();
        await Cluster.DeployAsync();
        _invariants = new RoutingInvariants(Cluster.Client);
    }

    public Task DisposeAsync() => StoppingOnFakeTime.StopAsync(Time, Cluster.DisposeAsync().AsTask());

    ValueTask IAsyncDisposable.DisposeAsync() => new(DisposeAsync());

    /// <summary>Any other Orleans setting a fixture needs (a crash switch, membership timings).</summary>
    protected virtual void ConfigureCluster(InProcessTestClusterBuilder builder)
    {
    }

    private void ConfigureStorage(InProcessTestClusterBuilder builder)
    {
        if (Storage == ClusterStorage.PerSilo)
        {
            builder.ConfigureSilo((_, silo) =>
            {
                silo.AddMemoryGrainStorage(SwitchboardOptions.StorageName);
                silo.UseInMemoryReminderService();
            });
            return;
        }

        var store = SharedStore = new SharedGrainStore { KeepClearedRecords = KeepClearedRecords };
        var reminders = new SharedReminderTable();
        builder.ConfigureSilo((_, silo) =>
        {
            silo.Services.AddKeyedSingleton<IGrainStorage>(
                SwitchboardOptions.StorageName,
                (services, _) => new SharedGrainStorage(store, services.GetRequiredService<Serializer>()));
            silo.AddReminders();
            silo.Services.AddSingleton<IReminderTable>(reminders);
        });
    }

    /// <summary>Creates an agent with a fresh id and connects it (Online).</summary>
    public Task<IAgentGrain> OnlineAgentAsync(int capacity, params (string Skill, int Proficiency)[] skills) =>
        OnlineAgentAsync(capacity, supervisor: false, skills);

    /// <summary>Creates an agent (or supervisor) with a fresh id and connects it (Online).</summary>
    public async Task<IAgentGrain> OnlineAgentAsync(int capacity, bool supervisor, params (string Skill, int Proficiency)[] skills)
    {
        var agent = Grains.GetGrain<IAgentGrain>($"agent-{Guid.NewGuid():N}");
        await agent.ConfigureAsync(new AgentProfile(
            "Test Agent",
            skills.ToImmutableDictionary(s => s.Skill, s => s.Proficiency),
            capacity,
            supervisor));
        await agent.ConnectAsync(ConnectionOf(agent));
        return agent;
    }

    /// <summary>The connection id <see cref="OnlineAgentAsync(int, bool, ValueTuple{string, int}[])"/> connected the agent with.</summary>
    public static string ConnectionOf(IAgentGrain agent) => $"{agent.GetPrimaryKeyString()}/connection";

    public Task<(IConversationGrain Grain, string Id)> StartAsync(string skill, int priority = 0, string text = "Where is my parcel?") =>
        StartAsync(new StartConversation("Ann", skill, text, priority));

    public async Task<(IConversationGrain Grain, string Id)> StartAsync(StartConversation start)
    {
        var id = Guid.NewGuid().ToString("N");
        var grain = Grains.GetGrain<IConversationGrain>(id);
        await grain.StartAsync(start);
        return (grain, id);
    }

    /// <summary>
    /// The queue's view. Enqueues are one-way and may arrive after this call, so tests first wait for the
    /// notifications that prove what they expect to find.
    /// </summary>
    public Task<QueueView> QueueAsync(string skill) => Grains.GetGrain<IQueueGrain>(skill).GetAsync();

    /// <summary>
    /// Lets the cluster finish what it was told: a call to each grain named whose timer may have fired (its tick runs
    /// first, and what the tick sends is counted), then no Switchboard call in flight anywhere.
    /// </summary>
    public async Task RestAsync(IEnumerable<string> agentIds, IEnumerable<string> conversationIds)
    {
        await SettleAsync();
        await Task.WhenAll(agentIds.Select(a => LiveGrains.GetGrain<IAgentGrain>(a).GetAsync()));
        await Task.WhenAll(conversationIds.Select(c => LiveGrains.GetGrain<IConversationGrain>(c).GetAsync()));
        await Activity.WaitForRestAsync(RestTimeout);
    }

    /// <summary>
    /// Grain calls made from inside the first live silo rather than through the test's client, whose gateway may be
    /// a silo a test just killed (the client keeps trying it until it learns otherwise).
    /// </summary>
    public IGrainFactory LiveGrains => ((InProcessSiloHandle)Cluster.Silos[0]).ServiceProvider.GetRequiredService<IGrainFactory>();

    /// <summary>
    /// Brings the cluster to rest and checks the routing promises (<see cref="RoutingInvariants"/>) over the agents and
    /// conversations named, in <paramref name="queues"/> and the queues any conversation may overflow to
    /// (<see cref="General"/>, supervisors). Conversations of other tests in those queues are not judged.
    /// </summary>
    /// <param name="when">Names the moment in the failure message (a phase of a longer run, say).</param>
    public async Task AssertInvariantsAsync(
        IEnumerable<string> agentIds, IEnumerable<string> conversationIds, IEnumerable<string> queues, string when = "the test")
    {
        var agents = agentIds.ToList();
        var conversations = conversationIds.ToList();
        var allQueues = queues.Append(General).Append(Queues.Queues.Supervisors).Distinct().ToList();
        IReadOnlyList<string> violations = [];
        // A change can still be on its way when the calls come to rest (a timer that fired during the check); a
        // broken promise is one that stays broken at rest.
        for (var attempt = 0; attempt < 3; attempt++)
        {
            await RestAsync(agents, conversations);
            (violations, _) = await _invariants.CheckAsync(agents, conversations, allQueues, Now);
            if (violations.Count == 0)
            {
                return;
            }
        }

        Assert.Fail($"After {when}: {violations.Count} invariant violations:{Environment.NewLine}{string.Join(Environment.NewLine, violations)}");
    }

    /// <inheritdoc cref="AssertInvariantsAsync(IEnumerable{string}, IEnumerable{string}, IEnumerable{string}, string)"/>
    public Task AssertInvariantsAsync(IEnumerable<IAgentGrain> agents, IEnumerable<string> conversationIds, params string[] queues) =>
        AssertInvariantsAsync(agents.Select(a => a.GetPrimaryKeyString()), conversationIds, queues);

    /// <summary>Agents and waiting conversations never re-announce themselves: a queue moves only when a test acts.</summary>
    public static void NoPresenceRefresh(SwitchboardOptions options) => options.PresenceRefreshPeriod = TimeSpan.FromDays(30);

    /// <summary>An agent keeps what it is given, answered or not.</summary>
    public static void NoReservationTimeout(SwitchboardOptions options) => options.Sla.ReservationTimeout = TimeSpan.FromDays(1);

    /// <summary>
    /// Nothing overflows or becomes a ticket during a run, so conversations one test leaves waiting never wander into
    /// the fallback queues every test shares.
    /// </summary>
    public static void NoOverflow(SwitchboardOptions options)
    {
        options.Sla.OverflowAfter = TimeSpan.FromDays(20);
        options.Sla.TicketAfter = TimeSpan.FromDays(40);
    }

    /// <summary>Runs before the cluster is brought to rest: a fixture whose silos can crash stops counting their lost calls.</summary>
    protected virtual Task SettleAsync() => Task.CompletedTask;
}

/// <summary>Where a test cluster keeps grain state and reminders.</summary>
public enum ClusterStorage
{
    /// <summary>In each silo's memory: a killed silo loses its part.</summary>
    PerSilo,

    /// <summary>In stores outside every silo, as a database would hold them: a killed silo loses only what was in its memory.</summary>
    Shared,
}

[CollectionDefinition(Name)]
public sealed class ClusterCollection : ICollectionFixture<ClusterFixture>
{
    public const string Name = "cluster";
}
