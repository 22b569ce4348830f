namespace Switchboard.Agents;

/// <summary>The agent's workspace in the console: picking waiting chats, and the history search reads (<c>Switchboard:Workspace</c>).</summary>
public sealed class WorkspaceOptions
{
    /// <summary>
    /// Whether agents may pick a waiting chat from the Unassigned view (from the queues of their skills, at the
    /// proficiency it needs). Supervisors always may, from any queue. Off: agents take only what routing gives them.
    /// </summary>
    public bool AgentsMayPick { get; set; } = true;

    /// <summary>How many waiting chats the Unassigned view lists at most (the longest-waiting first).</summary>
    public int UnassignedShown { get; set; } = 50;

    /// <summary>How many closed conversations each agent's history keeps for Closed today and search (the oldest go first).</summary>
    public int HistoryPerAgent { get; set; } = 200;

    /// <summary>How many characters of a closed conversation's messages its history entry keeps to search in (the newest).</summary>
    public int SearchTextLength { get; set; } = 1000;

    public IEnumerable<string> Problems(string prefix)
    {
        if (UnassignedShown is < 1 or > 500)
        {
            yield return $"{prefix}:UnassignedShown must be between 1 and 500.";
        }

        if (HistoryPerAgent is < 1 or > 2000)
        {
            yield return $"{prefix}:HistoryPerAgent must be between 1 and 2000.";
        }

        if (SearchTextLength is < 0 or > 20_000)
        {
            yield return $"{prefix}:SearchTextLength must be between 0 and 20000.";
        }
    }
}
