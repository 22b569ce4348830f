using Microsoft.Extensions.Options;
using Switchboard.Agents;
using Switchboard.Auth;
using Switchboard.Conversations;
using Switchboard.Metrics;
using Switchboard.Queues;
using Switchboard.Supervision;

namespace Switchboard.Api;

public sealed record SkillInfo(string Name, string DisplayName);

public sealed record QuickReply(string Shortcut, string Title, string? Topic, string Text);

public sealed record MessageRulesInfo(MessageRuleMode Mode, int MaxAgentMessagesInARow, IReadOnlyDictionary<string, string> ForbiddenPhrases);

/// <summary>
/// One served language: the topics' names in it, and the quick replies and house-rule phrases set for it (null: none
/// set; the console then uses those of its own page's language, then English).
/// </summary>
public sealed record LanguageSettings(IReadOnlyDictionary<string, string> Topics, QuickReply[]? QuickReplies, IReadOnlyDictionary<string, string>? ForbiddenPhrases);

/// <summary>A configured agent the development sign-in offers.</summary>
public sealed record DemoAgent(string Id, string Name, bool Supervisor);

/// <summary>
/// What the agent console needs once at start: skills, quick replies, house rules, and how to sign in (the demo
/// agents only with the development sign-in on; otherwise a token from the identity provider). <see cref="QuickReplies"/>
/// and <see cref="MessageRules"/> are English's; <paramref name="Languages"/> has every served language's, English too.
/// </summary>
public sealed record ConsoleSettings(
    SkillInfo[] Skills, QuickReply[] QuickReplies, MessageRulesInfo MessageRules, bool DevelopmentSignIn = false, DemoAgent[]? DemoAgents = null,
    IReadOnlyDictionary<string, LanguageSettings>? Languages = null);

/// <summary>
/// One queue on the supervisor's overview. A conversation that overflowed waits in several queues at once; it is
/// counted once, in the furthest queue it reached (supervisors, then the fallback queue, then its topic), and
/// <paramref name="Overflowed"/> says how many of <paramref name="Waiting"/> came from other queues.
/// </summary>
/// <param name="AgentsOnline">Agents taking chats from this queue now (Online; for the supervisors' queue, connected supervisors).</param>
public sealed record QueueOverview(
    string Name, string DisplayName, int Waiting, DateTimeOffset? OldestWaitingSince, int AgentsOnline, int SlaMetToday, int SlaMissedToday,
    ServiceLevelBand? Band = null, int Overflowed = 0);

public sealed record AgentOverview(string Id, string Name, AgentPresence Presence, int Active, int Capacity, bool Supervisor);

/// <summary>The supervisor's view: every queue, every agent (configured or made with <c>PUT /api/agents</c>), open tickets.</summary>
public sealed record Overview(QueueOverview[] Queues, AgentOverview[] Agents, TicketSummary[] Tickets);

public static class ConsoleApi
{
    public static IEndpointRouteBuilder MapConsoleApi(this IEndpointRouteBuilder app)
    {
        // With the quick replies and house rules supervisors set (AdminApi); ?version= asks for that change or a later one.
        app.MapGet("/api/console-settings", async (IOptions<SwitchboardOptions> options, SignInSettings signIn, Settings.PhrasebookCache phrasebook, long? version) =>
            Settings(options.Value, signIn.Development).WithPhrasebook(await phrasebook.GetAsync(version ?? 0), options.Value));
        app.MapGet("/api/overview", (IGrainFactory grains, IOptions<SwitchboardOptions> options, IClusterKpis kpis) => ReadOverviewAsync(grains, options.Value, kpis))
            .RequireAuthorization(AuthHosting.SupervisorPolicy);
        return app;
    }

    public static ConsoleSettings Settings(SwitchboardOptions options, bool developmentSignIn = false) => new(
        [.. options.Skills.OrderBy(s => s.Key, StringComparer.Ordinal).Select(s => new SkillInfo(s.Key, s.Value.DisplayName ?? s.Key))],
        [.. options.QuickReplies.Select(r => new QuickReply(r.Shortcut, r.Title, r.Topic, r.Text))],
        new MessageRulesInfo(options.MessageRules.Mode, options.MessageRules.MaxAgentMessagesInARow, options.MessageRules.EffectiveForbiddenPhrases),
        developmentSignIn,
        developmentSignIn
            ? [.. options.Agents.OrderBy(a => a.Key, StringComparer.Ordinal).Select(a => new DemoAgent(a.Key, a.Value.Name ?? a.Key, a.Value.Supervisor))]
            : null,
        options.ServedLanguages().Order(StringComparer.Ordinal).ToDictionary(code => code, code =>
        {
            var language = options.Language(code);
            return new LanguageSettings(
                language.Topics,
                language.QuickReplies is { } replies ? [.. replies.Select(r => new QuickReply(r.Shortcut, r.Title, r.Topic, r.Text))] : null,
                language.ForbiddenPhrases);
        }));

    public static async Task<Overview> ReadOverviewAsync(IGrainFactory grains, SwitchboardOptions options, IClusterKpis kpis)
    {
        var queueNames = options.Skills.Keys.Order(StringComparer.Ordinal).Append(Queues.Queues.Supervisors).ToArray();
        var queues = await Task.WhenAll(queueNames.Select(name => grains.Grain<IQueueGrain>(name).GetAsync()));
        var made = await grains.Grain<IAgentDirectoryGrain>(0).ListAsync();
        var agentIds = options.Agents.Keys.Union(made, StringComparer.Ordinal).Order(StringComparer.Ordinal);
        var agents = await Task.WhenAll(agentIds.Select(id => grains.Grain<IAgentGrain>(id).GetAsync()));
        var tickets = await grains.Grain<ITicketBoardGrain>(0).GetAsync();
        var bands = await StatsApi.ReadBandsAsync(kpis, queueNames);
        var holders = Holders(queues, options.Sla.FallbackQueue);

        return new Overview(
            [.. queues.Select(q =>
            {
                var counted = q.Waiting.Where(e => holders[e.ConversationId].Queue == q.Skill).ToArray();
                return new QueueOverview(
                    q.Skill,
                    options.Skills.TryGetValue(q.Skill, out var skill) ? skill.DisplayName ?? q.Skill : "Supervisors",
                    counted.Length,
                    counted.Length == 0 ? null : counted.Min(e => e.WaitingSince),
                    q.Agents.Count(a => a.Accepting),
                    q.SlaMetToday,
                    q.SlaMissedToday,
                    bands[q.Skill],
                    counted.Count(e => holders[e.ConversationId].Overflowed));
            })],
            [.. agents.OfType<AgentView>().Select(a => new AgentOverview(
                a.Id, a.Profile.Name, a.Presence, a.Conversations.Length, a.Profile.Capacity, a.Profile.Supervisor))],
            [.. tickets]);
    }

    /// <summary>
    /// For each waiting conversation, the one queue the overview counts it in: the furthest stage of overflow it
    /// reached (supervisors, then the fallback queue, then any other), so a conversation waiting in three queues is
    /// one waiting customer, not three; and whether it also waits in an earlier stage's queue (it overflowed there).
    /// </summary>
    public static Dictionary<string, (string Queue, bool Overflowed)> Holders(IEnumerable<QueueView> queues, string fallbackQueue)
    {
        var furthest = new Dictionary<string, string>(StringComparer.Ordinal);
        var earliest = new Dictionary<string, int>(StringComparer.Ordinal);
        foreach (var queue in queues)
        {
            var stage = Stage(queue.Skill, fallbackQueue);
            foreach (var entry in queue.Waiting)
            {
                var id = entry.ConversationId;
                if (!furthest.TryGetValue(id, out var held) || stage > Stage(held, fallbackQueue))
                {
                    furthest[id] = queue.Skill;
                }

                earliest[id] = Math.Min(stage, earliest.GetValueOrDefault(id, int.MaxValue));
            }
        }

        return furthest.ToDictionary(h => h.Key, h => (h.Value, earliest[h.Key] < Stage(h.Value, fallbackQueue)), StringComparer.Ordinal);
    }

    private static int Stage(string queue, string fallbackQueue) =>
        queue == Queues.Queues.Supervisors ? 2 : queue == fallbackQueue ? 1 : 0;
}
