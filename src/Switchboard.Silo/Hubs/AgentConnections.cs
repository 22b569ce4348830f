using System.Collections.Concurrent;
using Microsoft.Extensions.Options;
using Switchboard.Agents;

namespace Switchboard.Hubs;

/// <summary>The agent connections open on this silo, so they can be confirmed to their agent grains.</summary>
public sealed class AgentConnections
{
    private readonly ConcurrentDictionary<string, string> _agentByConnection = new();

    public void Add(string connectionId, string agentId) => _agentByConnection[connectionId] = agentId;

    public void Remove(string connectionId) => _agentByConnection.TryRemove(connectionId, out _);

    public IEnumerable<KeyValuePair<string, string>> All => _agentByConnection;
}

/// <summary>
/// Confirms this silo's agent connections to their grains every refresh period. An agent grain that was lost with
/// another silo learns its connections again; a grain that holds connections of a dead silo sees them expire.
/// </summary>
internal sealed class AgentPresenceHeartbeat(
    AgentConnections connections,
    IGrainFactory grains,
    IOptions<SwitchboardOptions> options,
    TimeProvider time,
    ILogger<AgentPresenceHeartbeat> logger) : BackgroundService
{
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        using var timer = new PeriodicTimer(options.Value.PresenceRefreshPeriod, time);
        while (await timer.WaitForNextTickAsync(stoppingToken))
        {
            // All at once: one call stuck on a dying silo must not hold up every other agent's confirmation.
            await Task.WhenAll(connections.All.Select(c => ConfirmAsync(c.Key, c.Value, stoppingToken)));
        }
    }

    private async Task ConfirmAsync(string connectionId, string agentId, CancellationToken stoppingToken)
    {
        try
        {
            await grains.GetGrain<IAgentGrain>(agentId).ConnectAsync(connectionId);
        }
        catch (Exception ex) when (!stoppingToken.IsCancellationRequested)
        {
            logger.LogWarning(ex, "Could not confirm agent {AgentId}'s connection {ConnectionId}", agentId, connectionId);
        }
    }
}
