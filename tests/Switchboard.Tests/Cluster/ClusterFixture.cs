using System.Collections.Immutable;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Time.Testing;
using Orleans.TestingHost;
using Switchboard.Agents;
using Switchboard.Conversations;
using Switchboard.Metrics;
using Switchboard.Notifications;
using Switchboard.Queues;

namespace Switchboard.Tests.Cluster;

/// <summary>
/// A two-silo in-process cluster with memory storage and a recording notifier. Tests share it, so each takes fresh
/// agent ids and its own skills (queues) from <see cref="NewSkill"/>.
/// </summary>
public class ClusterFixture : IAsyncLifetime
{
    private const int SkillCount = 100;
    private int _nextSkill;

    public RecordingNotifier Notifier { get; } = new();

    /// <summary>The silos' clock; null when the fixture runs on real time.</summary>
    public FakeTimeProvider? Time { get; init; }

    public TimeSpan OfflineGracePeriod { get; init; } = TimeSpan.FromMinutes(1);

    /// <summary>Changes to the default settings a fixture wants (after skills and grace period are set).</summary>
    public Action<SwitchboardOptions>? Configure { get; init; }

    /// <summary>How many silos the cluster starts with.</summary>
    public short SiloCount { get; init; } = 2;

    public InProcessTestCluster Cluster { get; private set; } = null!;

    public IGrainFactory Grains => Cluster.Client;

    public static string Skill(int i) => $"skill-{i:000}";

    public string NewSkill()
    {
        var i = Interlocked.Increment(ref _nextSkill) - 1;
        return i < SkillCount ? Skill(i) : throw new InvalidOperationException("Raise ClusterFixture.SkillCount.");
    }

    public async Task InitializeAsync()
    {
        var builder = new InProcessTestClusterBuilder(SiloCount);
        ConfigureCluster(builder);
        builder.ConfigureSilo((_, silo) =>
        {
            silo.AddSwitchboardMetrics();
            silo.Services.AddSingleton<IChatNotifier>(Notifier);
            silo.Services.Configure<SwitchboardOptions>(options =>
            {
                options.OfflineGracePeriod = OfflineGracePeriod;
                options.Skills["general"] = new SkillOptions();
                for (var i = 0; i < SkillCount; i++)
                {
                    options.Skills[Skill(i)] = new SkillOptions();
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

        Cluster = builder.Build();
        await Cluster.DeployAsync();
    }

    public async Task DisposeAsync() => await Cluster.DisposeAsync();

    /// <summary>
    /// Grain storage and reminders, and any other Orleans setting a fixture needs. Memory by default: each silo keeps
    /// part of it, so a killed silo loses that part.
    /// </summary>
    protected virtual void ConfigureCluster(InProcessTestClusterBuilder builder) =>
        builder.ConfigureSilo((_, silo) =>
        {
            silo.AddMemoryGrainStorage(SwitchboardOptions.StorageName);
            silo.UseInMemoryReminderService();
        });

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

    /// <summary>The connection id <see cref="OnlineAgentAsync"/> connected the agent with.</summary>
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
}

[CollectionDefinition(Name)]
public sealed class ClusterCollection : ICollectionFixture<ClusterFixture>
{
    public const string Name = "cluster";
}
