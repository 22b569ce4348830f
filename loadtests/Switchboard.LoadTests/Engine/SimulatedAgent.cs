using System.Diagnostics;
using Microsoft.AspNetCore.SignalR.Client;
using Switchboard.LoadTests.Simulation;

namespace Switchboard.LoadTests.Engine;

/// <summary>
/// One simulated agent's client: its hub connection and what it holds. Concurrency is counted from the agent's own
/// assignments and resolutions, as an agent's screen would show it, which is what fairness and capacity are about.
/// </summary>
public sealed class SimulatedAgent(SimulatedAgentProfile profile, HubConnection connection, RunClock clock)
{
    private readonly Lock _lock = new();
    private readonly HashSet<long> _held = [];
    private long _lastChange;
    private double _heldSeconds;
    private int _peak;
    private int _assignments;

    public SimulatedAgentProfile Profile { get; } = profile;

    public HubConnection Connection { get; } = connection;

    public string Id => Profile.Id;

    public int Peak
    {
        get
        {
            lock (_lock)
            {
                return _peak;
            }
        }
    }

    /// <summary>Conversations assigned inside the measured window.</summary>
    public int Assignments
    {
        get
        {
            lock (_lock)
            {
                return _assignments;
            }
        }
    }

    public int Holding
    {
        get
        {
            lock (_lock)
            {
                return _held.Count;
            }
        }
    }

    /// <summary>Takes a conversation; false if that put the agent over its capacity (which the server must never do).</summary>
    public bool Hold(ConversationRun run, long now)
    {
        lock (_lock)
        {
            Advance(now);
            if (!_held.Add(run.Index))
            {
                return true;
            }

            _peak = Math.Max(_peak, _held.Count);
            if (clock.InWindow(now))
            {
                _assignments++;
            }

            return _held.Count <= Profile.Capacity;
        }
    }

    /// <summary>
    /// Lets a conversation go. Called before Resolve is sent, not when it returns: the server frees the capacity while
    /// handling Resolve and may push the next assignment before the Resolve result arrives.
    /// </summary>
    public void Release(ConversationRun run, long now)
    {
        lock (_lock)
        {
            Advance(now);
            _held.Remove(run.Index);
        }
    }

    /// <summary>Mean conversations held over the measured window (time-weighted).</summary>
    public double MeanHeld()
    {
        lock (_lock)
        {
            Advance(Math.Min(Stopwatch.GetTimestamp(), clock.LoadEnd));
            var window = clock.Measured.TotalSeconds;
            return window > 0 ? _heldSeconds / window : 0;
        }
    }

    private void Advance(long now)
    {
        var from = Math.Clamp(_lastChange, clock.WarmupEnd, clock.LoadEnd);
        var to = Math.Clamp(now, clock.WarmupEnd, clock.LoadEnd);
        if (to > from)
        {
            _heldSeconds += _held.Count * Stopwatch.GetElapsedTime(from, to).TotalSeconds;
        }

        _lastChange = Math.Max(_lastChange, now);
    }
}
