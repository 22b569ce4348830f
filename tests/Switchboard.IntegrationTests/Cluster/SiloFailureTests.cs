using System.Collections.Concurrent;
using System.Diagnostics;
using System.Net;
using System.Net.Http.Json;
using System.Text;
using Microsoft.AspNetCore.SignalR;
using Microsoft.AspNetCore.SignalR.Client;
using Switchboard.Agents;
using Switchboard.Conversations;
using Switchboard.Hubs;
using Switchboard.IntegrationTests.Infrastructure;
using Switchboard.Queues;
using Switchboard.Tests.Cluster.Invariants;
using Xunit.Abstractions;

namespace Switchboard.IntegrationTests.Cluster;

/// <summary>
/// The schedule of Orleans' own reliability test on a three-silo PostgreSQL cluster under steady traffic: one silo is
/// killed (SIGKILL) every 30 s, four times, each restarted 10 s later. Customers (over SignalR and over HTTP) and
/// agents behave like well-written clients: on a lost connection they connect to another silo, re-attach, and retry
/// with the same start id and message ids. What was acknowledged must survive, once; no agent is ever over capacity;
/// nobody is stranded; nothing is answered with a 500. Beside the traffic, an angry customer nobody can serve arrives every
/// second (a 30 s first-response clock), so at every kill about thirty deadlines fall due within the next 30 s, some of
/// them of conversations the killed silo held: each breach must be recorded once and at most failure detection + 5 s
/// after its deadline (docs/sla.md, worst-case lateness after a crash); the lateness of all of them is printed.
/// </summary>
[Collection(ClusterCollection.Name)]
public sealed partial class SiloFailureTests(ITestOutputHelper output)
{
    private const int AgentCount = 6;
    private const int Capacity = 3;
    private const int Rounds = 4;
    private const int MessagesPerCustomer = 2;
    private static readonly string[] Skills = ["kill-a", "kill-b", "kill-c"];
    private const string ProbeSkill = "kill-probe";
    private static readonly TimeSpan ProbeEvery = TimeSpan.FromSeconds(1);
    private static readonly TimeSpan LatenessAllowed = TimeSpan.FromSeconds(5);
    private static readonly TimeSpan Between = TimeSpan.FromSeconds(30);
    private static readonly TimeSpan RestartAfter = TimeSpan.FromSeconds(10);
    private static readonly TimeSpan FirstKillAfter = TimeSpan.FromSeconds(10);
    private static readonly TimeSpan NewCustomerEvery = TimeSpan.FromMilliseconds(300);
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(60);
    private static readonly TimeSpan SettleTimeout = TimeSpan.FromSeconds(90);

    private readonly ConcurrentBag<(string ConversationId, ChatMessage Message)> _acknowledged = [];
    private readonly ConcurrentDictionary<string, (string StartId, DateTimeOffset StartedAt)> _conversations = new();
    private readonly ConcurrentBag<string> _violations = [];
    private readonly ConcurrentBag<string> _errors = [];
    private readonly ConcurrentDictionary<string, DateTimeOffset> _assignedAt = new();
    private readonly ConcurrentBag<string> _probes = [];
    private readonly ConcurrentBag<(DateTimeOffset KilledAt, TimeSpan Detected)> _kills = [];
    private int _httpStatus500;
    private int _httpStatus503;
    private int _startsRetried;
    private int _customerRetries;
    private int _genericHubErrors;

    [SkippableFact]
    public Task KillingASiloEvery30SecondsUnderTrafficLosesNothingDuplicatesNothingAndNeverOverfillsAnAgent() =>
        RunAsync("kill", KillScheduleAsync);

    /// <summary>Kills a silo every 30 s, four times, each restarted 10 s later.</summary>
    private async Task KillScheduleAsync(SiloCluster cluster, Stopwatch clock)
    {
        await Task.Delay(FirstKillAfter);
        for (var round = 1; round <= Rounds; round++)
        {
            var victim = cluster.Running.ToList()[round % cluster.Running.Count()];
            var killedAt = DateTimeOffset.UtcNow;
            await victim.KillAsync();
            var detected = await WaitUntilDeclaredDeadAsync(cluster, victim, killedAt);
            _kills.Add((killedAt, detected));
            await Task.Delay(RestartAfter - (DateTimeOffset.UtcNow - killedAt) is { Ticks: > 0 } left ? left : TimeSpan.Zero);
            var restarted = cluster.Launch();
            await restarted.WaitUntilReadyAsync(SiloCluster.StartTimeout);
            var outage = OutageAfter(killedAt);
            output.WriteLine($"measured: kill round {round}: {victim.Name} killed at {clock.Elapsed.TotalSeconds:F0} s, declared dead after {detected.TotalSeconds:F1} s, "
                + $"first assignment of a conversation started after the kill {(outage is { } o ? $"{o.TotalSeconds:F1} s" : "not yet")} after it; {restarted.Name} joined in its place");
            if (round < Rounds)
            {
                await Task.Delay(Between - (DateTimeOffset.UtcNow - killedAt) is { Ticks: > 0 } rest ? rest : TimeSpan.Zero);
            }
        }
    }

    /// <summary>
    /// Three silos under the traffic, while <paramref name="schedule"/> changes the cluster; then every conversation is
    /// settled and judged: nothing acknowledged lost or stored twice, nobody over capacity or stranded, every probe's
    /// breach recorded once and on time.
    /// </summary>
    private async Task RunAsync(string name, Func<SiloCluster, Stopwatch, Task> schedule)
    {
        await using var cluster = SiloCluster.OnPostgres(name, TestServers.Postgres, TestServers.Redis);
        foreach (var skill in Skills)
        {
            cluster.WithSkill(skill);
        }

        cluster.WithSkill(ProbeSkill);

        var agentIds = Enumerable.Range(0, AgentCount).Select(i => $"kill-agent-{i}").ToArray();
        foreach (var agentId in agentIds)
        {
            cluster.WithAgent(agentId, Capacity, Skills);
        }

        await using var postgres = await PostgresActivity.StartAsync(cluster);
        await cluster.StartAsync(3);
        var agents = new List<AgentScript>();
        var customers = new ConcurrentBag<Task>();
        try
        {
            for (var i = 0; i < AgentCount; i++)
            {
                agents.Add(await AgentScript.StartAsync(agentIds[i], cluster.AgentToken(agentIds[i]), SiloPicker(cluster, i), this));
            }

            using var traffic = new CancellationTokenSource();
            var clock = Stopwatch.StartNew();
            var arrivals = Task.Run(async () =>
            {
                var i = 0;
                using var timer = new PeriodicTimer(NewCustomerEvery);
                while (!traffic.IsCancellationRequested && await timer.WaitForNextTickAsync(CancellationToken.None))
                {
                    var n = i++;
                    customers.Add(n % 4 == 3 ? RunHttpCustomerAsync(cluster, n) : RunHubCustomerAsync(cluster, n));
                }
            });

            var probes = Task.Run(async () =>
            {
                var i = 0;
                var starting = new List<Task>();
                using var timer = new PeriodicTimer(ProbeEvery);
                while (!traffic.IsCancellationRequested && await timer.WaitForNextTickAsync(CancellationToken.None))
                {
                    starting.Add(StartProbeAsync(cluster, i++));
                }

                await Task.WhenAll(starting);
            });

            var monitor = MonitorCapacityAsync(cluster, agentIds, traffic.Token);
            await schedule(cluster, clock);

            await Task.Delay(TimeSpan.FromSeconds(5));
            traffic.Cancel();
            await arrivals;
            await probes;
            await monitor;
            await Task.WhenAll(customers).WaitAsync(Patience);
            await Task.WhenAll(agents.Select(a => a.Work)).WaitAsync(Patience);
            output.WriteLine($"measured: {_conversations.Count} conversations started over {clock.Elapsed.TotalSeconds:F0} s; "
                + $"{_customerRetries + agents.Sum(a => a.Client.Retries)} calls tried again, {_startsRetried} starts answered from a retry; "
                + $"{agents.Sum(a => a.Client.Unavailable)} + {_httpStatus503} answers 'unavailable' (503); "
                + $"{agents.Sum(a => a.Client.GenericErrors) + _genericHubErrors} generic hub errors and {_httpStatus500} HTTP 500s");

            var settleClock = Stopwatch.StartNew();
            var final = await SettleAsync(cluster);
            output.WriteLine($"measured: conversations settled {settleClock.Elapsed.TotalSeconds:F1} s after traffic ended");
            var probed = await JudgeDeadlinesAsync(cluster);
            await postgres.StopAsync();
            output.WriteLine($"measured: PostgreSQL peak connections {postgres.Peak} (per silo: {string.Join(", ", postgres.PeakByApplication.OrderBy(p => p.Key).Select(p => $"{p.Key} {p.Value}"))}; max_connections {postgres.MaxConnections})");
            await AssertNothingLostAsync(cluster, final, probed, agentIds, agents);
        }
        catch
        {
            output.WriteLine(cluster.Logs());
            throw;
        }
        finally
        {
            await Task.WhenAll(agents.Select(a => a.Client.DisposeAsync().AsTask()));
        }
    }

    private void Log(string line) => output.WriteLine(line);

    /// <summary>An angry customer in a queue nobody serves: its 30 s deadline will be missed, and when the breach is recorded is measured.</summary>
    private async Task StartProbeAsync(SiloCluster cluster, int i)
    {
        using var http = new HttpClient { Timeout = TimeSpan.FromSeconds(30) };
        try
        {
            var started = await PostUntilAcceptedAsync<StartedConversation>(http, SiloPicker(cluster, i), "/api/conversations", Guid.NewGuid().ToString(), null,
                new StartConversation($"Probe {i}", ProbeSkill, "THIS IS RIDICULOUS!!!"));
            _probes.Add(started.Conversation.Id);
        }
        catch (Exception ex)
        {
            _errors.Add($"probe {i}: {ex.GetType().Name}: {ex.Message}");
        }
    }

    /// <summary>
    /// Reads every probe until its breach is recorded (once each; it waits up to 60 s after
    /// the deadline). Prints the lateness of the deadlines that fell due within 15 s after a kill and
    /// of the others. Returns the probes' ids.
    /// </summary>
    private async Task<IReadOnlyCollection<string>> JudgeDeadlinesAsync(SiloCluster cluster)
    {
        var allowed = _kills.Max(k => k.Detected) + LatenessAllowed;
        var nearKill = new List<double>();
        var elsewhere = new List<double>();
        foreach (var id in _probes)
        {
            var view = await cluster.GetAsync<ConversationView>(cluster.Running.First(), $"/api/conversations/{id}");
            while (!view.Breached && DateTimeOffset.UtcNow < view.FirstResponseDueAt + TimeSpan.FromSeconds(60))
            {
                await Task.Delay(TimeSpan.FromMilliseconds(250));
                view = await cluster.GetAsync<ConversationView>(cluster.Running.First(), $"/api/conversations/{id}");
            }

            var breaches = view.SlaEvents.Where(e => e.Kind == SlaEventKind.Breached).ToList();
            if (breaches.Count != 1)
            {
                _violations.Add($"DEADLINE: {id} (due {view.FirstResponseDueAt:HH:mm:ss.fff}) has {breaches.Count} breaches recorded, not one.");
                continue;
            }

            var late = breaches[0].At - view.FirstResponseDueAt;
            var dueNearKill = _kills.Any(k => view.FirstResponseDueAt >= k.KilledAt && view.FirstResponseDueAt <= k.KilledAt + TimeSpan.FromSeconds(15));
            (dueNearKill ? nearKill : elsewhere).Add(late.TotalSeconds);
            if (late > allowed)
            {
                _violations.Add($"LATE DEADLINE: {id} breached {late.TotalSeconds:F1} s after its deadline ({view.FirstResponseDueAt:HH:mm:ss.fff}), more than failure detection + {LatenessAllowed.TotalSeconds:F0} s");
            }
        }

        static string Summary(List<double> late) => late.Count == 0
            ? "none"
            : $"{late.Count}, p50 {late.Order().ElementAt(late.Count / 2):F2} s, max {late.Max():F2} s";
        output.WriteLine($"measured: breach lateness of {_probes.Count} angry customers nobody served (30 s clocks): due within 15 s after a kill {Summary(nearKill)}; "
            + $"the others {Summary(elsewhere)}; the target is failure detection ({_kills.Max(k => k.Detected).TotalSeconds:F1} s at most) + {LatenessAllowed.TotalSeconds:F0} s");
        return [.. _probes];
    }

    /// <summary>Round robin over the silos running now, starting at a different one for each client.</summary>
    private static Func<Uri> SiloPicker(SiloCluster cluster, int start)
    {
        var next = start;
        return () =>
        {
            var running = cluster.Running.ToList();
            return running[Interlocked.Increment(ref next) % running.Count].BaseAddress;
        };
    }

    /// <summary>A web chat customer: starts with a start id, then writes with message ids, all retried until acknowledged.</summary>
    private async Task RunHubCustomerAsync(SiloCluster cluster, int i)
    {
        await using var customer = HubClient.ForCustomer(SiloPicker(cluster, i));
        StartedConversation? joined = null;
        customer.Rejoin = async connection =>
        {
            if (joined is not null)
            {
                await connection.InvokeCoreAsync<ConversationView>(nameof(CustomerHub.JoinConversation), [joined.Conversation.Id, joined.CustomerToken]);
            }
        };

        try
        {
            var startId = Guid.NewGuid().ToString();
            var start = new StartConversation($"Customer {i}", Skills[i % Skills.Length], $"customer {i}: first message", StartId: startId);
            joined = await customer.CallAsync<StartedConversation>(nameof(CustomerHub.StartConversation), [start], Patience);
            Started(cluster, joined, startId);
            for (var m = 1; m <= MessagesPerCustomer; m++)
            {
                var sent = await customer.CallAsync<ChatMessage>(
                    nameof(CustomerHub.SendMessageOnce), [joined.Conversation.Id, $"{startId}-m{m}", $"customer {i}: message {m}"], Patience);
                _acknowledged.Add((joined.Conversation.Id, sent));
            }

            // Done: the customer closes the chat, which frees the agent (answered by then or not).
            await customer.CallAsync<ConversationView>(nameof(CustomerHub.LeaveConversation), [joined.Conversation.Id], Patience);
        }
        catch (Exception ex)
        {
            _errors.Add($"customer {i}: {ex.GetType().Name}: {ex.Message}");
        }
        finally
        {
            Interlocked.Add(ref _customerRetries, customer.Retries + customer.Unavailable);
            Interlocked.Add(ref _genericHubErrors, customer.GenericErrors);
        }
    }

    /// <summary>A customer over HTTP: Idempotency-Key on the start and on each message; 503 is waited out, never 500.</summary>
    private async Task RunHttpCustomerAsync(SiloCluster cluster, int i)
    {
        var pick = SiloPicker(cluster, i);
        using var http = new HttpClient { Timeout = TimeSpan.FromSeconds(30) };
        try
        {
            var startId = Guid.NewGuid().ToString();
            var started = await PostUntilAcceptedAsync<StartedConversation>(http, pick, "/api/conversations", startId, null,
                new StartConversation($"Customer {i}", Skills[i % Skills.Length], $"customer {i}: first message"));
            Started(cluster, started, startId);
            for (var m = 1; m <= MessagesPerCustomer; m++)
            {
                var sent = await PostUntilAcceptedAsync<ChatMessage>(http, pick, $"/api/conversations/{started.Conversation.Id}/messages", $"{startId}-m{m}",
                    started.CustomerToken, new ConversationApiMessage($"customer {i}: message {m}"));
                _acknowledged.Add((started.Conversation.Id, sent));
            }

            await PostUntilAcceptedAsync<ConversationView>(http, pick, $"/api/conversations/{started.Conversation.Id}/leave", $"{startId}-leave", started.CustomerToken, new { });
        }
        catch (Exception ex)
        {
            _errors.Add($"http customer {i}: {ex.GetType().Name}: {ex.Message}");
        }
    }

    private sealed record ConversationApiMessage(string Text);

    private async Task<T> PostUntilAcceptedAsync<T>(HttpClient http, Func<Uri> pick, string path, string key, string? token, object body)
    {
        var clock = Stopwatch.StartNew();
        while (true)
        {
            using var request = new HttpRequestMessage(HttpMethod.Post, new Uri(pick(), path)) { Content = JsonContent.Create(body, options: SiloJson) };
            request.Headers.Add("Idempotency-Key", key);
            if (token is not null)
            {
                request.Headers.Authorization = new System.Net.Http.Headers.AuthenticationHeaderValue("Bearer", token);
            }

            try
            {
                using var response = await http.SendAsync(request);
                if (response.IsSuccessStatusCode)
                {
                    return (await response.Content.ReadFromJsonAsync<T>(SiloJson))!;
                }

                if (response.StatusCode == HttpStatusCode.InternalServerError)
                {
                    Interlocked.Increment(ref _httpStatus500);
                }
                else if (response.StatusCode == HttpStatusCode.ServiceUnavailable)
                {
                    Interlocked.Increment(ref _httpStatus503);
                    Assert.True(response.Headers.RetryAfter is not null, "A 503 must say when to try again (Retry-After).");
                }
                else
                {
                    throw new InvalidOperationException($"POST {path} was refused: {(int)response.StatusCode} {await response.Content.ReadAsStringAsync()}");
                }
            }
            catch (HttpRequestException) when (clock.Elapsed < Patience)
            {
                // The silo it reached died: the next attempt goes to another.
            }
            catch (TaskCanceledException) when (clock.Elapsed < Patience)
            {
                // Waited on a dying silo past the client's own timeout.
            }

            if (clock.Elapsed > Patience)
            {
                throw new TimeoutException($"POST {path} was not accepted within {Patience}.");
            }

            Interlocked.Increment(ref _customerRetries);
            await Task.Delay(TimeSpan.FromMilliseconds(500));
        }
    }

    private static readonly System.Text.Json.JsonSerializerOptions SiloJson = CreateJson();

    private static System.Text.Json.JsonSerializerOptions CreateJson()
    {
        var json = new System.Text.Json.JsonSerializerOptions(System.Text.Json.JsonSerializerDefaults.Web);
        Switchboard.Hosting.SwitchboardHosting.ConfigureJson(json);
        return json;
    }

    /// <summary>Every start is the one its start id names: a retried start never opened a second conversation.</summary>
    private void Started(SiloCluster cluster, StartedConversation started, string startId)
    {
        var expected = cluster.Tokens.ConversationIdForStart(null, startId);
        if (started.Conversation.Id != expected)
        {
            _violations.Add($"START: start id {startId} answered {started.Conversation.Id}, not {expected}");
        }

        if (started.Replayed)
        {
            Interlocked.Increment(ref _startsRetried);
        }

        if (!_conversations.TryAdd(started.Conversation.Id, (startId, started.Conversation.StartedAt)))
        {
            _violations.Add($"START: conversation {started.Conversation.Id} was handed to two customers");
        }

        _acknowledged.Add((started.Conversation.Id, started.Conversation.Messages[0]));
    }

    /// <summary>How long after the kill the first conversation started after it was assigned (null if none yet).</summary>
    private TimeSpan? OutageAfter(DateTimeOffset killedAt)
    {
        var firsts = _conversations
            .Where(c => c.Value.StartedAt >= killedAt && _assignedAt.ContainsKey(c.Key))
            .Select(c => _assignedAt[c.Key])
            .ToList();
        return firsts.Count == 0 ? null : firsts.Min() - killedAt;
    }

    private static async Task<TimeSpan> WaitUntilDeclaredDeadAsync(SiloCluster cluster, SiloProcess victim, DateTimeOffset killedAt)
    {
        while (await cluster.MembershipStatusAsync(victim) != 6)
        {
            if (DateTimeOffset.UtcNow - killedAt > Patience)
            {
                throw new TimeoutException($"{victim.Name} was not declared dead within {Patience}.");
            }

            await Task.Delay(TimeSpan.FromMilliseconds(100));
        }

        return DateTimeOffset.UtcNow - killedAt;
    }

    /// <summary>Samples every agent's holdings from a surviving silo while the traffic runs.</summary>
    private async Task MonitorCapacityAsync(SiloCluster cluster, string[] agentIds, CancellationToken until)
    {
        while (!until.IsCancellationRequested)
        {
            foreach (var agentId in agentIds)
            {
                try
                {
                    var agent = await cluster.GetAsync<AgentView>(cluster.Running.First(), $"/api/agents/{agentId}");
                    SawPresence(agentId, agent.Presence);
                    if (agent.Conversations.Length > agent.Profile.Capacity)
                    {
                        _violations.Add($"OVER CAPACITY: {agentId} held {agent.Conversations.Length} > {agent.Profile.Capacity} during the run");
                    }
                }
                catch (Exception ex) when (ex is HttpRequestException or TaskCanceledException)
                {
                    // The agent's grain or the silo asked was on the silo that died: nothing to sample this time.
                }
            }

            await Task.Delay(TimeSpan.FromMilliseconds(500), CancellationToken.None);
        }
    }

    /// <summary>Waits until every conversation is resolved (each customer leaves when done), or the timeout passes.</summary>
    private async Task<Dictionary<string, ConversationView>> SettleAsync(SiloCluster cluster)
    {
        var clock = Stopwatch.StartNew();
        while (true)
        {
            var views = new Dictionary<string, ConversationView>();
            foreach (var id in _conversations.Keys)
            {
                views[id] = await cluster.GetAsync<ConversationView>(cluster.Running.First(), $"/api/conversations/{id}");
            }

            if (views.Values.All(v => v.Status == ConversationStatus.Resolved) || clock.Elapsed > SettleTimeout)
            {
                return views;
            }

            await Task.Delay(TimeSpan.FromMilliseconds(500));
        }
    }

    private async Task AssertNothingLostAsync(
        SiloCluster cluster, Dictionary<string, ConversationView> final, IReadOnlyCollection<string> probes, string[] agentIds, List<AgentScript> agents)
    {
        var problems = new StringBuilder();
        foreach (var error in _errors)
        {
            problems.AppendLine($"CLIENT GAVE UP: {error}");
        }

        // 1. Every acknowledged message is stored, once, with the sequence its sender was told.
        foreach (var (id, message) in _acknowledged)
        {
            var stored = final[id].Messages.Where(m => m.Text == message.Text && m.From == message.From).ToList();
            if (stored.Count == 0 || stored.All(m => m.Sequence != message.Sequence))
            {
                problems.AppendLine($"LOST MESSAGE: {id} #{message.Sequence} '{message.Text}' was acknowledged but is not stored.");
            }
            else if (stored.Count > 1)
            {
                problems.AppendLine($"STORED TWICE: {id} '{message.Text}' is stored {stored.Count} times.");
            }
        }

        // 2. Nobody is stranded and no agent is over capacity: the routing invariants, read from the authorities.
        await using (var client = await cluster.ConnectClientAsync())
        {
            var (violations, _) = await new RoutingInvariants(client.Grains)
                .CheckAsync(agentIds, final.Keys.Concat(probes), Skills.Append(ProbeSkill).Append(Queues.Queues.Supervisors).Append("general"), DateTimeOffset.UtcNow);
            foreach (var violation in violations)
            {
                problems.AppendLine(violation);
            }
        }

        var unresolved = final.Values.Where(v => v.Status != ConversationStatus.Resolved).ToList();
        if (unresolved.Count > 0)
        {
            problems.AppendLine($"NOT CLOSED: {unresolved.Count} of {final.Count} conversations were not closed within {SettleTimeout.TotalSeconds:F0} s: "
                + string.Join(", ", unresolved.Take(10).Select(v => $"{v.Id} {v.Status} {v.AgentId}")));
        }

        // 3. What every agent's screen was told, in order, never showed more than its capacity.
        foreach (var violation in _violations.Concat(agents.SelectMany(a => a.Violations)))
        {
            problems.AppendLine(violation);
        }

        // 4. No 500, over HTTP or as SignalR's generic error.
        var generic = agents.Sum(a => a.Client.GenericErrors) + _genericHubErrors;
        if (_httpStatus500 > 0 || generic > 0)
        {
            problems.AppendLine($"ERRORS: {_httpStatus500} HTTP 500s and {generic} generic hub errors where a reason or 503 was due.");
        }

        Assert.True(problems.Length == 0, problems.ToString());
    }

    /// <summary>
    /// An agent: answers every conversation it gets (once, with a message id), retrying through failures (the customer
    /// closes it); re-reads its conversations on every reconnect; counts what its screen was told.
    /// </summary>
    private sealed class AgentScript
    {
        private readonly ConcurrentDictionary<string, Task> _work = new();
        private readonly SiloFailureTests _test;
        private readonly Lock _screenLock = new();
        private readonly HashSet<string> _onScreen = [];

        private AgentScript(string agentId, string token, Func<Uri> nextSilo, SiloFailureTests test)
        {
            AgentId = agentId;
            _test = test;
            Client = HubClient.ForAgent(token, nextSilo);
            var assigned = Client.Inbox<ConversationView>(nameof(IAgentClient.ConversationAssigned));
            var withdrawn = Client.Inbox<ConversationWithdrawn>(nameof(IAgentClient.ConversationWithdrawn));
            var closed = Client.Inbox<ConversationClosed>(nameof(IAgentClient.ConversationClosed));
            assigned.Arrived += conversation =>
            {
                var now = DateTimeOffset.UtcNow;
                if (_test._assignedAt.TryAdd(conversation.Id, now))
                {
                    _test.RecordAssignment(AgentId, now);
                }

                Show(conversation.Id, true);
                _work.GetOrAdd(conversation.Id, id => Task.Run(() => ServeAsync(id)));
            };
            withdrawn.Arrived += w => Show(w.ConversationId, false);
            closed.Arrived += c => Show(c.ConversationId, false);
            Client.Rejoin = async connection =>
            {
                var held = await connection.InvokeCoreAsync<ConversationView[]>(nameof(AgentHub.GetConversations), []);
                lock (_screenLock)
                {
                    // A reloaded screen shows what the agent holds now.
                    _onScreen.Clear();
                }

                foreach (var conversation in held)
                {
                    assigned.Add(conversation);
                }
            };
        }

        public string AgentId { get; }

        public HubClient Client { get; }

        public ConcurrentBag<string> Violations { get; } = [];

        /// <summary>Completes when every conversation the agent got so far is answered and resolved.</summary>
        public Task Work => Task.WhenAll(_work.Values);

        public static async Task<AgentScript> StartAsync(string agentId, string token, Func<Uri> nextSilo, SiloFailureTests test)
        {
            var script = new AgentScript(agentId, token, nextSilo, test);
            await script.Client.ConnectAsync();
            return script;
        }

        private void Show(string conversationId, bool added)
        {
            lock (_screenLock)
            {
                if (added)
                {
                    _onScreen.Add(conversationId);
                }
                else
                {
                    _onScreen.Remove(conversationId);
                }

                if (_onScreen.Count > Capacity)
                {
                    Violations.Add($"SCREEN OVER CAPACITY: {AgentId} was shown {_onScreen.Count} conversations with capacity {Capacity}");
                }
            }
        }

        private async Task ServeAsync(string conversationId)
        {
            try
            {
                var sent = await Client.CallAsync<ChatMessage>(nameof(AgentHub.SendMessageOnce), [conversationId, $"{conversationId}-reply", $"{AgentId}: hello"], Patience);
                _test._acknowledged.Add((conversationId, sent));
            }
            catch (HubException refused)
            {
                // Refused: the conversation moved on (the customer left first, or its reservation expired while a silo
                // was down and another agent has it); nothing of this agent's was acknowledged.
                _test.Log($"{AgentId} could not serve {conversationId}: {refused.Message}");
                _work.TryRemove(conversationId, out _);
            }
        }
    }
}
