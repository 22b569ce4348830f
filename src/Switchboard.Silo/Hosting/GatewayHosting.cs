using Microsoft.Extensions.Diagnostics.HealthChecks;
using Switchboard.Agents;
using Switchboard.Hubs;

namespace Switchboard.Hosting;

/// <summary>
/// The connection tier: the same executable and the same web front end (hubs, HTTP API, pages, auth, limits) as a
/// silo, hosted on an Orleans <b>client</b> instead of a silo (<c>Switchboard:Role=Gateway</c>, or <c>--role gateway</c>).
/// It finds the silos through the cluster's clustering provider (the <c>Orleans</c> section, as a silo reads it) and
/// hears the grains' pushes over the SignalR Redis backplane, so it needs both: without either it refuses to start.
/// </summary>
public static class GatewayHosting
{
    /// <summary>Where the role is read: <c>Silo</c> (the default: grains, and the web front end beside them) or <c>Gateway</c>.</summary>
    public const string RoleKey = "Switchboard:Role";

    private const string RoleSwitch = "--role";

    /// <summary>Whether this process is a gateway; any role other than Silo or Gateway is refused with its name.</summary>
    public static bool IsGateway(IConfiguration configuration) => configuration[RoleKey] switch
    {
        null or "" => false,
        var role when string.Equals(role, "Silo", StringComparison.OrdinalIgnoreCase) => false,
        var role when string.Equals(role, "Gateway", StringComparison.OrdinalIgnoreCase) => true,
        var role => throw new InvalidOperationException($"{RoleKey} is 'Silo' or 'Gateway', not '{role}'."),
    };

    /// <summary>Turns <c>--role gateway</c> (or <c>--role=gateway</c>) on the command line into <c>Switchboard:Role</c>.</summary>
    public static string[] ReadRoleSwitch(string[] args)
    {
        var read = new List<string>(args.Length);
        for (var i = 0; i < args.Length; i++)
        {
            if (args[i] == RoleSwitch && i + 1 < args.Length)
            {
                read.Add($"--{RoleKey}={args[++i]}");
            }
            else if (args[i].StartsWith(RoleSwitch + "=", StringComparison.Ordinal))
            {
                read.Add($"--{RoleKey}={args[i][(RoleSwitch.Length + 1)..]}");
            }
            else
            {
                read.Add(args[i]);
            }
        }

        return [.. read];
    }

    /// <summary>What a gateway cannot run without, each with the setting that supplies it.</summary>
    public static IEnumerable<string> Problems(IConfiguration configuration)
    {
        if (ClusterHosting.IsEmbedded(configuration))
        {
            yield return "A gateway is an Orleans client of a cluster and needs its clustering provider, the one the silos use: "
                + "set Orleans:Clustering:ProviderType (Orleans__Clustering__ProviderType=AdoNet with Invariant=Npgsql and ConnectionName=postgres, "
                + "or Redis with ConnectionName=redis) and the same Orleans:ClusterId and Orleans:ServiceId as the silos.";
        }

        if (string.IsNullOrWhiteSpace(configuration.GetConnectionString(ClusterHosting.RedisConnectionName)))
        {
            yield return "A gateway hears the grains' pushes over the SignalR Redis backplane: set ConnectionStrings:redis "
                + "(ConnectionStrings__redis=host:port), the same Redis the silos use.";
        }
    }

    /// <summary>The Orleans client and what the web front end needs from it in place of a silo's services.</summary>
    public static WebApplicationBuilder AddSwitchboardGateway(this WebApplicationBuilder builder)
    {
        var problems = Problems(builder.Configuration).ToList();
        if (problems.Count > 0)
        {
            throw new InvalidOperationException($"This gateway cannot start: {string.Join(" ", problems)}");
        }

        // The client reads the Orleans section as a silo does, but knows no silo-only providers (reminders, grain
        // storage) and refuses to start when it meets one: it gets the same settings without those, so an operator
        // gives gateways and silos one set of variables.
        builder.Services.AddOrleansClient(ClientConfiguration(builder.Configuration), client =>
        {
            // The hubs and the HTTP API ride through a silo's failure as they do on a silo: the same retry, here.
            client.Services.AddClusterCallOptions();
            client.AddOutgoingGrainCallFilter<UnavailableSiloRetry>();
        });

        builder.Services.AddSingleton<Settings.PhrasebookCache>();
        builder.Services.AddSingleton<Metrics.IClusterKpis, Metrics.ClusterKpisThroughSilo>();
        builder.Services.AddSingleton(_ => new AgentConnections(ConnectionHosts.Gateway(Environment.MachineName, Environment.ProcessId)));
        builder.Services.AddSingleton<GatewayDepartures>();
        builder.Services.AddSingleton<ISiloDepartures>(services => services.GetRequiredService<GatewayDepartures>());
        builder.Services.AddSingleton<GatewayCountChangedHandler>(services => services.GetRequiredService<GatewayDepartures>().OnGatewayCountChanged);
        return builder;
    }

    private static readonly string[] SiloOnlySections = ["Orleans:Reminders", "Orleans:GrainStorage"];

    private static IConfiguration ClientConfiguration(IConfiguration configuration) =>
        new ConfigurationBuilder()
            .AddInMemoryCollection(configuration.AsEnumerable().Where(setting => !SiloOnlySections.Any(section =>
                setting.Key.Equals(section, StringComparison.OrdinalIgnoreCase) || setting.Key.StartsWith(section + ":", StringComparison.OrdinalIgnoreCase))))
            .Build();
}

/// <summary>A gateway is ready when the cluster answers it: an active silo is known through a grain call.</summary>
internal sealed class ClusterConnectionCheck(IGrainFactory grains) : IHealthCheck
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(5);

    public async Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default)
    {
        try
        {
            var silos = await grains.GetGrain<IManagementGrain>(0).GetHosts(onlyActive: true).WaitAsync(Timeout, cancellationToken);
            return silos.Count > 0
                ? HealthCheckResult.Healthy($"The cluster answers with {silos.Count} active silos.")
                : HealthCheckResult.Unhealthy("The cluster answers, but no silo is active.");
        }
        catch (Exception ex)
        {
            return HealthCheckResult.Unhealthy("The cluster did not answer.", ex);
        }
    }
}
