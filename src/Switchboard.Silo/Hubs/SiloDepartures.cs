using System.Runtime.CompilerServices;
using System.Threading.Channels;

namespace Switchboard.Hubs;

/// <summary>
/// Tells the connection tier that a silo left the cluster, so it confirms its agent connections at once: agent and
/// queue grains lost with that silo come back with their agents online.
/// </summary>
public interface ISiloDepartures
{
    /// <summary>One line per departure (for the log), until <paramref name="stoppingToken"/> ends the watch.</summary>
    IAsyncEnumerable<string> WatchAsync(CancellationToken stoppingToken);
}

/// <summary>On a silo: membership says when another silo is declared dead.</summary>
internal sealed class MembershipDepartures(IClusterMembershipService membership) : ISiloDepartures
{
    public async IAsyncEnumerable<string> WatchAsync([EnumeratorCancellation] CancellationToken stoppingToken)
    {
        var active = new HashSet<SiloAddress>();
        await foreach (var snapshot in membership.MembershipUpdates.WithCancellation(stoppingToken))
        {
            // Dead, not stopping: a silo that stops gracefully hands its queues over, and its agents' grains come
            // back with their connections; confirming into a stopping silo only makes its grains wait.
            var now = snapshot.Members.Values.Where(m => m.Status != SiloStatus.Dead).Select(m => m.SiloAddress).ToHashSet();
            var died = active.Except(now).ToList();
            active = now;
            if (died.Count > 0)
            {
                yield return $"Silo {string.Join(", ", died)} died";
            }
        }
    }
}

/// <summary>
/// On a gateway (an Orleans client, which sees no membership): the client's connections to the silos' gateway
/// endpoints. One fewer means a silo went away (died or stopped); the confirmations that follow are grain calls, which
/// the client retries until a grain of a dead silo lives elsewhere.
/// </summary>
public sealed class GatewayDepartures : ISiloDepartures
{
    private readonly Channel<string> _departures = Channel.CreateBounded<string>(
        new BoundedChannelOptions(1) { FullMode = BoundedChannelFullMode.DropWrite, SingleReader = true });

    /// <summary>Orleans' <see cref="GatewayCountChangedHandler"/>; a burst of departures is one confirmation.</summary>
    public void OnGatewayCountChanged(object? sender, GatewayCountChangedEventArgs e)
    {
        if (e.NumberOfConnectedGateways < e.PreviousNumberOfConnectedGateways)
        {
            _departures.Writer.TryWrite($"The cluster's gateways went from {e.PreviousNumberOfConnectedGateways} to {e.NumberOfConnectedGateways}");
        }
    }

    public IAsyncEnumerable<string> WatchAsync(CancellationToken stoppingToken) => _departures.Reader.ReadAllAsync(stoppingToken);
}
