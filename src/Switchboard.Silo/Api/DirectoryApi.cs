using System.Collections.Immutable;
using System.Security.Claims;
using Microsoft.AspNetCore.Mvc;
using Microsoft.Extensions.Options;
using Switchboard.Agents;
using Switchboard.Auth;
using Switchboard.Conversations;
using Switchboard.Queues;
using Switchboard.Supervision;

namespace Switchboard.Api;

/// <summary>What a supervisor sets for an agent: <c>PUT /api/agents/{id}</c>.</summary>
public sealed record AgentProfileRequest(string Name, ImmutableDictionary<string, int> Skills, int Capacity, bool Supervisor = false);

/// <summary>Queues and agents: read by supervisors (an agent may read itself), administered by supervisors only.</summary>
public static class DirectoryApi
{
    public const int MaxAgentIdLength = 100;

    public static IEndpointRouteBuilder MapDirectoryApi(this IEndpointRouteBuilder app)
    {
        app.MapGet("/api/queues/{skill}", (string skill, IGrainFactory grains, IOptions<SwitchboardOptions> options) =>
        {
            var name = ConversationRules.NormalizeSkill(skill);
            return options.Value.IsQueue(name)
                ? grains.GetGrain<IQueueGrain>(name).GetAsync()
                : throw SwitchboardException.NotFound($"There is no queue for '{name}'.");
        }).RequireAuthorization(AuthHosting.SupervisorPolicy);

        app.MapGet("/api/agents/{id}", async (string id, ClaimsPrincipal user, IGrainFactory grains) =>
        {
            if (!user.IsSupervisor() && user.AgentId() != id)
            {
                throw SwitchboardException.Forbidden("An agent may read only its own profile; supervisors read all.");
            }

            return await grains.GetGrain<IAgentGrain>(id).GetAsync()
                ?? throw SwitchboardException.NotFound($"Agent '{id}' does not exist.");
        }).RequireAuthorization(AuthHosting.AgentPolicy);

        // Profiles, skills and capacity: a supervisor's change overrides the configured profile.
        app.MapPut("/api/agents/{id}", async (string id, [FromBody] AgentProfileRequest profile, IGrainFactory grains) =>
        {
            if (id.Length > MaxAgentIdLength || id.Any(char.IsControl) || string.IsNullOrWhiteSpace(id))
            {
                throw SwitchboardException.Invalid($"An agent id is 1–{MaxAgentIdLength} printable characters.");
            }

            if (string.IsNullOrWhiteSpace(profile.Name))
            {
                throw SwitchboardException.Invalid("An agent needs a name.");
            }

            ConversationRules.RejectControlCharacters(profile.Name, "The agent's name");
            var agent = grains.GetGrain<IAgentGrain>(id);
            await agent.ConfigureAsync(new AgentProfile(profile.Name.Trim(), profile.Skills ?? [], profile.Capacity, profile.Supervisor));
            return await agent.GetAsync();
        }).RequireAuthorization(AuthHosting.SupervisorPolicy);

        app.MapGet("/api/tickets", (IGrainFactory grains) => grains.GetGrain<ITicketBoardGrain>(0).GetAsync())
            .RequireAuthorization(AuthHosting.SupervisorPolicy);

        return app;
    }
}
