using Orleans.Hosting;

namespace Switchboard.Tests.Cluster.Invariants;

/// <summary>
/// Counts the Switchboard grain calls a cluster has in flight, one-way calls included (sent, not yet finished by the
/// callee), so a test can wait until the cluster is at rest before it checks the invariants. Installed as an outgoing
/// filter on the client and every silo and an incoming filter on every silo.
/// </summary>
/// <remarks>
/// Grain timer ticks are not calls: a test that advances fake time first makes one call to each grain whose timer may
/// be due (the tick's turn comes first), so whatever the tick sends is counted before the wait begins.
/// </remarks>
public sealed class ClusterActivity : IOutgoingGrainCallFilter, IIncomingGrainCallFilter
{
    private const string Key = "switchboard-test-activity";

    private readonly Lock _lock = new();
    private readonly HashSet<Guid> _inFlight = [];
    private readonly List<TaskCompletionSource> _waiters = [];

    public void Install(ISiloBuilder silo)
    {
        silo.AddOutgoingGrainCallFilter(this);
        silo.AddIncomingGrainCallFilter(this);
    }

    public void Install(IClientBuilder client) => client.AddOutgoingGrainCallFilter(this);

    public int InFlight
    {
        get
        {
            lock (_lock)
            {
                return _inFlight.Count;
            }
        }
    }

    /// <summary>Completes when no Switchboard call is in flight; fails after <paramref name="timeout"/> saying how many are.</summary>
    public async Task WaitForRestAsync(TimeSpan timeout)
    {
        TaskCompletionSource done;
        lock (_lock)
        {
            if (_inFlight.Count == 0)
            {
                return;
            }

            done = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            _waiters.Add(done);
        }

        try
        {
            await done.Task.WaitAsync(timeout);
        }
        catch (TimeoutException)
        {
            throw new TimeoutException($"The cluster did not come to rest within {timeout}: {InFlight} calls still in flight.");
        }
    }

    /// <summary>
    /// Stops counting the calls in flight now, for a cluster that lost a silo: the calls that silo had taken, and the
    /// one-way calls sent to it, never finish.
    /// </summary>
    public void ForgetInFlight()
    {
        List<TaskCompletionSource> ready;
        lock (_lock)
        {
            _inFlight.Clear();
            ready = [.. _waiters];
            _waiters.Clear();
        }

        ready.ForEach(w => w.TrySetResult());
    }

    async Task IOutgoingGrainCallFilter.Invoke(IOutgoingGrainCallContext context)
    {
        if (!IsOurs(context.InterfaceMethod?.DeclaringType))
        {
            await context.Invoke();
            return;
        }

        var id = Guid.NewGuid();
        lock (_lock)
        {
            _inFlight.Add(id);
        }

        RequestContext.Set(Key, id);
        var oneWay = context.InterfaceMethod!.IsDefined(typeof(Orleans.Concurrency.OneWayAttribute), inherit: true);
        var sent = false;
        try
        {
            await context.Invoke();
            sent = context.Response?.Exception is null;
        }
        finally
        {
            // A two-way call is over when its answer (or failure) is back; a one-way call when the callee finished it,
            // or at once if it could not be sent.
            if (!oneWay || !sent)
            {
                Finish(id);
            }
        }
    }

    async Task IIncomingGrainCallFilter.Invoke(IIncomingGrainCallContext context)
    {
        // Read before the call: calls it makes put their own ids in the request context.
        var id = RequestContext.Get(Key) is Guid tracked && IsOurs(context.InterfaceMethod?.DeclaringType) ? tracked : (Guid?)null;
        try
        {
            await context.Invoke();
        }
        finally
        {
            if (id is { } finished)
            {
                Finish(finished);
            }
        }
    }

    private void Finish(Guid id)
    {
        List<TaskCompletionSource>? ready = null;
        lock (_lock)
        {
            if (_inFlight.Remove(id) && _inFlight.Count == 0 && _waiters.Count > 0)
            {
                ready = [.. _waiters];
                _waiters.Clear();
            }
        }

        ready?.ForEach(w => w.TrySetResult());
    }

    private static bool IsOurs(Type? grainInterface) =>
        grainInterface?.Namespace?.StartsWith("Switchboard", StringComparison.Ordinal) == true;
}
