using Switchboard.Agents;

namespace Switchboard.Routing;

/// <summary>
/// Which agent takes a conversation: among the eligible (accepting, skilled enough, with free capacity) the lowest
/// load ratio, then the highest proficiency, then the longest idle since the last assignment.
/// </summary>
public static class AgentRanking
{
    public static bool IsEligible(AgentAvailability agent, int requiredProficiency) =>
        agent.HasFreeCapacity && agent.Proficiency >= requiredProficiency;

    /// <summary>Negative when <paramref name="x"/> should be chosen before <paramref name="y"/>.</summary>
    public static int Compare(AgentAvailability x, AgentAvailability y) => Compare(x, x.Active, y, y.Active);

    /// <summary>As <see cref="Compare(AgentAvailability, AgentAvailability)"/>, with each agent's load counted as given.</summary>
    private static int Compare(AgentAvailability x, long xActive, AgentAvailability y, long yActive)
    {
        // Load ratios compared by cross-multiplication: exact, no floating point.
        var byLoad = (xActive * y.Capacity).CompareTo(yActive * x.Capacity);
        if (byLoad != 0)
        {
            return byLoad;
        }

        var byProficiency = y.Proficiency.CompareTo(x.Proficiency);
        if (byProficiency != 0)
        {
            return byProficiency;
        }

        // Never assigned counts as idle the longest.
        var byIdle = Nullable.Compare(x.LastAssignedAt, y.LastAssignedAt);
        return byIdle != 0 ? byIdle : string.CompareOrdinal(x.AgentId, y.AgentId);
    }

    /// <summary>The best eligible agent not in <paramref name="exclude"/>; false when there is none.</summary>
    public static bool TryPickBest(
        IEnumerable<AgentAvailability> agents,
        int requiredProficiency,
        IReadOnlySet<string>? exclude,
        out AgentAvailability best) => TryPickBest(agents, requiredProficiency, exclude, offersOut: null, out best);

    /// <summary>
    /// The best eligible agent not in <paramref name="exclude"/>, counting the offers still out to each agent
    /// (<paramref name="offersOut"/>, by agent id) as conversations it holds: an agent whose free slots are all spoken
    /// for by offers out is not eligible, and the offers count in its load. False when there is none.
    /// </summary>
    public static bool TryPickBest(
        IEnumerable<AgentAvailability> agents,
        int requiredProficiency,
        IReadOnlySet<string>? exclude,
        IReadOnlyDictionary<string, int>? offersOut,
        out AgentAvailability best)
    {
        best = null!;
        var bestActive = 0L;
        foreach (var agent in agents)
        {
            if (!IsEligible(agent, requiredProficiency) || (exclude?.Contains(agent.AgentId) ?? false))
            {
                continue;
            }

            var active = (long)agent.Active + (offersOut?.GetValueOrDefault(agent.AgentId) ?? 0);
            if (active >= agent.Capacity)
            {
                continue;
            }

            if (best is null || Compare(agent, active, best, bestActive) < 0)
            {
                (best, bestActive) = (agent, active);
            }
        }

        return best is not null;
    }
}
