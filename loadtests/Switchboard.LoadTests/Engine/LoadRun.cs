using System.Collections.Concurrent;
using System.Diagnostics;
using System.Runtime.CompilerServices;
using System.Text.Json;
using Microsoft.AspNetCore.Http.Connections;
using Microsoft.AspNetCore.SignalR.Client;
using Microsoft.Extensions.DependencyInjection;
using Switchboard.Agents;
using Switchboard.Conversations;
using Switchboard.Hosting;
using Switchboard.Hubs;
using Switchboard.LoadTests.Measurement;
using Switchboard.LoadTests.Options;
using Switchboard.LoadTests.Reporting;
using Switchboard.LoadTests.Simulation;

namespace Switchboard.LoadTests.Engine;

/// <summary>
/// One load-test run: connects the simulated agents and customers, drives conversations on the schedule (open model)
/// or as fast as a fixed set of customers allows (closed model), measures, drains, and hands back a report.
/// </summary>
public sealed partial class LoadRun : IAsyncDisposable
{
    private const string EchoPayload = "Where is my parcel? Order 1234 was due yesterday and the tracking page says nothing.";

    // The idle echo fires 220 calls back to back: over three connections per server none of them passes a silo's
    // default burst of hub calls per connection (100), so the floor is measured, not the rate limit.
    private const int EchoLinksPerServer = 3;

    private readonly LoadTestOptions _options;
    private readonly TextWriter _console;
    private readonly AgentRoster _roster;
    private readonly TopicMix _topics;
    private readonly Dice _dice;
    private readonly RunClock _clock;
    private readonly RunMetrics _metrics = new();
    private readonly string _tag = Guid.NewGuid().ToString("N")[..6];
    private readonly JsonSerializerOptions _json = CreateJson();
    private readonly ConcurrentDictionary<long, ConversationRun> _active = new();
    private readonly ConcurrentDictionary<string, ConversationRun> _byId = new();
    private readonly List<SimulatedAgent> _agents = [];
    private Dictionary<string, SimulatedAgent[]> _agentsByTopic = [];
    private readonly List<HubConnection> _customerLinks = [];
    // Each customer connection's drops so far: joins made before a drop are gone after it. Weak, so a connection of one
    // conversation is not kept once it is closed.
    private readonly ConditionalWeakTable<HubConnection, StrongBox<int>> _lives = new();
    private readonly List<HubConnection> _echoLinks = [];
    private readonly Dictionary<Uri, HttpClient> _http = [];
    private readonly CancellationTokenSource _stop = new();
    private readonly CancellationTokenSource _interrupt = new();
    private Pacer[] _pacers = [];
    private List<Uri> _servers = [];
    private EmbeddedSilo? _silo;
    private AgentSignIn? _signIn;
    private ArrivalSchedule? _schedule;
    private long _nextIndex;
    private long _arrivalsFired;
    private long _generatorErrors;
    private string? _echoUnavailable;
    // Set once the load starts: from then on a connection the server closed is started again (before, a close is the
    // server's answer to a bad setup, such as an unknown agent, and ends the run).
    private volatile bool _running;

    public LoadRun(LoadTestOptions options, TextWriter console)
    {
        _options = options;
        _console = console;
        _roster = options.Roster();
        _topics = TopicMix.Parse(options.Topics);
        _dice = new Dice(options.Seed);
        _clock = new RunClock(options.Warmup, options.MeasuredDuration);
    }

    /// <summary>Purposes for <see cref="Dice"/> rolls, so each decision about a conversation gets its own draw.</summary>
    private static class Roll
    {
        public const int Topic = 1;
        public const int Channel = 2;
        public const int Think = 100;
    }

    /// <summary>Stops starting conversations; the run drains, then reports on what it measured so far.</summary>
    public void Interrupt() => _interrupt.Cancel();

    /// <summary>Every latency of the run, worker lags included, for the percentile files.</summary>
    public IEnumerable<LatencyRecorder> Recorders => _metrics.Latencies.Concat(_pacers.Select(p => p.Lag));

    public async Task<RunReport> RunAsync()
    {
        var startedAt = DateTimeOffset.UtcNow;
        var loadBefore = MachineInfo.LoadAverage();
        await SetUpAsync();
        await MeasureIdleEchoAsync();

        _pacers = [.. Enumerable.Range(0, _options.Workers).Select(i => new Pacer(i, OnGeneratorError))];
        var cpuStart = Process.GetCurrentProcess().TotalProcessorTime;
        var machineStart = CpuCounters.Read();
        var gcStart = GcCounters.Read();
        var wallStart = Stopwatch.GetTimestamp();
        // A short lead so the first due times are not already late when the workers pick them up.
        _clock.Begin(Stopwatch.GetTimestamp() + RunClock.Ticks(TimeSpan.FromMilliseconds(200)));
        foreach (var pacer in _pacers)
        {
            pacer.At(_clock.WarmupEnd, _ => pacer.RecordLag = true);
            pacer.At(_clock.LoadEnd, _ => pacer.RecordLag = false);
        }

        _running = true;
        _silo?.Work.Start();
        StartLoad();
        StartEcho();
        var probe = ProbeThreadPoolAsync(_stop.Token);
        var watchdog = WatchAsync(_stop.Token);
        var progress = new ProgressPrinter(_console, _options, _clock, _metrics, _pacers, () => _active.Count, () => Interlocked.Read(ref _arrivalsFired));
        var printing = progress.RunAsync(_stop.Token);

        try
        {
            await Task.Delay(Stopwatch.GetElapsedTime(Stopwatch.GetTimestamp(), _clock.LoadEnd) + TimeSpan.FromMilliseconds(1), _interrupt.Token);
        }
        catch (OperationCanceledException)
        {
            _clock.EndEarly(Stopwatch.GetTimestamp());
            _console.WriteLine($"Interrupted: no new conversations; finishing the ones in flight (Ctrl+C again to quit at once).");
        }

        var drainStarted = Stopwatch.GetTimestamp();
        await DrainAsync();
        var drained = Stopwatch.GetElapsedTime(drainStarted);
        _silo?.Work.Stop();
        var cpu = Process.GetCurrentProcess().TotalProcessorTime - cpuStart;
        var machineBusy = CpuCounters.BusyShare(machineStart, CpuCounters.Read());
        var gc = GcCounters.Read() - gcStart;
        var wall = Stopwatch.GetElapsedTime(wallStart);

        await _stop.CancelAsync();
        await Task.WhenAll(probe, watchdog, printing);
        progress.PrintRow(final: true);

        var machine = MachineInfo.Read(loadBefore);
        return ReportBuilder.Build(new RunFacts(
            _options, _roster, _topics, _schedule, _metrics, _agents, _pacers, startedAt, machine,
            _silo is null ? string.Join(", ", _servers) : $"embedded silo at {_servers[0]} (in this process, grain storage {(_options.EmbeddedDatabase is { } database ? $"sqlite {database}" : "memory")})",
            cpu, wall, machineBusy, gc, _clock.Measured, _clock.Interrupted, drained, Interlocked.Read(ref _generatorErrors), _echoUnavailable));
    }

    /// <summary>What the embedded silo did per conversation (grain calls, writes, activations); empty for a remote target.</summary>
    public string DescribeSiloWork()
    {
        var ended = _metrics.Ok + _metrics.Failed + _metrics.UnmeasuredOk + _metrics.UnmeasuredFailed;
        return _silo?.Work.Describe(ended) ?? "";
    }

    public async ValueTask DisposeAsync()
    {
        if (!_stop.IsCancellationRequested)
        {
            await _stop.CancelAsync();
        }

        foreach (var pacer in _pacers)
        {
            pacer.Dispose();
        }

        var connections = _agents.Select(a => a.Connection).Concat(_customerLinks).Concat(_echoLinks)
            .Concat(_byId.Values.Where(r => r.OwnsConnection && r.CustomerConnection is not null).Select(r => r.CustomerConnection!));
        await Task.WhenAll(connections.Distinct().Select(async c =>
        {
            try
            {
                await c.DisposeAsync();
            }
            catch (Exception)
            {
                // Closing after a run: a connection the server already dropped has nothing left to close.
            }
        }));
        foreach (var client in _http.Values)
        {
            client.Dispose();
        }

        if (_silo is not null)
        {
            await _silo.DisposeAsync();
        }

        _stop.Dispose();
        _interrupt.Dispose();
    }

    private async Task SetUpAsync()
    {
        if (_options.Embedded)
        {
            _console.WriteLine($"Starting an embedded silo with {_roster.Agents.Count} agents ...");
            _silo = await EmbeddedSilo.StartAsync(_roster, _options.SigningKey, _options.EmbeddedDatabase);
            _servers = [_silo.Url];
        }
        else
        {
            _servers = [.. _options.Urls];
        }

        foreach (var server in _servers)
        {
            _http[server] = new HttpClient(new SocketsHttpHandler { PooledConnectionLifetime = TimeSpan.FromMinutes(10) })
            {
                BaseAddress = server,
                Timeout = _options.ConversationTimeout,
            };
        }

        if (!_options.EchoOnly)
        {
            _signIn = AgentSignIn.Create(_options, _silo?.Tokens, _json);
            _console.WriteLine($"Agents sign in with {_signIn.Description}.");
            _console.WriteLine($"Connecting {_roster.Agents.Count} agents and {_options.CustomerConnections * _servers.Count} customer connections to {string.Join(", ", _servers)} ...");
            await ConnectAgentsAsync();
            for (var i = 0; i < _options.CustomerConnections * _servers.Count; i++)
            {
                var link = CustomerConnection(_servers[i % _servers.Count]);
                await StartOrExplainAsync(link, "the customer hub");
                _customerLinks.Add(link);
            }
        }

        if (_options.EchoRate > 0 || _options.EchoOnly)
        {
            foreach (var server in _servers.SelectMany(s => Enumerable.Repeat(s, EchoLinksPerServer)))
            {
                var echo = Hub(server, EchoHub.Path);
                try
                {
                    await echo.StartAsync();
                    _echoLinks.Add(echo);
                }
                catch (Exception ex) when (_options.EchoOnly)
                {
                    throw new TargetException($"Could not connect to {EchoHub.Path} at {server}: {Describe(ex)}.");
                }
                catch (Exception ex)
                {
                    // An older server without the echo hub: the run goes on, its report says the floor is missing.
                    _echoUnavailable = $"{server} has no {EchoHub.Path} ({Describe(ex)})";
                    _console.WriteLine($"warning: {_echoUnavailable}; latencies are reported without an echo floor.");
                    await echo.DisposeAsync();
                    foreach (var opened in _echoLinks)
                    {
                        await opened.DisposeAsync();
                    }

                    _echoLinks.Clear();
                    break;
                }
            }
        }
    }

    private async Task ConnectAgentsAsync()
    {
        using var gate = new SemaphoreSlim(16);
        var tasks = _roster.Agents.Select(async (profile, i) =>
        {
            await gate.WaitAsync();
            try
            {
                return await ConnectAgentAsync(profile, _servers[i % _servers.Count]);
            }
            finally
            {
                gate.Release();
            }
        });
        _agents.AddRange(await Task.WhenAll(tasks));
        _agentsByTopic = _agents.SelectMany(a => a.Profile.Skills.Keys.Select(skill => (skill, a)))
            .GroupBy(p => p.skill)
            .ToDictionary(g => g.Key, g => g.Select(p => p.a).ToArray());
    }

    private async Task<SimulatedAgent> ConnectAgentAsync(SimulatedAgentProfile profile, Uri server)
    {
        var token = await _signIn!.TokenForAsync(profile, _http[server]);
        var connection = Hub(server, AgentHub.Path, token, reconnect: true);
        var agent = new SimulatedAgent(profile, connection, _clock);
        connection.On<ConversationView>(nameof(IAgentClient.ConversationAssigned), view => OnAssigned(agent, view));
        connection.On<MessagePosted>(nameof(IAgentClient.MessagePosted), posted => OnMessageAtAgent(agent, posted));
        connection.On<ConversationWithdrawn>(nameof(IAgentClient.ConversationWithdrawn), withdrawn => OnWithdrawn(withdrawn));
        connection.On<ConversationClosed>(nameof(IAgentClient.ConversationClosed), _ => { });
        connection.Reconnected += newConnectionId =>
        {
            _ = CatchUpAgentAsync(agent);
            return Task.CompletedTask;
        };
        connection.Closed += error =>
        {
            _ = StartAgainAsync(connection, () => true, () => CatchUpAgentAsync(agent));
            return Task.CompletedTask;
        };
        // The server's reason for closing (an unknown agent id) arrives here, not in the failed call that follows.
        var closedBecause = new TaskCompletionSource<Exception?>(TaskCreationOptions.RunContinuationsAsynchronously);
        connection.Closed += error =>
        {
            closedBecause.TrySetResult(error);
            return Task.CompletedTask;
        };
        try
        {
            await connection.StartAsync();
        }
        catch (Exception ex) when (IsUnauthorized(ex))
        {
            throw new TargetException($"Agent {profile.Id}'s token was refused at {server} (401). {_signIn.RefusedHint}");
        }
        catch (Exception ex)
        {
            throw new TargetException($"Could not connect agent {profile.Id}: {Describe(ex)}. Is the silo running and listening there?");
        }

        try
        {
            // The server closes the connection of an unknown agent right after the handshake; this call finds out.
            var held = await connection.InvokeAsync<ConversationView[]>(nameof(AgentHub.GetConversations));
            foreach (var stale in held)
            {
                // Left over from an earlier run against the same silo: resolve it so the agent starts empty.
                _metrics.CountStale();
                await ResolveQuietlyAsync(connection, stale.Id);
            }

            await connection.InvokeAsync<AgentView>(nameof(AgentHub.SetPresence), AgentPresence.Online);
        }
        catch (Exception ex)
        {
            var closing = await Task.WhenAny(closedBecause.Task, Task.Delay(TimeSpan.FromSeconds(2)));
            var reason = closing == closedBecause.Task && await closedBecause.Task is { } closed ? closed : ex;
            throw new TargetException($"Agent {profile.Id} could not go online at {server}: {Describe(reason).TrimEnd('.')}. {AgentSignIn.RosterHint}");
        }

        return agent;
    }

    private async Task StartOrExplainAsync(HubConnection connection, string what)
    {
        try
        {
            await connection.StartAsync();
        }
        catch (Exception ex)
        {
            throw new TargetException($"Could not connect {what}: {Describe(ex)}. Is the silo running and listening there?");
        }
    }

    private async Task MeasureIdleEchoAsync()
    {
        if (_echoLinks.Count == 0)
        {
            return;
        }

        // Twenty unrecorded calls first: the first ones pay for JIT compilation on both sides.
        for (var i = 0; i < 220; i++)
        {
            var link = _echoLinks[i % _echoLinks.Count];
            var sent = Stopwatch.GetTimestamp();
            await link.InvokeAsync<string>(nameof(EchoHub.Echo), EchoPayload);
            if (i >= 20)
            {
                _metrics.EchoIdle.Record(sent, Stopwatch.GetTimestamp());
            }
        }
    }

    private void StartLoad()
    {
        if (_options.EchoOnly)
        {
            return;
        }

        if (_options.Model == LoadModel.Closed)
        {
            // Customers start spread over the first second rather than all at once.
            for (var c = 0; c < _options.Concurrency; c++)
            {
                var due = _clock.Start + RunClock.Ticks(TimeSpan.FromSeconds((double)c / _options.Concurrency));
                var index = Interlocked.Increment(ref _nextIndex);
                PacerFor(index).At(due, d => StartConversation(index, d));
            }

            return;
        }

        _schedule = _options.Schedule().WithWarmup(_options.Warmup);
        for (var w = 0; w < _pacers.Length; w++)
        {
            FeedArrivals(_pacers[w], _schedule.Arrivals(_options.Arrivals, _options.Seed).GetEnumerator(), w, -1);
        }
    }

    /// <summary>
    /// Keeps one pending arrival per worker: worker w takes arrivals w, w + W, w + 2W, ... from its own copy of the
    /// schedule, and queues the next when the current one fires. Nothing is queued up front, however long the run.
    /// </summary>
    private void FeedArrivals(Pacer pacer, IEnumerator<TimeSpan> arrivals, int worker, long previous)
    {
        var index = previous;
        while (arrivals.MoveNext())
        {
            index++;
            if (index % _pacers.Length == worker)
            {
                var offset = arrivals.Current;
                var number = index;
                pacer.At(_clock.At(offset), due =>
                {
                    StartConversation(number, due);
                    FeedArrivals(pacer, arrivals, worker, number);
                });
                return;
            }
        }

        arrivals.Dispose();
    }

    private void StartEcho()
    {
        if (_echoLinks.Count == 0)
        {
            return;
        }

        var rate = _options.EchoRate > 0 ? _options.EchoRate : 20;
        var schedule = ArrivalSchedule.Constant(rate, _clock.Warmup + _clock.Measured);
        FeedEcho(_pacers[^1], schedule.Arrivals(ArrivalPattern.Even).GetEnumerator(), 0);
    }

    private void FeedEcho(Pacer pacer, IEnumerator<TimeSpan> echoes, long count)
    {
        if (!echoes.MoveNext())
        {
            echoes.Dispose();
            return;
        }

        pacer.At(_clock.At(echoes.Current), due =>
        {
            _ = EchoAsync(_echoLinks[(int)(count % _echoLinks.Count)], due);
            FeedEcho(pacer, echoes, count + 1);
        });
    }

    private async Task EchoAsync(HubConnection link, long due)
    {
        try
        {
            await link.InvokeAsync<string>(nameof(EchoHub.Echo), EchoPayload);
            _metrics.Echo.Record(due, Stopwatch.GetTimestamp(), _clock.InWindow(due));
        }
        catch (Exception ex)
        {
            OnGeneratorError(ex);
        }
    }

    /// <summary>How late a 10 ms timer on the thread pool fires: SignalR callbacks wait just as long before they timestamp a push.</summary>
    private async Task ProbeThreadPoolAsync(CancellationToken stop)
    {
        var period = TimeSpan.FromMilliseconds(10);
        while (!stop.IsCancellationRequested)
        {
            var before = Stopwatch.GetTimestamp();
            try
            {
                await Task.Delay(period, stop);
            }
            catch (OperationCanceledException)
            {
                return;
            }

            var now = Stopwatch.GetTimestamp();
            _metrics.ThreadPoolLag.Record(Stopwatch.GetElapsedTime(before, now) - period, _clock.InWindow(now));
        }
    }

    /// <summary>Fails conversations that outlived the timeout, so a stuck one is counted instead of waited for.</summary>
    private async Task WatchAsync(CancellationToken stop)
    {
        using var timer = new PeriodicTimer(TimeSpan.FromMilliseconds(500));
        try
        {
            while (await timer.WaitForNextTickAsync(stop))
            {
                ExpireOverdue();
            }
        }
        catch (OperationCanceledException)
        {
            // The run is over.
        }
    }

    private void ExpireOverdue()
    {
        var now = Stopwatch.GetTimestamp();
        var limit = RunClock.Ticks(_options.ConversationTimeout);
        foreach (var run in _active.Values)
        {
            if (now - run.Due > limit)
            {
                var waiting = run.State switch
                {
                    RunState.Starting => "no answer to the start",
                    RunState.Waiting => "not assigned",
                    RunState.Assigned => "message exchange unfinished",
                    _ => "not closed after resolve",
                };
                Fail(run, $"timed out: {waiting} within {Durations.Format(_options.ConversationTimeout)}");
            }
        }
    }

    private async Task DrainAsync()
    {
        // In-flight conversations finish or hit their timeout; nothing new starts after the load's end.
        var deadline = Stopwatch.GetTimestamp() + RunClock.Ticks(_options.ConversationTimeout + TimeSpan.FromSeconds(1));
        while (!_active.IsEmpty && Stopwatch.GetTimestamp() < deadline)
        {
            await Task.Delay(50);
        }

        ExpireOverdue();
    }

    private void OnGeneratorError(Exception ex)
    {
        if (Interlocked.Increment(ref _generatorErrors) <= 3)
        {
            _console.WriteLine($"generator error: {Describe(ex)}");
        }
    }

    private Pacer PacerFor(long index) => _pacers[(int)(index % _pacers.Length)];

    private HubConnection CustomerConnection(Uri server)
    {
        var connection = Hub(server, CustomerHub.Path, reconnect: true);
        connection.On<MessagePosted>(nameof(ICustomerClient.MessagePosted), OnMessageAtCustomer);
        connection.On<ConversationClosed>(nameof(ICustomerClient.ConversationClosed), OnClosedAtCustomer);
        connection.On<ConversationQueued>(nameof(ICustomerClient.ConversationQueued), _ =>
        {
            if (_clock.InWindow(Stopwatch.GetTimestamp()))
            {
                _metrics.CountQueued();
            }
        });
        connection.Reconnecting += error =>
        {
            Dropped(connection);
            return Task.CompletedTask;
        };
        connection.Reconnected += newConnectionId =>
        {
            _ = CatchUpCustomersAsync(connection);
            return Task.CompletedTask;
        };
        connection.Closed += error =>
        {
            Dropped(connection);
            // A connection of one conversation is closed here when it ends; only a shared one, or one whose
            // conversation goes on, is wanted back.
            _ = StartAgainAsync(
                connection,
                () => _customerLinks.Contains(connection) || _active.Values.Any(r => r.CustomerConnection == connection && !r.Finished),
                () => CatchUpCustomersAsync(connection));
            return Task.CompletedTask;
        };
        return connection;
    }

    /// <summary>The life of a customer connection: how often it has dropped so far.</summary>
    private int Life(HubConnection connection) => _lives.TryGetValue(connection, out var drops) ? Volatile.Read(ref drops.Value) : 0;

    private void Dropped(HubConnection connection) => Interlocked.Increment(ref _lives.GetOrCreateValue(connection).Value);

    /// <summary>
    /// The server closed a connection and did not let it reconnect (its automatic reconnect then gives up), or the
    /// reconnects ran out: start it again while the run goes on, as the pages do, and read what it missed.
    /// </summary>
    private async Task StartAgainAsync(HubConnection connection, Func<bool> wanted, Func<Task> catchUp)
    {
        for (var retry = 0; _running && !_stop.IsCancellationRequested && wanted(); retry++)
        {
            await Task.Delay(CallRetry.Delay(retry));
            if (connection.State != HubConnectionState.Disconnected)
            {
                return;
            }

            try
            {
                await connection.StartAsync();
                await catchUp();
                return;
            }
            catch (ObjectDisposedException)
            {
                // Closed for good by the run itself.
                return;
            }
            catch (Exception)
            {
                // Not back yet: the next try waits longer.
            }
        }
    }

    // Agents and customers reconnect as the pages do (a silo being replaced, or one that closed a connection that
    // stopped reading); the echo links measure the floor and do not.
    private HubConnection Hub(Uri server, string path, string? accessToken = null, bool reconnect = false)
    {
        var builder = new HubConnectionBuilder()
            .WithUrl(new Uri(server, path), o =>
            {
                // Straight to a WebSocket, as browsers end up anyway: no negotiate round trip per connection.
                o.Transports = HttpTransportType.WebSockets;
                o.SkipNegotiation = true;
                if (accessToken is not null)
                {
                    o.AccessTokenProvider = () => Task.FromResult<string?>(accessToken);
                }
            })
            .AddJsonProtocol(o => SwitchboardHosting.ConfigureJson(o.PayloadSerializerOptions));
        if (reconnect)
        {
            builder.WithAutomaticReconnect(new UntilStopped(_stop.Token));
        }

        return builder.Build();
    }

    /// <summary>Reconnects at once, then after <see cref="CallRetry.Delay"/>, for as long as the run goes on.</summary>
    private sealed class UntilStopped(CancellationToken stop) : IRetryPolicy
    {
        public TimeSpan? NextRetryDelay(RetryContext context) =>
            stop.IsCancellationRequested ? null
            : context.PreviousRetryCount == 0 ? TimeSpan.Zero
            : CallRetry.Delay((int)Math.Min(context.PreviousRetryCount - 1, int.MaxValue));
    }

    /// <summary>
    /// Makes a call that is safe to make again (it carries its own ids, or changes nothing twice) until it gets an
    /// answer: a try the server answered <c>Unavailable</c> (503), or that was lost with its connection, is counted as
    /// a retry and made again after <see cref="CallRetry.Delay"/>, once <paramref name="connection"/> (if any) is back.
    /// Any other error ends it, and so does the end of the conversation (<paramref name="run"/> finished or timed out)
    /// or of the run: the last error is thrown, and the caller fails the conversation as before.
    /// </summary>
    private async Task<T> WithRetryAsync<T>(ConversationRun? run, string call, HubConnection? connection, Func<Task<T>> attempt)
    {
        var first = Stopwatch.GetTimestamp();
        for (var retry = 0; ; retry++)
        {
            try
            {
                return await attempt();
            }
            catch (Exception ex) when (CallRetry.Why(ex, connection) is { } why && KeepsTrying(run, first))
            {
                _metrics.CountRetry(run?.Measured ?? _clock.IsMeasured(first), $"{call}: {why}");
                await Task.Delay(CallRetry.Delay(retry, (ex as UnavailableAnswerException)?.RetryAfter));
                while (connection is not null && connection.State != HubConnectionState.Connected && KeepsTrying(run, first))
                {
                    await Task.Delay(50);
                }
            }
        }
    }

    private Task WithRetryAsync(ConversationRun? run, string call, HubConnection? connection, Func<Task> attempt) =>
        WithRetryAsync(run, call, connection, async () =>
        {
            await attempt();
            return true;
        });

    private bool KeepsTrying(ConversationRun? run, long first) =>
        run?.Finished != true && !_stop.IsCancellationRequested && Stopwatch.GetElapsedTime(first) < _options.ConversationTimeout;

    private static JsonSerializerOptions CreateJson()
    {
        var json = new JsonSerializerOptions(JsonSerializerDefaults.Web);
        SwitchboardHosting.ConfigureJson(json);
        return json;
    }

    /// <summary>
    /// The silo refused the token. Without negotiate the refusal is the WebSocket upgrade's status, which the client
    /// reports only in its message.
    /// </summary>
    private static bool IsUnauthorized(Exception ex) =>
        ex is HttpRequestException { StatusCode: System.Net.HttpStatusCode.Unauthorized }
        || ex.Message.Contains("'401'", StringComparison.Ordinal)
        || (ex.InnerException is { } inner && IsUnauthorized(inner));

    private static string Describe(Exception ex)
    {
        var message = ex is AggregateException { InnerException: { } inner } ? inner.Message : ex.Message;
        var marker = message.IndexOf("HubException: ", StringComparison.Ordinal);
        return marker >= 0 ? message[(marker + "HubException: ".Length)..] : message;
    }
}

/// <summary>The target cannot be used (unreachable, or without the agents the run needs); exit code 3.</summary>
public sealed class TargetException(string message) : Exception(message);
