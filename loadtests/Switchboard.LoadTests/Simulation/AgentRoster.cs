using System.Globalization;
using System.Text;
using System.Text.Json;

namespace Switchboard.LoadTests.Simulation;

/// <summary>One simulated agent: what the server must have configured for it and what the tool expects of it.</summary>
/// <param name="Team">Agents with the same team have the same skills at the same proficiency: fairness is judged among them.</param>
public sealed record SimulatedAgentProfile(string Id, string Name, int Capacity, IReadOnlyDictionary<string, int> Skills, string Team);

/// <summary>Agents with the same skills at the same proficiency; <see cref="Weight"/> sizes it against the others.</summary>
public sealed record AgentTeam(string Name, IReadOnlyDictionary<string, int> Skills, double Weight);

/// <summary>
/// The simulated agents. The server only knows agents from configuration, so the same roster is what an embedded
/// silo is configured with and what <c>--print-agents</c> prints for an operator to configure an external one.
/// </summary>
public sealed class AgentRoster
{
    /// <summary>One team per topic, sized like the default topic mix, each agent proficient (3) in one skill.</summary>
    public const string DefaultSkillMix = "shipping=42,returns=30,payment=15,account=8,general=5";

    /// <summary>The skills the server is configured with by default; an embedded silo gets exactly these.</summary>
    public static readonly IReadOnlyList<string> StandardSkills = ["shipping", "returns", "payment", "account", "general"];

    public AgentRoster(IReadOnlyList<SimulatedAgentProfile> agents) => Agents = agents;

    public IReadOnlyList<SimulatedAgentProfile> Agents { get; }

    public IEnumerable<string> Skills => Agents.SelectMany(a => a.Skills.Keys).Distinct().Order(StringComparer.Ordinal);

    /// <summary>
    /// <paramref name="count"/> agents split over the teams of <paramref name="skillMix"/> by largest remainder, every
    /// team getting at least one agent while there are enough. A team is <c>skill[:proficiency]+skill...=weight</c>,
    /// e.g. <c>shipping=40,shipping:4+returns:2=10</c>.
    /// </summary>
    public static AgentRoster Create(int count, int capacity, string skillMix, string idPrefix)
    {
        if (count < 1)
        {
            throw new ArgumentOutOfRangeException(nameof(count), "At least one agent is needed.");
        }

        var teams = ParseTeams(skillMix);
        return Create(teams, Allocate(count, [.. teams.Select(t => t.Weight)]), capacity, idPrefix);
    }

    /// <summary>Teams of the given sizes, in the order of <paramref name="teams"/>.</summary>
    public static AgentRoster Create(IReadOnlyList<AgentTeam> teams, IReadOnlyList<int> sizes, int capacity, string idPrefix)
    {
        if (capacity < 1)
        {
            throw new ArgumentOutOfRangeException(nameof(capacity), "Capacity must be at least 1.");
        }

        var count = sizes.Sum();
        var agents = new List<SimulatedAgentProfile>(count);
        var digits = Math.Max(4, count.ToString(CultureInfo.InvariantCulture).Length);
        for (var t = 0; t < teams.Count; t++)
        {
            for (var i = 0; i < sizes[t]; i++)
            {
                var n = agents.Count + 1;
                agents.Add(new SimulatedAgentProfile(
                    $"{idPrefix}{n.ToString(CultureInfo.InvariantCulture).PadLeft(digits, '0')}",
                    $"load-agent-{n}",
                    capacity,
                    teams[t].Skills,
                    teams[t].Name));
            }
        }

        return new AgentRoster(agents);
    }

    /// <summary>Largest-remainder split of <paramref name="total"/> by weight; each positive weight gets ≥ 1 while total allows.</summary>
    public static int[] Allocate(int total, IReadOnlyList<double> weights)
    {
        var sum = weights.Sum();
        if (weights.Count == 0 || sum <= 0 || weights.Any(w => w < 0))
        {
            throw new ArgumentException("Weights must be non-negative and not all zero.", nameof(weights));
        }

        var ideal = weights.Select(w => w / sum * total).ToArray();
        var sizes = ideal.Select(x => (int)Math.Floor(x)).ToArray();
        var rest = total - sizes.Sum();
        foreach (var i in Enumerable.Range(0, sizes.Length).OrderByDescending(i => ideal[i] - sizes[i]).ThenBy(i => i).Take(rest))
        {
            sizes[i]++;
        }

        // A small team rounded to nobody takes one agent from the largest team, so every skill asked for is served.
        if (total >= weights.Count(w => w > 0))
        {
            for (var i = 0; i < sizes.Length; i++)
            {
                if (weights[i] > 0 && sizes[i] == 0)
                {
                    var largest = Enumerable.Range(0, sizes.Length).MaxBy(j => sizes[j]);
                    sizes[largest]--;
                    sizes[i]++;
                }
            }
        }

        return sizes;
    }

    /// <summary>Environment variables (one per line) that configure these agents on a silo.</summary>
    public string ToEnvironment()
    {
        var text = new StringBuilder();
        foreach (var agent in Agents)
        {
            text.Append(CultureInfo.InvariantCulture, $"Switchboard__Agents__{agent.Id}__Name={agent.Name}\n");
            text.Append(CultureInfo.InvariantCulture, $"Switchboard__Agents__{agent.Id}__Capacity={agent.Capacity}\n");
            foreach (var (skill, proficiency) in agent.Skills)
            {
                text.Append(CultureInfo.InvariantCulture, $"Switchboard__Agents__{agent.Id}__Skills__{skill}={proficiency}\n");
            }
        }

        return text.ToString();
    }

    /// <summary>
    /// An appsettings.json fragment with the agents, to merge into the silo's settings (its skills stay as configured),
    /// and <paramref name="limits"/> as <c>Switchboard:Limits</c> when given.
    /// </summary>
    public string ToAppSettingsJson(IReadOnlyDictionary<string, int>? limits = null)
    {
        var switchboard = new Dictionary<string, object>
        {
            ["Agents"] = Agents.ToDictionary(a => a.Id, a => new Dictionary<string, object>
            {
                ["Name"] = a.Name,
                ["Capacity"] = a.Capacity,
                ["Skills"] = a.Skills,
            }),
        };
        if (limits is not null)
        {
            switchboard["Limits"] = limits;
        }

        var document = new Dictionary<string, object> { ["Switchboard"] = switchboard };
        return JsonSerializer.Serialize(document, new JsonSerializerOptions { WriteIndented = true }) + "\n";
    }

    /// <summary>The configuration keys an embedded silo gets: the standard skills plus these agents.</summary>
    public IEnumerable<KeyValuePair<string, string?>> ToConfiguration()
    {
        foreach (var skill in StandardSkills.Union(Skills))
        {
            yield return new($"Switchboard:Skills:{skill}:DisplayName", skill);
        }

        foreach (var agent in Agents)
        {
            yield return new($"Switchboard:Agents:{agent.Id}:Name", agent.Name);
            yield return new($"Switchboard:Agents:{agent.Id}:Capacity", agent.Capacity.ToString(CultureInfo.InvariantCulture));
            foreach (var (skill, proficiency) in agent.Skills)
            {
                yield return new($"Switchboard:Agents:{agent.Id}:Skills:{skill}", proficiency.ToString(CultureInfo.InvariantCulture));
            }
        }
    }

    /// <summary>The teams of a skill mix: <c>skill[:proficiency][+skill...]=weight</c>, comma-separated.</summary>
    public static IReadOnlyList<AgentTeam> ParseTeams(string spec)
    {
        var teams = new List<AgentTeam>();
        foreach (var part in spec.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
        {
            var pair = part.Split('=', StringSplitOptions.TrimEntries);
            if (pair.Length != 2 || !double.TryParse(pair[1].TrimEnd('%'), NumberStyles.Float, CultureInfo.InvariantCulture, out var weight) || weight < 0)
            {
                throw new FormatException($"'{part}' is not a team; write skill[:proficiency][+skill...]=weight, e.g. shipping:4+returns=20.");
            }

            var skills = new SortedDictionary<string, int>(StringComparer.Ordinal);
            foreach (var skillText in pair[0].Split('+', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
            {
                var bits = skillText.Split(':');
                var proficiency = 3;
                if (bits[0].Length == 0 || bits.Length > 2
                    || (bits.Length == 2 && (!int.TryParse(bits[1], CultureInfo.InvariantCulture, out proficiency) || proficiency is < 1 or > 5)))
                {
                    throw new FormatException($"'{skillText}' is not skill[:proficiency 1–5].");
                }

                skills[bits[0].ToLowerInvariant()] = proficiency;
            }

            if (skills.Count == 0)
            {
                throw new FormatException($"Team '{part}' names no skill.");
            }

            var name = string.Join('+', skills.Select(s => $"{s.Key}:{s.Value}"));
            teams.Add(new AgentTeam(name, skills.AsReadOnly(), weight));
        }

        return teams.Count == 0 ? throw new FormatException("The skill mix names no team.") : teams;
    }
}
