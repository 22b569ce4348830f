using System.Collections.Immutable;
using System.Security.Claims;
using Microsoft.AspNetCore.Mvc;
using Microsoft.Extensions.Options;
using Switchboard.Agents;
using Switchboard.Auth;
using Switchboard.Conversations;
using Switchboard.Queues;
using Switchboard.Supervision;
using Switchboard.Text;

namespace Switchboard.Api;

/// <summary>What a supervisor sets for an agent: <c>PUT /api/agents/{id}</c>.</summary>
public sealed record AgentProfileRequest(string Name, ImmutableDictionary<string, int> Skills, int Capacity, bool Supervisor = false);

/// <summary>Queues and agents: read by supervisors (an agent may read itself), administered by supervisors only.</summary>
public static class DirectoryApi
{
    public static IEndpointRouteBuilder MapDirectoryApi(this IEndpointRouteBuilder app)
    {
        app.MapGet("/api/queues/{skill}", (string skill, IGrainFactory grains, IOptions<SwitchboardOptions> options) =>
        {
            var name = ConversationRules.NormalizeSkill(skill);
            return options.Value.IsQueue(name)
                ? grains.Grain<IQueueGrain>(name).GetAsync()
                : throw SwitchboardException.NotFound($"There is no queue for '{name}'.");
        }).RequireAuthorization(AuthHosting.SupervisorPolicy);

        app.MapGet("/api/agents/{id}", async (string id, ClaimsPrincipal user, IGrainFactory grains) =>
        {
            if (!user.IsSupervisor() && user.AgentId() != id)
            {
                throw SwitchboardException.Forbidden("An agent may read only its own profile; supervisors read all.");
            }

            if (!AgentRules.IsAgentId(id))
            {
                // No agent can have it: answered without waking a grain for it.
                throw SwitchboardException.NotFound($"There is no such agent. {AgentRules.AgentIdRule}");
            }

            return await grains.Grain<IAgentGrain>(id).GetAsync()
                ?? throw SwitchboardException.NotFound($"Agent '{id}' does not exist.");
        }).RequireAuthorization(AuthHosting.AgentPolicy);

        // Profiles, skills and capacity: a supervisor's change overrides the configured profile. Checked here, before
        // any grain is called, and again by the agent grain; each refusal names the field to fix.
        app.MapPut("/api/agents/{id}", async (string id, [FromBody] AgentProfileRequest profile, IGrainFactory grains, IOptions<SwitchboardOptions> options) =>
        {
            if (!AgentRules.IsAgentId(id))
            {
                throw SwitchboardException.Invalid(AgentRules.AgentIdRule);
            }

            var wanted = new AgentProfile(Names.Normalize(profile.Name), profile.Skills ?? [], profile.Capacity, profile.Supervisor);
            if (AgentRules.Problem(id, wanted, options.Value) is { } problem)
            {
                throw SwitchboardException.Invalid(problem);
            }

            var agent = grains.Grain<IAgentGrain>(id);
            await agent.ConfigureAsync(wanted);
            return await agent.GetAsync();
        }).RequireAuthorization(AuthHosting.SupervisorPolicy);

        app.MapGet("/api/tickets", (IGrainFactory grains) => grains.Grain<ITicketBoardGrain>(0).GetAsync())
            .RequireAuthorization(AuthHosting.SupervisorPolicy);

        return app;
    }
}
