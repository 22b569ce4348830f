using System.Text.Json;
using System.Text.Json.Serialization;
using Microsoft.AspNetCore.Server.Kestrel.Core;
using Microsoft.AspNetCore.SignalR;
using Microsoft.AspNetCore.SignalR.Protocol;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Options;
using Switchboard.Api;
using Switchboard.Auth;
using Switchboard.Channels;
using Switchboard.Hubs;
using Switchboard.Limits;
using Switchboard.Metrics;
using Switchboard.Notifications;
using Switchboard.Tickets;
using Switchboard.Web;

namespace Switchboard.Hosting;

public static class SwitchboardHosting
{
    /// <summary>
    /// Orleans silo (or, as a gateway, an Orleans client: <see cref="GatewayHosting"/>), options, SignalR, HTTP API:
    /// everything one Switchboard process hosts.
    /// </summary>
    public static WebApplicationBuilder AddSwitchboard(this WebApplicationBuilder builder)
    {
        builder.Services.AddOptions<SwitchboardOptions>()
            .BindConfiguration(SwitchboardOptions.Section)
            .ValidateOnStart();
        builder.Services.AddSingleton<IValidateOptions<SwitchboardOptions>, SwitchboardOptionsValidator>();
        builder.Services.TryAddSingleton(TimeProvider.System);

        var gateway = GatewayHosting.IsGateway(builder.Configuration);
        if (gateway)
        {
            builder.AddSwitchboardGateway();
        }
        else
        {
            builder.UseOrleans(silo => silo.AddSwitchboardProviders(builder.Configuration).AddSwitchboardGrains());
            // A silo's grains push through the notifier below; a gateway has no grains and hears those pushes over the
            // backplane. Agent connections on a silo are named by its address, which membership knows.
            builder.Services.AddSingleton(services => new AgentConnections(services.GetRequiredService<ILocalSiloDetails>().SiloAddress.ToParsableString()));
            builder.Services.AddSingleton<ISiloDepartures, MembershipDepartures>();
        }

        builder.AddSwitchboardAuth();
        builder.AddSwitchboardLimits();
        builder.AddSwitchboardLogging();
        builder.AddSwitchboardChannels();
        builder.AddTicketDelivery();

        builder.Services.AddSingleton<SwitchboardHubFilter>();
        builder.Services.AddSignalR(hub => hub.AddFilter<SwitchboardHubFilter>())
            .AddJsonProtocol(json => ConfigureServerJson(json.PayloadSerializerOptions))
            .AddSwitchboardBackplane(builder.Configuration);
        // The JSON protocol with one change: a call nested past its reader's depth fails alone (see the class).
        foreach (var json in builder.Services.Where(d => d.ServiceType == typeof(IHubProtocol) && d.ImplementationType == typeof(JsonHubProtocol)).ToList())
        {
            builder.Services.Remove(json);
        }

        builder.Services.AddSingleton<IHubProtocol>(services => new CallScopedJsonHubProtocol(
            new JsonHubProtocol(services.GetRequiredService<IOptions<JsonHubProtocolOptions>>()),
            (int)Math.Min(int.MaxValue, services.GetRequiredService<IOptions<LimitsOptions>>().Value.MaxHubMessageBytes)));
        builder.Services.AddSingleton<PushOutbox>();
        builder.Services.AddSingleton<TypingThrottle>();
        builder.Services.AddSingleton<IChatNotifier, SignalRChatNotifier>();
        builder.Services.AddHostedService<AgentPresenceHeartbeat>();

        builder.Services.ConfigureHttpJsonOptions(json => ConfigureServerJson(json.SerializerOptions));
        builder.Services.Configure<RouteHandlerOptions>(o => o.ThrowOnBadRequest = true);
        builder.Services.AddProblemDetails();
        builder.Services.AddExceptionHandler<SwitchboardExceptionHandler>();
        builder.AddSwitchboardHealthAndMetrics(gateway);
        return builder;
    }

    public static WebApplication MapSwitchboard(this WebApplication app)
    {
        app.UseStoppingGate();
        app.UseExceptionHandler();
        app.UseStatusCodePages();
        app.MapConsolePages();
        app.UseAuthentication();
        app.UseAuthorization();

        // An agent's connection ends when its token does: it reconnects with a fresh one. Every connection has a
        // bounded outbox: one that stops reading is closed, and holds up nobody else.
        app.MapHubWithOutbox<AgentHub>(AgentHub.Path, hub => hub.CloseOnAuthenticationExpiration = true).RequireAuthorization(AuthHosting.AgentPolicy);
        app.MapHubWithOutbox<CustomerHub>(CustomerHub.Path);
        app.MapHub<EchoHub>(EchoHub.Path);
        app.MapSwitchboardAuth();
        app.MapConversationApi();
        app.MapChannelApi();
        app.MapOutreachApi();
        app.MapTicketApi();
        app.MapDirectoryApi();
        app.MapConsoleApi();
        app.MapAdminApi();
        app.MapStatsApi();
        app.MapWorkspaceApi();
        app.MapSwitchboardHealthAndMetrics();

        app.Lifetime.ApplicationStarted.Register(() => LogWelcome(app));
        return app;
    }

    /// <summary>
    /// What the server reads: <see cref="ConfigureJson"/>, and a property the type does not have is refused (with
    /// its name) rather than ignored, so a misspelt field never silently means its default.
    /// </summary>
    public static void ConfigureServerJson(JsonSerializerOptions json)
    {
        ConfigureJson(json);
        json.UnmappedMemberHandling = JsonUnmappedMemberHandling.Disallow;
    }

    /// <summary>The wire format of the hubs and the HTTP API, for clients too (they tolerate fields they do not know).</summary>
    public static void ConfigureJson(JsonSerializerOptions json)
    {
        json.PropertyNamingPolicy = JsonNamingPolicy.CamelCase;
        // The same rules over HTTP and SignalR: a number is a JSON number.
        json.NumberHandling = JsonNumberHandling.Strict;
        json.Converters.Add(new JsonStringEnumConverter(JsonNamingPolicy.CamelCase, allowIntegerValues: false));
    }

    private static void LogWelcome(WebApplication app)
    {
        var options = app.Services.GetRequiredService<IOptions<SwitchboardOptions>>().Value;
        var logger = app.Services.GetRequiredService<ILoggerFactory>().CreateLogger("Switchboard");
        logger.LogInformation(
            "Switchboard is serving on {Urls} ({Topology}): the agent console at /, the customer chat at {ChatPage}. Agents connect to {AgentHub} with a bearer token, customers to {CustomerHub} or POST /api/conversations, channels to /api/channels/<channel>/... (signed). Skills: {Skills}. Configured agents: {Agents}",
            string.Join(", ", app.Urls),
            ClusterHosting.DescribeTopology(app.Configuration, app.Environment.ContentRootPath),
            ConsolePages.ChatPath,
            AgentHub.Path,
            CustomerHub.Path,
            string.Join(", ", options.Skills.Keys.Order()),
            string.Join(", ", options.Agents.Keys.Order()));
        AuthHosting.LogSignIn(app, logger);
    }

    private static WebApplicationBuilder AddSwitchboardLimits(this WebApplicationBuilder builder)
    {
        builder.Services.AddOptions<LimitsOptions>().BindConfiguration(LimitsOptions.Section).ValidateOnStart();
        builder.Services.AddSingleton<IValidateOptions<LimitsOptions>>(new ProblemsValidator<LimitsOptions>(o => o.Problems()));
        builder.Services.AddSingleton<RateLimits>();
        builder.Services.AddSingleton<OpenConversations>();
        builder.Services.AddOptions<KestrelServerOptions>()
            .Configure<IOptions<LimitsOptions>>((kestrel, limits) => kestrel.Limits.MaxRequestBodySize = limits.Value.MaxRequestBodyBytes);
        builder.Services.AddOptions<HubOptions>()
            .Configure<IOptions<LimitsOptions>>((hub, limits) => hub.MaximumReceiveMessageSize = limits.Value.MaxHubMessageBytes);
        return builder;
    }
}

internal sealed class ProblemsValidator<T>(Func<T, IEnumerable<string>> problems) : IValidateOptions<T>
    where T : class
{
    public ValidateOptionsResult Validate(string? name, T options)
    {
        var found = problems(options).ToList();
        return found.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(found);
    }
}

internal sealed class SwitchboardOptionsValidator : IValidateOptions<SwitchboardOptions>
{
    public ValidateOptionsResult Validate(string? name, SwitchboardOptions options)
    {
        var problems = options.Problems().ToList();
        return problems.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(problems);
    }
}
