using System.Diagnostics;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Switchboard;
using Switchboard.Conversations;
using Switchboard.Notifications;
using Switchboard.Queues;
using Switchboard.Supervision;

// What a message costs as a conversation grows: open conversations (waiting, nobody to answer) each receive one
// customer message per round, all conversations at once, round after round; the silo's CPU and the wall time of each
// round are recorded and printed per band of transcript length. Usage:
//   dotnet run -c Release --project benchmarks/Switchboard.TranscriptBenchmark -- [conversations] [messages] [--postgres | --sqlite]
// --postgres or --sqlite: where grain state is stored (see BenchmarkStorage); memory otherwise.
using var storage = BenchmarkStorage.FromArgs(args);
var numbers = args.Where(a => !a.StartsWith("--", StringComparison.Ordinal)).ToArray();
var conversations = numbers.Length > 0 ? int.Parse(numbers[0]) : 200;
var messages = numbers.Length > 1 ? int.Parse(numbers[1]) : 200;
int[] bands = [10, 50, 100, 150, 200, 400, 600, 800, 1000];

var builder = Host.CreateApplicationBuilder();
builder.Logging.SetMinimumLevel(LogLevel.Warning);
builder.Services.AddSingleton<IChatNotifier, SilentNotifier>();
builder.Services.AddSingleton(TimeProvider.System);
builder.Services.Configure<SwitchboardOptions>(options =>
{
    options.Skills["shipping"] = new SkillOptions();
    // Nothing on the clock falls due during the run: only the messages are measured.
    options.Sla.DefaultFirstResponse = TimeSpan.FromHours(1);
    options.Sla.OverflowAfter = TimeSpan.FromHours(2);
    options.Sla.TicketAfter = TimeSpan.FromHours(3);
    options.Limits.MaxMessagesPerConversation = Math.Max(options.Limits.MaxMessagesPerConversation, messages + 10);
});
builder.UseOrleans(silo =>
{
    silo.UseLocalhostClustering(siloPort: 11_421, gatewayPort: 30_421).AddSwitchboardGrains();
    storage.AddTo(silo);
});
using var host = builder.Build();
await host.StartAsync();
var grains = host.Services.GetRequiredService<IGrainFactory>();

Console.WriteLine($"{conversations:N0} conversations × {messages:N0} messages, one customer message per conversation per round; storage {storage.Name}; {Environment.ProcessorCount} cores, server GC {System.Runtime.GCSettings.IsServerGC}");

// Warm-up (JIT tiers, thread pool, storage connections): the same work on other conversations, 60 messages each,
// for at least 15 s, so the first bands measured are not the code being compiled.
var warming = Stopwatch.StartNew();
do
{
    await RoundsAsync(await StartAllAsync(), 2, 60);
}
while (warming.Elapsed < TimeSpan.FromSeconds(15));

var ids = await StartAllAsync();

var machine = MachineLoad.Start();
var process = Process.GetCurrentProcess();
// Each start stored two messages (the customer's and the acknowledgement).
var length = 2;
var bandStart = length;
var bandCpu = TimeSpan.Zero;
var bandWall = TimeSpan.Zero;
Console.WriteLine("| messages in the transcript | CPU per message | wall per round |");
Console.WriteLine("| --- | ---: | ---: |");
while (length < messages)
{
    process.Refresh();
    var cpuBefore = process.TotalProcessorTime;
    var wall = Stopwatch.StartNew();
    length++;
    await RoundsAsync(ids, length - 1, length);
    process.Refresh();
    bandCpu += process.TotalProcessorTime - cpuBefore;
    bandWall += wall.Elapsed;
    if (length == messages || Array.IndexOf(bands, length) >= 0)
    {
        var rounds = length - bandStart;
        Console.WriteLine($"| {bandStart + 1}–{length} | {bandCpu.TotalMicroseconds / (rounds * (double)conversations):F0} µs | {bandWall.TotalMilliseconds / rounds:F1} ms |");
        (bandStart, bandCpu, bandWall) = (length, TimeSpan.Zero, TimeSpan.Zero);
    }
}

Console.WriteLine(machine.Report());
await host.StopAsync();

async Task<string[]> StartAllAsync()
{
    var started = Enumerable.Range(0, conversations).Select(_ => $"transcript-bench-{Guid.NewGuid():N}").ToArray();
    await Task.WhenAll(started.Select(id => grains.GetGrain<IConversationGrain>(id).StartAsync(new StartConversation("Customer", "shipping", "Where is my parcel?"))));
    return started;
}

// Brings each conversation from `from` messages to `to`, one message to every conversation per round.
async Task RoundsAsync(string[] conversationIds, int from, int to)
{
    for (var n = from + 1; n <= to; n++)
    {
        var text = $"Message {n}: has my parcel left the warehouse yet?";
        await Task.WhenAll(conversationIds.Select(id => grains.GetGrain<IConversationGrain>(id).PostCustomerMessageAsync(text)));
    }
}

internal sealed class SilentNotifier : IChatNotifier
{
    public void ConversationQueued(string skill, QueueEntry entry, QueuePlacement placement) { }

    public void ConversationAssigned(string agentId, ConversationView conversation) { }

    public void MessagePosted(string conversationId, string? agentId, ChatMessage message) { }

    public void ConversationClosed(string conversationId, string? agentId) { }

    public void ConversationWithdrawn(string agentId, string conversationId, string reason) { }

    public void SlaWarning(string agentId, string conversationId, DateTimeOffset dueAt, TimeSpan timeLeft) { }

    public void FollowUpDue(string agentId, string conversationId) { }

    public void OutreachOpened(string customerId, string conversationId, ChatMessage opening) { }

    public void SupervisorAlert(SupervisorAlert alert) { }

    public Task SentToAgentAsync(string agentId) => Task.CompletedTask;
}
