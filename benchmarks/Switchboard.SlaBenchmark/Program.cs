using System.Collections.Concurrent;
using System.Diagnostics;
using System.Diagnostics.Metrics;
using HdrHistogram;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Switchboard;
using Switchboard.Conversations;
using Switchboard.Metrics;
using Switchboard.Notifications;
using Switchboard.Queues;
using Orleans.Storage;
using Switchboard.Hosting.Sqlite;
using Switchboard.Supervision;

// SLA timer precision: open conversations whose first-response deadlines are spread over a window fire their
// breach on one silo; how late each fires is recorded. Usage:
//   dotnet run -c Release --project benchmarks/Switchboard.SlaBenchmark -- [conversations] [spreadSeconds] [clockSeconds] [--postgres | --sqlite]
// --postgres stores grain state and reminders in the PostgreSQL that ConnectionStrings__postgres names
// (eval "$(scripts/services.sh env)" after scripts/services.sh start); --sqlite stores grain state as the embedded
// silo does, in a SQLite file (a fresh one in the temp folder, deleted at the end); otherwise in memory.
using var storage = BenchmarkStorage.FromArgs(args);
var numbers = args.Where(a => !a.StartsWith("--", StringComparison.Ordinal)).ToArray();
var conversations = numbers.Length > 0 ? int.Parse(numbers[0]) : 100_000;
var spread = TimeSpan.FromSeconds(numbers.Length > 1 ? double.Parse(numbers[1]) : 90);
var clock = TimeSpan.FromSeconds(numbers.Length > 2 ? double.Parse(numbers[2]) : 90);
string[] skills = ["shipping", "returns", "payment", "account", "general"];

var breaches = new BreachRecorder(conversations);
var builder = Host.CreateApplicationBuilder();
builder.Logging.SetMinimumLevel(LogLevel.Warning);
builder.Services.AddSingleton<IChatNotifier>(breaches);
builder.Services.AddSingleton(TimeProvider.System);
builder.Services.Configure<SwitchboardOptions>(options =>
{
    foreach (var skill in skills)
    {
        options.Skills[skill] = new SkillOptions();
    }

    options.Sla.DefaultFirstResponse = clock;
    // Measure the deadline alone: overflow and tickets would add their own work in the same window.
    options.Sla.OverflowAfter = TimeSpan.FromHours(1);
    options.Sla.TicketAfter = TimeSpan.FromHours(3);
});
builder.UseOrleans(silo =>
{
    silo.UseLocalhostClustering(siloPort: 11_411, gatewayPort: 30_411).AddSwitchboardGrains();
    storage.AddTo(silo);
});
using var host = builder.Build();
await host.StartAsync();
var grains = host.Services.GetRequiredService<IGrainFactory>();

Console.WriteLine($"{conversations:N0} conversations, deadlines {clock.TotalSeconds:0} s after start, starts spread over {spread.TotalSeconds:0} s, storage {storage.Name}; {Environment.ProcessorCount} cores, server GC {System.Runtime.GCSettings.IsServerGC}");
var baseline = Measure();
var baselinePauses = GC.GetTotalPauseDuration();
var baselineCollections = (Gen0: GC.CollectionCount(0), Gen1: GC.CollectionCount(1), Gen2: GC.CollectionCount(2));
var machine = MachineLoad.Start();
using var shardWrites = new CounterReader("switchboard.deadlines.writes");
using var hibernated = new CounterReader("switchboard.conversations.hibernated");
var started = Stopwatch.StartNew();
var interval = spread / conversations;
var pending = new List<Task>(256);
for (var i = 0; i < conversations; i++)
{
    // Open model: conversation i starts at i × interval whatever the silo is doing.
    var due = interval * i;
    if (started.Elapsed < due)
    {
        await Task.WhenAll(pending);
        pending.Clear();
        var wait = due - started.Elapsed;
        if (wait > TimeSpan.FromMilliseconds(1))
        {
            await Task.Delay(wait);
        }
    }

    pending.Add(StartAsync(i));
}

await Task.WhenAll(pending);
Console.WriteLine($"started all in {started.Elapsed.TotalSeconds:F1} s");
// No forced collection here: deadlines fall due while this runs, and a blocking full collection of a heap of
// gigabytes would stop the silo for seconds and show up as lateness the silo did not cause. The heap after the
// last collection and the working set, as they stand; the full collection waits until every breach has fired.
var asItStands = GC.GetGCMemoryInfo();
Console.WriteLine($"memory with every conversation open, as it stands: working set +{(Process.GetCurrentProcess().WorkingSet64 - baseline.WorkingSet) / (double)conversations / 1024:F1} KiB, managed heap after the last collection +{(asItStands.HeapSizeBytes - baseline.Managed) / (double)conversations / 1024:F1} KiB per conversation");

await breaches.AllFired.WaitAsync(clock + spread + TimeSpan.FromMinutes(2));
var elapsed = started.Elapsed;
var pauses = GC.GetTotalPauseDuration() - baselinePauses;
Console.WriteLine($"all {conversations:N0} breaches fired; lateness after the deadline (ms):");
breaches.Print(started);
Console.WriteLine($"garbage collections during the run: {GC.CollectionCount(0) - baselineCollections.Gen0:N0} gen 0, {GC.CollectionCount(1) - baselineCollections.Gen1:N0} gen 1, {GC.CollectionCount(2) - baselineCollections.Gen2:N0} gen 2; the silo was paused {pauses.TotalSeconds:F1} s in all");
// Every conversation is still open (breached, still waiting): now the heap can be collected and counted.
var loaded = Measure();
Console.WriteLine($"memory with every conversation open, after a full collection: working set +{(loaded.WorkingSet - baseline.WorkingSet) / (double)conversations / 1024:F1} KiB, managed heap +{(loaded.Managed - baseline.Managed) / (double)conversations / 1024:F1} KiB per conversation");
Console.WriteLine($"conversations left memory to wait {hibernated.Total:N0} times; peak working set {Process.GetCurrentProcess().PeakWorkingSet64 / (1024.0 * 1024 * 1024):F2} GiB ({Process.GetCurrentProcess().PeakWorkingSet64 / (double)conversations / 1024:F1} KiB per conversation)");
Console.WriteLine($"deadline shards wrote {shardWrites.Total:N0} records in {elapsed.TotalSeconds:F0} s ({shardWrites.Total / elapsed.TotalSeconds:F0}/s, {shardWrites.Total / (double)conversations:F2} per conversation)");
if (host.Services.GetRequiredKeyedService<IGrainStorage>(SwitchboardOptions.StorageName) is SqliteGrainStorage sqlite)
{
    var written = sqlite.Statistics;
    Console.WriteLine($"SQLite grain storage committed {written.Changes:N0} writes in {written.Batches:N0} transactions in {elapsed.TotalSeconds:F0} s ({written.Changes / elapsed.TotalSeconds:F0} writes/s, {written.Changes / (double)Math.Max(1, written.Batches):F1} per transaction, at most {written.LargestBatch})");
}

Console.WriteLine(machine.Report());
await host.StopAsync();

async Task StartAsync(int i)
{
    var id = $"bench-{i}";
    var view = await grains.GetGrain<IConversationGrain>(id).StartAsync(new StartConversation($"Customer {i}", skills[i % skills.Length], "Where is my parcel?"));
    breaches.Expect(id, view.Conversation.FirstResponseDueAt);
}

static (long WorkingSet, long Managed) Measure()
{
    GC.Collect();
    GC.WaitForPendingFinalizers();
    GC.Collect();
    return (Process.GetCurrentProcess().WorkingSet64, GC.GetTotalMemory(forceFullCollection: true));
}

internal sealed class BreachRecorder(int expected) : IChatNotifier
{
    private readonly ConcurrentDictionary<string, DateTimeOffset> _due = new();
    private readonly LongHistogram _lateness = new(TimeStamp.Hours(1), 3);
    private readonly TaskCompletionSource _allFired = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private int _fired;
    private TimeSpan _worst;
    private DateTimeOffset _worstDue;

    public Task AllFired => _allFired.Task;

    public void Expect(string id, DateTimeOffset dueAt) => _due[id] = dueAt;

    public void SupervisorAlert(SupervisorAlert alert)
    {
        var now = TimeProvider.System.GetUtcNow();
        if (alert.Kind == SupervisorAlertKind.Breach && _due.TryGetValue(alert.ConversationId, out var due))
        {
            lock (_lateness)
            {
                _lateness.RecordValue(Math.Max(0, (now - due).Ticks / 10));
                if (now - due > _worst)
                {
                    (_worst, _worstDue) = (now - due, due);
                }
            }

            if (Interlocked.Increment(ref _fired) == expected)
            {
                _allFired.TrySetResult();
            }
        }
    }

    public void Print(Stopwatch started)
    {
        lock (_lateness)
        {
            foreach (var p in new[] { 50.0, 90.0, 99.0, 99.9 })
            {
                Console.WriteLine($"  p{p}: {_lateness.GetValueAtPercentile(p) / 1000.0:F1}");
            }

            // When the latest breach was due, in seconds since the starts began: says which phase of the run it fell in.
            var dueAt = (_worstDue - (TimeProvider.System.GetUtcNow() - started.Elapsed)).TotalSeconds;
            Console.WriteLine($"  max: {_lateness.GetMaxValue() / 1000.0:F1} (due {dueAt:F0} s into the run)");
        }
    }

    public void ConversationQueued(string skill, QueueEntry entry, QueuePlacement placement)
    {
    }

    public void OutreachOpened(string customerId, string conversationId, ChatMessage opening)
    {
    }

    public void ConversationAssigned(string agentId, ConversationView conversation)
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

    public Task SentToAgentAsync(string agentId) => Task.CompletedTask;
}

/// <summary>Sums one counter of the Switchboard meter over the run.</summary>
internal sealed class CounterReader : IDisposable
{
    private readonly MeterListener _listener = new();
    private long _total;

    public CounterReader(string name)
    {
        _listener.InstrumentPublished = (instrument, listener) =>
        {
            if (instrument.Meter.Name == SiloServiceMetrics.MeterName && instrument.Name == name)
            {
                listener.EnableMeasurementEvents(instrument);
            }
        };
        _listener.SetMeasurementEventCallback<long>((_, value, _, _) => Interlocked.Add(ref _total, value));
        _listener.Start();
    }

    public long Total => Interlocked.Read(ref _total);

    public void Dispose() => _listener.Dispose();
}
