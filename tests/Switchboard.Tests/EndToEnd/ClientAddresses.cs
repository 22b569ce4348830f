using System.Net;
using System.Net.Sockets;

namespace Switchboard.Tests.EndToEnd;

/// <summary>
/// HTTP clients that connect from a loopback address of their own (127.0.0.x): to the silo, each is another client
/// address, as customers behind different connections are. Linux routes all of 127.0.0.0/8 to loopback.
/// </summary>
public static class ClientAddresses
{
    public static HttpClient HttpFrom(Uri baseAddress, string localAddress)
    {
        var local = IPAddress.Parse(localAddress);
        var handler = new SocketsHttpHandler
        {
            ConnectCallback = async (context, cancellation) =>
            {
                var socket = new Socket(local.AddressFamily, SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
                try
                {
                    socket.Bind(new IPEndPoint(local, 0));
                    await socket.ConnectAsync(context.DnsEndPoint, cancellation);
                    return new NetworkStream(socket, ownsSocket: true);
                }
                catch
                {
                    socket.Dispose();
                    throw;
                }
            },
        };
        return new HttpClient(handler) { BaseAddress = baseAddress };
    }
}
