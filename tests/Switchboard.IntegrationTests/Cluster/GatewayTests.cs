using System.Collections.Concurrent;
using System.Diagnostics;
using Microsoft.AspNetCore.SignalR;
using Microsoft.AspNetCore.SignalR.Client;
using Switchboard.Agents;
using Switchboard.Conversations;
using Switchboard.Hubs;
using Switchboard.IntegrationTests.Infrastructure;
using Xunit.Abstractions;

namespace Switchboard.IntegrationTests.Cluster;

/// <summary>
/// The split topology: two silos on PostgreSQL and two gateway processes (Orleans clients hosting the hubs, the HTTP
/// API and the pages) in front of them, the Redis backplane between them. The traffic test needs PostgreSQL and Redis and
/// takes 20–40 s; the refusal test needs neither and takes a few seconds.
/// </summary>
[Collection(ClusterCollection.Name)]
public sealed class GatewayTests(ITestOutputHelper output)
{
    private const string Skill = "gateway";
    private const int Customers = 8;
    private const int Capacity = Customers;
    private const int AcknowledgedBeforeKill = 2;
    private const int AcknowledgedAfterKill = 4;
    private const string Supervisor = "gateway-supervisor";
    private const string SupervisorSkill = "gateway-spare";
    private static readonly string[] AgentIds = ["gateway-agent-0", "gateway-agent-1"];
    private static readonly TimeSpan SendEvery = TimeSpan.FromMilliseconds(250);
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(30);

    private readonly ConcurrentBag<(string ConversationId, ChatMessage Message)> _acknowledged = [];
    private readonly ConcurrentBag<string> _errors = [];

    [SkippableFact]
    public async Task ClientsOfAKilledGatewayReconnectToAnotherAndEveryAcknowledgedMessageIsInTheTranscript()
    {
        await using var cluster = SiloCluster.OnPostgres("gateway", TestServers.Postgres, TestServers.Redis)
            .WithSkill(Skill)
            .WithSkill(SupervisorSkill)
            .WithAgent(Supervisor, 1, SupervisorSkill);
        foreach (var agentId in AgentIds)
        {
            cluster.WithAgent(agentId, Capacity, Skill);
        }

        var agents = new List<AgentScript>();
        var customers = new List<CustomerScript>();
        HubClient? supervisor = null;
        try
        {
            var clock = Stopwatch.StartNew();
            var silos = await cluster.StartAsync(2);
            var silosJoined = clock.Elapsed;
            var gateways = await cluster.StartGatewaysAsync(2);
            output.WriteLine($"measured: 2 silos joined in {silosJoined.TotalSeconds:F1} s, then 2 gateways served {(clock.Elapsed - silosJoined).TotalSeconds:F1} s later");

            // An agent and a customer on different gateways: the conversation is routed and a message goes each way.
            // Neither gateway holds a grain, so every push crossed the backplane from a silo.
            await ChatSmoke.RunAsync(cluster, agentSilo: gateways[0], customerSilo: gateways[1], AgentIds[0], Skill);

            // Traffic through both gateways: each agent and half the customers on each, all of them well-written
            // clients (on a lost connection they connect to a gateway still running, re-attach and retry with ids).
            for (var i = 0; i < AgentIds.Length; i++)
            {
                agents.Add(await AgentScript.StartAsync(AgentIds[i], cluster.AgentToken(AgentIds[i]), Prefer(cluster, gateways[i]), this));
            }

            using var traffic = new CancellationTokenSource();
            for (var i = 0; i < Customers; i++)
            {
                customers.Add(CustomerScript.Start(i, Prefer(cluster, gateways[i % 2]), this, traffic.Token));
            }

            await Task.WhenAll(customers.Select(c => c.ReadyForKill)).WaitAsync(Patience);

            var victim = gateways[1];
            var survivor = gateways[0];
            var onVictim = customers.Where(c => c.Client.Silo == victim.BaseAddress).ToList();
            Assert.NotEmpty(onVictim);
            var killedAt = Stopwatch.GetTimestamp();
            foreach (var customer in customers)
            {
                customer.KillHappened(killedAt, onVictim.Contains(customer));
            }

            await victim.KillAsync();
            await Task.WhenAll(customers.Select(c => c.RecoveredFromKill)).WaitAsync(Patience);
            var recovered = onVictim.Select(c => c.FirstAfterKill).Order().ToList();
            output.WriteLine($"measured: {victim.Name} killed with {onVictim.Count} customers and {AgentIds[1]} on it; "
                + $"their first message acknowledged after reconnecting came {recovered[0].TotalSeconds:F2}–{recovered[^1].TotalSeconds:F2} s after the kill (through {survivor.Name})");

            traffic.Cancel();
            await Task.WhenAll(customers.Select(c => c.Done)).WaitAsync(Patience);
            Assert.Empty(_errors);

            foreach (var customer in onVictim)
            {
                Assert.True(customer.Client.Reconnects >= 1, $"customer {customer.Index} never reconnected");
                Assert.Equal(survivor.BaseAddress, customer.Client.Silo);
            }

            Assert.Equal(survivor.BaseAddress, agents[1].Client.Silo);
            Assert.True(agents[1].Client.Reconnects >= 1, $"{AgentIds[1]} never reconnected");

            // A supervisor on the survivor watches a conversation of a customer who was on the killed gateway: the
            // grain's silo pushes to the watchers' group, which only the survivor holds.
            supervisor = HubClient.ForAgent(cluster.Tokens.IssueAgent(Supervisor, supervisor: true).Token, () => survivor.BaseAddress);
            var watched = supervisor.Inbox<MessagePosted>(nameof(IAgentClient.WatchedMessagePosted));
            await supervisor.ConnectAsync();
            var monitored = onVictim[0];
            await supervisor.CallAsync<ConversationView>(nameof(AgentHub.MonitorConversation), [monitored.ConversationId], Patience);

            // After the kill, pushes reach everyone through the survivor: each customer's last word is heard by the
            // agent holding the conversation, whose reply the customer hears.
            var holders = new HashSet<string>();
            foreach (var customer in customers)
            {
                var view = await cluster.GetAsync<ConversationView>(survivor, $"/api/conversations/{customer.ConversationId}");
                var holder = agents.Single(a => a.AgentId == view.AgentId);
                holders.Add(holder.AgentId);
                var last = await customer.Client.CallAsync<ChatMessage>(
                    nameof(CustomerHub.SendMessageOnce), [customer.ConversationId, $"{customer.ConversationId}-last", $"customer {customer.Index}: last word"], Patience);
                _acknowledged.Add((customer.ConversationId, last));
                await holder.Heard.WaitAsync(m => m.ConversationId == customer.ConversationId && m.Message.Sequence == last.Sequence, Patience);
                await customer.Heard.WaitAsync(m => m.ConversationId == customer.ConversationId && m.Message.From == MessageAuthor.Agent && m.Message.Text.EndsWith($"re {last.Sequence}", StringComparison.Ordinal), Patience);
                if (customer == monitored)
                {
                    await watched.WaitAsync(m => m.ConversationId == customer.ConversationId && m.Message.Sequence == last.Sequence, Patience);
                }
            }

            // Both agents held conversations, so pushes to each (one of them reconnected) were checked above.
            Assert.Equal(AgentIds.Length, holders.Count);

            await Task.WhenAll(agents.Select(a => a.Replies)).WaitAsync(Patience);
            Assert.Empty(_errors);
            foreach (var agent in agents)
            {
                var profile = await agent.Client.CallAsync<AgentView>(nameof(AgentHub.GetProfile), [], Patience);
                Assert.Equal(AgentPresence.Online, profile.Presence);
            }

            // Nothing acknowledged is lost, nothing is stored twice: read back through the surviving gateway's API.
            var missing = new List<string>();
            var twice = new List<string>();
            foreach (var conversation in _acknowledged.GroupBy(a => a.ConversationId))
            {
                var transcript = (await cluster.GetAsync<ConversationView>(survivor, $"/api/conversations/{conversation.Key}")).Messages;
                foreach (var (_, message) in conversation)
                {
                    if (!transcript.Any(m => m.Sequence == message.Sequence && m.Text == message.Text))
                    {
                        missing.Add($"{conversation.Key} #{message.Sequence} '{message.Text}'");
                    }
                }

                twice.AddRange(transcript.GroupBy(m => m.Text).Where(g => g.Count() > 1).Select(g => $"{conversation.Key} '{g.Key}' x{g.Count()}"));
            }

            output.WriteLine($"measured: {_acknowledged.Count} messages acknowledged in {customers.Count} conversations, "
                + $"{customers.Sum(c => c.Client.Retries) + agents.Sum(a => a.Client.Retries)} calls tried again, "
                + $"{customers.Sum(c => c.Client.Reconnects) + agents.Sum(a => a.Client.Reconnects)} reconnects");
            Assert.True(missing.Count == 0, $"{missing.Count} acknowledged messages are not in their transcript: {string.Join("; ", missing.Take(10))}");
            Assert.True(twice.Count == 0, $"stored twice: {string.Join("; ", twice.Take(10))}");

            // The cluster's KPIs, which a silo gathers from every silo's metrics service, answer through a gateway too.
            foreach (var path in new[] { "/api/stats", "/api/overview", "/api/stats/today" })
            {
                using var read = await cluster.Http.GetAsync(new Uri(survivor.BaseAddress, path));
                Assert.True(read.IsSuccessStatusCode, $"{path} through {survivor.Name}: {(int)read.StatusCode} {await read.Content.ReadAsStringAsync()}");
            }

            // A silo behind the gateway dies: the gateway notices (it confirms its agents at once), and its clients'
            // calls reach the grains again on the silo left, pushes included.
            await silos[1].KillAsync();
            await survivor.WaitForLogAsync(line => line.Contains("The cluster's gateways went from 2 to 1", StringComparison.Ordinal), Patience);
            foreach (var customer in customers)
            {
                var view = await cluster.GetAsync<ConversationView>(survivor, $"/api/conversations/{customer.ConversationId}");
                var holder = agents.Single(a => a.AgentId == view.AgentId);
                var afterSilo = await customer.Client.CallAsync<ChatMessage>(
                    nameof(CustomerHub.SendMessageOnce), [customer.ConversationId, $"{customer.ConversationId}-after-silo", $"customer {customer.Index}: still there?"], Patience);
                await holder.Heard.WaitAsync(m => m.ConversationId == customer.ConversationId && m.Message.Sequence == afterSilo.Sequence, Patience);
                var read = await cluster.GetAsync<ConversationView>(survivor, $"/api/conversations/{customer.ConversationId}");
                Assert.Contains(read.Messages, m => m.Sequence == afterSilo.Sequence && m.Text == afterSilo.Text);
            }

            foreach (var agent in agents)
            {
                var profile = await agent.Client.CallAsync<AgentView>(nameof(AgentHub.GetProfile), [], Patience);
                Assert.Equal(AgentPresence.Online, profile.Presence);
            }

            output.WriteLine($"measured: after {silos[1].Name} was killed, every customer's next message reached its agent through {survivor.Name}");
        }
        catch
        {
            output.WriteLine(cluster.Logs());
            throw;
        }
        finally
        {
            await Task.WhenAll(customers.Select(c => c.Client.DisposeAsync().AsTask()).Concat(agents.Select(a => a.Client.DisposeAsync().AsTask())));
            if (supervisor is not null)
            {
                await supervisor.DisposeAsync();
            }
        }
    }

    [Fact]
    public async Task AGatewayWithoutAClusteringProviderRefusesToStartAndSaysWhichSettingIsMissing()
    {
        // Everything a gateway needs but the clustering provider (the refusal comes before any connection, so no
        // server is needed): the embedded default a silo would fall back to is no cluster for a client to join.
        await using var gateway = SiloProcess.Start("gateway-alone", new Dictionary<string, string>
        {
            ["Switchboard__Role"] = "Gateway",
            ["ConnectionStrings__redis"] = "127.0.0.1:1",
            ["Switchboard__Auth__SigningKey"] = "base64:" + Convert.ToBase64String(new byte[32]),
        });
        var exitCode = await gateway.WaitForExitAsync(TimeSpan.FromSeconds(60));
        Assert.NotEqual(0, exitCode);
        Assert.Contains("This gateway cannot start", gateway.RecentLog);
        Assert.Contains("Orleans:Clustering:ProviderType", gateway.RecentLog);
    }

    /// <summary>The preferred gateway while it runs, then any gateway still running (as a load balancer would).</summary>
    private static Func<Uri> Prefer(SiloCluster cluster, SiloProcess gateway) =>
        () => gateway.HasExited ? cluster.RunningGateways.First().BaseAddress : gateway.BaseAddress;

    /// <summary>A web chat customer who writes every <see cref="SendEvery"/> with message ids, retried until acknowledged.</summary>
    private sealed class CustomerScript
    {
        private readonly TaskCompletionSource _before = new(TaskCreationOptions.RunContinuationsAsynchronously);
        private readonly TaskCompletionSource _after = new(TaskCreationOptions.RunContinuationsAsynchronously);
        private int _acknowledged;
        private int _acknowledgedAfterKill;
        private long _killedAt;
        private int _reconnectsAtKill = -1;

        private CustomerScript(int index, Func<Uri> gateway)
        {
            Index = index;
            Client = HubClient.ForCustomer(gateway);
            Heard = Client.Inbox<MessagePosted>(nameof(ICustomerClient.MessagePosted));
        }

        public int Index { get; }

        public HubClient Client { get; }

        public Inbox<MessagePosted> Heard { get; }

        public string ConversationId { get; private set; } = "";

        /// <summary>
        /// Told just before the kill (a <see cref="Stopwatch"/> timestamp). From then on an acknowledgement counts
        /// towards <see cref="RecoveredFromKill"/> only if it came through a gateway that is alive: for a customer on
        /// the victim, after it reconnected (an answer in flight when the victim died does not count).
        /// </summary>
        public void KillHappened(long killedAt, bool onVictim)
        {
            _reconnectsAtKill = onVictim ? Client.Reconnects : -1;
            Interlocked.Exchange(ref _killedAt, killedAt);
        }

        /// <summary>How long after the kill the first message was acknowledged.</summary>
        public TimeSpan FirstAfterKill { get; private set; }

        public Task ReadyForKill => _before.Task;

        public Task RecoveredFromKill => _after.Task;

        public Task Done { get; private set; } = Task.CompletedTask;

        public static CustomerScript Start(int index, Func<Uri> gateway, GatewayTests test, CancellationToken traffic)
        {
            var customer = new CustomerScript(index, gateway);
            customer.Done = Task.Run(() => customer.RunAsync(test, traffic));
            return customer;
        }

        private async Task RunAsync(GatewayTests test, CancellationToken traffic)
        {
            StartedConversation? joined = null;
            Client.Rejoin = async connection =>
            {
                if (joined is not null)
                {
                    await connection.InvokeCoreAsync<ConversationView>(nameof(CustomerHub.JoinConversation), [joined.Conversation.Id, joined.CustomerToken]);
                }
            };

            try
            {
                var startId = Guid.NewGuid().ToString();
                joined = await Client.CallAsync<StartedConversation>(
                    nameof(CustomerHub.StartConversation), [new StartConversation($"Customer {Index}", Skill, $"customer {Index}: hello", StartId: startId)], Patience);
                ConversationId = joined.Conversation.Id;
                using var timer = new PeriodicTimer(SendEvery);
                for (var m = 1; await timer.WaitForNextTickAsync(traffic); m++)
                {
                    var sent = await Client.CallAsync<ChatMessage>(
                        nameof(CustomerHub.SendMessageOnce), [ConversationId, $"{startId}-m{m}", $"customer {Index}: message {m}"], Patience);
                    test._acknowledged.Add((ConversationId, sent));
                    Counted();
                }
            }
            catch (OperationCanceledException) when (traffic.IsCancellationRequested)
            {
            }
            catch (Exception ex)
            {
                test._errors.Add($"customer {Index}: {ex.GetType().Name}: {ex.Message}");
                _before.TrySetException(ex);
                _after.TrySetException(ex);
            }
        }

        private void Counted()
        {
            if (++_acknowledged >= AcknowledgedBeforeKill)
            {
                _before.TrySetResult();
            }

            var killedAt = Interlocked.Read(ref _killedAt);
            if (killedAt == 0 || Client.Reconnects == _reconnectsAtKill)
            {
                return;
            }

            if (++_acknowledgedAfterKill == 1)
            {
                FirstAfterKill = Stopwatch.GetElapsedTime(killedAt);
            }

            if (_acknowledgedAfterKill >= AcknowledgedAfterKill)
            {
                _after.TrySetResult();
            }
        }
    }

    /// <summary>An agent who answers every customer message it hears (with a message id, retried until acknowledged).</summary>
    private sealed class AgentScript
    {
        private readonly ConcurrentBag<Task> _replies = [];

        private AgentScript(string agentId, string token, Func<Uri> gateway, GatewayTests test)
        {
            AgentId = agentId;
            Client = HubClient.ForAgent(token, gateway);
            Heard = Client.Inbox<MessagePosted>(nameof(IAgentClient.MessagePosted));
            Heard.Arrived += posted =>
            {
                if (posted.Message.From == MessageAuthor.Customer)
                {
                    _replies.Add(Task.Run(() => ReplyAsync(posted, test)));
                }
            };
        }

        public string AgentId { get; }

        public HubClient Client { get; }

        public Inbox<MessagePosted> Heard { get; }

        public Task Replies => Task.WhenAll(_replies);

        public static async Task<AgentScript> StartAsync(string agentId, string token, Func<Uri> gateway, GatewayTests test)
        {
            var agent = new AgentScript(agentId, token, gateway, test);
            await agent.Client.ConnectAsync();
            return agent;
        }

        private async Task ReplyAsync(MessagePosted posted, GatewayTests test)
        {
            var id = posted.ConversationId;
            try
            {
                var sent = await Client.CallAsync<ChatMessage>(
                    nameof(AgentHub.SendMessageOnce), [id, $"{id}-r{posted.Message.Sequence}", $"{AgentId}: re {posted.Message.Sequence}"], Patience);
                test._acknowledged.Add((id, sent));
            }
            catch (HubException refused) when (refused.Message.Contains("HubException: ", StringComparison.Ordinal))
            {
                test._errors.Add($"{AgentId} could not answer {id}: {refused.Message}");
            }
            catch (Exception ex)
            {
                test._errors.Add($"{AgentId} answering {id}: {ex.GetType().Name}: {ex.Message}");
            }
        }
    }
}
