using System.Collections.Concurrent;
using System.Diagnostics;
using System.Text;
using Microsoft.AspNetCore.SignalR;
using Microsoft.AspNetCore.SignalR.Client;
using Switchboard.Agents;
using Switchboard.Conversations;
using Switchboard.Hubs;
using Switchboard.IntegrationTests.Infrastructure;
using Switchboard.Queues;
using Xunit.Abstractions;

namespace Switchboard.IntegrationTests.Cluster;

/// <summary>
/// A silo dies (SIGKILL) in the middle of traffic on a three-silo PostgreSQL cluster. Clients behave like browsers:
/// on a lost connection they connect to a surviving silo, re-attach and retry. What was acknowledged must survive.
/// </summary>
[Collection(ClusterCollection.Name)]
public sealed class SiloFailureTests(ITestOutputHelper output)
{
    private const int AgentCount = 5;
    private const int Capacity = 5;
    private const int ConversationCount = 16;
    private const int MessagesPerCustomer = 2;
    private static readonly string[] Skills = ["kill-a", "kill-b", "kill-c"];
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(60);
    // Long enough for a recovery driven by an Orleans reminder (whose period is at least a minute) to act.
    private static readonly TimeSpan SettleTimeout = TimeSpan.FromSeconds(90);

    private readonly ConcurrentBag<(string ConversationId, ChatMessage Message)> _acknowledged = [];
    private readonly ConcurrentDictionary<string, int> _startedBy = new();
    private readonly ConcurrentBag<string> _capacityViolations = [];
    private readonly ConcurrentBag<string> _carriedOn = [];

    [SkippableFact]
    public async Task KillingASiloMidTrafficLosesNothingAcknowledgedAndClientsCarryOnOnSurvivingSilos()
    {
        await using var cluster = SiloCluster.OnPostgres("kill", TestServers.Postgres, TestServers.Redis);
        foreach (var skill in Skills)
        {
            cluster.WithSkill(skill);
        }

        var agentIds = Enumerable.Range(0, AgentCount).Select(i => $"kill-agent-{i}").ToArray();
        foreach (var agentId in agentIds)
        {
            cluster.WithAgent(agentId, Capacity, Skills);
        }

        var silos = await cluster.StartAsync(3);
        var agents = new List<AgentScript>();
        var customers = new ConcurrentDictionary<int, HubClient>();
        try
        {
            for (var i = 0; i < AgentCount; i++)
            {
                agents.Add(await AgentScript.StartAsync(agentIds[i], cluster.AgentToken(agentIds[i]), Capacity, SiloPicker(cluster, i), this));
            }

            // Before the failure: half the conversations, spread over every silo.
            var half = ConversationCount / 2;
            await Task.WhenAll(Enumerable.Range(0, half).Select(i => RunCustomerAsync(cluster, i, customers, startedSignal: null)));
            var victim = await PickVictimAsync(cluster, silos);

            // During the failure: the other half starts, and the kill lands once the first of them is acknowledged.
            var firstStarted = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            var during = Enumerable.Range(half, ConversationCount - half).Select(i => RunCustomerAsync(cluster, i, customers, firstStarted)).ToList();
            await firstStarted.Task.WaitAsync(Patience);
            var killedAt = Stopwatch.StartNew();
            await victim.KillAsync();
            var detection = WaitUntilDeclaredDeadAsync(cluster, victim, killedAt);
            var monitor = MonitorCapacityAsync(cluster, agentIds, detection);
            await Task.WhenAll(during);
            var detectedAfter = await detection;
            await monitor;
            output.WriteLine($"measured: silo {victim.Name} declared dead {detectedAfter.TotalSeconds:F1} s after SIGKILL "
                + $"(ProbeTimeout {SiloCluster.Membership["ProbeTimeout"]}, NumMissedProbesLimit {SiloCluster.Membership["NumMissedProbesLimit"]}, "
                + $"NumVotesForDeathDeclaration {SiloCluster.Membership["NumVotesForDeathDeclaration"]})");

            // After the failure: everybody carries on from a surviving silo.
            await Task.WhenAll(customers.Select(c => CarryOnAsync(c.Value, c.Key)).Concat(agents.Select(a => a.CarryOnAsync(this))));
            await Task.WhenAll(agents.Select(a => a.Replies));
            output.WriteLine($"measured: {customers.Values.Sum(c => c.Reconnects) + agents.Sum(a => a.Client.Reconnects)} reconnections, "
                + $"{customers.Values.Sum(c => c.Retries) + agents.Sum(a => a.Client.Retries)} retried calls");

            var settleClock = Stopwatch.StartNew();
            var final = await SettleAsync(cluster);
            output.WriteLine($"measured: conversations settled {settleClock.Elapsed.TotalSeconds:F1} s after traffic ended");
            await AssertNothingLostAsync(cluster, final, agentIds, agents);
        }
        catch
        {
            output.WriteLine(cluster.Logs());
            throw;
        }
        finally
        {
            await Task.WhenAll(agents.Select(a => a.Client.DisposeAsync().AsTask()).Concat(customers.Values.Select(c => c.DisposeAsync().AsTask())));
        }
    }

    private void Log(string line) => output.WriteLine(line);

    /// <summary>Round robin over the silos still running, starting at a different one for each client.</summary>
    private static Func<Uri> SiloPicker(SiloCluster cluster, int start)
    {
        var next = start;
        return () =>
        {
            var running = cluster.Running.ToList();
            return running[Interlocked.Increment(ref next) % running.Count].BaseAddress;
        };
    }

    /// <summary>
    /// Kills the silo that hosts the most queue grains (then agent grains), so the failure always takes soft state
    /// with it: the case a random choice would sometimes miss.
    /// </summary>
    private async Task<SiloProcess> PickVictimAsync(SiloCluster cluster, IReadOnlyList<SiloProcess> silos)
    {
        await using var client = await cluster.ConnectClientAsync();
        var activations = await client.Grains.GetGrain<IManagementGrain>(0).GetDetailedGrainStatistics();
        int Count(SiloProcess silo, string type) => activations.Count(a => a.SiloAddress.Endpoint.Port == silo.SiloPort && a.GrainType.Contains(type, StringComparison.Ordinal));
        var victim = silos.OrderByDescending(s => Count(s, nameof(QueueGrain))).ThenByDescending(s => Count(s, nameof(AgentGrain))).First();
        output.WriteLine($"victim: {victim.Name} with {Count(victim, nameof(QueueGrain))} queue grains, {Count(victim, nameof(AgentGrain))} agent grains, "
            + $"{Count(victim, nameof(ConversationGrain))} conversation grains");
        return victim;
    }

    /// <summary>One customer: start a conversation, then send messages, each retried until acknowledged.</summary>
    private async Task RunCustomerAsync(SiloCluster cluster, int i, ConcurrentDictionary<int, HubClient> customers, TaskCompletionSource? startedSignal)
    {
        var customer = customers[i] = HubClient.ForCustomer(SiloPicker(cluster, i));
        StartedConversation? joined = null;
        customer.Rejoin = async connection =>
        {
            // A new connection (on a surviving silo) re-joins with the customer's token from the start.
            if (joined is not null)
            {
                await connection.InvokeCoreAsync<ConversationView>(nameof(CustomerHub.JoinConversation), [joined.Conversation.Id, joined.CustomerToken]);
            }
        };
        var start = new StartConversation($"Customer {i}", Skills[i % Skills.Length], $"customer {i}: first message");
        joined = await customer.CallAsync<StartedConversation>(nameof(CustomerHub.StartConversation), [start], Patience);
        var started = joined.Conversation;
        _startedBy[started.Id] = i;
        _acknowledged.Add((started.Id, started.Messages[0]));
        startedSignal?.TrySetResult();

        for (var m = 1; m <= MessagesPerCustomer; m++)
        {
            var sent = await customer.CallAsync<ChatMessage>(nameof(CustomerHub.SendMessage), [started.Id, $"customer {i}: message {m}"], Patience);
            _acknowledged.Add((started.Id, sent));
        }
    }

    private async Task CarryOnAsync(HubClient customer, int i)
    {
        var id = _startedBy.Single(s => s.Value == i).Key;
        var sent = await customer.CallAsync<ChatMessage>(nameof(CustomerHub.SendMessage), [id, $"customer {i}: after the failure"], Patience);
        _acknowledged.Add((id, sent));
        _carriedOn.Add($"customer {i} on {customer.Silo}");
    }

    private static async Task<TimeSpan> WaitUntilDeclaredDeadAsync(SiloCluster cluster, SiloProcess victim, Stopwatch killedAt)
    {
        while (await cluster.MembershipStatusAsync(victim) != 6)
        {
            if (killedAt.Elapsed > Patience)
            {
                throw new TimeoutException($"{victim.Name} was not declared dead within {Patience}.");
            }

            await Task.Delay(TimeSpan.FromMilliseconds(100));
        }

        return killedAt.Elapsed;
    }

    /// <summary>Samples every agent's holdings from a surviving silo until the failure is over.</summary>
    private async Task MonitorCapacityAsync(SiloCluster cluster, string[] agentIds, Task until)
    {
        while (!until.IsCompleted)
        {
            foreach (var agentId in agentIds)
            {
                try
                {
                    var agent = await cluster.GetAsync<AgentView>(cluster.Running.First(), $"/api/agents/{agentId}");
                    if (agent.Conversations.Length > agent.Profile.Capacity)
                    {
                        _capacityViolations.Add($"{agentId} held {agent.Conversations.Length} > {agent.Profile.Capacity} during the failure");
                    }
                }
                catch (HttpRequestException)
                {
                    // The agent's grain was on the dead silo and is not back yet: nothing to sample.
                }
                catch (TaskCanceledException)
                {
                    // Same, when the call waits for the dead silo until the HTTP timeout.
                }
            }

            await Task.Delay(TimeSpan.FromMilliseconds(250));
        }
    }

    /// <summary>Waits until every acknowledged conversation is assigned, or the settle timeout passes.</summary>
    private async Task<Dictionary<string, ConversationView>> SettleAsync(SiloCluster cluster)
    {
        var clock = Stopwatch.StartNew();
        while (true)
        {
            var views = new Dictionary<string, ConversationView>();
            // Acknowledged starts, and conversations whose start reply was lost with the silo but that an agent got.
            foreach (var id in _startedBy.Keys.Concat(_acknowledged.Select(a => a.ConversationId)).Distinct())
            {
                views[id] = await cluster.GetAsync<ConversationView>(cluster.Running.First(), $"/api/conversations/{id}");
            }

            if (views.Values.All(v => v.Status == ConversationStatus.Assigned) || clock.Elapsed > SettleTimeout)
            {
                return views;
            }

            await Task.Delay(TimeSpan.FromMilliseconds(250));
        }
    }

    private async Task AssertNothingLostAsync(SiloCluster cluster, Dictionary<string, ConversationView> final, string[] agentIds, List<AgentScript> agents)
    {
        var problems = new StringBuilder();
        var silo = cluster.Running.First();

        // 1. Every acknowledged message is readable, with the text and sequence its sender was told.
        foreach (var (id, message) in _acknowledged)
        {
            if (!final[id].Messages.Any(m => m.Sequence == message.Sequence && m.Text == message.Text && m.From == message.From))
            {
                problems.AppendLine($"LOST MESSAGE: {id} #{message.Sequence} '{message.Text}' was acknowledged but is not stored.");
            }
        }

        // 2. No conversation lost: every acknowledged start is still there (the GETs above would have thrown otherwise).
        Assert.Equal(ConversationCount, _startedBy.Count);
        Assert.All(_startedBy.Keys, id => Assert.Equal(id, final[id].Id));
        output.WriteLine($"conversations: {_startedBy.Count} acknowledged starts, {final.Count - _startedBy.Count} more whose start reply was lost but an agent got");

        // 3. No agent ever over capacity: sampled during the failure, and now from both authorities.
        foreach (var agentId in agentIds)
        {
            var agent = await cluster.GetAsync<AgentView>(silo, $"/api/agents/{agentId}");
            var assignedToAgent = final.Values.Count(v => v.Status == ConversationStatus.Assigned && v.AgentId == agentId);
            if (agent.Conversations.Length > Capacity || assignedToAgent > Capacity)
            {
                _capacityViolations.Add($"{agentId} holds {agent.Conversations.Length}, {assignedToAgent} conversations name it; capacity {Capacity}");
            }
        }

        foreach (var violation in _capacityViolations.Concat(agents.SelectMany(a => a.Violations)))
        {
            problems.AppendLine($"OVER CAPACITY: {violation}");
        }

        // 4. Clients carried on from surviving silos.
        output.WriteLine($"carried on: {_carriedOn.Count} customers and {agents.Count(a => a.CarriedOn)} agents after the failure");
        Assert.Equal(ConversationCount, _carriedOn.Count);

        // 5. Every conversation ends assigned. What it takes after a failure: waiting conversations whose queue grain
        //    died re-enter their queue, and queues relearn the agents whose grains or connections moved.
        var unassigned = final.Values.Where(v => v.Status != ConversationStatus.Assigned).ToList();
        if (unassigned.Count > 0)
        {
            problems.AppendLine($"NOT ASSIGNED: {unassigned.Count} of {final.Count} conversations never got an agent within {SettleTimeout.TotalSeconds:F0} s after traffic ended.");
            var holdings = new Dictionary<string, AgentView>();
            foreach (var agentId in agentIds)
            {
                holdings[agentId] = await cluster.GetAsync<AgentView>(silo, $"/api/agents/{agentId}");
            }

            foreach (var view in unassigned)
            {
                var queue = await cluster.GetAsync<QueueView>(silo, $"/api/queues/{view.Topic}");
                var known = string.Join(", ", queue.Agents.Select(a => $"{a.AgentId}{(a.HasFreeCapacity ? "" : " (full or not accepting)")}"));
                var holders = holdings.Values.Where(a => a.Conversations.Contains(view.Id)).Select(a => a.Id).ToList();
                problems.AppendLine($"  {view.Id} ({view.Topic}) is {view.Status}; its queue "
                    + (queue.Waiting.Any(w => w.ConversationId == view.Id) ? "lists it" : "does NOT list it (the queue lost its waiting list)")
                    + $" and knows {queue.Agents.Length} agents: [{known}]"
                    + (holders.Count > 0 ? $"; capacity for it is still reserved by {string.Join(", ", holders)}" : ""));
            }

            foreach (var (agentId, agent) in holdings)
            {
                var client = agents.Single(a => a.AgentId == agentId).Client;
                problems.AppendLine($"  {agentId}: presence {agent.Presence} by its grain, client {(client.IsConnected ? "connected" : "disconnected")} to {client.Silo}, holds {agent.Conversations.Length}");
            }
        }

        Assert.True(problems.Length == 0, problems.ToString());
    }

    /// <summary>An agent: answers every conversation it gets once, re-reads its conversations on every reconnect.</summary>
    private sealed class AgentScript
    {
        private readonly ConcurrentDictionary<string, Task> _answered = new();
        private readonly SiloFailureTests _test;

        private AgentScript(string agentId, string token, int capacity, Func<Uri> nextSilo, SiloFailureTests test)
        {
            AgentId = agentId;
            Capacity = capacity;
            _test = test;
            Client = HubClient.ForAgent(token, nextSilo);
            Assigned = Client.Inbox<ConversationView>(nameof(IAgentClient.ConversationAssigned));
            Assigned.Arrived += conversation => _answered.GetOrAdd(conversation.Id, id => Task.Run(() => AnswerAsync(id)));
            Client.Rejoin = async connection =>
            {
                var held = await connection.InvokeCoreAsync<ConversationView[]>(nameof(AgentHub.GetConversations), []);
                if (held.Length > capacity)
                {
                    Violations.Add($"{agentId} was given {held.Length} conversations on reconnect; capacity {capacity}");
                }

                foreach (var conversation in held)
                {
                    Assigned.Add(conversation);
                }
            };
        }

        public string AgentId { get; }

        public int Capacity { get; }

        public HubClient Client { get; }

        public Inbox<ConversationView> Assigned { get; }

        public ConcurrentBag<string> Violations { get; } = [];

        public bool CarriedOn { get; private set; }

        /// <summary>Completes when every conversation the agent got so far has its answer acknowledged.</summary>
        public Task Replies => Task.WhenAll(_answered.Values);

        public static async Task<AgentScript> StartAsync(string agentId, string token, int capacity, Func<Uri> nextSilo, SiloFailureTests test)
        {
            var script = new AgentScript(agentId, token, capacity, nextSilo, test);
            await script.Client.ConnectAsync();
            return script;
        }

        /// <summary>After the failure: one more message in a held conversation (or, holding none, a profile read).</summary>
        public async Task CarryOnAsync(SiloFailureTests test)
        {
            var held = await Client.CallAsync<ConversationView[]>(nameof(AgentHub.GetConversations), [], Patience);
            try
            {
                if (held.Length > 0)
                {
                    var sent = await Client.CallAsync<ChatMessage>(nameof(AgentHub.SendMessage), [held[0].Id, $"{AgentId}: still here"], Patience);
                    test._acknowledged.Add((held[0].Id, sent));
                }
                else
                {
                    await Client.CallAsync<AgentView>(nameof(AgentHub.GetProfile), [], Patience);
                }
            }
            catch (HubException refused) when (refused.Message.Contains("is not assigned to agent", StringComparison.Ordinal))
            {
                // It moved on between the two calls (its reservation expired unanswered); the agent is still served.
                test.Log($"{AgentId} could not write in {held[0].Id}: {refused.Message}");
                await Client.CallAsync<AgentView>(nameof(AgentHub.GetProfile), [], Patience);
            }

            CarriedOn = true;
        }

        private async Task AnswerAsync(string conversationId)
        {
            try
            {
                var sent = await Client.CallAsync<ChatMessage>(nameof(AgentHub.SendMessage), [conversationId, $"{AgentId}: hello"], Patience);
                _test._acknowledged.Add((conversationId, sent));
            }
            catch (HubException refused)
            {
                // Refused: the conversation moved on (returned to its queue); nothing was acknowledged, nothing to check.
                _test.Log($"{AgentId} could not answer {conversationId}: {refused.Message}");
            }
        }
    }
}
