using System.Text.Json;
using System.Text.Json.Serialization;
using Microsoft.AspNetCore.SignalR;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Options;
using Switchboard.Api;
using Switchboard.Hubs;
using Switchboard.Metrics;
using Switchboard.Notifications;
using Switchboard.Web;

namespace Switchboard.Hosting;

public static class SwitchboardHosting
{
    /// <summary>Orleans silo, options, SignalR, HTTP API: everything one Switchboard process hosts.</summary>
    public static WebApplicationBuilder AddSwitchboard(this WebApplicationBuilder builder)
    {
        builder.Services.AddOptions<SwitchboardOptions>()
            .BindConfiguration(SwitchboardOptions.Section)
            .ValidateOnStart();
        builder.Services.AddSingleton<IValidateOptions<SwitchboardOptions>, SwitchboardOptionsValidator>();
        builder.Services.TryAddSingleton(TimeProvider.System);

        builder.UseOrleans(silo => silo.AddSwitchboardProviders(builder.Configuration).AddSwitchboardMetrics());

        builder.Services.AddSignalR(hub => hub.AddFilter(new SwitchboardHubFilter()))
            .AddJsonProtocol(json => ConfigureJson(json.PayloadSerializerOptions))
            .AddSwitchboardBackplane(builder.Configuration);
        builder.Services.AddSingleton<IChatNotifier, SignalRChatNotifier>();
        builder.Services.AddSingleton<AgentConnections>();
        builder.Services.AddHostedService<AgentPresenceHeartbeat>();

        builder.Services.ConfigureHttpJsonOptions(json => ConfigureJson(json.SerializerOptions));
        builder.Services.Configure<RouteHandlerOptions>(o => o.ThrowOnBadRequest = true);
        builder.Services.AddProblemDetails();
        builder.Services.AddExceptionHandler<SwitchboardExceptionHandler>();
        builder.AddSwitchboardHealthAndMetrics();
        return builder;
    }

    public static WebApplication MapSwitchboard(this WebApplication app)
    {
        app.UseExceptionHandler();
        app.UseStatusCodePages();
        app.MapConsolePages();

        app.MapHub<AgentHub>(AgentHub.Path);
        app.MapHub<CustomerHub>(CustomerHub.Path);
        app.MapHub<EchoHub>(EchoHub.Path);
        app.MapConversationApi();
        app.MapOutreachApi();
        app.MapDirectoryApi();
        app.MapConsoleApi();
        app.MapStatsApi();
        app.MapSwitchboardHealthAndMetrics();

        app.Lifetime.ApplicationStarted.Register(() => LogWelcome(app));
        return app;
    }

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
            "Switchboard is serving on {Urls} ({Topology}): the agent console at /, the customer chat at {ChatPage}. Agents connect to {AgentHub}?agentId=<id>, customers to {CustomerHub} or POST /api/conversations. Skills: {Skills}. Configured agents: {Agents}",
            string.Join(", ", app.Urls),
            ClusterHosting.DescribeTopology(app.Configuration),
            ConsolePages.ChatPath,
            AgentHub.Path,
            CustomerHub.Path,
            string.Join(", ", options.Skills.Keys.Order()),
            string.Join(", ", options.Agents.Keys.Order()));
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
