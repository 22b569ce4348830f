using Orleans.Configuration;
using Orleans.Metadata;
using StackExchange.Redis;
using Switchboard.Agents;
using Switchboard.Queues;

namespace Switchboard.Hosting;

/// <summary>
/// Where the cluster's long-lived grains are registered. Orleans' default directory is spread over the silos, and when
/// a silo leaves (stopped or dead) every other silo deactivates the activations whose entries that silo held, so that
/// no grain is ever active twice. With the default directory, removing one silo of four under traffic deactivated
/// agents, queues and customers on the silos that stayed (docs/benchmarks.md, scale-in). Agents and queues hold what
/// routing needs in memory (presence, waiting lists, the agents a queue may offer to), so in a cluster with Redis
/// (<c>ConnectionStrings:redis</c>, which the SignalR backplane needs anyway) they register in Orleans' Redis grain
/// directory instead: a silo leaving touches only the grains it held itself. Conversations and customers, one or two
/// per chat, stay in the default directory, which costs no round trip per activation.
/// <c>Switchboard:Cluster:LastingGrainDirectory=Default</c> keeps everything in the default directory.
/// </summary>
public static class LastingGrainDirectory
{
    public const string Name = "lasting";

    /// <summary>The grain classes registered in Redis.</summary>
    public static IReadOnlyList<Type> Grains { get; } = [typeof(AgentGrain), typeof(AgentHistoryGrain), typeof(AgentDirectoryGrain), typeof(QueueGrain)];

    public static bool IsOn(IConfiguration configuration) =>
        !ClusterHosting.IsEmbedded(configuration)
        && !string.IsNullOrWhiteSpace(configuration.GetConnectionString(ClusterHosting.RedisConnectionName))
        && !string.Equals(configuration["Switchboard:Cluster:LastingGrainDirectory"], "Default", StringComparison.OrdinalIgnoreCase);

    public static ISiloBuilder AddLastingGrainDirectory(this ISiloBuilder silo, IConfiguration configuration)
    {
        if (!IsOn(configuration))
        {
            return silo;
        }

        var redis = configuration.GetConnectionString(ClusterHosting.RedisConnectionName)!;
        silo.AddRedisGrainDirectory(Name, options => options.ConfigurationOptions = ConfigurationOptions.Parse(redis));
        silo.Services.AddSingleton<IGrainPropertiesProvider, DirectoryProperty>();
        return silo;
    }

    private sealed class DirectoryProperty : IGrainPropertiesProvider
    {
        public void Populate(Type grainClass, GrainType grainType, Dictionary<string, string> properties)
        {
            if (Grains.Contains(grainClass))
            {
                properties[WellKnownGrainTypeProperties.GrainDirectory] = Name;
            }
        }
    }
}
