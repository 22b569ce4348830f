using System.Diagnostics;
using Switchboard.LoadTests.Measurement;

namespace Switchboard.LoadTests.Engine;

/// <summary>
/// One generator worker: a dedicated thread that fires actions at their due times (conversation starts, think-time
/// replies, echoes). One thread and one priority queue replace a Task.Delay per action, so thousands of pending
/// actions cost a heap entry each, and the thread does not wait behind a busy thread pool. How late each action
/// fires is recorded: that lag is the generator's own delay, and it is also inside every latency measured from the
/// due time.
/// </summary>
public sealed class Pacer : IDisposable
{
    private readonly object _gate = new();
    private readonly PriorityQueue<Action<long>, long> _queue = new();
    private readonly Thread _thread;
    private readonly Action<Exception> _onError;
    private long _fired;
    private bool _stopping;
    private volatile bool _recordLag;

    public Pacer(int index, Action<Exception> onError)
    {
        Index = index;
        _onError = onError;
        Lag = new LatencyRecorder($"worker {index} lag");
        _thread = new Thread(Loop) { IsBackground = true, Name = $"pacer-{index}" };
        _thread.Start();
    }

    public int Index { get; }

    /// <summary>Actions fired so far.</summary>
    public long Fired => Interlocked.Read(ref _fired);

    /// <summary>Actions waiting for their due time.</summary>
    public int Pending
    {
        get
        {
            lock (_gate)
            {
                return _queue.Count;
            }
        }
    }

    /// <summary>Fire lag (actual − due) while <see cref="RecordLag"/> is on.</summary>
    public LatencyRecorder Lag { get; }

    public bool RecordLag
    {
        get => _recordLag;
        set => _recordLag = value;
    }

    /// <summary>Runs <paramref name="action"/> on this worker's thread at <paramref name="due"/> (a <see cref="Stopwatch"/> timestamp); it gets the due time.</summary>
    public void At(long due, Action<long> action)
    {
        lock (_gate)
        {
            var wakes = !_queue.TryPeek(out _, out var head) || due < head;
            _queue.Enqueue(action, due);
            if (wakes)
            {
                Monitor.Pulse(_gate);
            }
        }
    }

    public void Dispose()
    {
        lock (_gate)
        {
            _stopping = true;
            Monitor.Pulse(_gate);
        }

        _thread.Join(TimeSpan.FromSeconds(5));
    }

    private void Loop()
    {
        while (true)
        {
            Action<long> action;
            long due;
            lock (_gate)
            {
                while (true)
                {
                    if (_stopping)
                    {
                        return;
                    }

                    if (_queue.TryPeek(out _, out due))
                    {
                        var wait = Stopwatch.GetElapsedTime(Stopwatch.GetTimestamp(), due);
                        if (wait <= TimeSpan.Zero)
                        {
                            action = _queue.Dequeue();
                            break;
                        }

                        // Millisecond sleeps: a lag under a millisecond is noise next to what is measured.
                        Monitor.Wait(_gate, (int)Math.Ceiling(wait.TotalMilliseconds));
                    }
                    else
                    {
                        Monitor.Wait(_gate);
                    }
                }
            }

            var now = Stopwatch.GetTimestamp();
            if (RecordLag)
            {
                Lag.Record(due, now);
            }

            Interlocked.Increment(ref _fired);
            try
            {
                action(due);
            }
            catch (Exception ex)
            {
                _onError(ex);
            }
        }
    }
}
