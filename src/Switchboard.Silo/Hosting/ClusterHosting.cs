using Microsoft.AspNetCore.SignalR;
using Orleans.Configuration;
using Orleans.Hosting;
using Orleans.Serialization;
using Orleans.Storage;
using StackExchange.Redis;

namespace Switchboard.Hosting;

/// <summary>
/// One process on embedded defaults, or one silo of a cluster: configuration alone decides. Orleans itself reads its
/// <c>Orleans</c> section (ClusterId, ServiceId, Endpoints, and each provider named by a <c>ProviderType</c> key, e.g.
/// <c>Orleans:Clustering:ProviderType=AdoNet</c> with <c>Invariant=Npgsql</c> and <c>ConnectionName=postgres</c>);
/// this class supplies the embedded default for every provider left unnamed (grain state: <see cref="EmbeddedStorage"/>),
/// the membership timings and the SignalR backplane.
/// </summary>
public static class ClusterHosting
{
    /// <summary>The connection string (<c>ConnectionStrings:redis</c>) that turns the SignalR Redis backplane on.</summary>
    public const string RedisConnectionName = "redis";

    /// <summary>Where <see cref="ClusterMembershipOptions"/> are read from, beside the sections Orleans reads itself.</summary>
    public const string MembershipSection = "Orleans:Membership";

    /// <summary>Where Orleans' <see cref="ReminderOptions"/> are read from (e.g. a shorter MinimumReminderPeriod).</summary>
    public const string ReminderSection = "Orleans:ReminderOptions";

    /// <summary>One process on localhost clustering: no clustering provider is named.</summary>
    public static bool IsEmbedded(IConfiguration configuration) => configuration["Orleans:Clustering:ProviderType"] is null;

    public static ISiloBuilder AddSwitchboardProviders(this ISiloBuilder silo, IConfiguration configuration)
    {
        if (IsEmbedded(configuration))
        {
            silo.UseLocalhostClustering(
                siloPort: configuration.GetValue("Switchboard:Embedded:SiloPort", 11111),
                gatewayPort: configuration.GetValue("Switchboard:Embedded:GatewayPort", 30000));
        }

        // Embedded defaults keep grain state in a local SQLite file unless told to keep it in memory (EmbeddedStorage).
        if (EmbeddedStorage.UsesSqlite(configuration))
        {
            silo.AddSqliteGrainStorage(configuration);
        }
        else if (configuration[$"Orleans:GrainStorage:{SwitchboardOptions.StorageName}:ProviderType"] is null)
        {
            silo.AddMemoryGrainStorage(SwitchboardOptions.StorageName);
        }

        // Grain state is stored in Orleans' own binary format (Storage/GrainStateFormat, registered with the grains).

        // Grains may register reminders on embedded defaults too; a cluster names a durable provider instead.
        if (configuration["Orleans:Reminders:ProviderType"] is null)
        {
            silo.UseInMemoryReminderService();
        }

        // Agents and queues outlive another silo's departure (LastingGrainDirectory), in a cluster with Redis.
        silo.AddLastingGrainDirectory(configuration);

        // Orleans' experimental placement helpers, off unless asked for (docs/benchmarks.md, *Placement experiments*):
        // repartitioning moves grains that call each other across silos onto one silo; rebalancing evens out the
        // number of activations per silo (a silo that joined takes existing work, not only new).
        if (configuration.GetValue("Switchboard:Cluster:Repartitioning", false))
        {
#pragma warning disable ORLEANSEXP001 // Experimental in Orleans 10: measured here before it is ever a default.
            silo.AddActivationRepartitioner();
#pragma warning restore ORLEANSEXP001
        }

        if (configuration.GetValue("Switchboard:Cluster:Rebalancing", false))
        {
#pragma warning disable ORLEANSEXP002 // Experimental in Orleans 10: measured here before it is ever a default.
            silo.AddActivationRebalancer();
#pragma warning restore ORLEANSEXP002
        }

        // A silo that cannot reach its PostgreSQL at start says why and tries again, instead of aborting at once.
        silo.Services.AddPostgresStartupCheck();

        // A client's call whose grain is on a silo that failed or stopped is retried until the grain lives elsewhere.
        silo.Services.AddClusterCallOptions();
        silo.AddOutgoingGrainCallFilter<UnavailableSiloRetry>();

        // Tests and small deployments detect a dead silo in seconds instead of the default tens of seconds.
        silo.Services.AddOptions<ClusterMembershipOptions>().BindConfiguration(MembershipSection);
        // Membership's clock counts from this silo's start, not the machine's boot (see MembershipClock: the watchdog
        // otherwise reports a "deadlock" as long as the machine's uptime at every start).
        silo.Services.AddKeyedSingleton<TimeProvider>(TimeProviderNames.Membership, (_, _) => new MembershipClock());
        // Reminders are the deadline shards' backstop (one per shard); a deployment may tune Orleans' reminder options.
        silo.Services.AddOptions<ReminderOptions>().BindConfiguration(ReminderSection);
        return silo;
    }

    /// <summary>How a client's call rides through a silo's failure (<see cref="UnavailableSiloRetry"/>), on a silo or a gateway.</summary>
    public static IServiceCollection AddClusterCallOptions(this IServiceCollection services)
    {
        services.AddOptions<ClusterCallOptions>().BindConfiguration(ClusterCallOptions.Section)
            .Validate(o => o.UnavailableRetryFor >= TimeSpan.Zero && o.RetryAfter > TimeSpan.Zero, $"{ClusterCallOptions.Section}:UnavailableRetryFor must not be negative and RetryAfter must be positive.")
            .ValidateOnStart();
        return services;
    }

    /// <summary>
    /// With <c>ConnectionStrings:redis</c> set, hub pushes go through Redis so a grain on one silo reaches a client
    /// connected to another. Channels carry the cluster id, so clusters sharing a Redis never hear each other.
    /// </summary>
    public static ISignalRServerBuilder AddSwitchboardBackplane(this ISignalRServerBuilder signalR, IConfiguration configuration)
    {
        var redis = configuration.GetConnectionString(RedisConnectionName);
        if (string.IsNullOrWhiteSpace(redis))
        {
            return signalR;
        }

        var channelPrefix = $"switchboard:{configuration["Orleans:ClusterId"] ?? "default"}";
        return signalR.AddStackExchangeRedis(redis, options => options.Configuration.ChannelPrefix = RedisChannel.Literal(channelPrefix));
    }

    /// <summary>One line for the start-up log: which providers this silo runs on, or which cluster this gateway serves.</summary>
    public static string DescribeTopology(IConfiguration configuration, string contentRoot)
    {
        string Provider(string key, string embedded) => configuration[key] ?? embedded;
        if (GatewayHosting.IsGateway(configuration))
        {
            return $"gateway (Orleans client) of cluster '{configuration["Orleans:ClusterId"] ?? "default"}', "
                + $"clustering {Provider("Orleans:Clustering:ProviderType", "none")}, SignalR backplane Redis";
        }

        var storage = EmbeddedStorage.UsesSqlite(configuration)
            ? $"sqlite ({EmbeddedStorage.DatabasePath(configuration, contentRoot)})"
            : Provider($"Orleans:GrainStorage:{SwitchboardOptions.StorageName}:ProviderType", "memory");
        return $"cluster '{configuration["Orleans:ClusterId"] ?? "dev"}', "
            + $"clustering {Provider("Orleans:Clustering:ProviderType", "localhost")}, "
            + $"grain storage {storage}, "
            + $"reminders {Provider("Orleans:Reminders:ProviderType", "memory")}, "
            + $"SignalR backplane {(string.IsNullOrWhiteSpace(configuration.GetConnectionString(RedisConnectionName)) ? "none" : "Redis")}";
    }
}
