namespace Switchboard.Agents;

/// <summary>Picking a waiting chat from the console's Unassigned view: the agent's grain grants the slot, as for routing.</summary>
public sealed partial class AgentGrain
{
    public async Task<ReserveResult> TryPickAsync(string conversationId, string skill, int requiredProficiency)
    {
        var profile = Profile;
        if (profile is null)
        {
            return new ReserveResult(false, new AgentAvailability(Id, 0, 0, 0, false, null), Id);
        }

        if (State.Conversations.Contains(conversationId))
        {
            return new ReserveResult(true, Availability(profile, skill), profile.Name);
        }

        // Connected is enough: an agent who is Away takes no routed chats, but picking one is choosing to take it
        // (a supervisor watching the floor takes a waiting chat this way). Skill and room are checked as for routing.
        var proficiency = profile.Supervisor ? 5 : ProficiencyIn(profile, skill);
        var granted = Presence != AgentPresence.Offline
            && proficiency > 0
            && proficiency >= requiredProficiency
            && State.Conversations.Count < profile.Capacity;
        if (!granted)
        {
            return new ReserveResult(false, Availability(profile, skill), profile.Name);
        }

        State.Conversations.Add(conversationId);
        State.LastAssignedAt = Time.GetUtcNow();
        _version++;
        _reservedAt[conversationId] = State.LastAssignedAt.Value;
        _claimed.Remove(conversationId);
        await WriteAsync();
        TrackSafetyNet();
        // Every queue hears of it: none offered this conversation, so none learns it from an answer.
        await AnnounceAsync();
        return new ReserveResult(true, Availability(profile, skill), profile.Name);
    }
}
