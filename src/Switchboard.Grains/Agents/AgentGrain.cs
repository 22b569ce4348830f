using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Switchboard.Conversations;
using Switchboard.Metrics;
using Switchboard.Queues;

namespace Switchboard.Agents;

public sealed class AgentGrain(
    [PersistentState("agent", SwitchboardOptions.StorageName)] IPersistentState<AgentState> state,
    IOptions<SwitchboardOptions> options,
    TimeProvider time,
    IServiceMetrics metrics,
    ILogger<AgentGrain> logger) : Grain, IAgentGrain
{
    private readonly SwitchboardOptions _options = options.Value;
    // Connections live only in memory, each with when its silo last confirmed it. They belong to this run of the
    // silos: an agent whose grain is lost with a silo comes back when its hub's silo next confirms the connection,
    // and a connection whose silo died expires when nobody confirms it.
    private readonly Dictionary<string, DateTimeOffset> _connections = [];
    private readonly Dictionary<string, DateTimeOffset> _reservedAt = [];
    private IGrainTimer? _graceTimer;
    private IGrainTimer? _refreshTimer;

    private AgentState State => state.State;

    private string Id => this.GetPrimaryKeyString();

    // A supervisor's change (ConfigureAsync) overrides the configured profile, which is where every agent starts.
    private AgentProfile? Profile => State.Profile ?? _options.FindAgent(Id);

    private AgentPresence Presence => _connections.Count == 0 ? AgentPresence.Offline : State.Chosen;

    public override Task OnActivateAsync(CancellationToken cancellationToken)
    {
        // Reservations from an earlier activation count from now: none is judged an orphan too early.
        foreach (var conversationId in State.Conversations)
        {
            _reservedAt[conversationId] = time.GetUtcNow();
        }

        // Deactivated while offline with conversations held: the grace period still has to end.
        if (_connections.Count == 0 && State.Conversations.Count > 0)
        {
            StartGracePeriod();
        }

        return Task.CompletedTask;
    }

    public override Task OnDeactivateAsync(DeactivationReason reason, CancellationToken cancellationToken)
    {
        metrics.AgentPresence(Id, null);
        return Task.CompletedTask;
    }

    public async Task ConfigureAsync(AgentProfile profile)
    {
        if (profile.Capacity < 1)
        {
            throw SwitchboardException.Invalid("Capacity must be at least 1.");
        }

        foreach (var (skill, proficiency) in profile.Skills)
        {
            ConversationRules.ValidateSkill(skill, _options);
            if (proficiency is < 1 or > 5)
            {
                throw SwitchboardException.Invalid($"Proficiency in '{skill}' must be between 1 and 5.");
            }
        }

        State.Profile = profile;
        await state.WriteStateAsync();
        await AnnounceAsync();
    }

    public Task<AgentView?> GetAsync() => Task.FromResult(Profile is null ? null : View(Profile));

    public async Task<AgentView> ConnectAsync(string connectionId)
    {
        var profile = RequireProfile();
        var before = Presence;
        _connections[connectionId] = time.GetUtcNow();
        // Connections exist only in this activation, so it must not be collected while any is open.
        DelayDeactivation(Timeout.InfiniteTimeSpan);
        StopGracePeriod();
        _refreshTimer ??= this.RegisterGrainTimer(
            static (grain, _) => grain.OnRefreshAsync(),
            this,
            new GrainTimerCreationOptions(_options.PresenceRefreshPeriod, _options.PresenceRefreshPeriod));
        if (Presence != before)
        {
            await AnnounceAsync();
        }

        return View(profile);
    }

    public async Task DisconnectAsync(string connectionId)
    {
        if (_connections.Remove(connectionId) && _connections.Count == 0)
        {
            await GoOfflineAsync();
        }
    }

    private async Task GoOfflineAsync()
    {
        DelayDeactivation(TimeSpan.Zero);
        _refreshTimer?.Dispose();
        _refreshTimer = null;
        logger.LogInformation("Agent {AgentId} is offline; holding {Count} conversations for {Grace}", Id, State.Conversations.Count, _options.OfflineGracePeriod);
        StartGracePeriod();
        await AnnounceAsync();
    }

    /// <summary>
    /// Drops connections no silo confirmed for three refresh periods, and re-announces to the queues, so a queue
    /// that was lost with a silo learns its agents again.
    /// </summary>
    private async Task OnRefreshAsync()
    {
        var expiredBefore = time.GetUtcNow() - (_options.PresenceRefreshPeriod * 3);
        var stale = _connections.Where(c => c.Value < expiredBefore).Select(c => c.Key).ToList();
        foreach (var connectionId in stale)
        {
            _connections.Remove(connectionId);
        }

        if (stale.Count > 0 && _connections.Count == 0)
        {
            logger.LogWarning("Agent {AgentId}'s connections were not confirmed by any silo; taking it offline", Id);
            await GoOfflineAsync();
            return;
        }

        await ReleaseOrphanedReservationsAsync();
        await AnnounceAsync();
    }

    /// <summary>
    /// Gives back capacity held for a conversation that is not assigned to this agent: a queue that reserved it died
    /// before it could assign or release. Only reservations older than two refresh periods are checked, so an
    /// assignment still on its way is never mistaken for an orphan.
    /// </summary>
    private async Task ReleaseOrphanedReservationsAsync()
    {
        var checkedBefore = time.GetUtcNow() - (_options.PresenceRefreshPeriod * 2);
        var orphans = new List<string>();
        foreach (var conversationId in State.Conversations.ToArray())
        {
            if (_reservedAt.GetValueOrDefault(conversationId, DateTimeOffset.MinValue) > checkedBefore)
            {
                continue;
            }

            try
            {
                if (!await GrainFactory.GetGrain<IConversationGrain>(conversationId).IsAssignedToAsync(Id))
                {
                    orphans.Add(conversationId);
                }
            }
            catch (Exception ex)
            {
                logger.LogWarning(ex, "Agent {AgentId} could not check conversation {ConversationId}", Id, conversationId);
            }
        }

        var released = 0;
        foreach (var conversationId in orphans)
        {
            released += State.Conversations.Remove(conversationId) ? 1 : 0;
            _reservedAt.Remove(conversationId);
        }

        if (released == 0)
        {
            return;
        }

        logger.LogWarning("Agent {AgentId} released {Count} reservations no conversation claimed", Id, orphans.Count);
        await state.WriteStateAsync();
    }

    public async Task<AgentView> SetPresenceAsync(AgentPresence presence)
    {
        var profile = RequireProfile();
        if (presence is not (AgentPresence.Online or AgentPresence.Away))
        {
            throw SwitchboardException.Invalid("Choose Online or Away; an agent is Offline when it has no connection.");
        }

        if (State.Chosen != presence)
        {
            State.Chosen = presence;
            await state.WriteStateAsync();
            await AnnounceAsync();
        }

        return View(profile);
    }

    public async Task<ReserveResult> TryReserveAsync(string conversationId, string skill, int requiredProficiency)
    {
        var profile = Profile;
        if (profile is null)
        {
            return new ReserveResult(false, new AgentAvailability(Id, 0, 0, 0, false, null), Id);
        }

        if (State.Conversations.Contains(conversationId))
        {
            return new ReserveResult(true, Availability(profile, skill), profile.Name, AlreadyHeld: true);
        }

        var granted = Presence == AgentPresence.Online
            && ProficiencyIn(profile, skill) is var proficiency and > 0
            && proficiency >= requiredProficiency
            && State.Conversations.Count < profile.Capacity;
        if (!granted)
        {
            return new ReserveResult(false, Availability(profile, skill), profile.Name);
        }

        State.Conversations.Add(conversationId);
        State.LastAssignedAt = time.GetUtcNow();
        _reservedAt[conversationId] = State.LastAssignedAt.Value;
        await state.WriteStateAsync();
        await AnnounceAsync(except: skill);
        return new ReserveResult(true, Availability(profile, skill), profile.Name);
    }

    public async Task ReleaseAsync(string conversationId)
    {
        _reservedAt.Remove(conversationId);
        if (!State.Conversations.Remove(conversationId))
        {
            return;
        }

        await state.WriteStateAsync();
        await AnnounceAsync();
    }

    private void StartGracePeriod()
    {
        if (_graceTimer is not null || State.Conversations.Count == 0)
        {
            return;
        }

        _graceTimer = this.RegisterGrainTimer(
            static (grain, _) => grain.OnGracePeriodEndedAsync(),
            this,
            new GrainTimerCreationOptions(_options.OfflineGracePeriod, Timeout.InfiniteTimeSpan) { KeepAlive = true });
    }

    private void StopGracePeriod()
    {
        _graceTimer?.Dispose();
        _graceTimer = null;
    }

    private async Task OnGracePeriodEndedAsync()
    {
        StopGracePeriod();
        if (_connections.Count > 0 || State.Conversations.Count == 0)
        {
            return;
        }

        var held = State.Conversations.ToArray();
        State.Conversations.Clear();
        await state.WriteStateAsync();

        logger.LogInformation("Agent {AgentId} stayed offline past the grace period; returning {Count} conversations", Id, held.Length);
        foreach (var conversationId in held)
        {
            await GrainFactory.GetGrain<IConversationGrain>(conversationId).ReclaimAsync(Id);
        }

        await AnnounceAsync();
    }

    /// <summary>Tells every queue of the agent's skills its new availability (queues take these calls interleaved, never blocking).</summary>
    private async Task AnnounceAsync(string? except = null)
    {
        var profile = Profile;
        if (profile is null)
        {
            return;
        }

        metrics.AgentPresence(Id, Presence);

        foreach (var skill in QueuesOf(profile))
        {
            if (skill == except)
            {
                continue;
            }

            try
            {
                await GrainFactory.GetGrain<IQueueGrain>(skill).UpdateAgentAsync(Availability(profile, skill));
            }
            catch (Exception ex)
            {
                logger.LogWarning(ex, "Queue {Skill} did not take agent {AgentId}'s availability", skill, Id);
            }
        }
    }

    /// <summary>The agent's skill queues, and the supervisors' queue for a supervisor.</summary>
    private static IEnumerable<string> QueuesOf(AgentProfile profile) =>
        profile.Supervisor ? profile.Skills.Keys.Append(Queues.Queues.Supervisors) : profile.Skills.Keys;

    private static int ProficiencyIn(AgentProfile profile, string queue) =>
        queue == Queues.Queues.Supervisors ? (profile.Supervisor ? 5 : 0) : profile.Skills.GetValueOrDefault(queue);

    private AgentAvailability Availability(AgentProfile profile, string skill) => new(
        Id,
        ProficiencyIn(profile, skill),
        State.Conversations.Count,
        profile.Capacity,
        Presence == AgentPresence.Online,
        State.LastAssignedAt);

    private AgentProfile RequireProfile() =>
        Profile ?? throw SwitchboardException.NotFound($"Agent '{Id}' does not exist.");

    private AgentView View(AgentProfile profile) => new(Id, profile, Presence, [.. State.Conversations.Order(StringComparer.Ordinal)]);
}
