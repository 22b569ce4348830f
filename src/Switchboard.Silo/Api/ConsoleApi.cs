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

/// <summary>A configured agent the development sign-in offers.</summary>
public sealed record DemoAgent(string Id, string Name, bool Supervisor);

/// <summary>
/// What the agent console needs once at start: skills, quick replies, house rules, and how to sign in (the demo
/// agents only with the development sign-in on; otherwise a token from the identity provider).
/// </summary>
public sealed record ConsoleSettings(SkillInfo[] Skills, QuickReply[] QuickReplies, MessageRulesInfo MessageRules, bool DevelopmentSignIn = false, DemoAgent[]? DemoAgents = null);

public sealed record QueueOverview(
    string Name, string DisplayName, int Waiting, DateTimeOffset? OldestWaitingSince, int AgentsOnline, int SlaMetToday, int SlaMissedToday,
    ServiceLevelBand? Band = null);

public sealed record AgentOverview(string Id, string Name, AgentPresence Presence, int Active, int Capacity, bool Supervisor);

/// <summary>The supervisor's view: every queue, every configured agent, open tickets.</summary>
public sealed record Overview(QueueOverview[] Queues, AgentOverview[] Agents, TicketSummary[] Tickets);

public static class ConsoleApi
{
    public static IEndpointRouteBuilder MapConsoleApi(this IEndpointRouteBuilder app)
    {
        app.MapGet("/api/console-settings", (IOptions<SwitchboardOptions> options, SignInSettings signIn) => Settings(options.Value, signIn.Development));
        app.MapGet("/api/overview", (IGrainFactory grains, IOptions<SwitchboardOptions> options, ClusterKpis kpis) => ReadOverviewAsync(grains, options.Value, kpis))
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
            : null);

    public static async Task<Overview> ReadOverviewAsync(IGrainFactory grains, SwitchboardOptions options, ClusterKpis kpis)
    {
        var queueNames = options.Skills.Keys.Order(StringComparer.Ordinal).Append(Queues.Queues.Supervisors).ToArray();
        var queues = await Task.WhenAll(queueNames.Select(name => grains.GetGrain<IQueueGrain>(name).GetAsync()));
        var agents = await Task.WhenAll(options.Agents.Keys.Order(StringComparer.Ordinal).Select(id => grains.GetGrain<IAgentGrain>(id).GetAsync()));
        var tickets = await grains.GetGrain<ITicketBoardGrain>(0).GetAsync();
        var bands = await StatsApi.ReadBandsAsync(kpis, queueNames);

        return new Overview(
            [.. queues.Select(q => new QueueOverview(
                q.Skill,
                options.Skills.TryGetValue(q.Skill, out var skill) ? skill.DisplayName ?? q.Skill : "Supervisors",
                q.Waiting.Length,
                q.Waiting.IsEmpty ? null : q.Waiting.Min(e => e.WaitingSince),
                q.Agents.Count(a => a.Accepting),
                q.SlaMetToday,
                q.SlaMissedToday,
                bands[q.Skill]))],
            [.. agents.OfType<AgentView>().Select(a => new AgentOverview(
                a.Id, a.Profile.Name, a.Presence, a.Conversations.Length, a.Profile.Capacity, a.Profile.Supervisor))],
            [.. tickets]);
    }
}
