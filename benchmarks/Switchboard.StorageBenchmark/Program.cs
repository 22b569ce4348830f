using System.Diagnostics;
using HdrHistogram;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging.Abstractions;
using Orleans.Runtime;
using Orleans.Serialization;
using Orleans.Serialization.Serializers;
using Orleans.Storage;
using Switchboard.Hosting.Sqlite;

// Write throughput of the embedded SQLite grain storage: N writers, each writing its own grain's ~1 KB state again
// and again with the ETag of its last write (a grain storing before it answers), for a few seconds per N, each N on a
// fresh database file in the temp folder. Usage:
//   dotnet run -c Release --project benchmarks/Switchboard.StorageBenchmark -- [seconds] [writers ...]
var numbers = args.Select(int.Parse).ToArray();
var seconds = numbers.Length > 0 ? numbers[0] : 5;
int[] writerCounts = numbers.Length > 1 ? numbers[1..] : [1, 4, 16, 64, 256, 1024];

var services = new ServiceCollection().AddSerializer().BuildServiceProvider();
var serializer = new OrleansGrainStorageSerializer(services.GetRequiredService<Serializer>());
var activators = services.GetRequiredService<IActivatorProvider>();
var text = new string('m', 1000);
var payloadBytes = serializer.Serialize(new Dictionary<string, string> { ["text"] = text }).ToArray().Length;

Console.WriteLine($"SQLite grain storage, {payloadBytes} B payload, {seconds} s per step; {Environment.ProcessorCount} cores, server GC {System.Runtime.GCSettings.IsServerGC}, load average {LoadAverage()}");
Console.WriteLine("writers | writes/s | transactions/s | writes per transaction (mean / largest) | write latency p50 / p99 / max ms | CPU (cores) | load average after");
foreach (var writers in writerCounts)
{
    var folder = Directory.CreateTempSubdirectory("switchboard-storage-benchmark-");
    try
    {
        var storage = new SqliteGrainStorage(Path.Combine(folder.FullName, "bench.db"), serializer, activators, NullLogger<SqliteGrainStorage>.Instance);
        await storage.StartAsync(CancellationToken.None);
        // Warm up (JIT, the file's first pages), then measure.
        await RunAsync(storage, writers, TimeSpan.FromSeconds(1), null);
        var latency = new LongConcurrentHistogram(1, TimeSpan.FromSeconds(30).Ticks, 3);
        var before = storage.Statistics;
        var cpuBefore = Process.GetCurrentProcess().TotalProcessorTime;
        var clock = Stopwatch.StartNew();
        var writes = await RunAsync(storage, writers, TimeSpan.FromSeconds(seconds), latency);
        var elapsed = clock.Elapsed;
        var cpu = (Process.GetCurrentProcess().TotalProcessorTime - cpuBefore) / elapsed;
        var after = storage.Statistics;
        await storage.StopAsync(CancellationToken.None);

        var batches = after.Batches - before.Batches;
        double Ms(double percentile) => latency.GetValueAtPercentile(percentile) / (double)TimeSpan.TicksPerMillisecond;
        Console.WriteLine(
            $"{writers,7} | {writes / elapsed.TotalSeconds,8:N0} | {batches / elapsed.TotalSeconds,14:N0} | {(after.Changes - before.Changes) / (double)Math.Max(1, batches),8:F1} / {after.LargestBatch,-5} | {Ms(50):F2} / {Ms(99):F2} / {latency.GetMaxValue() / (double)TimeSpan.TicksPerMillisecond:F1} | {cpu:F2} | {LoadAverage()}");
    }
    finally
    {
        folder.Delete(recursive: true);
    }
}

async Task<long> RunAsync(SqliteGrainStorage storage, int writers, TimeSpan duration, LongConcurrentHistogram? latency)
{
    var until = Stopwatch.GetTimestamp() + (long)(duration.TotalSeconds * Stopwatch.Frequency);
    var counts = await Task.WhenAll(Enumerable.Range(0, writers).Select(w => Task.Run(async () =>
    {
        var grain = GrainId.Create("benchmark", w.ToString(System.Globalization.CultureInfo.InvariantCulture));
        var state = new GrainState<Dictionary<string, string>>(new() { ["text"] = text });
        await storage.ReadStateAsync("state", grain, state);
        state.State = new() { ["text"] = text };
        long done = 0;
        while (Stopwatch.GetTimestamp() < until)
        {
            var started = Stopwatch.GetTimestamp();
            await storage.WriteStateAsync("state", grain, state);
            latency?.RecordValue(Math.Max(1, Stopwatch.GetElapsedTime(started).Ticks));
            done++;
        }

        return done;
    })));
    return counts.Sum();
}

static string LoadAverage() =>
    File.Exists("/proc/loadavg") ? string.Join(' ', File.ReadAllText("/proc/loadavg").Split(' ').Take(3)) : "unknown";
