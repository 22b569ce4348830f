using System.Collections.Immutable;
using System.Diagnostics;
using Microsoft.Extensions.Time.Testing;
using Switchboard.Agents;
using Switchboard.Conversations;
using Switchboard.Supervision;
using Switchboard.Tests.Cluster.Invariants;
using Xunit.Abstractions;

namespace Switchboard.Tests.Cluster;

/// <summary>
/// Seeded, replayable contention: agents with several skills and capacities 1–3 serve three topics that overflow into
/// <c>general</c> and then to supervisors, while customers start, write and leave, agents answer, resolve, transfer,
/// go away, come back, drop their connection and let reservations expire, supervisors claim tickets and move chats —
/// many at once, on fake time that runs through every SLA stage. After every phase the cluster is brought to rest and
/// the routing invariants (<see cref="RoutingInvariants"/>) are checked.
/// </summary>
/// <remarks>
/// Replay a failure with <c>SWITCHBOARD_CONTENTION_SEED=&lt;seed&gt;</c> (and <c>SWITCHBOARD_CONTENTION_STEPS</c> for a longer soak).
/// </remarks>
public sealed class ContentionTests(ITestOutputHelper output)
{
    private static readonly string[] Topics = ["c-shipping", "c-payment", "c-returns"];
    private const string General = ClusterFixture.General;
    private const int AgentCount = 18;
    private const int SupervisorCount = 2;
    private const int Concurrency = 10;
    private const int RoundsPerPhase = 8;
    private static readonly DateTimeOffset Epoch = new(2026, 12, 1, 8, 0, 0, TimeSpan.Zero);

    public static TheoryData<int> Seeds()
    {
        var data = new TheoryData<int>();
        if (int.TryParse(Environment.GetEnvironmentVariable("SWITCHBOARD_CONTENTION_SEED"), out var replay))
        {
            data.Add(replay);
            return data;
        }

        data.Add(20261202);
        data.Add(14);
        data.Add(7919);
        return data;
    }

    [Theory]
    [MemberData(nameof(Seeds))]
    public async Task UnderContentionAndFailuresEveryAgentStaysWithinCapacityAndNoConversationIsStranded(int seed)
    {
        var steps = int.TryParse(Environment.GetEnvironmentVariable("SWITCHBOARD_CONTENTION_STEPS"), out var s) ? s : 1500;
        await using var run = await ContentionRun.StartAsync(seed);
        var clock = Stopwatch.StartNew();
        var phases = 0;
        while (run.Steps < steps)
        {
            for (var round = 0; round < RoundsPerPhase && run.Steps < steps; round++)
            {
                await run.RoundAsync(Concurrency);
            }

            phases++;
            await run.AssertInvariantsAsync($"phase {phases} (step {run.Steps})");
        }

        // Everyone comes back and time runs out every clock: what is left must still be served or kept.
        await run.EveryoneOnlineAsync();
        await run.AdvanceAsync(TimeSpan.FromMinutes(3));
        await run.AssertInvariantsAsync("the end");
        output.WriteLine($"measured: contention seed {seed}: {run.Steps} operations in {phases} phases, {run.Describe()}, "
            + $"{clock.Elapsed.TotalSeconds:F1} s, invariants held after every phase");
    }

    /// <summary>One seeded run: a cluster of its own, its agents and what it started.</summary>
    private sealed class ContentionRun : IAsyncDisposable
    {
        private readonly Random _random;
        private readonly ClusterFixture _cluster;
        private readonly List<string> _agents = [];
        private readonly List<string> _supervisors = [];
        private readonly HashSet<string> _connected = [];
        private readonly HashSet<string> _away = [];
        private readonly List<string> _conversations = [];
        private readonly Dictionary<string, int> _outcomes = [];
        private int _nextConversation;

        private ContentionRun(int seed, ClusterFixture cluster)
        {
            _random = new Random(seed);
            _cluster = cluster;
        }

        public int Steps { get; private set; }

        private IGrainFactory Grains => _cluster.Grains;

        private IEnumerable<string> AllAgents => _agents.Concat(_supervisors);

        public static async Task<ContentionRun> StartAsync(int seed)
        {
            var cluster = await ClusterFixture.DeployAsync(new ClusterFixture
            {
                Time = new FakeTimeProvider(Epoch),
                Skills = Topics,
                // Every stage comes round within a run: answer or lose it in 30 s, overflow after 20 s, a ticket
                // after 150 s, offline agents' conversations back after 60 s.
                OfflineGracePeriod = TimeSpan.FromSeconds(60),
                Configure = options =>
                {
                    options.Sla.ReservationTimeout = TimeSpan.FromSeconds(30);
                    options.Sla.OverflowAfter = TimeSpan.FromSeconds(20);
                    options.Sla.TicketAfter = TimeSpan.FromSeconds(150);
                    options.PresenceRefreshPeriod = TimeSpan.FromSeconds(20);
                },
            });
            var run = new ContentionRun(seed, cluster);
            await run.HireAsync(seed);
            return run;
        }

        public async ValueTask DisposeAsync() => await _cluster.DisposeAsync();

        public string Describe() =>
            $"{_conversations.Count} conversations ({string.Join(", ", _outcomes.OrderBy(o => o.Key).Select(o => $"{o.Key} {o.Value}"))})";

        private async Task HireAsync(int seed)
        {
            for (var i = 0; i < AgentCount + SupervisorCount; i++)
            {
                var supervisor = i >= AgentCount;
                var id = $"{(supervisor ? "sup" : "agent")}-{seed}-{i:00}";
                var skills = Topics.Append(General)
                    .Where(_ => _random.NextDouble() < 0.5)
                    .DefaultIfEmpty(Topics[i % Topics.Length])
                    .ToImmutableDictionary(skill => skill, _ => _random.Next(1, 6));
                var capacity = _random.Next(1, 4);
                await Grains.GetGrain<IAgentGrain>(id).ConfigureAsync(new AgentProfile($"Agent {i}", skills, capacity, supervisor));
                await Grains.GetGrain<IAgentGrain>(id).ConnectAsync(Connection(id));
                _connected.Add(id);
                (supervisor ? _supervisors : _agents).Add(id);
            }
        }

        private static string Connection(string agentId) => $"{agentId}/tab";

        /// <summary>A round: many operations at once, then perhaps the clock moves.</summary>
        public async Task RoundAsync(int concurrency)
        {
            var operations = Enumerable.Range(0, concurrency).Select(_ => PickOperation()).ToList();
            Steps += operations.Count;
            await Task.WhenAll(operations.Select(RunAsync));
            if (_random.NextDouble() < 0.6)
            {
                await AdvanceAsync(TimeSpan.FromSeconds(_random.Next(1, 26)));
            }
        }

        private Func<Task> PickOperation()
        {
            var roll = _random.Next(100);
            return roll switch
            {
                < 30 => StartOne(),
                < 45 => ForHeld(AllAgents, (agent, conversation) => Conversation(conversation).PostAgentMessageAsync(agent, "Let me check that for you.")),
                < 57 => ForHeld(AllAgents, (agent, conversation) => Conversation(conversation).ResolveAsync(agent)),
                < 62 => TransferHeld(Pick(Topics)),
                < 65 => ForAnyOpen(conversation => _random.Next(2) == 0
                    ? Conversation(conversation).TransferAsSupervisorAsync(Pick(_supervisors), Pick(Topics))
                    : Conversation(conversation).ResolveAsSupervisorAsync(Pick(_supervisors))),
                < 71 => FlipPresence(Pick(AllAgents)),
                < 77 => FlipConnection(Pick(AllAgents)),
                < 84 => ForAnyOpen(conversation => Conversation(conversation).PostCustomerMessageAsync(_random.Next(4) == 0 ? "This is UNACCEPTABLE!!!" : "Any news?")),
                < 88 => ForAnyOpen(conversation => Conversation(conversation).LeaveAsync()),
                < 92 => ClaimTicket(Pick(AllAgents)),
                _ => ForHeld(AllAgents, (agent, conversation) => Conversation(conversation).GetAsync()),
            };
        }

        private Func<Task> StartOne()
        {
            var id = $"conv-{Interlocked.Increment(ref _nextConversation):00000}-{_random.Next():x8}";
            _conversations.Add(id);
            var complaint = _random.Next(12) == 0;
            var start = new StartConversation(
                "Customer",
                Pick(Topics),
                "Where is my order?",
                Priority: _random.Next(4),
                Vip: _random.Next(10) == 0,
                Complaint: complaint,
                Amount: complaint ? _random.Next(3) switch { 0 => 100m, 1 => 1000m, _ => 9000m } : null);
            return () => Conversation(id).StartAsync(start);
        }

        // The topic is drawn now, with the operation: the seeded sequence must not depend on how the calls interleave.
        private Func<Task> TransferHeld(string topic) =>
            ForHeld(_agents, (agent, conversation) => Conversation(conversation).TransferAsync(agent, topic));

        /// <summary>An agent acts on a conversation its grain says it holds (which may move on before the call lands).</summary>
        private Func<Task> ForHeld(IEnumerable<string> agents, Func<string, string, Task> act)
        {
            var agent = Pick(agents);
            // Drawn now: the seeded sequence must not depend on how the calls interleave.
            var choice = _random.Next();
            return async () =>
            {
                var view = await Grains.GetGrain<IAgentGrain>(agent).GetAsync();
                if (view is { Conversations.Length: > 0 })
                {
                    await act(agent, view.Conversations[choice % view.Conversations.Length]);
                }
            };
        }

        private Func<Task> ForAnyOpen(Func<string, Task> act)
        {
            if (_conversations.Count == 0)
            {
                return () => Task.CompletedTask;
            }

            // Recent conversations are the live ones.
            var recent = Math.Min(_conversations.Count, 60);
            var id = _conversations[_conversations.Count - 1 - _random.Next(recent)];
            return () => act(id);
        }

        private Func<Task> FlipPresence(string agent)
        {
            var away = _away.Add(agent) || !_away.Remove(agent);
            return () => Grains.GetGrain<IAgentGrain>(agent).SetPresenceAsync(away ? AgentPresence.Away : AgentPresence.Online);
        }

        private Func<Task> FlipConnection(string agent)
        {
            var grain = Grains.GetGrain<IAgentGrain>(agent);
            if (_connected.Remove(agent))
            {
                return () => grain.DisconnectAsync(Connection(agent));
            }

            _connected.Add(agent);
            return () => grain.ConnectAsync(Connection(agent));
        }

        private Func<Task> ClaimTicket(string agent)
        {
            var choice = _random.Next();
            return async () =>
            {
                var tickets = await Grains.GetGrain<ITicketBoardGrain>(0).GetAsync();
                if (tickets.Length > 0)
                {
                    await Conversation(tickets[choice % tickets.Length].ConversationId).ClaimTicketAsync(agent);
                }
            };
        }

        private async Task RunAsync(Func<Task> operation)
        {
            try
            {
                await operation();
                Count("accepted");
            }
            catch (SwitchboardException refused)
            {
                // A refusal is an answer (the conversation moved on, the agent is full, ...): it must change nothing.
                Count($"refused {refused.Error}".ToLowerInvariant());
            }
        }

        private void Count(string outcome)
        {
            lock (_outcomes)
            {
                _outcomes[outcome] = _outcomes.GetValueOrDefault(outcome) + 1;
            }
        }

        public async Task EveryoneOnlineAsync()
        {
            foreach (var agent in AllAgents)
            {
                if (_connected.Add(agent))
                {
                    await Grains.GetGrain<IAgentGrain>(agent).ConnectAsync(Connection(agent));
                }

                if (_away.Remove(agent))
                {
                    await Grains.GetGrain<IAgentGrain>(agent).SetPresenceAsync(AgentPresence.Online);
                }
            }
        }

        /// <summary>
        /// Moves the clock in steps no longer than the shortest stage, letting every due timer run at each step; the
        /// connected agents' connections are confirmed at each step, as a silo's connection tier does.
        /// </summary>
        public async Task AdvanceAsync(TimeSpan by)
        {
            var step = TimeSpan.FromSeconds(10);
            while (by > TimeSpan.Zero)
            {
                var next = by < step ? by : step;
                _cluster.Time!.Advance(next);
                by -= next;
                await Task.WhenAll(_connected.Select(a => Grains.GetGrain<IAgentGrain>(a).ConfirmConnectionsAsync("", [Connection(a)], announce: false)));
                await RestAsync();
            }
        }

        private Task RestAsync() => _cluster.RestAsync(AllAgents, _conversations);

        public Task AssertInvariantsAsync(string when) => _cluster.AssertInvariantsAsync(AllAgents, _conversations, Topics, when);

        private IConversationGrain Conversation(string id) => Grains.GetGrain<IConversationGrain>(id);

        private T Pick<T>(IEnumerable<T> items)
        {
            var list = items as IList<T> ?? items.ToList();
            return list[_random.Next(list.Count)];
        }
    }
}
