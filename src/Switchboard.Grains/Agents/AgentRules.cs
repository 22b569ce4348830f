using Switchboard.Text;

namespace Switchboard.Agents;

/// <summary>
/// What an agent may be: its id, name, capacity and proficiencies. Checked where a profile enters (configuration at
/// start, <c>PUT /api/agents/{id}</c>) and again by the agent grain, the authority on the profile.
/// </summary>
public static class AgentRules
{
    /// <summary>Agent ids are tokens' subjects and parts of paths: 1–100 characters.</summary>
    public const int MaxAgentIdLength = 100;

    public const int MinProficiency = 1;
    public const int MaxProficiency = 5;

    /// <summary>
    /// An agent id: 1–<see cref="MaxAgentIdLength"/> characters, not blank, no surrounding spaces, no control,
    /// formatting (zero-width, bidi) or line-separator characters. Ids are shown in notices ("transferred by
    /// supervisor sam"), so the rules for what may be shown apply to them too.
    /// </summary>
    public static bool IsAgentId(string? id)
    {
        if (string.IsNullOrWhiteSpace(id) || id.Length > MaxAgentIdLength || char.IsWhiteSpace(id[0]) || char.IsWhiteSpace(id[^1]))
        {
            return false;
        }

        foreach (var c in id)
        {
            if (char.IsControl(c) || char.IsSurrogate(c)
                || char.GetUnicodeCategory(c) is System.Globalization.UnicodeCategory.Format
                    or System.Globalization.UnicodeCategory.LineSeparator
                    or System.Globalization.UnicodeCategory.ParagraphSeparator)
            {
                return false;
            }
        }

        return true;
    }

    public const string AgentIdRule = "An agent id is 1–100 characters, without surrounding spaces, control, formatting or line-separator characters.";

    /// <summary>
    /// The first thing wrong with a profile given over the API for agent <paramref name="agentId"/>, or null; each
    /// refusal names the field of <c>PUT /api/agents/{id}</c> to fix. The name must already be normalised
    /// (<see cref="Names.Normalize"/>).
    /// </summary>
    public static string? Problem(string agentId, AgentProfile profile, SwitchboardOptions options)
    {
        if (string.IsNullOrWhiteSpace(profile.Name))
        {
            return "'name' is required: an agent needs a name.";
        }

        if (Names.Problem(profile.Name, "'name'", options.MaxNameLength) is { } nameProblem)
        {
            return nameProblem;
        }

        if (options.Staff().Imitated(agentId, profile.Name) is { } imitated)
        {
            return $"'name' looks like the name of agent '{imitated.AgentId}' ({imitated.Name}) without being it; an agent's name may not imitate another's.";
        }

        if (CapacityProblem(profile.Capacity, options) is { } capacityProblem)
        {
            return $"'capacity' {capacityProblem}";
        }

        foreach (var (skill, proficiency) in profile.Skills)
        {
            if (!options.IsKnownSkill(skill))
            {
                return $"'skills': unknown skill '{skill}'. Known skills: {string.Join(", ", options.Skills.Keys.Order(StringComparer.Ordinal))}.";
            }

            if (ProficiencyProblem(proficiency) is { } proficiencyProblem)
            {
                return $"'skills': proficiency in '{skill}' {proficiencyProblem}";
            }
        }

        return null;
    }

    /// <summary>Why a capacity is out of bounds (completing a sentence about it), or null.</summary>
    public static string? CapacityProblem(int capacity, SwitchboardOptions options) =>
        capacity < 1 || capacity > options.MaxAgentCapacity
            ? $"must be between 1 and {options.MaxAgentCapacity} (Switchboard:MaxAgentCapacity); it is {capacity}."
            : null;

    /// <summary>Why a proficiency is out of bounds (completing a sentence about it), or null.</summary>
    public static string? ProficiencyProblem(int proficiency) =>
        proficiency is < MinProficiency or > MaxProficiency
            ? $"must be between {MinProficiency} and {MaxProficiency}; it is {proficiency}."
            : null;
}
