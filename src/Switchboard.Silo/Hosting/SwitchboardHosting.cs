using System.Text.Json;
using System.Text.Json.Serialization;
using Microsoft.AspNetCore.SignalR;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Options;
using Switchboard.Api;
using Switchboard.Hubs;
using Switchboard.Notifications;

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

        builder.AddSwitchboardSilo();

        builder.Services.AddSignalR(hub => hub.AddFilter(new SwitchboardHubFilter()))
            .AddJsonProtocol(json => ConfigureJson(json.PayloadSerializerOptions));
        builder.Services.AddSingleton<IChatNotifier, SignalRChatNotifier>();

        builder.Services.ConfigureHttpJsonOptions(json => ConfigureJson(json.SerializerOptions));
        builder.Services.Configure<RouteHandlerOptions>(o => o.ThrowOnBadRequest = true);
        builder.Services.AddProblemDetails();
        builder.Services.AddExceptionHandler<SwitchboardExceptionHandler>();
        return builder;
    }

    /// <summary>Embedded default unless configuration names Orleans providers: localhost clustering, memory storage.</summary>
    private static void AddSwitchboardSilo(this WebApplicationBuilder builder)
    {
        var configuration = builder.Configuration;
        builder.UseOrleans(silo =>
        {
            if (configuration["Orleans:Clustering:ProviderType"] is null)
            {
                silo.UseLocalhostClustering(
                    siloPort: configuration.GetValue("Switchboard:Embedded:SiloPort", 11111),
                    gatewayPort: configuration.GetValue("Switchboard:Embedded:GatewayPort", 30000));
            }

            if (configuration[$"Orleans:GrainStorage:{SwitchboardOptions.StorageName}:ProviderType"] is null)
            {
                silo.AddMemoryGrainStorage(SwitchboardOptions.StorageName);
            }
        });
    }

    public static WebApplication MapSwitchboard(this WebApplication app)
    {
        app.UseExceptionHandler();
        app.UseStatusCodePages();
        app.UseDefaultFiles();
        app.UseStaticFiles();

        app.MapHub<AgentHub>(AgentHub.Path);
        app.MapHub<CustomerHub>(CustomerHub.Path);
        app.MapHub<EchoHub>(EchoHub.Path);
        app.MapConversationApi();
        app.MapDirectoryApi();

        app.Lifetime.ApplicationStarted.Register(() => LogWelcome(app));
        return app;
    }

    public static void ConfigureJson(JsonSerializerOptions json)
    {
        json.PropertyNamingPolicy = JsonNamingPolicy.CamelCase;
        json.Converters.Add(new JsonStringEnumConverter(JsonNamingPolicy.CamelCase, allowIntegerValues: false));
    }

    private static void LogWelcome(WebApplication app)
    {
        var options = app.Services.GetRequiredService<IOptions<SwitchboardOptions>>().Value;
        var logger = app.Services.GetRequiredService<ILoggerFactory>().CreateLogger("Switchboard");
        logger.LogInformation(
            "Switchboard is serving on {Urls}. Agents connect to {AgentHub}?agentId=<id>, customers to {CustomerHub} or POST /api/conversations. Skills: {Skills}. Configured agents: {Agents}",
            string.Join(", ", app.Urls),
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
