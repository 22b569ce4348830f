using System.Collections.Immutable;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Orleans.Storage;
using Switchboard.Conversations;

namespace Switchboard.Deadlines;

/// <summary>
/// A conversation's (or agent's) wake-up time as a shard stores it, with the queues it waits in (empty unless
/// waiting) and how many times the shard woke it without hearing back since it last said when to wake it.
/// </summary>
[GenerateSerializer, Immutable, Alias("Switchboard.DeadlineRecord")]
public sealed record DeadlineRecord([property: Id(0)] long WakeAtTicks, [property: Id(1)] string[] Queues, [property: Id(2)] int Fired = 0);

/// <summary>The wake-up times of one shard that fall within one segment of time, stored as one record.</summary>
[GenerateSerializer, Alias("Switchboard.DeadlineSegment")]
public sealed class DeadlineSegment
{
    [Id(0)] public Dictionary<string, DeadlineRecord> Entries { get; set; } = [];
}

/// <summary>Which segments of a shard hold anything: what an activation reads back.</summary>
[GenerateSerializer, Alias("Switchboard.DeadlineDirectory")]
public sealed class DeadlineDirectory
{
    [Id(0)] public HashSet<long> Segments { get; set; } = [];
}

/// <summary>
/// A shard of the deadline service. Everything is in memory (a map by target, a heap by time, the targets of each
/// segment); one grain timer is set for the earliest wake-up; a periodic flush writes the segments that changed, and
/// the directory when segments appear or empty. A conversation (or agent) whose wake-up fires is told one-way and
/// answers by telling the shard its next time; until it does, the shard wakes it again, backing off (a wake sent to
/// an activation on a silo that just died is lost), and at once when a silo leaves the cluster. Targets are keyed
/// <c>c:&lt;conversation id&gt;</c> and <c>a:&lt;agent id&gt;</c>.
/// </summary>
// Where a shard lives is its placement's decision alone (its owner silo); Orleans' repartitioner and rebalancer, when a
// deployment turns them on, would move it away only for its placement check to move it back.
[KeepAlive, DeadlineShardPlacement, Orleans.Placement.Immovable(Orleans.Placement.ImmovableKind.Any)]
public sealed class DeadlineShardGrain(
    IOptions<SwitchboardOptions> options,
    TimeProvider time,
    DeadlineMetrics metrics,
    IClusterMembershipService membership,
    ILogger<DeadlineShardGrain> logger) : Grain, IDeadlineShardGrain, IRemindable, IGrainMigrationParticipant
{
    private const string SegmentVersionsKey = "segment-versions";
    private const string StateName = "deadlines";
    private const string KeepReminder = "deadline-shard";
    private const string ConversationKey = "c:";
    private const string AgentKey = "a:";
    private static readonly ImmutableArray<string> NoQueues = [];
    private static readonly TimeSpan MaxRefire = TimeSpan.FromMinutes(1);
    // How many segments a directory write names from the one it adds: 8 × 2 s covers 16 s of arriving wake-up times.
    private const int DirectoryAhead = 8;

    private readonly DeadlineOptions _options = options.Value.Deadlines;
    private readonly Dictionary<string, DeadlineRecord> _entries = [];
    private readonly PriorityQueue<string, long> _byTime = new();
    private readonly Dictionary<long, HashSet<string>> _segments = [];
    private readonly Dictionary<long, string> _segmentEtags = [];
    // Segments (and the directory) whose stored version is unknown after a failed write: read again before the next
    // write, so a conflict (another activation wrote it, or a write whose answer was lost) does not repeat forever.
    private readonly HashSet<long> _staleSlots = [];
    private bool _directoryStale;
    private readonly HashSet<long> _dirty = [];
    // Segments whose stored record may still hold entries that left them (moved to another time, or forgotten), not
    // yet written: such a leftover can only wake its conversation early or needlessly (an activation reading two
    // records of one conversation keeps the earlier), so it is written with the segment's next change, or once the
    // segment's time has passed, not at once. Writing it at once cost one write per conversation that moved or ended.
    private readonly HashSet<long> _leftovers = [];
    private GrainState<DeadlineDirectory> _directory = new(new DeadlineDirectory());
    private IGrainStorage _storage = null!;
    private IGrainTimer? _fireTimer;
    private long _fireAtTicks = long.MaxValue;
    private IGrainTimer? _flushTimer;
    private long _flushAtTicks = long.MaxValue;
    private bool _flushing;
    private bool _directoryDirty;
    private bool _writeFailed;
    // Segments dropped from the directory in memory, not yet in storage: written with the next directory write.
    private bool _directoryShrunk;
    private TaskCompletionSource? _stored;
    private bool _firing;
    private IGrainTimer? _placementTimer;
    private long _membershipVersion = -1;
    private DateTimeOffset _membershipChangedAt;
    private bool _placementChecked;

    private long Shard => this.GetPrimaryKeyLong();

    private DeadlineDirectory Directory => _directory.State ??= new DeadlineDirectory();

    private long SegmentWidthTicks => _options.SegmentWidth.Ticks;

    public override async Task OnActivateAsync(CancellationToken cancellationToken)
    {
        _storage = ServiceProvider.GetRequiredKeyedService<IGrainStorage>(SwitchboardOptions.StorageName);
        await _storage.ReadStateAsync(StateName, DirectoryId(), _directory);
        foreach (var slot in Directory.Segments)
        {
            var segment = new GrainState<DeadlineSegment>(new DeadlineSegment());
            await _storage.ReadStateAsync(StateName, SegmentId(slot), segment);
            // A segment the directory names ahead may never have been written: no version to name, it is inserted.
            if (segment.ETag is { } version)
            {
                _segmentEtags[slot] = version;
            }

            foreach (var (key, record) in segment.State?.Entries ?? [])
            {
                // A conversation in two segments: one is a leftover of a move or of a forget not yet written. The
                // earlier is kept (at worst a needless wake, which it answers), and the other segment is tidied later.
                if (_entries.TryGetValue(key, out var held))
                {
                    var (kept, other) = held.WakeAtTicks <= record.WakeAtTicks ? (held, record) : (record, held);
                    _leftovers.Add(SlotOf(other.WakeAtTicks));
                    if (kept == held)
                    {
                        continue;
                    }
                }

                Put(key, record, markDirty: false);
            }
        }

        if (_entries.Count > 0)
        {
            logger.LogInformation("Deadline shard {Shard} took over {Count} wake-up times", Shard, _entries.Count);
        }

        // Armed only while something waits to be stored (ArmFlush): an idle shard costs no timer turns.
        _flushTimer = this.RegisterGrainTimer(
            static (grain, _) => grain.OnFlushTimerAsync(),
            this,
            new GrainTimerCreationOptions(Timeout.InfiniteTimeSpan, Timeout.InfiniteTimeSpan) { Interleave = true });

        if (_leftovers.Count > 0)
        {
            ArmFlush(LeftoverDueTicks(_leftovers.Min()));
        }

        SetFireTimer();
        _placementTimer = this.RegisterGrainTimer(
            static (grain, _) => grain.CheckPlacement(),
            this,
            new GrainTimerCreationOptions(_options.PlacementCheck, _options.PlacementCheck) { Interleave = true });
        // The backstop that brings the shard back if nothing else calls it after its silo died (silos ping every
        // shard when one leaves and when they start). Registered once (it outlives activations), and not awaited here:
        // right after a silo dies the reminder service may take a while to answer, and the shard must fire at once.
        EnsureBackstopAsync().Ignore();
    }

    private async Task EnsureBackstopAsync()
    {
        try
        {
            if (await this.GetReminder(KeepReminder) is null)
            {
                await this.RegisterOrUpdateReminder(KeepReminder, TimeSpan.FromMinutes(1), TimeSpan.FromMinutes(1));
            }
        }
        catch (Exception ex)
        {
            // The next activation tries again; until then membership changes still bring the shard back.
            logger.LogWarning(ex, "Deadline shard {Shard} could not register its backstop reminder", Shard);
        }
    }

    public override async Task OnDeactivateAsync(DeactivationReason reason, CancellationToken cancellationToken)
    {
        // The next activation reads what is stored: leave it without leftovers to wake needlessly.
        _dirty.UnionWith(_leftovers);
        _leftovers.Clear();
        _directoryDirty |= _directoryShrunk;
        await FlushAsync();
    }

    public Task ReceiveReminder(string reminderName, TickStatus status) => Task.CompletedTask;

    public Task TrackAsync(string conversationId, DateTimeOffset wakeAt, ImmutableArray<string> queues)
    {
        Set(ConversationKey + conversationId, wakeAt, queues, awaited: true);
        return StoredAsync();
    }

    /// <summary>
    /// Completes once what is in memory now is stored: the next write starts at once if none is under way, else right
    /// after it, and carries every change made meanwhile (a group commit: the busier the shard, the larger the batch).
    /// </summary>
    private Task StoredAsync()
    {
        var stored = _stored ??= new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        if (!_flushing)
        {
            FlushAsync().Ignore();
        }

        return stored.Task;
    }

    public Task UpdateAsync(string conversationId, DateTimeOffset? wakeAt, ImmutableArray<string> queues)
    {
        Set(ConversationKey + conversationId, wakeAt, queues);
        return Task.CompletedTask;
    }

    public Task TrackAgentAsync(string agentId, DateTimeOffset? wakeAt)
    {
        Set(AgentKey + agentId, wakeAt, NoQueues);
        return Task.CompletedTask;
    }

    public Task RequeueWaitingInAsync(string queue)
    {
        List<string> waiting = [];
        foreach (var (key, record) in _entries)
        {
            if (Array.IndexOf(record.Queues, queue) >= 0)
            {
                waiting.Add(key);
            }
        }

        foreach (var key in waiting)
        {
            Wake(key);
        }

        var woken = waiting.Count;

        if (woken > 0)
        {
            logger.LogInformation("Deadline shard {Shard} woke {Count} conversations waiting in queue {Queue}, which lost its waiting list", Shard, woken, queue);
        }

        return Task.CompletedTask;
    }

    public Task RebalanceAsync()
    {
        var active = membership.CurrentSnapshot.Members.Values.Where(m => m.Status == SiloStatus.Active).Select(m => m.SiloAddress);
        var owner = DeadlineShardPlacement.Owner(Shard, active);
        if (owner is not null && !owner.Equals(GrainContext.Address.SiloAddress))
        {
            // Migration deactivates this activation (which stores what changed) and places the shard again: on its owner.
            logger.LogInformation("Deadline shard {Shard} moves to {Owner}, the silo it belongs on now", Shard, owner);
            this.MigrateOnIdle();
        }

        return Task.CompletedTask;
    }

    /// <summary>
    /// The shard decides for itself, on its own silo, when to move: once membership has stayed the same for
    /// <see cref="DeadlineOptions.MoveAfterStable"/> after a change (or after this activation started). Asked by every
    /// silo at the moment a silo joined, as before, it moved while Orleans' directory was still handing ranges to the
    /// new silo, and calls that reached the old silo through stale caches made a second activation there.
    /// </summary>
    private Task CheckPlacement()
    {
        var snapshot = membership.CurrentSnapshot;
        var now = time.GetUtcNow();
        if (snapshot.Version.Value != _membershipVersion)
        {
            _membershipVersion = snapshot.Version.Value;
            _membershipChangedAt = now;
            _placementChecked = false;
            return Task.CompletedTask;
        }

        if (_placementChecked || now - _membershipChangedAt < _options.MoveAfterStable)
        {
            return Task.CompletedTask;
        }

        _placementChecked = true;
        return RebalanceAsync();
    }

    /// <summary>A moving shard hands over the versions of its segments, cleared ones included (the next write there names them).</summary>
    public void OnDehydrate(IDehydrationContext dehydrationContext) =>
        dehydrationContext.TryAddValue(SegmentVersionsKey, new Dictionary<long, string>(_segmentEtags));

    public void OnRehydrate(IRehydrationContext rehydrationContext)
    {
        if (rehydrationContext.TryGetValue<Dictionary<long, string>>(SegmentVersionsKey, out var versions) && versions is not null)
        {
            foreach (var (slot, version) in versions)
            {
                _segmentEtags[slot] = version;
            }
        }
    }

    public Task<int> EnsureActiveAsync(bool siloLost)
    {
        if (siloLost)
        {
            // Wakes sent since the last answer may have gone to activations on the silo that is gone: send them again
            // now that the cluster places those grains elsewhere.
            List<string> unanswered = [];
            foreach (var (key, record) in _entries)
            {
                if (record.Fired > 0)
                {
                    unanswered.Add(key);
                }
            }

            foreach (var key in unanswered)
            {
                Wake(key);
            }
        }

        return Task.FromResult(_entries.Count);
    }

    private void Set(string key, DateTimeOffset? wakeAt, ImmutableArray<string> queues, bool awaited = false)
    {
        if (wakeAt is not { } at)
        {
            Forget(key);
            return;
        }

        Put(key, new DeadlineRecord(at.UtcTicks, queues.IsDefaultOrEmpty ? [] : [.. queues]), markDirty: true, awaited);
        if (at.UtcTicks < _fireAtTicks)
        {
            SetFireTimer();
        }
    }

    /// <param name="awaited">Someone waits until it is stored: its segment is written even if the stored record would do.</param>
    private void Put(string key, DeadlineRecord record, bool markDirty, bool awaited = false)
    {
        if (_entries.TryGetValue(key, out var old))
        {
            var oldSlot = SlotOf(old.WakeAtTicks);
            if (oldSlot != SlotOf(record.WakeAtTicks))
            {
                // The new segment is written (below); the record left in the old one is a leftover.
                RemoveFromSegment(key, oldSlot, markDirty);
            }
            else if (markDirty && !awaited && record.WakeAtTicks >= old.WakeAtTicks && !_dirty.Contains(oldSlot))
            {
                // A later time in the same segment: the stored, earlier one stands in for it (at worst an early wake)
                // until the segment is next written. A conversation's assignment moves its time a few milliseconds on.
                _leftovers.Add(oldSlot);
                ArmFlush(LeftoverDueTicks(oldSlot));
                markDirty = false;
            }
            else if (markDirty)
            {
                MarkDirty(oldSlot);
            }
        }

        _entries[key] = record;
        var slot = SlotOf(record.WakeAtTicks);
        if (!_segments.TryGetValue(slot, out var members))
        {
            _segments[slot] = members = [];
        }

        members.Add(key);
        if (markDirty)
        {
            MarkDirty(slot);
        }

        // Older heap entries of this conversation are skipped when they come up (they no longer match its record).
        _byTime.Enqueue(key, record.WakeAtTicks);
    }

    private void Forget(string key)
    {
        if (_entries.Remove(key, out var old))
        {
            RemoveFromSegment(key, SlotOf(old.WakeAtTicks), markDirty: true);
        }
    }

    private void RemoveFromSegment(string key, long slot, bool markDirty)
    {
        if (_segments.TryGetValue(slot, out var members) && members.Remove(key) && markDirty && !_dirty.Contains(slot))
        {
            _leftovers.Add(slot);
            ArmFlush(LeftoverDueTicks(slot));
        }
    }

    /// <summary>When a segment's leftovers are written if nothing else changes it first: once all its times have fired.</summary>
    private long LeftoverDueTicks(long slot) => ((slot + 1) * SegmentWidthTicks) + _options.Grace.Ticks;

    private long SlotOf(long ticks) => ticks / SegmentWidthTicks;

    private void SetFireTimer()
    {
        // Drop heap entries that no longer match their conversation's record.
        while (_byTime.TryPeek(out var key, out var ticks)
            && (!_entries.TryGetValue(key, out var record) || record.WakeAtTicks != ticks))
        {
            _byTime.Dequeue();
        }

        var next = _byTime.TryPeek(out _, out var earliest) ? earliest + _options.Grace.Ticks : long.MaxValue;
        if (next == _fireAtTicks)
        {
            return;
        }

        _fireAtTicks = next;
        // One timer for the shard's life, moved rather than made again (a wake-up time earlier than all others moves it).
        _fireTimer ??= this.RegisterGrainTimer(
            static (grain, _) => grain.FireAsync(),
            this,
            new GrainTimerCreationOptions(Timeout.InfiniteTimeSpan, Timeout.InfiniteTimeSpan) { Interleave = true });
        var delay = next == long.MaxValue
            ? Timeout.InfiniteTimeSpan
            : TimeSpan.FromTicks(Math.Clamp(next - time.GetUtcNow().UtcTicks, 0, TimeSpan.FromDays(30).Ticks));
        _fireTimer.Change(delay, Timeout.InfiniteTimeSpan);
    }

    private Task FireAsync()
    {
        _fireAtTicks = long.MaxValue;
        var dueBy = time.GetUtcNow().UtcTicks - _options.Grace.Ticks;
        _firing = true;
        try
        {
            while (_byTime.TryPeek(out var key, out var ticks) && ticks <= dueBy)
            {
                _byTime.Dequeue();
                if (_entries.TryGetValue(key, out var record) && record.WakeAtTicks == ticks)
                {
                    Wake(key);
                }
            }
        }
        finally
        {
            _firing = false;
        }

        SetFireTimer();
        return Task.CompletedTask;
    }

    /// <summary>
    /// Writes the segments that changed (a copy each: calls interleave while it writes), then the directory if needed,
    /// and tells those waiting for their change to be stored; again while changes someone waits for came in meanwhile.
    /// </summary>
    private async Task FlushAsync()
    {
        if (_flushing)
        {
            return;
        }

        _flushing = true;
        try
        {
            while (_dirty.Count > 0 || _stored is not null)
            {
                var waiting = _stored;
                _stored = null;
                _writeFailed = false;
                var failure = await WriteDirtyAsync();
                if (failure is null)
                {
                    waiting?.TrySetResult();
                    if (_writeFailed)
                    {
                        // A clear failed (nobody waits on it): the next flush, a flush interval on, tries again, not
                        // this loop at once (it spun for as long as the store refused).
                        break;
                    }
                }
                else
                {
                    // Never an InconsistentStateException to the callers: escaping a grain call, it would deactivate
                    // this shard (Orleans' rule for a conflict the activation itself met), losing its timers.
                    waiting?.TrySetException(failure is InconsistentStateException
                        ? new DeadlineNotStoredException($"Deadline shard {Shard} could not store a wake-up time: {failure.Message}")
                        : failure);
                    // The periodic flush tries again; whoever waited hears the failure and asks again later.
                    break;
                }
            }

            ForgetPastSegments();
        }
        finally
        {
            _flushing = false;
            // Changes that came in during the write, or a write that failed: the next flush takes them.
            if (_dirty.Count > 0)
            {
                ArmFlush();
            }

            if (_leftovers.Count > 0)
            {
                ArmFlush(LeftoverDueTicks(_leftovers.Min()));
            }
        }
    }

    private Task OnFlushTimerAsync()
    {
        _flushAtTicks = long.MaxValue;
        return FlushAsync();
    }

    private void MarkDirty(long slot)
    {
        _dirty.Add(slot);
        _leftovers.Remove(slot);
        ArmFlush();
    }

    /// <summary>Stores what changed one flush interval from now, unless a flush is due sooner.</summary>
    private void ArmFlush() => ArmFlush(time.GetUtcNow().UtcTicks + _options.FlushInterval.Ticks);

    /// <summary>Runs a flush at <paramref name="atTicks"/> (not sooner than one flush interval from now), unless one is due sooner.</summary>
    private void ArmFlush(long atTicks)
    {
        if (_flushTimer is null)
        {
            return;
        }

        var now = time.GetUtcNow().UtcTicks;
        atTicks = Math.Max(atTicks, now + _options.FlushInterval.Ticks);
        if (_flushAtTicks <= atTicks)
        {
            return;
        }

        _flushAtTicks = atTicks;
        _flushTimer.Change(TimeSpan.FromTicks(Math.Min(atTicks - now, TimeSpan.FromDays(30).Ticks)), Timeout.InfiniteTimeSpan);
    }

    /// <summary>
    /// Drops the versions of emptied segments whose time has passed: no wake-up time lands there again (one set that
    /// late conflicts once, is read again and stored), and the map stays as small as the segments in use.
    /// </summary>
    private void ForgetPastSegments()
    {
        var past = SlotOf(time.GetUtcNow().UtcTicks) - 2;
        List<long>? forget = null;
        foreach (var slot in _segmentEtags.Keys)
        {
            if (slot < past && !_segments.ContainsKey(slot) && !_dirty.Contains(slot) && !_leftovers.Contains(slot))
            {
                (forget ??= []).Add(slot);
            }
        }

        foreach (var slot in forget ?? [])
        {
            _segmentEtags.Remove(slot);
        }
    }

    /// <summary>One write of everything that changed; the failure, if any part was not stored (it stays dirty).</summary>
    private async Task<Exception?> WriteDirtyAsync()
    {
        // Leftovers ride along once their segment's time has passed (nothing in memory is due there any more).
        var now = time.GetUtcNow().UtcTicks;
        foreach (var slot in _leftovers)
        {
            if (LeftoverDueTicks(slot) <= now)
            {
                _dirty.Add(slot);
            }
        }

        if (_dirty.Count == 0)
        {
            return null;
        }

        _leftovers.ExceptWith(_dirty);
        // Segments that hold something before those that empty: an entry that moved is stored in its new segment
        // before the old one is cleared, so no crash between the two writes finds it in neither.
        var dirty = _dirty.OrderBy(slot => _segments.TryGetValue(slot, out var held) && held.Count > 0 ? 0 : 1).ToArray();
        _dirty.Clear();
        Exception? failure = null;
        try
        {
            // Segments whose stored version is unknown are read first: they may hold entries this activation lacks.
            foreach (var slot in dirty)
            {
                if (_staleSlots.Contains(slot))
                {
                    await RefreshSegmentAsync(slot, SegmentId(slot));
                    _staleSlots.Remove(slot);
                }
            }

            // The directory before the segments: it names every segment that may be stored (one it names that holds
            // nothing reads as empty), so a crash between the writes never hides a stored segment from the next
            // activation.
            foreach (var slot in dirty)
            {
                if (_segments.TryGetValue(slot, out var held) && held.Count > 0 && !Directory.Segments.Contains(slot))
                {
                    // The segments after it are named too: wake-up times arrive in them next (a conversation's time is
                    // its start plus a clock), and each would otherwise cost a directory write of its own. One that
                    // stays unused costs the next activation one read, until its time passes and it is dropped.
                    for (var ahead = slot; ahead < slot + DirectoryAhead; ahead++)
                    {
                        Directory.Segments.Add(ahead);
                    }

                    _directoryDirty = true;
                }
            }

            if (_directoryDirty)
            {
                await WriteDirectoryAsync();
            }

            foreach (var slot in dirty)
            {
                var id = SegmentId(slot);
                var members = _segments.GetValueOrDefault(slot);
                if (members is null || members.Count == 0)
                {
                    _segments.Remove(slot);
                    if (!_segmentEtags.TryGetValue(slot, out var etag))
                    {
                        // Not stored, as far as this activation knows (a stale one was read again above). The
                        // directory drops it with its next write: naming an empty segment costs the next activation
                        // one read, nothing else.
                        _directoryShrunk |= Directory.Segments.Remove(slot);
                        continue;
                    }

                    // A failed clear is not a failure anyone waits on: the segment is cleared next time, and until
                    // then it can only wake conversations early.
                    var gone = new GrainState<DeadlineSegment>(new DeadlineSegment()) { ETag = etag, RecordExists = true };
                    if (await WriteGuardedAsync(slot, () => _storage.ClearStateAsync(StateName, id, gone)) is null)
                    {
                        // Dropped from the stored directory with its next write (one that adds a segment).
                        _directoryShrunk |= Directory.Segments.Remove(slot);
                        // A provider that deletes the record says so with no version (memory storage); one that keeps
                        // it, emptied, gives its new version (the ADO.NET providers by default), which the next write of
                        // this segment must name or it conflicts. Kept until the segment's time is past (below).
                        if (gone.ETag is { } cleared)
                        {
                            _segmentEtags[slot] = cleared;
                        }
                        else
                        {
                            _segmentEtags.Remove(slot);
                        }
                    }

                    continue;
                }

                var segment = new GrainState<DeadlineSegment>(new DeadlineSegment
                {
                    Entries = members.ToDictionary(m => m, m => _entries[m]),
                })
                {
                    ETag = _segmentEtags.GetValueOrDefault(slot),
                    RecordExists = _segmentEtags.ContainsKey(slot),
                };
                var failed = await WriteGuardedAsync(slot, () => _storage.WriteStateAsync(StateName, id, segment), retrying: true);
                if (failed is InconsistentStateException && _staleSlots.Remove(slot))
                {
                    // Another activation wrote it, or this one does not know its version (a segment cleared before it
                    // activated): read it and write once more now, instead of failing everyone who waits on this flush.
                    _dirty.Remove(slot);
                    await RefreshSegmentAsync(slot, id);
                    members = _segments.GetValueOrDefault(slot) ?? members;
                    segment.State = new DeadlineSegment { Entries = members.ToDictionary(m => m, m => _entries[m]) };
                    segment.ETag = _segmentEtags.GetValueOrDefault(slot);
                    segment.RecordExists = _segmentEtags.ContainsKey(slot);
                    failed = await WriteGuardedAsync(slot, () => _storage.WriteStateAsync(StateName, id, segment));
                }

                if (failed is not null)
                {
                    failure ??= failed;
                }
                else
                {
                    _segmentEtags[slot] = segment.ETag ?? "";
                }
            }
        }
        catch (Exception ex)
        {
            logger.LogWarning(ex, "Deadline shard {Shard} could not store its wake-up times; the next flush tries again", Shard);
            failure ??= ex;
            // Everything is still in memory: write it all next time.
            foreach (var slot in _segments.Keys)
            {
                MarkDirty(slot);
            }

            foreach (var slot in dirty)
            {
                if (!_segments.ContainsKey(slot))
                {
                    _leftovers.Add(slot);
                }
            }
        }

        return failure;
    }

    private async Task WriteDirectoryAsync()
    {
        // Past segments that hold nothing this activation needs (anything stored there is a leftover) leave it.
        var past = SlotOf(time.GetUtcNow().UtcTicks) - 1;
        Directory.Segments.RemoveWhere(slot => slot < past && !_dirty.Contains(slot)
            && (!_segments.TryGetValue(slot, out var members) || members.Count == 0));

        if (_directoryStale)
        {
            var stored = new GrainState<DeadlineDirectory>(new DeadlineDirectory());
            await _storage.ReadStateAsync(StateName, DirectoryId(), stored);
            _directory.ETag = stored.ETag;
            _directory.RecordExists = stored.RecordExists;
            Directory.Segments.UnionWith(stored.State?.Segments ?? []);
            _directoryStale = false;
        }

        _directoryStale = true;
        await _storage.WriteStateAsync(StateName, DirectoryId(), _directory);
        _directoryStale = false;
        _directoryDirty = false;
        _directoryShrunk = false;
        metrics.Written();
    }

    /// <summary>
    /// Reads a segment whose stored version is unknown: takes its version, and keeps the entries it holds that this
    /// activation does not (at worst a conversation is woken once more than needed, never once less).
    /// </summary>
    private async Task RefreshSegmentAsync(long slot, GrainId id)
    {
        var stored = new GrainState<DeadlineSegment>(new DeadlineSegment());
        await _storage.ReadStateAsync(StateName, id, stored);
        if (!stored.RecordExists)
        {
            // A provider that keeps a cleared record (the ADO.NET ones) still gives its version, which the next write
            // must name: forgetting it made every later write of this segment conflict, for as long as the segment was
            // in use (seen on PostgreSQL after a shard moved: hundreds of refused writes in a row).
            if (stored.ETag is { } cleared)
            {
                _segmentEtags[slot] = cleared;
            }
            else
            {
                _segmentEtags.Remove(slot);
            }

            return;
        }

        _segmentEtags[slot] = stored.ETag ?? "";
        var merged = 0;
        foreach (var (key, record) in stored.State?.Entries ?? [])
        {
            if (!_entries.ContainsKey(key))
            {
                Put(key, record, markDirty: true);
                merged++;
            }
        }

        if (merged > 0 && !_firing)
        {
            logger.LogInformation("Deadline shard {Shard} found {Count} wake-up times another activation stored in segment {Slot}", Shard, merged, slot);
            SetFireTimer();
        }
    }

    /// <summary>
    /// One write of a segment; the failure, if any. <paramref name="retrying"/>: a conflict is read and written again at
    /// once by the caller, so it is not worth a warning (a shard that just moved or came back meets one for each segment
    /// an earlier activation wrote last).
    /// </summary>
    private async Task<Exception?> WriteGuardedAsync(long slot, Func<Task> write, bool retrying = false)
    {
        try
        {
            await write();
            metrics.Written();
            return null;
        }
        catch (Exception ex)
        {
            // A segment that failed is read again (its version, and entries this activation does not know) and written
            // whole next time.
            _writeFailed = true;
            if (retrying && ex is InconsistentStateException)
            {
                logger.LogDebug(ex, "Deadline shard {Shard} meets a newer version of segment {Slot}; reading it and writing again", Shard, slot);
            }
            else
            {
                logger.LogWarning(ex, "Deadline shard {Shard} could not store segment {Slot}; the next flush tries again", Shard, slot);
            }

            _staleSlots.Add(slot);
            MarkDirty(slot);
            return ex;
        }
    }

    /// <summary>
    /// Wakes a target (one-way) and keeps it, due again after a backoff, until it answers with its next time: the
    /// answer replaces the record.
    /// </summary>
    private void Wake(string key)
    {
        var record = _entries[key];
        metrics.Woke();
        var backoff = new Backoff(_options.RefireAfter, MaxRefire).After(record.Fired).Ticks;
        var again = time.GetUtcNow().UtcTicks + backoff - _options.Grace.Ticks;
        Put(key, record with { WakeAtTicks = again, Fired = record.Fired + 1 }, markDirty: true);
        if (!_firing && again + _options.Grace.Ticks < _fireAtTicks)
        {
            SetFireTimer();
        }

        if (key.StartsWith(AgentKey, StringComparison.Ordinal))
        {
            GrainFactory.Grain<Agents.IAgentGrain>(key[AgentKey.Length..]).WakeAsync().Ignore();
        }
        else
        {
            GrainFactory.Grain<IConversationGrain>(key[ConversationKey.Length..]).WakeAsync().Ignore();
        }
    }

    private GrainId DirectoryId() => GrainId.Create("deadline-directory", Shard.ToString(System.Globalization.CultureInfo.InvariantCulture));

    private GrainId SegmentId(long slot) => GrainId.Create("deadline-segment", $"{Shard}-{slot}");
}
