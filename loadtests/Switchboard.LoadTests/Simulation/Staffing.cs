namespace Switchboard.LoadTests.Simulation;

/// <summary>
/// How many agents a run needs so that routing, not staffing, is what it measures. Each team gets the conversations
/// of its topics (split between teams that share a topic by weight) and slots by the square-root staffing rule,
/// load + β·√load with β = 3.5: with Poisson arrivals the chance that a conversation finds every slot of its team
/// busy is then about 0.03 % (Halfin–Whitt), well inside a p99. Fifty per cent utilisation looks generous but is not
/// for small teams: at 50/s a five-agent "general" team is full often enough to put seconds into the p99.
/// </summary>
public static class Staffing
{
    public const double Beta = 3.5;

    /// <param name="openConversations">Conversations open at once at the peak (Little's law: rate × hold time).</param>
    public static int[] TeamSizes(IReadOnlyList<AgentTeam> teams, TopicMix topics, double openConversations, int capacity)
    {
        var load = new double[teams.Count];
        for (var i = 0; i < topics.Topics.Count; i++)
        {
            var serving = Enumerable.Range(0, teams.Count).Where(t => teams[t].Skills.ContainsKey(topics.Topics[i])).ToList();
            var weight = serving.Sum(t => teams[t].Weight);
            foreach (var t in serving)
            {
                load[t] += openConversations * topics.Shares[i] * (weight > 0 ? teams[t].Weight / weight : 1.0 / serving.Count);
            }
        }

        return [.. load.Select(a => Math.Max(1, (int)Math.Ceiling((a + Beta * Math.Sqrt(a)) / capacity)))];
    }
}
