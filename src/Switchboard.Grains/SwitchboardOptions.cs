using System.Collections.Immutable;
using Switchboard.Agents;
using Switchboard.Conversations;
using Switchboard.Sla;

namespace Switchboard;

/// <summary>The product's settings, bound from the <c>Switchboard</c> configuration section.</summary>
public sealed class SwitchboardOptions
{
    public const string Section = "Switchboard";

    /// <summary>The Orleans storage provider name grains persist to.</summary>
    public const string StorageName = "switchboard";

    /// <summary>The skills (queues) conversations may ask for, keyed by lower-case name.</summary>
    public Dictionary<string, SkillOptions> Skills { get; set; } = [];

    /// <summary>Agents known from configuration, keyed by agent id.</summary>
    public Dictionary<string, AgentOptions> Agents { get; set; } = [];

    /// <summary>House rules for agent messages.</summary>
    public MessageRulesOptions MessageRules { get; set; } = new();

    /// <summary>Quick replies, in the order agents see them.</summary>
    public List<QuickReplyOptions> QuickReplies { get; set; } = [];

    /// <summary>First-response clocks and their staged actions.</summary>
    public SlaOptions Sla { get; set; } = new();

    /// <summary>The deadline service: the safety net for conversations' clocks (<c>Switchboard:Deadlines</c>).</summary>
    public Deadlines.DeadlineOptions Deadlines { get; set; } = new();

    /// <summary>Customers remembered: history, return to the last agent, one open conversation per topic, outreach.</summary>
    public Customers.CustomerOptions Customers { get; set; } = new();

    /// <summary>Service metrics: KPI windows and the FRT anomaly rule.</summary>
    public Metrics.MetricsOptions Metrics { get; set; } = new();

    /// <summary>
    /// How often each silo confirms its open agent connections and each online agent re-announces itself to its
    /// queues; a connection not confirmed for three periods is taken as gone (its silo died).
    /// </summary>
    public TimeSpan PresenceRefreshPeriod { get; set; } = TimeSpan.FromSeconds(20);

    /// <summary>How long an agent whose last connection closed keeps its conversations before they return to the queue.</summary>
    public TimeSpan OfflineGracePeriod { get; set; } = TimeSpan.FromSeconds(60);

    /// <summary>Waiting this long adds one point of priority, so a long wait eventually beats a higher priority.</summary>
    /// <summary>
    /// How often, at most, a queue tells its waiting customers that the line moved (new arrivals hear their place at
    /// once): one pass over the line per period, however many assignments moved it.
    /// </summary>
    public TimeSpan PositionReportInterval { get; set; } = TimeSpan.FromSeconds(1);

    public TimeSpan AgingInterval { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>Priority points a VIP customer gets on top of the channel's priority.</summary>
    public int VipBoost { get; set; } = 2;

    /// <summary>The longest message, in characters.</summary>
    public int MaxMessageLength { get; set; } = 4000;

    /// <summary>The longest customer name, in characters.</summary>
    public int MaxCustomerNameLength { get; set; } = 200;

    /// <summary>
    /// How much one conversation may hold, bound from <c>Switchboard:Limits</c> beside the edge's own limits (which
    /// the silo binds from the same section).
    /// </summary>
    public TranscriptLimits Limits { get; set; } = new();

    public bool IsKnownSkill(string? skill) => skill is not null && Skills.ContainsKey(skill);

    /// <summary>A skill queue or the supervisors' queue.</summary>
    public bool IsQueue(string? name) => name == Queues.Queues.Supervisors || IsKnownSkill(name);

    /// <summary>The profile of a configured agent, or null.</summary>
    public AgentProfile? FindAgent(string agentId) =>
        Agents.TryGetValue(agentId, out var agent) ? agent.ToProfile(agentId) : null;

    /// <summary>Everything wrong with these settings, empty when they are usable.</summary>
    public IEnumerable<string> Problems()
    {
        foreach (var problem in Deadlines.Problems($"{Section}:Deadlines"))
        {
            yield return problem;
        }

        if (Skills.Count == 0)
        {
            yield return "Switchboard:Skills must name at least one skill.";
        }

        foreach (var skill in Skills.Keys.Where(k => k != k.ToLowerInvariant() || string.IsNullOrWhiteSpace(k)))
        {
            yield return $"Skill '{skill}' must be a non-empty lower-case name.";
        }

        if (Skills.ContainsKey(Queues.Queues.Supervisors))
        {
            yield return $"'{Queues.Queues.Supervisors}' is the supervisors' queue; it cannot be a skill.";
        }

        foreach (var problem in Metrics.Problems())
        {
            yield return problem;
        }

        foreach (var problem in Customers.Problems(IsKnownSkill))
        {
            yield return problem;
        }

        foreach (var problem in Sla.Problems())
        {
            yield return problem;
        }

        if (!IsKnownSkill(Sla.FallbackQueue))
        {
            yield return $"Switchboard:Sla:FallbackQueue '{Sla.FallbackQueue}' is not in Switchboard:Skills.";
        }

        if (PresenceRefreshPeriod <= TimeSpan.Zero || PresenceRefreshPeriod > TimeSpan.FromDays(30))
        {
            yield return "Switchboard:PresenceRefreshPeriod must be positive and at most 30 days.";
        }

        if (OfflineGracePeriod < TimeSpan.Zero)
        {
            yield return "Switchboard:OfflineGracePeriod must not be negative.";
        }

        if (PositionReportInterval <= TimeSpan.Zero)
        {
            yield return "Switchboard:PositionReportInterval must be positive.";
        }

        if (AgingInterval <= TimeSpan.Zero)
        {
            yield return "Switchboard:AgingInterval must be positive.";
        }

        if (MessageRules.MaxAgentMessagesInARow < 1)
        {
            yield return "Switchboard:MessageRules:MaxAgentMessagesInARow must be at least 1.";
        }

        foreach (var reply in QuickReplies.Where(r => string.IsNullOrWhiteSpace(r.Shortcut) || string.IsNullOrWhiteSpace(r.Text)))
        {
            yield return $"Quick reply '{reply.Title}' needs a shortcut and a text.";
        }

        if (VipBoost < 0)
        {
            yield return "Switchboard:VipBoost must not be negative.";
        }

        if (MaxMessageLength < 1 || MaxCustomerNameLength < 1)
        {
            yield return "Switchboard:MaxMessageLength and MaxCustomerNameLength must be positive.";
        }

        foreach (var problem in Limits.Problems(MaxMessageLength))
        {
            yield return problem;
        }

        foreach (var (id, agent) in Agents)
        {
            if (agent.Capacity < 1)
            {
                yield return $"Agent '{id}' needs a capacity of at least 1.";
            }

            foreach (var (skill, proficiency) in agent.Skills)
            {
                if (!IsKnownSkill(skill))
                {
                    yield return $"Agent '{id}' has skill '{skill}', which is not in Switchboard:Skills.";
                }

                if (proficiency is < 1 or > 5)
                {
                    yield return $"Agent '{id}' has proficiency {proficiency} in '{skill}'; it must be 1–5.";
                }
            }
        }
    }
}

/// <summary>One skill queue.</summary>
public sealed class SkillOptions
{
    /// <summary>How the skill is shown to people.</summary>
    public string? DisplayName { get; set; }
}

/// <summary>An agent declared in configuration.</summary>
public sealed class AgentOptions
{
    public string? Name { get; set; }

    public int Capacity { get; set; } = 2;

    public bool Supervisor { get; set; }

    /// <summary>Skill → proficiency 1–5.</summary>
    public Dictionary<string, int> Skills { get; set; } = [];

    public AgentProfile ToProfile(string agentId) =>
        new(Name ?? agentId, Skills.ToImmutableDictionary(), Capacity, Supervisor);
}
