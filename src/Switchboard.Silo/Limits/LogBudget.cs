namespace Switchboard.Limits;

/// <summary>Who a logged refusal is about; each kind names its sources differently, so they never share a budget by name.</summary>
public enum LogSource
{
    /// <summary>A hub connection whose caller has not signed in (a customer's web chat).</summary>
    Connection,

    /// <summary>A signed-in agent or supervisor, by agent id, whatever connection or request it used.</summary>
    Agent,

    /// <summary>A customer with a token, by the token's subject (its conversation, or its <c>web:…</c> id).</summary>
    Customer,

    /// <summary>An HTTP caller without a valid token, by remote address.</summary>
    Address,
}

/// <summary>
/// How many log lines each source may write a minute about its own refused calls. Past its budget a source's lines are
/// dropped and counted, and when the minute ends one summary line says how many were not written.
/// <para>
/// The table is fixed: <see cref="Slots"/> slots, a source hashed to one of them (with the process's randomized string
/// hash, so nobody can pick sources that collide). Memory never grows with the number of sources, and all sources
/// together write at most <see cref="Slots"/> × (budget + 1) lines a minute. Sources that land in the same slot in the
/// same minute share its budget, and the summary says so. A refused call that fits the budget or not costs a slot
/// lock held for a few instructions and no allocation.
/// </para>
/// </summary>
public sealed class LogBudget : IDisposable
{
    /// <summary>Enough that a few flooding sources rarely share a slot with anyone else; small enough to bound the total.</summary>
    public const int Slots = 256;

    private static readonly TimeSpan Minute = TimeSpan.FromMinutes(1);

    private readonly Slot[] _slots;
    private readonly int _linesPerSourcePerMinute;
    private readonly ILogger _logger;
    private readonly LogLevel _level;
    private readonly ITimer _timer;

    /// <param name="linesPerSourcePerMinute">Lines each source may write a minute; 0 leaves only the summaries.</param>
    /// <param name="time">Whose minutes: each ends with a summary of what was dropped in it.</param>
    /// <param name="logger">Where the summaries go, at <paramref name="level"/>: the refusals' own logger and level.</param>
    /// <param name="slots">The table's size (tests choose theirs).</param>
    public LogBudget(int linesPerSourcePerMinute, TimeProvider time, ILogger logger, LogLevel level, int slots = Slots)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(linesPerSourcePerMinute);
        ArgumentOutOfRangeException.ThrowIfLessThan(slots, 1);
        _slots = [.. Enumerable.Range(0, slots).Select(_ => new Slot())];
        _linesPerSourcePerMinute = linesPerSourcePerMinute;
        _logger = logger;
        _level = level;
        _timer = time.CreateTimer(_ => EndMinute(), null, Minute, Minute);
    }

    /// <summary>True if <paramref name="id"/> may write one more line this minute; false counts it as dropped.</summary>
    public bool TryTake(LogSource kind, string id)
    {
        var slot = _slots[SlotOf(kind, id)];
        lock (slot.Gate)
        {
            if (slot.Id is null)
            {
                (slot.Kind, slot.Id) = (kind, id);
            }
            else if (slot.Kind != kind || !string.Equals(slot.Id, id, StringComparison.Ordinal))
            {
                slot.Shared = true;
            }

            if (slot.Lines < _linesPerSourcePerMinute)
            {
                slot.Lines++;
                return true;
            }

            slot.Dropped++;
            return false;
        }
    }

    /// <summary>The slot a source counts in (sources with the same slot share its budget).</summary>
    public int SlotOf(LogSource kind, string id) => (int)((uint)HashCode.Combine(kind, id) % (uint)_slots.Length);

    /// <summary>Stops the minutes, and says what the last one dropped: a silo that stops still accounts for its flood.</summary>
    public void Dispose()
    {
        _timer.Dispose();
        EndMinute();
    }

    private void EndMinute()
    {
        foreach (var slot in _slots)
        {
            (LogSource Kind, string Id, long Dropped, bool Shared) ended;
            lock (slot.Gate)
            {
                if (slot.Id is null)
                {
                    continue;
                }

                ended = (slot.Kind, slot.Id, slot.Dropped, slot.Shared);
                (slot.Id, slot.Lines, slot.Dropped, slot.Shared) = (null, 0, 0, false);
            }

            // Outside the lock: a slow log sink must never hold up the calls being refused.
            if (ended.Dropped > 0 && ended.Shared)
            {
                _logger.Log(_level, "{Count} more refusals from {Source} and callers sharing its log budget were not logged (at most {Budget} lines a minute each)", ended.Dropped, Describe(ended.Kind, ended.Id), _linesPerSourcePerMinute);
            }
            else if (ended.Dropped > 0)
            {
                _logger.Log(_level, "{Count} more refusals from {Source} were not logged (at most {Budget} lines a minute each)", ended.Dropped, Describe(ended.Kind, ended.Id), _linesPerSourcePerMinute);
            }
        }
    }

    /// <summary>How a source is named in log lines: <c>agent alice</c>, <c>address 10.0.0.7</c>, ...</summary>
    public static string Describe(LogSource kind, string id) => kind switch
    {
        LogSource.Connection => $"connection {id}",
        LogSource.Agent => $"agent {id}",
        LogSource.Customer => $"customer {id}",
        _ => $"address {id}",
    };

    private sealed class Slot
    {
        public readonly Lock Gate = new();
        public LogSource Kind;
        public string? Id;
        public int Lines;
        public long Dropped;
        public bool Shared;
    }
}
