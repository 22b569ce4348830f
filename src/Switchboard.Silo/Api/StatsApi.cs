using Microsoft.Extensions.Options;
using Switchboard.Agents;
using Switchboard.Auth;
using Switchboard.Metrics;
using Switchboard.Queues;

namespace Switchboard.Api;

/// <summary>One scope's KPIs for the current hour, today (UTC) and the rolling window.</summary>
public sealed record WindowedKpis(KpiReport Hour, KpiReport Today, KpiReport Rolling)
{
    public static WindowedKpis From(ScopeKpis kpis) =>
        new(KpiReport.From(kpis.Hour), KpiReport.From(kpis.Today), KpiReport.From(kpis.Rolling));
}

/// <param name="Waiting">Conversations waiting here, an overflowed one only in the furthest queue it reached.</param>
/// <param name="Band">The service-level band of the rolling window's mean first response; null with no answers in it.</param>
public sealed record QueueStats(string Name, string DisplayName, ServiceLevelBand? Band, int Waiting, int AgentsOnline, WindowedKpis Kpis);

/// <param name="Load">Current load: conversations held ÷ capacity.</param>
public sealed record AgentStats(string Id, string Name, AgentPresence Presence, int Active, int Capacity, double Load, WindowedKpis Kpis);

/// <param name="Capacity">Summed in 64 bits: each capacity is bounded, but a profile stored before the bound was set need not be.</param>
public sealed record ClusterStats(int Waiting, int AgentsOnline, int Active, long Capacity, double? Load, WindowedKpis Kpis);

/// <summary>The desk by its numbers: the cluster, every queue, every agent (docs/metrics.md defines each KPI).</summary>
public sealed record Stats(DateTimeOffset At, TimeSpan RollingWindow, ClusterStats Cluster, QueueStats[] Queues, AgentStats[] Agents);

public static class StatsApi
{
    public static IEndpointRouteBuilder MapStatsApi(this IEndpointRouteBuilder app)
    {
        app.MapGet("/api/stats", (IGrainFactory grains, IOptions<SwitchboardOptions> options, IClusterKpis kpis) =>
            ReadStatsAsync(grains, options.Value, kpis)).RequireAuthorization(AuthHosting.SupervisorPolicy);
        app.MapFloorChartsApi();
        return app;
    }

    public static async Task<Stats> ReadStatsAsync(IGrainFactory grains, SwitchboardOptions options, IClusterKpis kpis)
    {
        var snapshot = await kpis.ReadAsync();
        var queueNames = options.Skills.Keys.Order(StringComparer.Ordinal).Append(Queues.Queues.Supervisors).ToArray();
        var queues = await Task.WhenAll(queueNames.Select(name => grains.Grain<IQueueGrain>(name).GetAsync()));
        var agentIds = options.Agents.Keys
            .Concat(snapshot.Scopes.Keys.Where(s => s.StartsWith(KpiScopes.Agent(""), StringComparison.Ordinal)).Select(s => s[KpiScopes.Agent("").Length..]))
            .Distinct()
            .Order(StringComparer.Ordinal);
        var agents = (await Task.WhenAll(agentIds.Select(id => grains.Grain<IAgentGrain>(id).GetAsync()))).OfType<AgentView>().ToArray();

        // An overflowed conversation waits in several queues: counted once, in the queue that holds it (as the overview does).
        var holders = ConsoleApi.Holders(queues, options.Sla.FallbackQueue);
        var online = agents.Where(a => a.Presence == AgentPresence.Online).ToArray();
        var active = agents.Sum(a => a.Conversations.Length);
        var capacity = online.Sum(a => (long)a.Profile.Capacity);
        return new Stats(
            snapshot.At,
            options.Metrics.RollingWindow,
            new ClusterStats(
                holders.Count,
                online.Length,
                active,
                capacity,
                capacity == 0 ? null : (double)online.Sum(a => a.Conversations.Length) / capacity,
                WindowedKpis.From(snapshot[KpiScopes.Cluster])),
            [.. queues.Select(q =>
            {
                var windows = WindowedKpis.From(snapshot[KpiScopes.Skill(q.Skill)]);
                var waiting = q.Waiting.Count(e => holders[e.ConversationId].Queue == q.Skill);
                return new QueueStats(q.Skill, DisplayName(options, q.Skill), windows.Rolling.Band, waiting, q.Agents.Count(a => a.Accepting), windows);
            })],
            [.. agents.Select(a => new AgentStats(
                a.Id,
                a.Profile.Name,
                a.Presence,
                a.Conversations.Length,
                a.Profile.Capacity,
                a.Profile.Capacity == 0 ? 0 : (double)a.Conversations.Length / a.Profile.Capacity,
                WindowedKpis.From(snapshot[KpiScopes.Agent(a.Id)])))]);
    }

    /// <summary>Each queue's service-level band now (rolling window), for the supervisor overview.</summary>
    public static async Task<IReadOnlyDictionary<string, ServiceLevelBand?>> ReadBandsAsync(IClusterKpis kpis, IEnumerable<string> queues)
    {
        var snapshot = await kpis.ReadAsync();
        return queues.ToDictionary(q => q, q => ServiceLevelBands.Classify(snapshot[KpiScopes.Skill(q)].Rolling.FirstResponse.Mean));
    }

    internal static string DisplayName(SwitchboardOptions options, string queue) =>
        options.Skills.TryGetValue(queue, out var skill) ? skill.DisplayName ?? queue : "Supervisors";
}
