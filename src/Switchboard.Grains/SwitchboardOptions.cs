using System.Collections.Frozen;
using System.Collections.Immutable;
using Switchboard.Agents;
using Switchboard.Conversations;
using Switchboard.Languages;
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

    /// <summary>Quick replies, in the order agents see them (English; other languages' in <see cref="Languages"/>).</summary>
    public List<QuickReplyOptions> QuickReplies { get; set; } = [];

    /// <summary>
    /// The languages served besides English, by code (<c>de</c>, <c>ru</c>, ...): topic names, quick replies, house rules,
    /// emotion words and texts to customers in that language. German and Russian are served with nothing set here.
    /// </summary>
    public Dictionary<string, LanguageOptions> Languages { get; set; } = [];

    /// <summary>First-response clocks and their staged actions.</summary>
    public SlaOptions Sla { get; set; } = new();

    /// <summary>The deadline service: the safety net for conversations' clocks (<c>Switchboard:Deadlines</c>).</summary>
    public Deadlines.DeadlineOptions Deadlines { get; set; } = new();

    /// <summary>Customers remembered: history, return to the last agent, one open conversation per topic, outreach.</summary>
    public Customers.CustomerOptions Customers { get; set; } = new();

    /// <summary>Leaving a message instead of waiting, and answering it later (<c>Switchboard:Tickets</c>).</summary>
    public Supervision.TicketOptions Tickets { get; set; } = new();

    /// <summary>The agent's workspace: who may pick waiting chats, and each agent's searchable history (<c>Switchboard:Workspace</c>).</summary>
    public WorkspaceOptions Workspace { get; set; } = new();

    /// <summary>Service metrics: KPI windows and the FRT anomaly rule.</summary>
    public Metrics.MetricsOptions Metrics { get; set; } = new();

    /// <summary>
    /// How often each silo confirms its open agent connections and each online agent re-announces itself to its
    /// queues; a connection not confirmed for three periods is taken as gone (its silo died).
    /// </summary>
    public TimeSpan PresenceRefreshPeriod { get; set; } = TimeSpan.FromSeconds(20);

    /// <summary>How long an agent whose last connection closed keeps its conversations before they return to the queue.</summary>
    public TimeSpan OfflineGracePeriod { get; set; } = TimeSpan.FromSeconds(60);

    /// <summary>
    /// The presence an agent signs in with: Away (nothing is routed to them until they choose Online) or Online (taking
    /// chats from the moment the console connects). An agent whose console comes back within
    /// <see cref="OfflineGracePeriod"/> (a dropped connection, a reload) keeps the presence it had chosen.
    /// </summary>
    public AgentPresence SignInStatus { get; set; } = AgentPresence.Away;

    /// <summary>
    /// How often, at most, a queue tells its waiting customers that the line moved (arrivals, and conversations whose
    /// standing changed, hear their place at once): one bounded pass per period, however many assignments moved it.
    /// </summary>
    public TimeSpan PositionReportInterval { get; set; } = TimeSpan.FromSeconds(1);

    /// <summary>The first places in line, told exactly whenever they improve (at most once per <see cref="PositionReportInterval"/>).</summary>
    public int PositionReportExact { get; set; } = 10;

    /// <summary>
    /// How many customers behind the first <see cref="PositionReportExact"/> one pass looks at, going round the line
    /// from where the last pass stopped; one is told when their place improved by a quarter or more since they were
    /// last told. This bounds a pass's work and pushes however long the line: with 10,000 waiting and the default,
    /// each customer is looked at about every 40 passes.
    /// </summary>
    public int PositionReportScan { get; set; } = 256;

    /// <summary>
    /// How many offers one queue may have out at once, to different conversations (1: one at a time). An offer waits for
    /// the agent's and the conversation's storage writes; with several out, a queue does not wait on one conversation's
    /// write before offering the next. Each agent's free slots are counted with the offers out to it, so no agent is
    /// offered more than it has room for and the line is still served in order; the agent's grain still grants every slot.
    /// </summary>
    public int QueueOffersInFlight { get; set; } = 4;

    /// <summary>Waiting this long adds one point of priority, so a long wait eventually beats a higher priority.</summary>
    public TimeSpan AgingInterval { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>Priority points a VIP customer gets on top of the channel's priority.</summary>
    public int VipBoost { get; set; } = 2;

    /// <summary>
    /// The longest message, in UTF-16 code units (a letter is 1, an emoji 2 or more): what a message costs to store
    /// and send, which is what this limit is for.
    /// </summary>
    public int MaxMessageLength { get; set; } = 4000;

    /// <summary>
    /// The longest name (a customer's, an agent's, a skill's display name), in characters as people count them: text
    /// elements, so an emoji or a letter with its accents is one.
    /// </summary>
    public int MaxNameLength { get; set; } = 100;

    /// <summary>Replaced by <see cref="MaxNameLength"/>; a silo configured with it refuses to start and says so.</summary>
    public int? MaxCustomerNameLength { get; set; }

    /// <summary>The most conversations one agent may hold at once: capacities are 1 to this.</summary>
    public int MaxAgentCapacity { get; set; } = 50;

    /// <summary>Skill names are queue names, paths and parts of notices: at most this many characters.</summary>
    public const int MaxSkillNameLength = 40;

    // The configured staff's names by skeleton, built on first use: settings do not change once bound. A method and a
    // private field, so the configuration binder never sees (or builds) it.
    private Text.StaffNames? _staff;

    // Built on first use, like the staff names: settings do not change once bound.
    private FrozenDictionary<string, LanguagePack>? _languages;

    /// <summary>The languages customers are served in: English, those with a built-in catalogue, those configured.</summary>
    public ICollection<string> ServedLanguages() => LanguagePacks().Keys;

    /// <summary>A served language prepared for use (English for a code not served).</summary>
    public LanguagePack Language(string? code) =>
        LanguagePacks().GetValueOrDefault(code ?? LanguageTags.Default)
        ?? LanguagePacks()[LanguageTags.Default];

    private FrozenDictionary<string, LanguagePack> LanguagePacks() => _languages ??= BuildLanguages();

    private FrozenDictionary<string, LanguagePack> BuildLanguages()
    {
        var english = LanguageTags.Default;
        var builtIn = ServerTexts.BuiltIn;
        var codes = builtIn.Keys.Union(Languages.Keys, StringComparer.Ordinal).ToArray();
        var packs = new Dictionary<string, LanguagePack>(StringComparer.Ordinal);
        foreach (var code in codes)
        {
            var configured = code == english ? null : Languages.GetValueOrDefault(code);
            var texts = new Dictionary<string, string>(builtIn.GetValueOrDefault(code) ?? (IReadOnlyDictionary<string, string>)new Dictionary<string, string>(), StringComparer.Ordinal);
            foreach (var (key, text) in configured?.Texts ?? [])
            {
                texts[key] = text;
            }

            var topics = Skills.ToDictionary(
                s => s.Key,
                s => configured?.Topics.GetValueOrDefault(s.Key) is { Length: > 0 } name ? name : s.Value.DisplayName ?? s.Key,
                StringComparer.Ordinal);
            EmotionRules emotion;
            IReadOnlyDictionary<string, string>? phrases;
            IReadOnlyList<QuickReplyOptions>? replies;
            if (code == english)
            {
                emotion = Sla.EnglishEmotion();
                phrases = MessageRules.EffectiveForbiddenPhrases;
                replies = QuickReplies;
            }
            else
            {
                // English words count in every language: customers switch to it, and these words travel.
                var words = (configured?.AngryWords ?? EmotionRules.BuiltInAngryWords.GetValueOrDefault(code) ?? []).Concat(Sla.EffectiveAngryWords);
                emotion = new EmotionRules(words, configured?.ShoutingSignals ?? EmotionRules.BuiltInShoutingSignals.GetValueOrDefault(code, 1));
                phrases = configured?.ForbiddenPhrases is { } set
                    ? new Dictionary<string, string>(set, StringComparer.OrdinalIgnoreCase)
                    : LanguageOptions.BuiltInForbiddenPhrases.GetValueOrDefault(code);
                replies = configured?.QuickReplies;
            }

            packs[code] = new LanguagePack(code, texts, topics, emotion, phrases, replies);
        }

        return packs.ToFrozenDictionary(StringComparer.Ordinal);
    }

    /// <summary>The configured agents' and supervisors' names, for telling look-alikes (<see cref="Text.LookAlikes"/>).</summary>
    public Text.StaffNames Staff() =>
        _staff ??= new Text.StaffNames(Agents.Select(a => (a.Key, Text.Names.Normalize(a.Value.Name ?? a.Key))));

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

        foreach (var (skill, options) in Skills)
        {
            if (skill != skill.ToLowerInvariant() || skill.Length is 0 or > MaxSkillNameLength || skill != skill.Trim()
                || skill.Any(c => char.IsControl(c) || char.GetUnicodeCategory(c) is System.Globalization.UnicodeCategory.Format
                    or System.Globalization.UnicodeCategory.LineSeparator or System.Globalization.UnicodeCategory.ParagraphSeparator))
            {
                yield return $"Skill '{skill}' must be a lower-case name of 1–{MaxSkillNameLength} characters, without surrounding spaces, control or formatting characters.";
            }

            if (options.DisplayName is { } displayName
                && Text.Names.Problem(Text.Names.Normalize(displayName), $"{Section}:Skills:{skill}:DisplayName", MaxNameLength) is { } problem)
            {
                yield return problem;
            }
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

        foreach (var problem in Tickets.Problems($"{Section}:Tickets"))
        {
            yield return problem;
        }

        foreach (var problem in Workspace.Problems($"{Section}:Workspace"))
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

        if (SignInStatus is not (AgentPresence.Away or AgentPresence.Online))
        {
            yield return $"Switchboard:SignInStatus must be Away or Online; it is {SignInStatus}.";
        }

        if (PositionReportInterval <= TimeSpan.Zero)
        {
            yield return "Switchboard:PositionReportInterval must be positive.";
        }

        if (QueueOffersInFlight is < 1 or > 64)
        {
            yield return "Switchboard:QueueOffersInFlight must be between 1 and 64.";
        }

        if (PositionReportExact < 0 || PositionReportScan < 1)
        {
            yield return "Switchboard:PositionReportExact must not be negative and Switchboard:PositionReportScan must be at least 1.";
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

        foreach (var (code, language) in Languages)
        {
            foreach (var problem in language.Problems(code, IsKnownSkill))
            {
                yield return problem;
            }
        }

        if (VipBoost < 0)
        {
            yield return "Switchboard:VipBoost must not be negative.";
        }

        if (MaxMessageLength < 1)
        {
            yield return "Switchboard:MaxMessageLength must be positive.";
        }

        if (MaxCustomerNameLength is not null)
        {
            yield return "Switchboard:MaxCustomerNameLength was replaced by Switchboard:MaxNameLength, which counts characters as people see them (an emoji is one) and applies to every name; set that instead.";
        }

        if (MaxNameLength is < 1 or > 1000)
        {
            yield return "Switchboard:MaxNameLength must be 1–1000.";
        }

        if (MaxAgentCapacity is < 1 or > 1000)
        {
            yield return "Switchboard:MaxAgentCapacity must be 1–1000.";
        }

        foreach (var problem in Limits.Problems(MaxMessageLength))
        {
            yield return problem;
        }

        foreach (var problem in AgentProblems())
        {
            yield return problem;
        }
    }

    private IEnumerable<string> AgentProblems()
    {
        foreach (var (id, agent) in Agents)
        {
            if (!AgentRules.IsAgentId(id))
            {
                yield return $"Agent id '{id}': {AgentRules.AgentIdRule}";
            }

            var name = Text.Names.Normalize(agent.Name ?? id);
            if (Text.Names.Problem(name, $"{Section}:Agents:{id}:Name", MaxNameLength) is { } nameProblem)
            {
                yield return nameProblem;
            }
            else if (Staff().Imitated(id, name) is { } imitated && string.CompareOrdinal(id, imitated.AgentId) < 0)
            {
                // Reported once per pair, by the first in id order.
                yield return $"Agents '{id}' and '{imitated.AgentId}' have names that look alike without being the same ('{name}', '{imitated.Name}'); give one another name.";
            }

            if (AgentRules.CapacityProblem(agent.Capacity, this) is { } capacityProblem)
            {
                yield return $"Agent '{id}': the capacity {capacityProblem}";
            }

            foreach (var (skill, proficiency) in agent.Skills)
            {
                if (!IsKnownSkill(skill))
                {
                    yield return $"Agent '{id}' has skill '{skill}', which is not in Switchboard:Skills.";
                }

                if (AgentRules.ProficiencyProblem(proficiency) is not null)
                {
                    yield return $"Agent '{id}' has proficiency {proficiency} in '{skill}'; it must be {AgentRules.MinProficiency}–{AgentRules.MaxProficiency}.";
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
        new(Text.Names.Normalize(Name ?? agentId), Skills.ToImmutableDictionary(), Capacity, Supervisor);
}
