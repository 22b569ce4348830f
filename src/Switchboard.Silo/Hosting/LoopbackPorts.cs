using System.Globalization;
using System.Net;
using System.Net.Sockets;

namespace Switchboard.Hosting;

/// <summary>
/// Loopback ports for servers that must be told their port before they bind it (an Orleans silo and gateway cannot
/// report a port the system picked). A port the system picks for a probe comes from the ephemeral range, which every
/// outgoing connection (a PostgreSQL pool, Redis, a test's HTTP client) also draws from, so between the probe and the
/// server's bind another socket may take it ("address already in use"). These ports come from below that range, where
/// only an explicit bind takes a port, start at a point that differs between processes, are probed before they are
/// handed out, and are never handed out twice by one process.
/// </summary>
public static class LoopbackPorts
{
    private const int Lowest = 10_000;
    private const int DefaultEphemeralStart = 32_768;

    private static readonly Lock Gate = new();
    private static readonly int Ceiling = EphemeralRangeStart();
    private static int _next = Lowest + (Environment.ProcessId * 397 % Math.Max(1, Ceiling - Lowest));

    /// <summary>A loopback port nothing listens on now that this process has not handed out before.</summary>
    public static int Next()
    {
        lock (Gate)
        {
            for (var tries = 0; tries < Ceiling - Lowest; tries++)
            {
                var port = _next;
                _next = _next + 1 >= Ceiling ? Lowest : _next + 1;
                if (IsFree(port))
                {
                    return port;
                }
            }
        }

        throw new InvalidOperationException($"No free loopback port between {Lowest} and {Ceiling}.");
    }

    private static bool IsFree(int port)
    {
        using var probe = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        try
        {
            probe.Bind(new IPEndPoint(IPAddress.Loopback, port));
            return true;
        }
        catch (SocketException)
        {
            return false;
        }
    }

    // Linux publishes the range it picks ephemeral ports from; elsewhere the IANA range starts at 49152, above ours.
    private static int EphemeralRangeStart()
    {
        try
        {
            var range = File.ReadAllText("/proc/sys/net/ipv4/ip_local_port_range").Split((char[]?)null, StringSplitOptions.RemoveEmptyEntries);
            var start = int.Parse(range[0], CultureInfo.InvariantCulture);
            return start > Lowest + 1_000 ? start : DefaultEphemeralStart;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or FormatException or IndexOutOfRangeException)
        {
            return DefaultEphemeralStart;
        }
    }
}
