using System.Collections.Concurrent;
using System.Collections.Immutable;
using System.Diagnostics;
using System.Threading.Channels;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Switchboard;
using Switchboard.Agents;
using Switchboard.Conversations;
using Switchboard.Notifications;
using Switchboard.Queues;
using Orleans.Storage;
using Switchboard.Supervision;

// Draining a backlog: N conversations wait in one queue with nobody online, then agents come online and resolve each
// conversation a handle time after they get it (0: at once, so the drain runs as fast as the silo routes). Counts what one conversation costs
// while the line moves: ConversationQueued pushes and grain calls, besides the time and CPU. Usage:
//   dotnet run -c Release --project benchmarks/Switchboard.BacklogBenchmark -- [conversations] [agents] [capacity] [handleMs] [--write-ms N] [--offers N]
// --write-ms makes every grain state write take N ms more (as a database round trip would); --offers sets
// Switchboard:QueueOffersInFlight.
var writeDelay = TimeSpan.FromMilliseconds(Option("--write-ms") ?? 0);
var offersInFlight = (int?)Option("--offers");
var numbers = args.Where((a, i) => !a.StartsWith("--", StringComparison.Ordinal) && (i == 0 || !args[i - 1].StartsWith("--", StringComparison.Ordinal))).ToArray();
var conversations = numbers.Length > 0 ? int.Parse(numbers[0]) : 10_000;
var agentCount = numbers.Length > 1 ? int.Parse(numbers[1]) : 50;
var capacity = numbers.Length > 2 ? int.Parse(numbers[2]) : 3;
var handle = TimeSpan.FromMilliseconds(numbers.Length > 3 ? double.Parse(numbers[3]) : 1000);
const string Skill = "shipping";

var pushes = new PushCounter(conversations);
var calls = new CallCounter();
var builder = Host.CreateApplicationBuilder();
builder.Logging.SetMinimumLevel(LogLevel.Warning);
builder.Services.AddSingleton<IChatNotifier>(pushes);
builder.Services.AddSingleton(TimeProvider.System);
builder.Services.Configure<SwitchboardOptions>(options =>
{
    options.Skills[Skill] = new SkillOptions();
    // The line alone: no breach, overflow or ticket reorders or moves it while it drains.
    options.Sla.DefaultFirstResponse = TimeSpan.FromHours(1);
    options.Sla.OverflowAfter = TimeSpan.FromHours(2);
    options.Sla.TicketAfter = TimeSpan.FromHours(3);
    if (offersInFlight is { } offers)
    {
        options.QueueOffersInFlight = offers;
    }
});
builder.UseOrleans(silo =>
{
    silo.UseLocalhostClustering(siloPort: 11_412, gatewayPort: 30_412).AddSwitchboardGrains();
    silo.AddMemoryGrainStorage("memory").UseInMemoryReminderService();
    silo.Services.AddKeyedSingleton<IGrainStorage>(
        SwitchboardOptions.StorageName,
        (services, _) => new SlowWrites(services.GetRequiredKeyedService<IGrainStorage>("memory"), writeDelay));
    silo.AddIncomingGrainCallFilter(calls);
});
using var host = builder.Build();
await host.StartAsync();
var grains = host.Services.GetRequiredService<IGrainFactory>();
Console.WriteLine($"{conversations:N0} conversations waiting in one queue, then {agentCount} agents × capacity {capacity} who resolve each {handle.TotalMilliseconds:0} ms after they get it; memory storage, writes +{writeDelay.TotalMilliseconds:0} ms; offers in flight per queue {host.Services.GetRequiredService<Microsoft.Extensions.Options.IOptions<SwitchboardOptions>>().Value.QueueOffersInFlight}; {Environment.ProcessorCount} cores, server GC {System.Runtime.GCSettings.IsServerGC}");

var fill = Stopwatch.StartNew();
using (var gate = new SemaphoreSlim(64))
{
    await Task.WhenAll(Enumerable.Range(0, conversations).Select(async i =>
    {
        await gate.WaitAsync();
        try
        {
            await grains.GetGrain<IConversationGrain>($"backlog-{i}").StartAsync(new StartConversation($"Customer {i}", Skill, "Where is my parcel?"));
        }
        finally
        {
            gate.Release();
        }
    }));
}

await pushes.AllToldAsync();
Console.WriteLine($"backlog built in {fill.Elapsed.TotalSeconds:F1} s: {pushes.Queued:N0} ConversationQueued pushes ({pushes.Queued / (double)conversations:F2} per conversation), {calls.Total:N0} grain calls");

var (queuedBefore, callsBefore) = (pushes.Queued, calls.Snapshot());
var machine = MachineLoad.Start();
var resolver = Task.Run(() => pushes.ResolveAssignedAsync(grains, handle));
var drain = Stopwatch.StartNew();
for (var a = 0; a < agentCount; a++)
{
    var agent = grains.GetGrain<IAgentGrain>($"backlog-agent-{a}");
    await agent.ConfigureAsync(new AgentProfile($"Agent {a}", ImmutableDictionary<string, int>.Empty.Add(Skill, 3), capacity));
    await agent.ConnectAsync($"backlog-agent-{a}/connection");
}

await pushes.AllAssignedAsync();
var drained = drain.Elapsed;
var report = machine.Report();
var callsDuring = calls.Since(callsBefore);
var queuedDuring = pushes.Queued - queuedBefore;
Console.WriteLine($"drained in {drained.TotalSeconds:F1} s ({conversations / drained.TotalSeconds:F0} conversations/s)");
Console.WriteLine($"while draining: {queuedDuring:N0} ConversationQueued pushes ({queuedDuring / (double)conversations:F2} per conversation, at most {pushes.MostToOne} to one conversation in all), {pushes.Raised} that showed a higher place than the one before");
Console.WriteLine($"while draining: {callsDuring.Values.Sum():N0} grain calls ({callsDuring.Values.Sum() / (double)conversations:F1} per conversation); the most frequent:");
foreach (var (method, count) in callsDuring.OrderByDescending(c => c.Value).Take(8))
{
    Console.WriteLine($"  {method,-45} {count,10:N0}  {count / (double)conversations,6:F2} per conversation");
}

Console.WriteLine(report);
pushes.Complete();
await resolver;
// The silo's stop is not part of the measurement, and its shutdown warnings (memory storage leaving before the deadline
// shards' last flush) say nothing about the drain.
Environment.Exit(0);

double? Option(string name)
{
    var at = Array.IndexOf(args, name);
    return at >= 0 && at + 1 < args.Length ? double.Parse(args[at + 1], System.Globalization.CultureInfo.InvariantCulture) : null;
}

/// <summary>Memory storage whose writes take a fixed time more, as a database round trip would.</summary>
internal sealed class SlowWrites(IGrainStorage inner, TimeSpan delay) : IGrainStorage
{
    public Task ReadStateAsync<T>(string stateName, GrainId grainId, IGrainState<T> grainState) => inner.ReadStateAsync(stateName, grainId, grainState);

    public async Task WriteStateAsync<T>(string stateName, GrainId grainId, IGrainState<T> grainState)
    {
        if (delay > TimeSpan.Zero)
        {
            await Task.Delay(delay);
        }

        await inner.WriteStateAsync(stateName, grainId, grainState);
    }

    public Task ClearStateAsync<T>(string stateName, GrainId grainId, IGrainState<T> grainState) => inner.ClearStateAsync(stateName, grainId, grainState);
}

/// <summary>Counts the pushes and hands each assignment to the agent who resolves it.</summary>
internal sealed class PushCounter(int expected) : IChatNotifier
{
    private readonly ConcurrentDictionary<string, (int Position, int Pushes)> _shown = new();
    private readonly Channel<(string AgentId, string ConversationId)> _assigned = Channel.CreateUnbounded<(string, string)>();
    private readonly TaskCompletionSource _allTold = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly TaskCompletionSource _allAssigned = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private long _queued;
    private int _told;
    private int _assignments;
    private int _raised;

    public long Queued => Interlocked.Read(ref _queued);

    public int Raised => Volatile.Read(ref _raised);

    public int MostToOne => _shown.Values.Max(s => s.Pushes);

    public Task AllToldAsync() => _allTold.Task;

    public Task AllAssignedAsync() => _allAssigned.Task;

    public void Complete() => _assigned.Writer.TryComplete();

    public void ConversationQueued(string skill, QueueEntry entry, QueuePlacement placement)
    {
        Interlocked.Increment(ref _queued);
        var first = false;
        _shown.AddOrUpdate(
            entry.ConversationId,
            _ =>
            {
                first = true;
                return (placement.Position, 1);
            },
            (_, before) =>
            {
                if (placement.Position > before.Position)
                {
                    Interlocked.Increment(ref _raised);
                }

                return (placement.Position, before.Pushes + 1);
            });
        if (first && Interlocked.Increment(ref _told) == expected)
        {
            _allTold.TrySetResult();
        }
    }

    public void ConversationAssigned(string agentId, ConversationView conversation)
    {
        _assigned.Writer.TryWrite((agentId, conversation.Id));
        if (Interlocked.Increment(ref _assignments) == expected)
        {
            _allAssigned.TrySetResult();
        }
    }

    public async Task ResolveAssignedAsync(IGrainFactory grains, TimeSpan handle)
    {
        using var gate = new SemaphoreSlim(10_000);
        var inFlight = new ConcurrentDictionary<Task, bool>();
        await foreach (var (agentId, conversationId) in _assigned.Reader.ReadAllAsync())
        {
            await gate.WaitAsync();
            var resolve = ResolveAsync(grains, agentId, conversationId, handle);
            inFlight[resolve] = true;
            _ = resolve.ContinueWith(
                done =>
                {
                    gate.Release();
                    inFlight.TryRemove(done, out _);
                    if (done.Exception is { } failed)
                    {
                        Console.Error.WriteLine($"resolving {conversationId} failed: {failed.GetBaseException().Message}");
                    }
                },
                TaskScheduler.Default);
        }

        await Task.WhenAll(inFlight.Keys);
    }

    private static async Task ResolveAsync(IGrainFactory grains, string agentId, string conversationId, TimeSpan handle)
    {
        if (handle > TimeSpan.Zero)
        {
            await Task.Delay(handle);
        }

        await grains.GetGrain<IConversationGrain>(conversationId).ResolveAsync(agentId);
    }

    public void OutreachOpened(string customerId, string conversationId, ChatMessage opening)
    {
    }

    public void MessagePosted(string conversationId, string? agentId, ChatMessage message)
    {
    }

    public void ConversationClosed(string conversationId, string? agentId)
    {
    }

    public void ConversationWithdrawn(string agentId, string conversationId, string reason)
    {
    }

    public void SlaWarning(string agentId, string conversationId, DateTimeOffset dueAt, TimeSpan timeLeft)
    {
    }

    public void FollowUpDue(string agentId, string conversationId)
    {
    }

    public void SupervisorAlert(SupervisorAlert alert)
    {
    }

    public Task SentToAgentAsync(string agentId) => Task.CompletedTask;
}

/// <summary>Counts the grain calls the silo takes, by interface method.</summary>
internal sealed class CallCounter : IIncomingGrainCallFilter
{
    private readonly ConcurrentDictionary<string, long> _counts = new();

    public long Total => _counts.Values.Sum();

    public Task Invoke(IIncomingGrainCallContext context)
    {
        _counts.AddOrUpdate($"{context.InterfaceName.Split('.')[^1]}.{context.MethodName}", 1, (_, n) => n + 1);
        return context.Invoke();
    }

    public Dictionary<string, long> Snapshot() => new(_counts);

    public Dictionary<string, long> Since(Dictionary<string, long> before) =>
        _counts.ToDictionary(c => c.Key, c => c.Value - before.GetValueOrDefault(c.Key));
}
