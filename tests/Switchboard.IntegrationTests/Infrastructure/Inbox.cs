namespace Switchboard.IntegrationTests.Infrastructure;

/// <summary>
/// What a client was pushed, kept across reconnects, with a way to wait for the next push that matches.
/// </summary>
public sealed class Inbox<T>
{
    private readonly Lock _lock = new();
    private readonly List<T> _items = [];
    private readonly List<(Func<T, bool> Match, TaskCompletionSource<T> Done)> _waiters = [];

    /// <summary>Raised for every item, after it is stored (on the connection's thread: keep handlers short).</summary>
    public event Action<T>? Arrived;

    public IReadOnlyList<T> Items
    {
        get
        {
            lock (_lock)
            {
                return [.. _items];
            }
        }
    }

    public Task<T> WaitAsync(Func<T, bool> match, TimeSpan timeout)
    {
        var done = new TaskCompletionSource<T>(TaskCreationOptions.RunContinuationsAsynchronously);
        lock (_lock)
        {
            foreach (var item in _items)
            {
                if (match(item))
                {
                    return Task.FromResult(item);
                }
            }

            _waiters.Add((match, done));
        }

        return done.Task.WaitAsync(timeout);
    }

    public void Add(T item)
    {
        lock (_lock)
        {
            _items.Add(item);
            for (var i = _waiters.Count - 1; i >= 0; i--)
            {
                if (_waiters[i].Match(item))
                {
                    _waiters[i].Done.TrySetResult(item);
                    _waiters.RemoveAt(i);
                }
            }
        }

        Arrived?.Invoke(item);
    }
}
