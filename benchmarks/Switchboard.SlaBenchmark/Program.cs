using System.Collections.Concurrent;
using System.Diagnostics;
using HdrHistogram;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Switchboard;
using Switchboard.Conversations;
using Switchboard.Metrics;
using Switchboard.Notifications;
using Switchboard.Queues;
using Switchboard.Supervision;

// SLA timer precision: open conversations whose first-response deadlines are spread over a window fire their
// breach on one silo; how late each fires is recorded. Usage:
//   dotnet run -c Release --project benchmarks/Switchboard.SlaBenchmark -- [conversations] [spreadSeconds] [clockSeconds]
var conversations = args.Length > 0 ? int.Parse(args[0]) : 50_000;
var spread = TimeSpan.FromSeconds(args.Length > 1 ? double.Parse(args[1]) : 90);
var clock = TimeSpan.FromSeconds(args.Length > 2 ? double.Parse(args[2]) : 90);
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
builder.UseOrleans(silo => silo
    .UseLocalhostClustering(siloPort: 11_411, gatewayPort: 30_411)
    .AddMemoryGrainStorage(SwitchboardOptions.StorageName)
    .UseInMemoryReminderService()
    .AddSwitchboardMetrics());
using var host = builder.Build();
await host.StartAsync();
var grains = host.Services.GetRequiredService<IGrainFactory>();

Console.WriteLine($"{conversations:N0} conversations, deadlines {clock.TotalSeconds:0} s after start, starts spread over {spread.TotalSeconds:0} s; {Environment.ProcessorCount} cores, server GC {System.Runtime.GCSettings.IsServerGC}");
var baseline = Measure();
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
var loaded = Measure();
Console.WriteLine($"memory with every conversation open: working set +{(loaded.WorkingSet - baseline.WorkingSet) / (double)conversations / 1024:F1} KiB, managed heap +{(loaded.Managed - baseline.Managed) / (double)conversations / 1024:F1} KiB per conversation");

await breaches.AllFired.WaitAsync(clock + spread + TimeSpan.FromMinutes(2));
Console.WriteLine($"all {conversations:N0} breaches fired; lateness after the deadline (ms):");
breaches.Print();
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
            }

            if (Interlocked.Increment(ref _fired) == expected)
            {
                _allFired.TrySetResult();
            }
        }
    }

    public void Print()
    {
        lock (_lateness)
        {
            foreach (var p in new[] { 50.0, 90.0, 99.0, 99.9 })
            {
                Console.WriteLine($"  p{p}: {_lateness.GetValueAtPercentile(p) / 1000.0:F1}");
            }

            Console.WriteLine($"  max: {_lateness.GetMaxValue() / 1000.0:F1}");
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
