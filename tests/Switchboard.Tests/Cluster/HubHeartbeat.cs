using Switchboard.Agents;

namespace Switchboard.Tests.Cluster;

/// <summary>
/// What each silo's agent hub does for the agents connected to it: confirm their connections every presence refresh
/// period. Each agent is confirmed on its own, as if connected to its own silo, so a call stuck on a dying silo
/// delays nobody else.
/// </summary>
public sealed class HubHeartbeat(TimeSpan period) : IAsyncDisposable
{
    private readonly CancellationTokenSource _stopping = new();
    private readonly List<Task> _loops = [];
    private readonly Lock _lock = new();
    private readonly List<(IAgentGrain Agent, DateTimeOffset After, TaskCompletionSource<AgentView> Done)> _waiters = [];
    private int _failures;

    /// <summary>Confirmations that failed (a silo was dying); each is tried again on the next tick.</summary>
    public int Failures => Volatile.Read(ref _failures);

    /// <summary>Connects the agent now and confirms the connection every period until disposed.</summary>
    public void Keep(IAgentGrain agent) => _loops.Add(Task.Run(() => ConfirmAsync(agent)));

    /// <summary>The agent as a confirmation that started after <paramref name="after"/> found it.</summary>
    public Task<AgentView> ConfirmedAfterAsync(IAgentGrain agent, DateTimeOffset after, TimeSpan timeout)
    {
        var done = new TaskCompletionSource<AgentView>(TaskCreationOptions.RunContinuationsAsynchronously);
        lock (_lock)
        {
            _waiters.Add((agent, after, done));
        }

        return done.Task.WaitAsync(timeout);
    }

    public async ValueTask DisposeAsync()
    {
        await _stopping.CancelAsync();
        await Task.WhenAll(_loops);
        _stopping.Dispose();
    }

    private async Task ConfirmAsync(IAgentGrain agent)
    {
        using var timer = new PeriodicTimer(period);
        try
        {
            do
            {
                var started = DateTimeOffset.UtcNow;
                try
                {
                    var view = await agent.ConnectAsync(ClusterFixture.ConnectionOf(agent)).WaitAsync(_stopping.Token);
                    Confirmed(agent, started, view);
                }
                catch (Exception) when (!_stopping.IsCancellationRequested)
                {
                    Interlocked.Increment(ref _failures);
                }
            }
            while (await timer.WaitForNextTickAsync(_stopping.Token));
        }
        catch (OperationCanceledException) when (_stopping.IsCancellationRequested)
        {
        }
    }

    private void Confirmed(IAgentGrain agent, DateTimeOffset started, AgentView view)
    {
        lock (_lock)
        {
            for (var i = _waiters.Count - 1; i >= 0; i--)
            {
                var (waitingFor, after, done) = _waiters[i];
                if (waitingFor.GetPrimaryKeyString() == agent.GetPrimaryKeyString() && started > after)
                {
                    done.TrySetResult(view);
                    _waiters.RemoveAt(i);
                }
            }
        }
    }
}
