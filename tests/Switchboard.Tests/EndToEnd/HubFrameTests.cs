using System.Net.Http.Json;
using System.Net.WebSockets;
using System.Text;
using System.Text.Json;
using Switchboard.Conversations;
using Switchboard.Hubs;

namespace Switchboard.Tests.EndToEnd;

/// <summary>Frames written by hand, as a client nobody here wrote would send them.</summary>
[Collection(SiloCollection.Name)]
public sealed class HubFrameTests(SiloFixture silo)
{
    private const char RecordSeparator = '\u001e';

    [Fact]
    public async Task ACallNestedPastTheProtocolsDepthFailsAloneAndTheConnectionGoesOn()
    {
        var (_, skill) = silo.NewLane();
        using var socket = new ClientWebSocket();
        await socket.ConnectAsync(new UriBuilder(new Uri(silo.BaseAddress, CustomerHub.Path)) { Scheme = "ws" }.Uri, CancellationToken.None);
        var frames = new FrameReader(socket);
        await SendAsync(socket, "{\"protocol\":\"json\",\"version\":1}");
        Assert.Equal("{}", await frames.NextAsync());

        // 200 levels: SignalR's JSON reader stops at 64, and used to close the connection with everything it joined.
        var nested = new string('[', 200) + new string(']', 200);
        await SendAsync(socket, $"{{\"type\":1,\"invocationId\":\"deep\",\"target\":\"{nameof(CustomerHub.StartConversation)}\",\"arguments\":[{nested}]}}");
        using (var refused = JsonDocument.Parse(await frames.NextForAsync("deep")))
        {
            Assert.Contains("could not be read", refused.RootElement.GetProperty("error").GetString());
            Assert.False(refused.RootElement.TryGetProperty("result", out _));
        }

        // The same connection starts a chat next, and the queue holds only that one.
        var start = new StartConversation("Ann", skill, "Where is my parcel?");
        await SendAsync(socket, JsonSerializer.Serialize(new { type = 1, invocationId = "next", target = nameof(CustomerHub.StartConversation), arguments = new object[] { start } }, silo.Json));
        using var started = JsonDocument.Parse(await frames.NextForAsync("next"));
        var id = started.RootElement.GetProperty("result").GetProperty("conversation").GetProperty("id").GetString();
        var queue = await silo.SupervisorHttp.GetFromJsonAsync<Queues.QueueView>($"/api/queues/{skill}", silo.Json);
        Assert.Equal([id], queue!.Waiting.Select(w => w.ConversationId));
        Assert.Equal(WebSocketState.Open, socket.State);
    }

    [Fact]
    public async Task AFrameThatIsNotJsonStillClosesTheConnection()
    {
        using var socket = new ClientWebSocket();
        await socket.ConnectAsync(new UriBuilder(new Uri(silo.BaseAddress, CustomerHub.Path)) { Scheme = "ws" }.Uri, CancellationToken.None);
        var frames = new FrameReader(socket);
        await SendAsync(socket, "{\"protocol\":\"json\",\"version\":1}");
        Assert.Equal("{}", await frames.NextAsync());

        await SendAsync(socket, "{\"type\":1,\"target\":\"StartConversation\",\"arguments\":[" + new string('[', 100));

        using var close = JsonDocument.Parse(await frames.NextAsync());
        Assert.Equal(7, close.RootElement.GetProperty("type").GetInt32());
    }

    private static Task SendAsync(ClientWebSocket socket, string frame) =>
        socket.SendAsync(Encoding.UTF8.GetBytes(frame + RecordSeparator), WebSocketMessageType.Text, endOfMessage: true, CancellationToken.None);

    /// <summary>Reads whole frames off the socket, in order, each within 20 s.</summary>
    private sealed class FrameReader(ClientWebSocket socket)
    {
        private readonly byte[] _buffer = new byte[64 * 1024];
        private readonly Queue<string> _frames = new();
        private readonly StringBuilder _partial = new();

        public async Task<string> NextAsync()
        {
            using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(20));
            while (_frames.Count == 0)
            {
                var read = await socket.ReceiveAsync(_buffer, timeout.Token);
                if (read.MessageType == WebSocketMessageType.Close)
                {
                    throw new InvalidOperationException("The silo closed the connection.");
                }

                _partial.Append(Encoding.UTF8.GetString(_buffer, 0, read.Count));
                var text = _partial.ToString();
                var end = text.LastIndexOf(RecordSeparator);
                if (end < 0)
                {
                    continue;
                }

                foreach (var frame in text[..end].Split(RecordSeparator))
                {
                    _frames.Enqueue(frame);
                }

                _partial.Clear().Append(text[(end + 1)..]);
            }

            return _frames.Dequeue();
        }

        /// <summary>The completion of the invocation <paramref name="invocationId"/>, skipping pings and pushes.</summary>
        public async Task<string> NextForAsync(string invocationId)
        {
            while (true)
            {
                var frame = await NextAsync();
                using var json = JsonDocument.Parse(frame);
                if (json.RootElement.TryGetProperty("invocationId", out var id) && id.GetString() == invocationId)
                {
                    return frame;
                }
            }
        }
    }
}
