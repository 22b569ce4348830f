using System.Collections.Concurrent;
using System.Collections.Immutable;
using Microsoft.Extensions.Options;
using Switchboard.Agents;

namespace Switchboard.Hubs;

/// <summary>The agent connections open in this process (a silo or a gateway), so they can be confirmed to their agent grains.</summary>
public sealed class AgentConnections(string host)
{
    private readonly ConcurrentDictionary<string, string> _agentByConnection = new();

    /// <summary>
    /// How agent grains know this process as the host of a connection: a silo's address (checked against membership),
    /// or a gateway's name (<see cref="ConnectionHosts.Gateway"/>: its connections expire when it stops confirming them).
    /// </summary>
    public string Host { get; } = host;

    public void Add(string connectionId, string agentId) => _agentByConnection[connectionId] = agentId;

    public void Remove(string connectionId) => _agentByConnection.TryRemove(connectionId, out _);

    /// <summary>Each agent with connections here, and those connections.</summary>
    public IEnumerable<(string AgentId, ImmutableArray<string> ConnectionIds)> ByAgent() =>
        _agentByConnection.GroupBy(c => c.Value, c => c.Key).Select(g => (g.Key, g.ToImmutableArray()));
}

/// <summary>
/// Confirms this process's agent connections to their grains every refresh period, and at once (with a fresh word to
/// their queues) whenever a silo leaves the cluster: an agent or queue grain lost with that silo is back with the
/// agent online within moments, not a refresh period later. A grain that holds connections of a dead silo drops them.
/// </summary>
internal sealed class AgentPresenceHeartbeat(
    AgentConnections connections,
    IGrainFactory grains,
    ISiloDepartures departures,
    IOptions<SwitchboardOptions> options,
    TimeProvider time,
    ILogger<AgentPresenceHeartbeat> logger) : BackgroundService
{
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        var periodic = ConfirmPeriodicallyAsync(stoppingToken);
        var onChange = ConfirmWhenASiloLeavesAsync(stoppingToken);
        await Task.WhenAll(periodic, onChange);
    }

    private async Task ConfirmPeriodicallyAsync(CancellationToken stoppingToken)
    {
        using var timer = new PeriodicTimer(options.Value.PresenceRefreshPeriod, time);
        try
        {
            while (await timer.WaitForNextTickAsync(stoppingToken))
            {
                await ConfirmAllAsync(announce: false, stoppingToken);
            }
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
        }
    }

    private async Task ConfirmWhenASiloLeavesAsync(CancellationToken stoppingToken)
    {
        try
        {
            await foreach (var left in departures.WatchAsync(stoppingToken))
            {
                logger.LogInformation("{Departure}; confirming the agent connections held here at once", left);
                await ConfirmAllAsync(announce: true, stoppingToken);
            }
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
        }
    }

    private Task ConfirmAllAsync(bool announce, CancellationToken stoppingToken) =>
        // All at once: one call stuck on a dying silo must not hold up every other agent's confirmation.
        Task.WhenAll(connections.ByAgent().Select(a => ConfirmAsync(a.AgentId, a.ConnectionIds, announce, stoppingToken)));

    private async Task ConfirmAsync(string agentId, ImmutableArray<string> connectionIds, bool announce, CancellationToken stoppingToken)
    {
        try
        {
            // Not waited on past the silo's stop: a call to a grain on a silo that is going may wait out the response
            // timeout (30 s), and the host stops its services one after another within its own shutdown timeout (30 s):
            // a heartbeat waiting there would leave Orleans no time to leave the cluster gracefully.
            await grains.Grain<IAgentGrain>(agentId).ConfirmConnectionsAsync(connections.Host, connectionIds, announce).WaitAsync(stoppingToken);
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
        }
        catch (Exception ex) when (!stoppingToken.IsCancellationRequested)
        {
            logger.LogWarning(ex, "Could not confirm agent {AgentId}'s connections", agentId);
        }
    }
}
