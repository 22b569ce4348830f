using System.Collections.Immutable;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Switchboard.Conversations;
using Switchboard.Metrics;
using Switchboard.Queues;

namespace Switchboard.Agents;

public sealed partial class AgentGrain(
    [PersistentState("agent", SwitchboardOptions.StorageName)] IPersistentState<AgentState> state,
    IOptions<SwitchboardOptions> options,
    TimeProvider time,
    IServiceMetrics metrics,
    IClusterMembershipService membership,
    ILogger<AgentGrain> logger) : Grain, IAgentGrain
{
    private readonly SwitchboardOptions _options = options.Value;
    // Connections are stored with the host (silo) that holds them, so an activation that replaces one lost with a
    // silo, or moved by a silo's shutdown, knows at once which are still open; in memory, each with when its host
    // last confirmed it: one whose host died, or that nobody confirms, goes.
    private readonly Dictionary<string, DateTimeOffset> _confirmedAt = [];
    private readonly Dictionary<string, DateTimeOffset> _reservedAt = [];
    // Reservations a conversation has confirmed as its assignment: only the conversation gives those back.
    private readonly HashSet<string> _claimed = [];
    private IGrainTimer? _graceTimer;
    private DateTimeOffset? _graceEndsAt;
    private IGrainTimer? _refreshTimer;
    // When the deadline service would wake this agent if its grain were lost: while it holds conversations, so that
    // an agent who never comes back still loses them after its grace period. MinValue: not known (after an activation
    // or a wake), so the next look tells the shard whatever it is.
    private DateTimeOffset? _safetyNetAt = DateTimeOffset.MinValue;
    // What queues learn is ordered by these: an answer to a reservation can reach a queue after a later announcement.
    // The real clock, not the silo's TimeProvider: it only orders activations, and fake time may stand still.
    private readonly long _incarnation = TimeProvider.System.GetUtcNow().UtcTicks;
    private long _version;

    private AgentState State => state.State;

    // For the other parts of this class (primary-constructor parameters are visible only in this one).
    private TimeProvider Time => time;

    private string Id => this.GetPrimaryKeyString();

    // A supervisor's change (ConfigureAsync) overrides the configured profile, which is where every agent starts.
    private AgentProfile? Profile => State.Profile ?? _options.FindAgent(Id);

    private AgentPresence Presence => State.Connections.Count == 0 ? AgentPresence.Offline : State.Chosen;

    public override async Task OnActivateAsync(CancellationToken cancellationToken)
    {
        var now = time.GetUtcNow();
        // Reservations from an earlier activation count from now: none is judged an orphan too early.
        foreach (var conversationId in State.Conversations)
        {
            _reservedAt[conversationId] = now;
        }

        // Connections an earlier activation stored are still open unless their host is gone; they expire like any
        // other if their host stops confirming them.
        var gone = State.Connections.Where(c => !HostIsUp(c.Value)).Select(c => c.Key).ToList();
        foreach (var connectionId in gone)
        {
            State.Connections.Remove(connectionId);
        }

        if (gone.Count > 0 && State.Connections.Count == 0)
        {
            // Its consoles were lost with a silo: when they reconnect they resume, not sign in afresh.
            State.OfflineSince = now;
        }

        foreach (var connectionId in State.Connections.Keys)
        {
            _confirmedAt[connectionId] = now;
        }

        if (gone.Count > 0)
        {
            await WriteAsync();
        }

        if (State.Connections.Count > 0)
        {
            KeepOnline();
            // Queues that lost their word on this agent with a silo hear it now, not at the next refresh.
            await AnnounceAsync();
        }
        else if (State.Conversations.Count > 0)
        {
            // Deactivated (or lost with a silo) while offline with conversations held: the grace period still has to end.
            StartGracePeriod();
        }

        TrackSafetyNet();
    }

    /// <summary>Woken by the deadline service (activation did the work: dropped connections of dead silos, started the grace period).</summary>
    public Task WakeAsync()
    {
        _safetyNetAt = DateTimeOffset.MinValue;
        TrackSafetyNet();
        return Task.CompletedTask;
    }

    /// <summary>
    /// Keeps the deadline service's wake-up for this agent ahead of it while it holds conversations: the end of its
    /// grace period when offline, a few refresh periods ahead when online (moved on every refresh); none otherwise.
    /// One-way, and only when it moves by a refresh period or more.
    /// </summary>
    private void TrackSafetyNet()
    {
        var period = _options.PresenceRefreshPeriod;
        DateTimeOffset? desired = State.Conversations.Count == 0
            ? null
            : _graceEndsAt ?? time.GetUtcNow() + (period * 3);
        if (desired == _safetyNetAt
            || (desired is { } d && _safetyNetAt is { } held && d >= held && d - held < period))
        {
            return;
        }

        // An agent whose last conversation just ended keeps the wake-up it has: it fires once, finds nothing held and
        // is forgotten then (WakeAsync). Forgetting at once cost two shard calls per conversation for an agent who
        // goes from none to one and back with every chat; the wake it keeps costs one call, a few refresh periods on.
        if (desired is null && _safetyNetAt is { } pending && pending > time.GetUtcNow())
        {
            return;
        }

        _safetyNetAt = desired;
        GrainFactory.Grain<Deadlines.IDeadlineShardGrain>(_options.Deadlines.ShardOf(Id)).TrackAgentAsync(Id, desired).Ignore();
    }

    public override Task OnDeactivateAsync(DeactivationReason reason, CancellationToken cancellationToken)
    {
        metrics.AgentPresence(Id, null);
        return Task.CompletedTask;
    }

    public async Task ConfigureAsync(AgentProfile profile)
    {
        ArgumentNullException.ThrowIfNull(profile);
        // The edge checked already; this grain is the authority on the profile and checks again whoever calls it.
        profile = profile with { Name = Text.Names.Normalize(profile.Name), Skills = profile.Skills ?? [] };
        if (AgentRules.Problem(Id, profile, _options) is { } problem)
        {
            throw SwitchboardException.Invalid(problem);
        }

        // Listed before the profile is stored (a configured agent too: its stored profile outlives its configuration):
        // a failure in between leaves a listed agent without a profile, which reads as unknown, never an agent that
        // exists but cannot be found.
        await GrainFactory.Grain<IAgentDirectoryGrain>(0).AddAsync(Id);

        var before = Profile;
        State.Profile = profile;
        _version++;
        await WriteAsync();
        await AnnounceAsync();
        // A queue of a skill the agent no longer has hears it at once, not when its next offer is refused.
        foreach (var dropped in before is null ? [] : QueuesOf(before).Except(QueuesOf(profile)))
        {
            await TellQueueAsync(dropped, Availability(profile, dropped) with { Accepting = false });
        }
    }

    public Task<AgentView?> GetAsync() => Task.FromResult(Profile is null ? null : View(Profile));

    public async Task<AgentView> ConnectAsync(string connectionId, string? host = null)
    {
        var profile = RequireProfile();
        if (State.Connections.Count == 0)
        {
            // A console back within the grace period (a dropped connection, a reload) resumes where the agent was;
            // any other first connection is a sign-in, and takes the configured sign-in presence.
            var now = time.GetUtcNow();
            if (State.OfflineSince is not { } since || now - since > _options.OfflineGracePeriod)
            {
                State.Chosen = _options.SignInStatus;
            }

            State.OfflineSince = null;
        }

        await ConfirmAsync([connectionId], host ?? "", announce: false);
        return View(profile);
    }

    public async Task ConfirmConnectionsAsync(string host, ImmutableArray<string> connectionIds, bool announce)
    {
        if (Profile is null)
        {
            return;
        }

        if (!await ConfirmAsync(connectionIds, host, announce) && announce)
        {
            await AnnounceAsync();
        }
    }

    /// <summary>Takes the connections as open now; true when that changed the agent's presence (and it was announced).</summary>
    private async Task<bool> ConfirmAsync(IReadOnlyCollection<string> connectionIds, string host, bool announce)
    {
        var before = Presence;
        var now = time.GetUtcNow();
        var added = false;
        foreach (var connectionId in connectionIds)
        {
            _confirmedAt[connectionId] = now;
            if (State.Connections.GetValueOrDefault(connectionId) != host)
            {
                State.Connections[connectionId] = host;
                added = true;
            }
        }

        if (added)
        {
            await WriteAsync();
        }

        KeepOnline();
        if (Presence == before)
        {
            return false;
        }

        _version++;
        await AnnounceAsync();
        return true;
    }

    /// <summary>While any connection is open: stay in memory (the grace period is off) and refresh.</summary>
    private void KeepOnline()
    {
        if (State.Connections.Count == 0)
        {
            return;
        }

        DelayDeactivation(Timeout.InfiniteTimeSpan);
        StopGracePeriod();
        _refreshTimer ??= this.RegisterGrainTimer(
            static (grain, _) => grain.OnRefreshAsync(),
            this,
            new GrainTimerCreationOptions(_options.PresenceRefreshPeriod, _options.PresenceRefreshPeriod));
    }

    public async Task DisconnectAsync(string connectionId)
    {
        _confirmedAt.Remove(connectionId);
        if (!State.Connections.Remove(connectionId))
        {
            return;
        }

        if (State.Connections.Count == 0)
        {
            await GoOfflineAsync();
            return;
        }

        await WriteAsync();
    }

    /// <summary>The last connection is gone (stores that, with when).</summary>
    private async Task GoOfflineAsync()
    {
        _version++;
        State.OfflineSince = time.GetUtcNow();
        await WriteAsync();
        _safetyNetAt = DateTimeOffset.MinValue;
        DelayDeactivation(TimeSpan.Zero);
        _refreshTimer?.Dispose();
        _refreshTimer = null;
        logger.LogInformation("Agent {AgentId} is offline; holding {Count} conversations for {Grace}", Id, State.Conversations.Count, _options.OfflineGracePeriod);
        StartGracePeriod();
        TrackSafetyNet();
        await AnnounceAsync();
    }

    /// <summary>
    /// Drops connections whose host is gone or that no host confirmed for three refresh periods, gives back slots no
    /// conversation claims, and re-announces to the queues, so a queue that was lost with a silo learns its agents again.
    /// </summary>
    private async Task OnRefreshAsync()
    {
        var expiredBefore = time.GetUtcNow() - (_options.PresenceRefreshPeriod * 3);
        var stale = State.Connections
            .Where(c => !HostIsUp(c.Value) || _confirmedAt.GetValueOrDefault(c.Key, DateTimeOffset.MinValue) < expiredBefore)
            .Select(c => c.Key)
            .ToList();
        foreach (var connectionId in stale)
        {
            State.Connections.Remove(connectionId);
            _confirmedAt.Remove(connectionId);
        }

        if (stale.Count > 0)
        {
            await WriteAsync();
            if (State.Connections.Count == 0)
            {
                logger.LogWarning("Agent {AgentId}'s connections were not confirmed by any live host; taking it offline", Id);
                await GoOfflineAsync();
                return;
            }
        }

        await ReleaseOrphanedReservationsAsync();
        TrackSafetyNet();
        await AnnounceAsync();
    }

    /// <summary>
    /// Whether the host that holds a connection is up: a silo of the cluster that is not dead. Hosts that are not
    /// silos (gateways, or not named) are taken as up; their connections expire when nobody confirms them.
    /// </summary>
    private bool HostIsUp(string host)
    {
        if (string.IsNullOrEmpty(host) || ConnectionHosts.IsGateway(host))
        {
            return true;
        }

        try
        {
            return membership.CurrentSnapshot.GetSiloStatus(SiloAddress.FromParsableString(host)) is not (SiloStatus.Dead or SiloStatus.None);
        }
        catch (FormatException)
        {
            return true;
        }
    }

    /// <summary>
    /// Gives back capacity held for a conversation that does not claim it: the conversation's assignment was not
    /// stored (its silo died between the reservation and the store). Each reservation is checked once, when it is two
    /// refresh periods old (never an assignment still on its way); once a conversation has claimed it, only that
    /// conversation gives it back. The check is a read the conversation answers interleaved, so this never waits
    /// behind a conversation that is calling this agent.
    /// </summary>
    private TimeSpan ClaimCheckTimeout => TimeSpan.FromTicks(Math.Clamp(_options.PresenceRefreshPeriod.Ticks, TimeSpan.TicksPerSecond, 5 * TimeSpan.TicksPerSecond));

    private async Task ReleaseOrphanedReservationsAsync()
    {
        var checkedBefore = time.GetUtcNow() - (_options.PresenceRefreshPeriod * 2);
        var unclaimed = State.Conversations
            .Where(c => !_claimed.Contains(c) && _reservedAt.GetValueOrDefault(c, DateTimeOffset.MinValue) <= checkedBefore)
            .ToArray();
        if (unclaimed.Length == 0)
        {
            return;
        }

        // Asked at once and each bounded: a conversation whose activation was on a silo that just died may not answer
        // until the call times out, and the agent must not stop serving meanwhile. Unanswered: asked again next time.
        var answers = await Task.WhenAll(unclaimed.Select(async conversationId =>
        {
            try
            {
                return (bool?)await GrainFactory.Grain<IConversationGrain>(conversationId).IsAssignedToAsync(Id).WaitAsync(ClaimCheckTimeout);
            }
            catch (Exception ex)
            {
                logger.LogWarning(ex, "Agent {AgentId} could not check conversation {ConversationId}", Id, conversationId);
                return null;
            }
        }));
        var orphans = new List<string>();
        for (var i = 0; i < unclaimed.Length; i++)
        {
            if (answers[i] == true)
            {
                _claimed.Add(unclaimed[i]);
            }
            else if (answers[i] == false)
            {
                orphans.Add(unclaimed[i]);
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

        _version++;
        logger.LogWarning("Agent {AgentId} gave back {Count} slots no conversation claims: {Conversations}", Id, released, string.Join(", ", orphans));
        await WriteAsync();
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
            _version++;
            await WriteAsync();
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
            return new ReserveResult(true, Availability(profile, skill), profile.Name);
        }

        // A connection whose silo died since the last refresh reaches nobody: it goes now, not at the next refresh,
        // so an agent whose only browser was on that silo is not handed work in between.
        if (State.Connections.Values.Any(host => !HostIsUp(host)))
        {
            foreach (var connectionId in State.Connections.Where(c => !HostIsUp(c.Value)).Select(c => c.Key).ToList())
            {
                State.Connections.Remove(connectionId);
                _confirmedAt.Remove(connectionId);
            }

            await WriteAsync();
            if (State.Connections.Count == 0)
            {
                logger.LogWarning("Agent {AgentId}'s connections were on a silo that is gone; taking it offline", Id);
                await GoOfflineAsync();
            }
        }

        var granted = Accepts(profile, skill)
            && ProficiencyIn(profile, skill) is var proficiency and > 0
            && proficiency >= requiredProficiency
            && State.Conversations.Count < profile.Capacity;
        if (!granted)
        {
            return new ReserveResult(false, Availability(profile, skill), profile.Name);
        }

        State.Conversations.Add(conversationId);
        State.LastAssignedAt = time.GetUtcNow();
        _version++;
        _reservedAt[conversationId] = State.LastAssignedAt.Value;
        _claimed.Remove(conversationId);
        await WriteAsync();
        TrackSafetyNet();
        await AnnounceAsync(except: skill);
        return new ReserveResult(true, Availability(profile, skill), profile.Name);
    }

    public async Task ReleaseAsync(string conversationId)
    {
        _reservedAt.Remove(conversationId);
        _claimed.Remove(conversationId);
        if (!State.Conversations.Remove(conversationId))
        {
            return;
        }

        _version++;
        await WriteAsync();
        TrackSafetyNet();
        await AnnounceAsync();
    }

    private void StartGracePeriod()
    {
        if (_graceTimer is not null || State.Conversations.Count == 0)
        {
            return;
        }

        _graceEndsAt = time.GetUtcNow() + _options.OfflineGracePeriod;
        _graceTimer = this.RegisterGrainTimer(
            static (grain, _) => grain.OnGracePeriodEndedAsync(),
            this,
            new GrainTimerCreationOptions(_options.OfflineGracePeriod, Timeout.InfiniteTimeSpan) { KeepAlive = true });
    }

    private void StopGracePeriod()
    {
        _graceTimer?.Dispose();
        _graceTimer = null;
        _graceEndsAt = null;
    }

    private async Task OnGracePeriodEndedAsync()
    {
        StopGracePeriod();
        if (State.Connections.Count > 0 || State.Conversations.Count == 0)
        {
            return;
        }

        var held = State.Conversations.ToArray();
        State.Conversations.Clear();
        _claimed.Clear();
        _reservedAt.Clear();
        _version++;
        await WriteAsync();

        logger.LogInformation("Agent {AgentId} stayed offline past the grace period; returning {Count} conversations", Id, held.Length);
        foreach (var conversationId in held)
        {
            await GrainFactory.Grain<IConversationGrain>(conversationId).ReclaimAsync(Id);
        }

        TrackSafetyNet();
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
        var announcements = new List<Task>();
        foreach (var skill in QueuesOf(profile))
        {
            if (skill != except)
            {
                announcements.Add(TellQueueAsync(skill, Availability(profile, skill)));
            }
        }

        await Task.WhenAll(announcements);
    }

    private async Task TellQueueAsync(string skill, AgentAvailability availability)
    {
        try
        {
            await GrainFactory.Grain<IQueueGrain>(skill).UpdateAgentAsync(availability);
        }
        catch (Exception ex)
        {
            logger.LogWarning(ex, "Queue {Skill} did not take agent {AgentId}'s availability", skill, Id);
        }
    }

    private Task WriteAsync() => state.WriteStateAsync();

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
        Accepts(profile, skill),
        State.LastAssignedAt,
        _incarnation,
        _version);

    /// <summary>
    /// Whether the agent takes new conversations from a queue: Online, or, for the supervisors' queue, a connected
    /// supervisor even when Away. Supervisors sign in Away to watch the floor and take no customer chats unless they
    /// choose Online, but escalations (high-tier complaints, the last stage of overflow) must still reach one.
    /// </summary>
    private bool Accepts(AgentProfile profile, string queue) =>
        Presence == AgentPresence.Online
        || (Presence == AgentPresence.Away && profile.Supervisor && queue == Queues.Queues.Supervisors);

    private AgentProfile RequireProfile() =>
        Profile ?? throw SwitchboardException.NotFound($"Agent '{Id}' does not exist.");

    private AgentView View(AgentProfile profile) => new(Id, profile, Presence, [.. State.Conversations.Order(StringComparer.Ordinal)]);
}
