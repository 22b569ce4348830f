using Microsoft.AspNetCore.SignalR;

namespace Switchboard.Hubs;

/// <summary>
/// Returns what it is sent. The load-test tool times it beside the real traffic as the floor of a SignalR round trip
/// on the same server, so each measured latency can be read as a multiple of what the transport alone costs.
/// </summary>
public sealed class EchoHub : Hub
{
    public const string Path = "/hubs/echo";

    public string Echo(string payload) => payload;
}
