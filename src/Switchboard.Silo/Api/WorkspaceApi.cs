using System.Security.Claims;
using Microsoft.Extensions.Options;
using Switchboard.Agents;
using Switchboard.Auth;
using Switchboard.Conversations;
using Switchboard.Hubs;
using Switchboard.Queues;

namespace Switchboard.Api;

/// <summary>A waiting chat in the console's Unassigned view: where it waits (and under which ticket, for the pick), and who it is.</summary>
public sealed record UnassignedChat(
    string Id, string CustomerName, string Topic, string Queue, int Ticket, DateTimeOffset WaitingSince, int RequiredProficiency,
    bool Vip, string? Order, string Language, string? LastMessage);

/// <summary>The pick of a chat the Unassigned view showed: the queue and ticket it was listed under.</summary>
public sealed record PickRequest(string Queue, int Ticket);

/// <summary>
/// The agent's workspace beyond their own open chats: waiting chats they may pick, the conversations they closed
/// (Closed today) and a search over them. Every agent, each about themselves; who may pick is
/// <c>Switchboard:Workspace:AgentsMayPick</c> (supervisors always).
/// </summary>
public static class WorkspaceApi
{
    public const int MaxQueryLength = 100;
    public const int SearchResults = 50;
    public const int ClosedShown = 200;

    public static IEndpointRouteBuilder MapWorkspaceApi(this IEndpointRouteBuilder app)
    {
        var workspace = app.MapGroup("/api/workspace").RequireAuthorization(AuthHosting.AgentPolicy).WithTags("Workspace");

        workspace.MapGet("/unassigned", (ClaimsPrincipal user, IGrainFactory grains, IOptions<SwitchboardOptions> options, TimeProvider time) =>
            ReadUnassignedAsync(user, grains, options.Value, time.GetUtcNow()));

        workspace.MapPost("/unassigned/{id}/pick", (string id, PickRequest pick, ClaimsPrincipal user, IGrainFactory grains, IOptions<SwitchboardOptions> options) =>
        {
            RequirePicker(user, options.Value);
            if (!ConversationRules.IsConversationId(id))
            {
                throw SwitchboardException.Invalid(ConversationRules.ConversationIdRule);
            }

            var queue = ConversationRules.NormalizeSkill(pick.Queue ?? "");
            if (!options.Value.IsQueue(queue))
            {
                throw SwitchboardException.Invalid($"There is no queue '{queue}'.");
            }

            if (queue == Queues.Queues.Supervisors && !user.IsSupervisor())
            {
                throw SwitchboardException.Forbidden("Only supervisors take chats from the supervisors' queue.");
            }

            return grains.Grain<IConversationGrain>(id).PickAsync(user.AgentId()!, queue, pick.Ticket);
        });

        // Closed since a moment the console chooses (its own midnight, for Closed today), newest first.
        workspace.MapGet("/closed", (DateTimeOffset? since, ClaimsPrincipal user, IGrainFactory grains) =>
            grains.Grain<IAgentHistoryGrain>(user.AgentId()!).FindAsync(since, null, ClosedShown));

        workspace.MapGet("/search", (string? q, ClaimsPrincipal user, IGrainFactory grains) =>
        {
            var query = q?.Trim() ?? "";
            if (query.Length is 0 or > MaxQueryLength)
            {
                throw SwitchboardException.Invalid($"Search for 1 to {MaxQueryLength} characters: a customer's name, an order number or words of the chat.");
            }

            return grains.Grain<IAgentHistoryGrain>(user.AgentId()!).FindAsync(null, query, SearchResults);
        });

        return app;
    }

    private static void RequirePicker(ClaimsPrincipal user, SwitchboardOptions options)
    {
        if (!user.IsSupervisor() && !options.Workspace.AgentsMayPick)
        {
            throw SwitchboardException.Forbidden("Agents do not pick waiting chats here (Switchboard:Workspace:AgentsMayPick); supervisors do.");
        }
    }

    /// <summary>
    /// The chats waiting in the queues the caller could take them from (their skills at the proficiency each needs;
    /// every queue for a supervisor), each once (in the furthest queue it reached, as the overview counts it), the
    /// longest-waiting first, at most <c>Switchboard:Workspace:UnassignedShown</c>. Chats held for their customer's
    /// last agent are left out until the hold ends.
    /// </summary>
    public static async Task<UnassignedChat[]> ReadUnassignedAsync(ClaimsPrincipal user, IGrainFactory grains, SwitchboardOptions options, DateTimeOffset now)
    {
        RequirePicker(user, options);
        var agentId = user.AgentId()!;
        var supervisor = user.IsSupervisor();
        var profile = (await grains.Grain<IAgentGrain>(agentId).GetAsync())?.Profile
            ?? throw SwitchboardException.NotFound($"Agent '{agentId}' does not exist.");
        var names = supervisor
            ? [.. options.Skills.Keys, Queues.Queues.Supervisors]
            : profile.Skills.Keys.Where(options.Skills.ContainsKey).ToArray();
        var queues = await Task.WhenAll(names.Select(name => grains.Grain<IQueueGrain>(name).GetAsync()));
        var holders = ConsoleApi.Holders(queues, options.Sla.FallbackQueue);
        var listed = queues
            .SelectMany(q => q.Waiting.Select(entry => (Queue: q.Skill, Entry: entry)))
            .Where(w => holders[w.Entry.ConversationId].Queue == w.Queue)
            .Where(w => supervisor || w.Entry.RequiredProficiency <= profile.Skills.GetValueOrDefault(w.Queue))
            .Where(w => w.Entry.HoldUntil is not { } until || until <= now || w.Entry.PreferredAgentId == agentId)
            .OrderByDescending(w => w.Entry.Front)
            .ThenBy(w => w.Entry.WaitingSince)
            .Take(options.Workspace.UnassignedShown)
            .ToArray();
        var views = await Task.WhenAll(listed.Select(async w =>
        {
            try
            {
                return await grains.Grain<IConversationGrain>(w.Entry.ConversationId).GetAsync();
            }
            catch (SwitchboardException)
            {
                return null;
            }
        }));
        return
        [
            .. listed.Zip(views)
                .Where(pair => pair.Second is { Status: ConversationStatus.Waiting })
                .Select(pair =>
                {
                    var (w, view) = (pair.First, pair.Second!);
                    var last = view.Messages.LastOrDefault(m => m.From == MessageAuthor.Customer)?.Text;
                    return new UnassignedChat(
                        view.Id, view.CustomerName, view.Topic, w.Queue, w.Entry.Ticket, w.Entry.WaitingSince, w.Entry.RequiredProficiency,
                        view.Vip, view.Context.GetValueOrDefault("order"), view.Language, last is { Length: > 200 } ? last[..200] + "…" : last);
                }),
        ];
    }
}
