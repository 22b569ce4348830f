using System.Collections.Concurrent;
using System.Diagnostics;
using Switchboard.Agents;
using Switchboard.Conversations;
using Switchboard.IntegrationTests.Infrastructure;

namespace Switchboard.IntegrationTests.Cluster;

/// <summary>
/// Scaling under the same traffic as the kill test: a fourth silo joins and must take a share of the work; then a silo
/// leaves the way an operator removes one (SIGTERM) and must hand its work over with nothing lost, nobody over capacity,
/// no agent shown offline, and the agents' work going on (the longest gap in any agent's assignments is printed).
/// </summary>
public sealed partial class SiloFailureTests
{
    private static readonly TimeSpan JoinAfter = TimeSpan.FromSeconds(10);
    private static readonly TimeSpan ServeAfterJoin = TimeSpan.FromSeconds(20);
    private static readonly TimeSpan ServeAfterLeave = TimeSpan.FromSeconds(20);

    private readonly ConcurrentDictionary<string, ConcurrentQueue<DateTimeOffset>> _assignmentsByAgent = new();
    private readonly ConcurrentBag<string> _presenceLost = [];
    private volatile bool _presenceMustHold;

    [SkippableFact]
    public Task ASiloJoiningUnderTrafficTakesWorkAndASiloLeavingWithSigtermHandsItsWorkOver() =>
        RunAsync("scale", ScaleScheduleAsync);

    private async Task ScaleScheduleAsync(SiloCluster cluster, Stopwatch clock)
    {
        _presenceMustHold = true;
        await Task.Delay(JoinAfter);

        // Scale out: a fourth silo joins while customers keep arriving (round robin includes it at once).
        var joinedAt = DateTimeOffset.UtcNow;
        var joining = cluster.Launch();
        await joining.WaitUntilReadyAsync(SiloCluster.StartTimeout);
        output.WriteLine($"measured: {joining.Name} joined {(DateTimeOffset.UtcNow - joinedAt).TotalSeconds:F1} s after it was started, at {clock.Elapsed.TotalSeconds:F0} s");
        await Task.Delay(ServeAfterJoin);
        var before = await ActivationsBySiloAsync(cluster);
        output.WriteLine($"measured: activations {ServeAfterJoin.TotalSeconds:F0} s after the join: {Describe(before)}");
        var onNewSilo = before.GetValueOrDefault(joining.SiloPort);
        var assignedThere = onNewSilo?.Conversations.Count(_assignedAt.ContainsKey) ?? 0;
        output.WriteLine($"measured: {joining.Name} holds {onNewSilo?.Total ?? 0} activations, {onNewSilo?.Conversations.Count ?? 0} of them conversations, "
            + $"{assignedThere} of those assigned to an agent");
        if (assignedThere == 0)
        {
            _violations.Add($"SCALE-OUT: {joining.Name} holds no assigned conversation {ServeAfterJoin.TotalSeconds:F0} s after joining ({Describe(before)})");
        }

        // Scale in: a silo that has served since the start leaves with SIGTERM under the traffic.
        var leaving = cluster.Running.First(s => s != joining && s != cluster.Running.First());
        var leftAt = DateTimeOffset.UtcNow;
        await leaving.StopAsync(TimeSpan.FromSeconds(60));
        var stopped = DateTimeOffset.UtcNow - leftAt;
        var gone = await WaitUntilDeclaredDeadAsync(cluster, leaving, leftAt);
        _kills.Add((leftAt, gone));
        await Task.Delay(ServeAfterLeave);
        var after = await ActivationsBySiloAsync(cluster);
        // Conversations come and go with the traffic; the other grains (agents, queues, customers, shards) stay unless
        // something deactivates them.
        var stayedBefore = before.Where(b => b.Key != leaving.SiloPort).SelectMany(b => b.Value.Grains.Where(g => !g.Value.Contains(nameof(ConversationGrain))).Select(g => (b.Key, g.Key, g.Value))).ToList();
        var lostElsewhere = stayedBefore.Where(g => !after.TryGetValue(g.Item1, out var now) || !now.Grains.ContainsKey(g.Item2)).ToList();
        output.WriteLine($"measured: {leaving.Name} stopped (SIGTERM) in {stopped.TotalSeconds:F1} s, its membership row said dead after {gone.TotalSeconds:F1} s; "
            + $"of the {stayedBefore.Count} activations other than conversations the other silos held before, {lostElsewhere.Count} were gone {ServeAfterLeave.TotalSeconds:F0} s later "
            + $"({string.Join(", ", lostElsewhere.GroupBy(g => g.Item3).Select(g => $"{g.Count()} {g.Key}"))}); activations now: {Describe(after)}");
        output.WriteLine($"measured: longest gap in any agent's assignments: before the join {LongestGap(clock, joinedAt - JoinAfter, joinedAt)}, "
            + $"around the join {LongestGap(clock, joinedAt, leftAt)}, from the SIGTERM on {LongestGap(clock, leftAt, DateTimeOffset.UtcNow)}");
        _presenceMustHold = false;
        foreach (var lost in _presenceLost)
        {
            _violations.Add(lost);
        }
    }

    private void RecordAssignment(string agentId, DateTimeOffset at) =>
        _assignmentsByAgent.GetOrAdd(agentId, _ => new ConcurrentQueue<DateTimeOffset>()).Enqueue(at);

    private void SawPresence(string agentId, AgentPresence presence)
    {
        if (_presenceMustHold && presence == AgentPresence.Offline)
        {
            _presenceLost.Add($"PRESENCE LOST: {agentId} was shown offline at {DateTimeOffset.UtcNow:HH:mm:ss.fff} while connected");
        }
    }

    /// <summary>The longest time within [from, to) that some agent went without a new assignment, and whose.</summary>
    private string LongestGap(Stopwatch clock, DateTimeOffset from, DateTimeOffset to)
    {
        var longest = TimeSpan.Zero;
        var whose = "nobody";
        foreach (var (agentId, times) in _assignmentsByAgent)
        {
            var last = from;
            foreach (var at in times.Where(t => t >= from && t < to).Order().Append(to))
            {
                if (at - last > longest)
                {
                    longest = at - last;
                    whose = agentId;
                }

                last = at;
            }
        }

        return $"{longest.TotalSeconds:F1} s ({whose})";
    }

    /// <param name="Grains">Grain id → grain type.</param>
    private sealed record SiloActivations(int Total, Dictionary<string, string> Grains, HashSet<string> Conversations);

    /// <summary>Every silo's activations (by silo port), read through the management grain.</summary>
    private static async Task<Dictionary<int, SiloActivations>> ActivationsBySiloAsync(SiloCluster cluster)
    {
        await using var client = await cluster.ConnectClientAsync();
        var all = await client.Grains.GetGrain<IManagementGrain>(0).GetDetailedGrainStatistics();
        return all
            .Where(a => !a.GrainType.StartsWith("Orleans.", StringComparison.Ordinal))
            .GroupBy(a => a.SiloAddress.Endpoint.Port)
            .ToDictionary(g => g.Key, g => new SiloActivations(
                g.Count(),
                g.GroupBy(a => a.GrainId.ToString()).ToDictionary(a => a.Key, a => ShortType(a.First().GrainType)),
                [.. g.Where(a => a.GrainType.Contains(nameof(ConversationGrain), StringComparison.Ordinal)).Select(a => a.GrainId.Key.ToString()!)]));
    }

    private static string ShortType(string type)
    {
        var name = type.Split(',')[0];
        return name[(name.LastIndexOf('.') + 1)..];
    }

    private static string Describe(Dictionary<int, SiloActivations> bySilo) =>
        string.Join(", ", bySilo.OrderBy(s => s.Key).Select(s => $"port {s.Key}: {s.Value.Total} ({s.Value.Conversations.Count} conversations)"));
}
