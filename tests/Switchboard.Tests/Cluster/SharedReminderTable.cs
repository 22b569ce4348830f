using System.Globalization;

namespace Switchboard.Tests.Cluster;

/// <summary>
/// A reminder table outside every silo, like a database: all silos of a test cluster share one, so reminders
/// registered through a silo that is killed keep ticking on the survivors. Rows are copied in and out, because the
/// reminder service changes the entries it holds.
/// </summary>
public sealed class SharedReminderTable : IReminderTable
{
    private readonly Lock _lock = new();
    private readonly Dictionary<(GrainId GrainId, string Name), ReminderEntry> _rows = [];
    private long _lastETag;

    public int Count
    {
        get
        {
            lock (_lock)
            {
                return _rows.Count;
            }
        }
    }

    public Task Init() => Task.CompletedTask;

    public Task<ReminderTableData> ReadRows(GrainId grainId)
    {
        lock (_lock)
        {
            return Task.FromResult(new ReminderTableData(_rows.Values.Where(r => r.GrainId == grainId).Select(Copy).ToList()));
        }
    }

    /// <summary>
    /// The rows whose grain hash is in (<paramref name="begin"/>, <paramref name="end"/>]. A range whose begin is not
    /// below its end wraps around the ring: above begin or at most end (begin == end is the whole ring).
    /// </summary>
    public Task<ReminderTableData> ReadRows(uint begin, uint end)
    {
        bool InRange(uint hash) => begin < end ? hash > begin && hash <= end : hash > begin || hash <= end;

        lock (_lock)
        {
            return Task.FromResult(new ReminderTableData(_rows.Values.Where(r => InRange(r.GrainId.GetUniformHashCode())).Select(Copy).ToList()));
        }
    }

    public Task<ReminderEntry?> ReadRow(GrainId grainId, string reminderName)
    {
        lock (_lock)
        {
            return Task.FromResult(_rows.TryGetValue((grainId, reminderName), out var row) ? Copy(row) : null);
        }
    }

    public Task<string?> UpsertRow(ReminderEntry entry)
    {
        lock (_lock)
        {
            var row = Copy(entry);
            row.ETag = (++_lastETag).ToString(CultureInfo.InvariantCulture);
            _rows[(entry.GrainId, entry.ReminderName)] = row;
            return Task.FromResult<string?>(row.ETag);
        }
    }

    public Task<bool> RemoveRow(GrainId grainId, string reminderName, string eTag)
    {
        lock (_lock)
        {
            var key = (grainId, reminderName);
            return Task.FromResult(_rows.TryGetValue(key, out var row) && row.ETag == eTag && _rows.Remove(key));
        }
    }

    public Task TestOnlyClearTable()
    {
        lock (_lock)
        {
            _rows.Clear();
        }

        return Task.CompletedTask;
    }

    private static ReminderEntry Copy(ReminderEntry entry) => new()
    {
        GrainId = entry.GrainId,
        ReminderName = entry.ReminderName,
        StartAt = entry.StartAt,
        Period = entry.Period,
        ETag = entry.ETag,
    };
}
