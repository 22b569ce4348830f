using System.Buffers.Binary;
using System.Net;
using System.Net.Sockets;
using System.Text;
using Npgsql;
using Switchboard.Hosting;

namespace Switchboard.IntegrationTests.Infrastructure;

/// <summary>
/// A loopback port in front of the test PostgreSQL that a test turns, to show a silo the three ways a database turns
/// it away and then lets it in: <see cref="Close"/>, nothing listens (connection refused, as when PostgreSQL is down);
/// <see cref="Refuse"/>, every new connection is answered the way PostgreSQL answers one past its max_connections
/// (FATAL 53300 "sorry, too many clients already", after the startup message); <see cref="Open"/>, connections pass
/// through to the real server. A mode applies to connections made after it is set.
/// </summary>
public sealed class PostgresGate : IAsyncDisposable
{
    // Protocol codes a client may send before its startup message (PostgreSQL's SSLRequest and GSSENCRequest).
    private const int SslRequest = 80877103;
    private const int GssEncryptionRequest = 80877104;

    private readonly Lock _lock = new();
    private readonly List<Socket> _sockets = [];
    private readonly NpgsqlConnectionStringBuilder _target;
    private TcpListener? _listener;
    private bool _refusing;

    private PostgresGate(string postgres, int port)
    {
        _target = new NpgsqlConnectionStringBuilder(postgres);
        Port = port;
        ConnectionString = new NpgsqlConnectionStringBuilder(postgres) { Host = "127.0.0.1", Port = port }.ConnectionString;
    }

    public int Port { get; }

    /// <summary>The test PostgreSQL's connection string, through the gate.</summary>
    public string ConnectionString { get; }

    /// <summary>A closed gate on a free port, in front of <paramref name="postgres"/>.</summary>
    public static PostgresGate Closed(string postgres)
    {
        return new PostgresGate(postgres, LoopbackPorts.Next());
    }

    /// <summary>Nothing listens: connections are refused.</summary>
    public void Close()
    {
        lock (_lock)
        {
            _listener?.Stop();
            _listener = null;
        }
    }

    /// <summary>Listens, and answers every connection "too many clients" (53300).</summary>
    public void Refuse() => Listen(refusing: true);

    /// <summary>Listens, and passes connections through to the real server.</summary>
    public void Open() => Listen(refusing: false);

    public ValueTask DisposeAsync()
    {
        Close();
        lock (_lock)
        {
            foreach (var socket in _sockets)
            {
                socket.Dispose();
            }

            _sockets.Clear();
        }

        return ValueTask.CompletedTask;
    }

    private void Listen(bool refusing)
    {
        lock (_lock)
        {
            _refusing = refusing;
            if (_listener is not null)
            {
                return;
            }

            _listener = new TcpListener(IPAddress.Loopback, Port);
            _listener.Start();
            _ = AcceptAsync(_listener);
        }
    }

    private async Task AcceptAsync(TcpListener listener)
    {
        while (true)
        {
            Socket client;
            try
            {
                client = await listener.AcceptSocketAsync();
            }
            catch (Exception e) when (e is SocketException or ObjectDisposedException or InvalidOperationException)
            {
                return; // closed
            }

            bool refusing;
            lock (_lock)
            {
                _sockets.Add(client);
                refusing = _refusing;
            }

            _ = refusing ? TooManyClientsAsync(client) : PassThroughAsync(client);
        }
    }

    private static async Task TooManyClientsAsync(Socket client)
    {
        try
        {
            await using var stream = new NetworkStream(client, ownsSocket: true);
            var header = new byte[4];
            while (true)
            {
                await stream.ReadExactlyAsync(header);
                var length = BinaryPrimitives.ReadInt32BigEndian(header);
                if (length is < 8 or > 10_000)
                {
                    return; // not a PostgreSQL client
                }

                var message = new byte[length - 4];
                await stream.ReadExactlyAsync(message);
                var code = BinaryPrimitives.ReadInt32BigEndian(message);
                if (code is SslRequest or GssEncryptionRequest)
                {
                    await stream.WriteAsync("N"u8.ToArray()); // not supported: go on in plain text
                    continue;
                }

                await stream.WriteAsync(ErrorResponse("FATAL", "53300", "sorry, too many clients already"));
                return;
            }
        }
        catch (Exception e) when (e is IOException or SocketException or EndOfStreamException or ObjectDisposedException)
        {
            // The client gave up first.
        }
    }

    private async Task PassThroughAsync(Socket client)
    {
        try
        {
            using var server = new Socket(SocketType.Stream, ProtocolType.Tcp);
            await server.ConnectAsync(_target.Host!, _target.Port);
            await using var toServer = new NetworkStream(server, ownsSocket: false);
            await using var toClient = new NetworkStream(client, ownsSocket: true);
            // Either side closing ends both directions.
            await Task.WhenAny(toClient.CopyToAsync(toServer), toServer.CopyToAsync(toClient));
        }
        catch (Exception e) when (e is IOException or SocketException or ObjectDisposedException)
        {
        }
        finally
        {
            client.Dispose();
        }
    }

    /// <summary>A PostgreSQL ErrorResponse message: 'E', its length, then severity, code and text fields.</summary>
    private static byte[] ErrorResponse(string severity, string sqlState, string text)
    {
        using var fields = new MemoryStream();
        foreach (var (type, value) in new[] { ('S', severity), ('V', severity), ('C', sqlState), ('M', text) })
        {
            fields.WriteByte((byte)type);
            fields.Write(Encoding.UTF8.GetBytes(value));
            fields.WriteByte(0);
        }

        fields.WriteByte(0);
        var message = new byte[1 + 4 + fields.Length];
        message[0] = (byte)'E';
        BinaryPrimitives.WriteInt32BigEndian(message.AsSpan(1), 4 + (int)fields.Length);
        fields.ToArray().CopyTo(message, 5);
        return message;
    }
}
