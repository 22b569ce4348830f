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
    public static int Compare(AgentAvailability x, AgentAvailability y)
    {
        // Load ratios compared by cross-multiplication: exact, no floating point.
        var byLoad = ((long)x.Active * y.Capacity).CompareTo((long)y.Active * x.Capacity);
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
        out AgentAvailability best)
    {
        best = null!;
        foreach (var agent in agents)
        {
            if (!IsEligible(agent, requiredProficiency) || (exclude?.Contains(agent.AgentId) ?? false))
            {
                continue;
            }

            if (best is null || Compare(agent, best) < 0)
            {
                best = agent;
            }
        }

        return best is not null;
    }
}
