namespace Switchboard.Customers;

/// <summary>Customers remembered across conversations (<c>Switchboard:Customers</c>).</summary>
public sealed class CustomerOptions
{
    /// <summary>A customer who writes again within this long is offered first to the agent who served them last.</summary>
    public TimeSpan ReturnToLastAgentWindow { get; set; } = TimeSpan.FromDays(7);

    /// <summary>How long only the preferred agent is offered the conversation; never past its first-response deadline.</summary>
    public TimeSpan LastAgentHold { get; set; } = TimeSpan.FromSeconds(20);

    /// <summary>Writing again on a topic within this long after it was resolved goes back to the agent who resolved it.</summary>
    public TimeSpan ReopenWindow { get; set; } = TimeSpan.FromMinutes(10);

    /// <summary>How many earlier conversations the agent sees with a new one.</summary>
    public int HistoryShown { get; set; } = 5;

    /// <summary>How many conversations a customer's history keeps (the oldest closed ones go first).</summary>
    public int HistoryKept { get; set; } = 100;

    /// <summary>Open conversations one customer may have at once, across topics.</summary>
    public int MaxOpenConversations { get; set; } = 3;

    public OutreachOptions Outreach { get; set; } = new();

    public IEnumerable<string> Problems(Func<string, bool> isSkill)
    {
        const string prefix = "Switchboard:Customers:";
        if (ReturnToLastAgentWindow < TimeSpan.Zero || ReopenWindow < TimeSpan.Zero)
        {
            yield return $"{prefix}ReturnToLastAgentWindow and ReopenWindow must not be negative.";
        }

        if (LastAgentHold < TimeSpan.Zero || LastAgentHold > TimeSpan.FromDays(1))
        {
            yield return $"{prefix}LastAgentHold must be between 0 and 1 day.";
        }

        if (HistoryShown < 0 || HistoryKept < 1 || HistoryShown > HistoryKept)
        {
            yield return $"{prefix}HistoryShown must be 0 or more and HistoryKept at least 1 and at least HistoryShown.";
        }

        if (MaxOpenConversations < 1)
        {
            yield return $"{prefix}MaxOpenConversations must be at least 1.";
        }

        if (Outreach.MaxPerCustomer < 1 || Outreach.Window <= TimeSpan.Zero)
        {
            yield return $"{prefix}Outreach:MaxPerCustomer must be at least 1 and Outreach:Window positive.";
        }

        foreach (var (name, trigger) in Outreach.Triggers)
        {
            if (string.IsNullOrWhiteSpace(name))
            {
                yield return $"{prefix}Outreach:Triggers needs names.";
            }

            if (!isSkill(trigger.Skill))
            {
                yield return $"Outreach trigger '{name}' routes to skill '{trigger.Skill}', which is not in Switchboard:Skills.";
            }

            if (string.IsNullOrWhiteSpace(trigger.Template))
            {
                yield return $"Outreach trigger '{name}' needs a Template (its opening message).";
            }

            if (trigger.Priority is < 0 or > 10)
            {
                yield return $"Outreach trigger '{name}' has priority {trigger.Priority}; it must be 0–10.";
            }
        }
    }
}

/// <summary>Proactive outreach: the triggers a shop's system may send, and how often one customer may be contacted.</summary>
public sealed class OutreachOptions
{
    /// <summary>At most this many outreach conversations per customer within <see cref="Window"/>.</summary>
    public int MaxPerCustomer { get; set; } = 2;

    public TimeSpan Window { get; set; } = TimeSpan.FromDays(1);

    /// <summary>Trigger name (e.g. <c>lateDelivery</c>, matched case-insensitively) → what it opens.</summary>
    public Dictionary<string, OutreachTriggerOptions> Triggers { get; set; } = [];

    /// <summary>The trigger of that name (any case) and its configured name, or null.</summary>
    public KeyValuePair<string, OutreachTriggerOptions>? Find(string? trigger)
    {
        foreach (var entry in Triggers)
        {
            if (string.Equals(entry.Key, trigger?.Trim(), StringComparison.OrdinalIgnoreCase))
            {
                return entry;
            }
        }

        return null;
    }
}

/// <summary>One outreach trigger.</summary>
public sealed class OutreachTriggerOptions
{
    /// <summary>The queue the outbound conversation waits in.</summary>
    public string Skill { get; set; } = "";

    /// <summary>The opening message: <c>{name}</c>, <c>{order}</c> and any context key are filled in.</summary>
    public string Template { get; set; } = "";

    /// <summary>Priority 0–10 unless the request gives one.</summary>
    public int Priority { get; set; }

    /// <summary>Why it was opened, as the agent reads it; the trigger's name when unset.</summary>
    public string? Reason { get; set; }
}
