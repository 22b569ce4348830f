using System.Diagnostics;
using System.Net;
using System.Net.Http.Json;
using System.Net.Sockets;
using System.Net.WebSockets;
using System.Text;
using System.Text.Json;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Server.Kestrel.Transport.Sockets;
using Microsoft.AspNetCore.SignalR.Client;
using Microsoft.Extensions.Configuration;
using Switchboard.Agents;
using Switchboard.Conversations;
using Switchboard.Hubs;
using Xunit.Abstractions;

namespace Switchboard.Tests.EndToEnd;

/// <summary>
/// The silo over Kestrel with small socket buffers, as on a real network, a small connection outbox (256 KiB) and a
/// long socket send timeout (2 min), so that only the outbox can protect others from a client that stops reading.
/// Its own queue and agents: a queue served by <see cref="Junior"/> (proficiency 3) and <see cref="Senior"/> (5).
/// </summary>
public sealed class PushIsolationFixture : SiloFixture
{
    public const string Queue = "isolation-lane";
    public const string Junior = "isolation-junior";
    public const string Senior = "isolation-senior";
    public const int OutboxBytes = 256 * 1024;

    protected override void Customize(WebApplicationBuilder builder)
    {
        builder.Configuration.AddInMemoryCollection(new Dictionary<string, string?>
        {
            [$"Switchboard:Skills:{Queue}:DisplayName"] = "Isolation lane",
            [$"Switchboard:Agents:{Junior}:Name"] = "Junior",
            [$"Switchboard:Agents:{Junior}:Capacity"] = "3",
            [$"Switchboard:Agents:{Junior}:Skills:{Queue}"] = "3",
            [$"Switchboard:Agents:{Senior}:Name"] = "Senior",
            [$"Switchboard:Agents:{Senior}:Capacity"] = "1",
            [$"Switchboard:Agents:{Senior}:Skills:{Queue}"] = "5",
            ["Switchboard:Limits:ConnectionOutboxBytes"] = OutboxBytes.ToString(),
            ["Switchboard:Limits:ConnectionSendTimeout"] = "00:02:00",
            // The slow customer writes fast to fill its own outbox; the limits are not what this test is about.
            ["Switchboard:Limits:ConnectionCallsPerSecond"] = "10000",
            ["Switchboard:Limits:ConnectionBurst"] = "10000",
            ["Switchboard:Limits:CustomerMessagesPerSecond"] = "10000",
            ["Switchboard:Limits:CustomerBurst"] = "10000",
        });
        // Accepted sockets take the listening socket's buffer sizes: a few KiB in flight per connection, not the
        // megabytes loopback allows, so a client that stops reading backs up into the silo quickly.
        builder.WebHost.UseSockets(sockets => sockets.CreateBoundListenSocket = endpoint =>
        {
            var socket = SocketTransportOptions.CreateDefaultBoundListenSocket(endpoint);
            socket.SendBufferSize = 16 * 1024;
            return socket;
        });
    }
}

[CollectionDefinition(Name)]
public sealed class PushIsolationCollection : ICollectionFixture<PushIsolationFixture>
{
    public const string Name = "silo over kestrel with small socket buffers";
}

[Collection(PushIsolationCollection.Name)]
public sealed class PushIsolationTests(PushIsolationFixture silo, ITestOutputHelper output) : HubTests
{
    private const int FloodMessages = 200;

    [Fact]
    public async Task ACustomerWhoStopsReadingIsClosedAloneWhileTheQueueAssignsTheNextCustomerAndTheAgentWorks()
    {
        var junior = silo.AgentConnection(PushIsolationFixture.Junior);
        var juniorAssigned = new Inbox<ConversationView>(junior, nameof(IAgentClient.ConversationAssigned));
        await ConnectAsync(junior);
        var senior = silo.AgentConnection(PushIsolationFixture.Senior);
        var seniorAssigned = new Inbox<ConversationView>(senior, nameof(IAgentClient.ConversationAssigned));
        await ConnectAsync(senior);
        await senior.InvokeAsync<AgentView>(nameof(AgentHub.SetPresence), AgentPresence.Away);

        // Two customers only the senior can serve wait in line: first X, then S, whose web chat stops reading. S goes
        // on writing from another device (the HTTP API, with the same customer token): every message is pushed to
        // the web chat too, which takes nothing.
        var first = await silo.StartOverHttpAsync(new StartConversation("Xenia", PushIsolationFixture.Queue, "A refund of 9000", RequiredProficiency: 5));
        await using var slow = await SlowCustomer.StartAsync(silo, new StartConversation("Sam", PushIsolationFixture.Queue, "Hello?", RequiredProficiency: 5));
        using var samsPhone = silo.As(slow.CustomerToken);
        var clock = Stopwatch.StartNew();
        for (var i = 0; i < FloodMessages; i++)
        {
            // Each post answers within the usual wait: a silo that waited on the web chat's socket would hang here.
            var posted = await samsPhone.PostAsJsonAsync($"/api/conversations/{slow.ConversationId}/messages", new { text = new string('x', 4000) })
                .WaitAsync(TimeSpan.FromSeconds(20));
            Assert.Equal(HttpStatusCode.Created, posted.StatusCode);
        }

        output.WriteLine($"measured: {FloodMessages} messages of 4,000 characters posted while the customer's web chat read nothing, in {clock.Elapsed.TotalMilliseconds:F0} ms");

        // The senior comes online and takes X: the line moves, and S (now first) is told, which is a push into an
        // outbox nobody reads.
        await senior.InvokeAsync<AgentView>(nameof(AgentHub.SetPresence), AgentPresence.Online);
        await seniorAssigned.WaitAsync(c => c.Id == first.Conversation.Id);

        // Another customer in the same queue is assigned at once, and the junior's calls are answered at once.
        var customer = silo.CustomerConnection();
        await ConnectAsync(customer);
        clock.Restart();
        var other = await customer.InvokeAsync<StartedConversation>(nameof(CustomerHub.StartConversation), new StartConversation("Olga", PushIsolationFixture.Queue, "Where is my parcel?"));
        await juniorAssigned.WaitAsync(c => c.Id == other.Conversation.Id);
        var assignedAfter = clock.Elapsed;
        clock.Restart();
        await junior.InvokeAsync<ChatMessage>(nameof(AgentHub.SendMessage), other.Conversation.Id, "Hello Olga, let me check.");
        var answeredAfter = clock.Elapsed;
        output.WriteLine($"measured: with a customer not reading, another customer's start-to-assignment {assignedAfter.TotalMilliseconds:F1} ms, "
            + $"the agent's reply answered in {answeredAfter.TotalMilliseconds:F1} ms");

        // The customer who stopped reading lost only itself: its connection was closed before it got everything.
        var (received, closed) = await slow.ReadToEndAsync(TimeSpan.FromSeconds(20));
        output.WriteLine($"the slow customer's connection: {received} frames read before it ended ({closed})");
        Assert.True(received < FloodMessages, $"The slow customer got all {received} frames: its outbox was never bounded.");
    }

    [Fact]
    public async Task AnAgentHearsAWithdrawalBeforeTheAssignmentThatReusesItsSlot()
    {
        var (agentId, skill) = silo.NewLane();
        var agent = silo.AgentConnection(agentId);
        var order = new List<string>();
        agent.On<ConversationView>(nameof(IAgentClient.ConversationAssigned), c => { lock (order) { order.Add($"assigned {c.Id}"); } });
        agent.On<ConversationWithdrawn>(nameof(IAgentClient.ConversationWithdrawn), w => { lock (order) { order.Add($"withdrawn {w.ConversationId}"); } });
        var assigned = new Inbox<ConversationView>(agent, nameof(IAgentClient.ConversationAssigned));
        await ConnectAsync(agent);
        var (_, otherSkill) = silo.NewLane();

        // The lane agent has capacity 2: two held, more waiting. Each transfer frees a slot the queue fills at once.
        var started = new List<string>();
        for (var i = 0; i < 8; i++)
        {
            started.Add((await silo.StartOverHttpAsync(new StartConversation($"Customer {i}", skill, "Hello?"))).Conversation.Id);
        }

        for (var i = 0; i < 6; i++)
        {
            var held = (await agent.InvokeAsync<ConversationView[]>(nameof(AgentHub.GetConversations))).Select(c => c.Id).ToList();
            await agent.InvokeAsync(nameof(AgentHub.Transfer), held[0], otherSkill);
            await assigned.WaitAsync(c => c.Id == started[i + 2]);
        }

        // Counting what the agent's screen was told, in order: never more than its capacity at any moment.
        lock (order)
        {
            var shown = 0;
            foreach (var push in order)
            {
                shown += push.StartsWith("assigned ", StringComparison.Ordinal) ? 1 : -1;
                Assert.True(shown <= 2, $"The agent's screen showed {shown} conversations with capacity 2: {string.Join(", ", order)}");
            }
        }
    }

    /// <summary>
    /// A customer on a raw WebSocket (SignalR's JSON protocol by hand) that never reads: its socket's receive buffer is
    /// small, and nothing is taken from it until the test reads to the end.
    /// </summary>
    private sealed class SlowCustomer : IAsyncDisposable
    {
        private const char RecordSeparator = '\u001e';
        private readonly ClientWebSocket _socket;

        private SlowCustomer(ClientWebSocket socket, string conversationId, string customerToken)
        {
            _socket = socket;
            ConversationId = conversationId;
            CustomerToken = customerToken;
        }

        public string ConversationId { get; }

        public string CustomerToken { get; }

        public static async Task<SlowCustomer> StartAsync(SiloFixture silo, StartConversation start)
        {
            var handler = new SocketsHttpHandler
            {
                ConnectCallback = async (context, token) =>
                {
                    var socket = new Socket(SocketType.Stream, ProtocolType.Tcp) { ReceiveBufferSize = 4 * 1024, NoDelay = true };
                    await socket.ConnectAsync(context.DnsEndPoint, token);
                    return new NetworkStream(socket, ownsSocket: true);
                },
            };
            var socket = new ClientWebSocket();
            var uri = new UriBuilder(new Uri(silo.BaseAddress, CustomerHub.Path)) { Scheme = "ws" }.Uri;
            await socket.ConnectAsync(uri, new HttpMessageInvoker(handler), CancellationToken.None);
            await SendAsync(socket, "{\"protocol\":\"json\",\"version\":1}");
            await SendAsync(socket, JsonSerializer.Serialize(new { type = 1, invocationId = "0", target = nameof(CustomerHub.StartConversation), arguments = new object[] { start } }, silo.Json));

            // It reads until its start is answered, and never again.
            var buffer = new byte[64 * 1024];
            var received = new StringBuilder();
            while (true)
            {
                var read = await socket.ReceiveAsync(buffer, CancellationToken.None);
                received.Append(Encoding.UTF8.GetString(buffer, 0, read.Count));
                var text = received.ToString();
                foreach (var frame in text[..(text.LastIndexOf(RecordSeparator) + 1)].Split(RecordSeparator, StringSplitOptions.RemoveEmptyEntries))
                {
                    using var json = JsonDocument.Parse(frame);
                    if (json.RootElement.TryGetProperty("invocationId", out var id) && id.GetString() == "0")
                    {
                        var result = json.RootElement.GetProperty("result");
                        return new SlowCustomer(socket, result.GetProperty("conversation").GetProperty("id").GetString()!, result.GetProperty("customerToken").GetString()!);
                    }
                }
            }
        }

        /// <summary>Starts reading at last: counts the frames that still arrive until the connection ends.</summary>
        public async Task<(int Frames, string How)> ReadToEndAsync(TimeSpan within)
        {
            var buffer = new byte[64 * 1024];
            var frames = 0;
            using var timeout = new CancellationTokenSource(within);
            try
            {
                while (true)
                {
                    var result = await _socket.ReceiveAsync(buffer, timeout.Token);
                    if (result.MessageType == WebSocketMessageType.Close)
                    {
                        return (frames, "closed by the silo");
                    }

                    frames += Encoding.UTF8.GetString(buffer, 0, result.Count).Count(c => c == RecordSeparator);
                }
            }
            catch (WebSocketException)
            {
                return (frames, "aborted by the silo");
            }
            catch (OperationCanceledException)
            {
                throw new TimeoutException($"The slow customer's connection was still open after {within}: {frames} frames read.");
            }
        }

        public ValueTask DisposeAsync()
        {
            _socket.Abort();
            _socket.Dispose();
            return ValueTask.CompletedTask;
        }

        private static Task SendAsync(ClientWebSocket socket, string frame) =>
            socket.SendAsync(Encoding.UTF8.GetBytes(frame + RecordSeparator), WebSocketMessageType.Text, endOfMessage: true, CancellationToken.None);
    }
}
