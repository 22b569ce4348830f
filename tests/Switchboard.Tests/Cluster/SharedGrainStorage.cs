using System.Globalization;
using Orleans.Serialization;
using Orleans.Storage;

namespace Switchboard.Tests.Cluster;

/// <summary>
/// Grain state kept outside every silo, like a database: all silos of a test cluster share one, so killing a silo
/// loses nothing that was stored. Each record is held as bytes, so no grain ever shares an object with it.
/// </summary>
public sealed class SharedGrainStore
{
    private readonly Lock _lock = new();
    private readonly Dictionary<(string StateName, GrainId GrainId), (byte[] Data, string ETag)> _records = [];
    private readonly HashSet<string> _refused = [];
    private readonly List<(string StateName, Func<GrainId, bool>? Of, bool Refused, TaskCompletionSource Seen)> _watchers = [];
    private readonly Dictionary<string, TaskCompletionSource> _holds = [];
    private readonly List<(string StateName, int Count, TaskCompletionSource Reached)> _holdWatchers = [];
    private readonly Dictionary<string, int> _heldNow = [];
    private long _lastETag;

    /// <summary>
    /// A cleared record stays, empty, with a new version that the next write must name: what Orleans' ADO.NET
    /// providers do by default (DeleteStateOnClear false). Otherwise a clear deletes it, as memory storage does.
    /// </summary>
    public bool KeepClearedRecords { get; init; }

    /// <summary>From now on, writes and clears of <paramref name="stateName"/> fail as a database that is down would.</summary>
    public void Refuse(string stateName)
    {
        lock (_lock)
        {
            _refused.Add(stateName);
        }
    }

    public void Accept(string stateName)
    {
        lock (_lock)
        {
            _refused.Remove(stateName);
        }
    }

    /// <summary>From now on, writes of <paramref name="stateName"/> wait (as on a slow database) until <see cref="Release"/>.</summary>
    public void Hold(string stateName)
    {
        lock (_lock)
        {
            _holds.TryAdd(stateName, new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously));
        }
    }

    /// <summary>Lets the held writes of <paramref name="stateName"/> (and all later ones) through.</summary>
    public void Release(string stateName)
    {
        lock (_lock)
        {
            if (_holds.Remove(stateName, out var gate))
            {
                gate.TrySetResult();
            }
        }
    }

    /// <summary>Completes once <paramref name="count"/> writes of <paramref name="stateName"/> wait at its hold at the same time, or times out.</summary>
    public Task WaitUntilHeldAsync(string stateName, int count, TimeSpan? timeout = null)
    {
        var reached = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        lock (_lock)
        {
            _holdWatchers.Add((stateName, count, reached));
            NotifyHeld(stateName);
        }

        return reached.Task.WaitAsync(timeout ?? TimeSpan.FromSeconds(20));
    }

    /// <summary>Waits at the hold of <paramref name="stateName"/>, if there is one.</summary>
    public async Task PassHoldAsync(string stateName)
    {
        Task gate;
        lock (_lock)
        {
            if (!_holds.TryGetValue(stateName, out var hold))
            {
                return;
            }

            gate = hold.Task;
            _heldNow[stateName] = _heldNow.GetValueOrDefault(stateName) + 1;
            NotifyHeld(stateName);
        }

        await gate;
        lock (_lock)
        {
            _heldNow[stateName]--;
        }
    }

    private void NotifyHeld(string stateName)
    {
        var held = _heldNow.GetValueOrDefault(stateName);
        _holdWatchers.RemoveAll(w =>
        {
            var reached = w.StateName == stateName && held >= w.Count;
            if (reached)
            {
                w.Reached.TrySetResult();
            }

            return reached;
        });
    }

    /// <summary>
    /// Completes at the next write of <paramref name="stateName"/> (of a grain <paramref name="of"/> accepts, if given)
    /// that is refused, or, if <paramref name="refused"/> is false, that is stored.
    /// </summary>
    public Task NextWriteAsync(string stateName, bool refused, Func<GrainId, bool>? of = null)
    {
        var seen = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        lock (_lock)
        {
            _watchers.Add((stateName, of, refused, seen));
        }

        return seen.Task;
    }

    /// <summary>How many records of <paramref name="stateName"/> there are, cleared ones kept by version included.</summary>
    public int CountOf(string stateName)
    {
        lock (_lock)
        {
            return _records.Count(r => r.Key.StateName == stateName);
        }
    }

    /// <summary>How many records of <paramref name="stateName"/> hold something (a cleared one kept by version does not).</summary>
    public int CountHolding(string stateName)
    {
        lock (_lock)
        {
            return _records.Count(r => r.Key.StateName == stateName && r.Value.Data.Length > 0);
        }
    }

    public (byte[] Data, string ETag)? Read(string stateName, GrainId grainId)
    {
        lock (_lock)
        {
            return _records.TryGetValue((stateName, grainId), out var record) ? record : null;
        }
    }

    /// <summary>Stores <paramref name="data"/> if the caller read the current version; returns the new ETag.</summary>
    public string Write(string stateName, GrainId grainId, string? expectedETag, byte[] data)
    {
        lock (_lock)
        {
            var refused = _refused.Contains(stateName);
            if (refused)
            {
                Notify(stateName, grainId, refused: true);
                throw new InvalidOperationException($"The store refuses writes of '{stateName}' (a test made it fail).");
            }

            CheckETag(stateName, grainId, expectedETag);
            var eTag = (++_lastETag).ToString(CultureInfo.InvariantCulture);
            _records[(stateName, grainId)] = (data, eTag);
            Notify(stateName, grainId, refused: false);
            return eTag;
        }
    }

    /// <summary>Clears the record; returns its version afterwards (null when it is gone).</summary>
    public string? Clear(string stateName, GrainId grainId, string? expectedETag)
    {
        lock (_lock)
        {
            if (_refused.Contains(stateName))
            {
                Notify(stateName, grainId, refused: true);
                throw new InvalidOperationException($"The store refuses clears of '{stateName}' (a test made it fail).");
            }

            CheckETag(stateName, grainId, expectedETag);
            if (!KeepClearedRecords)
            {
                _records.Remove((stateName, grainId));
                return null;
            }

            var eTag = (++_lastETag).ToString(CultureInfo.InvariantCulture);
            _records[(stateName, grainId)] = ([], eTag);
            return eTag;
        }
    }

    /// <summary>
    /// Gives every record of <paramref name="stateName"/> whose grain key starts with <paramref name="keyPrefix"/> a
    /// new version, as another writer would: a writer holding the old version then conflicts. How many it touched.
    /// </summary>
    public int Touch(string stateName, string keyPrefix)
    {
        lock (_lock)
        {
            var touched = _records.Keys.Where(k => k.StateName == stateName && k.GrainId.Key.ToString()!.StartsWith(keyPrefix, StringComparison.Ordinal)).ToList();
            foreach (var key in touched)
            {
                _records[key] = (_records[key].Data, (++_lastETag).ToString(CultureInfo.InvariantCulture));
            }

            return touched.Count;
        }
    }

    private void Notify(string stateName, GrainId grainId, bool refused) =>
        _watchers.RemoveAll(w =>
        {
            var match = w.StateName == stateName && (w.Of is null || w.Of(grainId)) && w.Refused == refused;
            if (match)
            {
                w.Seen.TrySetResult();
            }

            return match;
        });

    private void CheckETag(string stateName, GrainId grainId, string? expectedETag)
    {
        // A missing record has no ETag: writing over one somebody else deleted is as stale as over one they changed.
        var stored = _records.TryGetValue((stateName, grainId), out var record) ? record.ETag : null;
        if (stored != expectedETag)
        {
            throw new InconsistentStateException(
                $"State '{stateName}' of {grainId} was changed by someone else (stored ETag {stored ?? "none"}, given {expectedETag ?? "none"}).",
                stored,
                expectedETag);
        }
    }
}

/// <summary>One silo's view of the <see cref="SharedGrainStore"/>, serializing with that silo's serializer.</summary>
public sealed class SharedGrainStorage(SharedGrainStore store, Serializer serializer) : IGrainStorage
{
    public Task ReadStateAsync<T>(string stateName, GrainId grainId, IGrainState<T> grainState)
    {
        if (store.Read(stateName, grainId) is { Data.Length: 0 } cleared)
        {
            grainState.ETag = cleared.ETag;
            grainState.RecordExists = false;
        }
        else if (store.Read(stateName, grainId) is { } record)
        {
            grainState.State = serializer.Deserialize<T>(record.Data);
            grainState.ETag = record.ETag;
            grainState.RecordExists = true;
        }
        else
        {
            grainState.ETag = null;
            grainState.RecordExists = false;
        }

        return Task.CompletedTask;
    }

    public async Task WriteStateAsync<T>(string stateName, GrainId grainId, IGrainState<T> grainState)
    {
        var data = serializer.SerializeToArray(grainState.State);
        await store.PassHoldAsync(stateName);
        grainState.ETag = store.Write(stateName, grainId, grainState.ETag, data);
        grainState.RecordExists = true;
    }

    public Task ClearStateAsync<T>(string stateName, GrainId grainId, IGrainState<T> grainState)
    {
        grainState.ETag = store.Clear(stateName, grainId, grainState.ETag);
        grainState.RecordExists = false;
        return Task.CompletedTask;
    }
}
