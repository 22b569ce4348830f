using System.Threading.Channels;
using Microsoft.Extensions.Options;
using Switchboard.Limits;

namespace Switchboard.Hubs;

/// <summary>
/// Where grains leave their pushes: a few ordered lanes, each drained by one sender that hands pushes to SignalR
/// (written to this silo's connections, or published to the Redis backplane). A grain never waits for any of it.
/// Pushes to one target (an agent, a conversation's customers, the supervisors) always take the same lane, so they
/// leave in the order they were made. Each connection then has its own bounded outbox (<see cref="ConnectionOutbox"/>),
/// so a client that stops reading never holds up a lane.
/// </summary>
public sealed class PushOutbox : IAsyncDisposable
{
    private readonly Lane[] _lanes;
    private readonly ILogger<PushOutbox> _logger;
    private readonly TimeProvider _time;
    private long _dropped;
    private long _droppedReported;
    private long _lastDropReport;

    public PushOutbox(IOptions<LimitsOptions> limits, TimeProvider time, ILogger<PushOutbox> logger)
    {
        _logger = logger;
        _time = time;
        var lanes = Math.Clamp(Environment.ProcessorCount, 2, 8);
        var perLane = Math.Max(1, limits.Value.PushBacklog / lanes);
        _lanes = [.. Enumerable.Range(0, lanes).Select(_ => new Lane(this, perLane))];
    }

    /// <summary>Pushes taken but not yet handed to SignalR, over all lanes.</summary>
    public int Backlog => _lanes.Sum(l => l.Count);

    /// <summary>Pushes dropped because a lane was full since the silo started.</summary>
    public long Dropped => Interlocked.Read(ref _dropped);

    /// <summary>Queues a push to <paramref name="target"/>; <paramref name="send"/> runs on the target's lane.</summary>
    public void Post(string target, Func<Task> send)
    {
        if (!LaneOf(target).TryPost(new Push(send, null)))
        {
            Drop(target);
        }
    }

    /// <summary>Completes once every push to <paramref name="target"/> posted so far has been handed to SignalR.</summary>
    public Task SentAsync(string target)
    {
        var sent = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        // A marker must never be dropped: a full lane still takes it (a lane holds at most a few of them).
        LaneOf(target).PostMarker(new Push(null, sent));
        return sent.Task;
    }

    public async ValueTask DisposeAsync()
    {
        foreach (var lane in _lanes)
        {
            lane.Complete();
        }

        await Task.WhenAll(_lanes.Select(l => l.Drained));
    }

    private Lane LaneOf(string target) => _lanes[(int)((uint)StringComparer.Ordinal.GetHashCode(target) % (uint)_lanes.Length)];

    private void Drop(string target)
    {
        var dropped = Interlocked.Increment(ref _dropped);
        // One warning a minute at most: a flood must not turn into a flood of log lines.
        var now = _time.GetTimestamp();
        var last = Interlocked.Read(ref _lastDropReport);
        if (_time.GetElapsedTime(last, now) >= TimeSpan.FromMinutes(1) && Interlocked.CompareExchange(ref _lastDropReport, now, last) == last)
        {
            var since = dropped - Interlocked.Exchange(ref _droppedReported, dropped);
            _logger.LogWarning("The push backlog is full: {Count} pushes dropped in the last minute (latest to {Target}); clients read the state again when they reconnect", since, target);
        }
    }

    private readonly record struct Push(Func<Task>? Send, TaskCompletionSource? Sent);

    private sealed class Lane
    {
        private readonly PushOutbox _outbox;
        private readonly Channel<Push> _pushes;
        private readonly int _capacity;
        private int _count;

        public Lane(PushOutbox outbox, int capacity)
        {
            _outbox = outbox;
            _capacity = capacity;
            _pushes = Channel.CreateUnbounded<Push>(new UnboundedChannelOptions { SingleReader = true });
            Drained = Task.Run(SendAllAsync);
        }

        public Task Drained { get; }

        public int Count => Volatile.Read(ref _count);

        public bool TryPost(Push push)
        {
            if (Interlocked.Increment(ref _count) > _capacity)
            {
                Interlocked.Decrement(ref _count);
                return false;
            }

            return _pushes.Writer.TryWrite(push);
        }

        public void PostMarker(Push marker)
        {
            Interlocked.Increment(ref _count);
            if (!_pushes.Writer.TryWrite(marker))
            {
                // The silo is stopping: nothing more will be sent, so nothing is left to wait for.
                marker.Sent!.TrySetResult();
            }
        }

        public void Complete() => _pushes.Writer.TryComplete();

        private async Task SendAllAsync()
        {
            var reader = _pushes.Reader;
            while (await reader.WaitToReadAsync())
            {
                while (reader.TryRead(out var push))
                {
                    Interlocked.Decrement(ref _count);
                    if (push.Sent is { } sent)
                    {
                        sent.TrySetResult();
                        continue;
                    }

                    try
                    {
                        var sending = push.Send!();
                        if (!sending.IsCompletedSuccessfully)
                        {
                            await sending;
                        }
                    }
                    catch (Exception ex)
                    {
                        _outbox._logger.LogWarning(ex, "A push could not be handed to SignalR; the change it reported is stored");
                    }
                }
            }
        }
    }
}
