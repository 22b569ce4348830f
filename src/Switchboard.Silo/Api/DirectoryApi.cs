using Microsoft.Extensions.Options;
using Switchboard.Agents;
using Switchboard.Conversations;
using Switchboard.Queues;
using Switchboard.Supervision;

namespace Switchboard.Api;

/// <summary>Read-only views of queues and agents, for operators and tests.</summary>
public static class DirectoryApi
{
    public static IEndpointRouteBuilder MapDirectoryApi(this IEndpointRouteBuilder app)
    {
        app.MapGet("/api/queues/{skill}", (string skill, IGrainFactory grains, IOptions<SwitchboardOptions> options) =>
        {
            var name = ConversationRules.NormalizeSkill(skill);
            return options.Value.IsQueue(name)
                ? grains.GetGrain<IQueueGrain>(name).GetAsync()
                : throw SwitchboardException.NotFound($"There is no queue for '{name}'.");
        });

        app.MapGet("/api/agents/{id}", async (string id, IGrainFactory grains) =>
            await grains.GetGrain<IAgentGrain>(id).GetAsync()
                ?? throw SwitchboardException.NotFound($"Agent '{id}' does not exist."));

        app.MapGet("/api/tickets", (IGrainFactory grains) => grains.GetGrain<ITicketBoardGrain>(0).GetAsync());

        return app;
    }
}
